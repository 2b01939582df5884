// serverless-chat web client: plain JavaScript, no build step; text goes in as textContent only.
// Talks the json format of docs/protocol.md to any endpoint: ?ws=URL, the Server field,
// or config.json (which the local gateway serves). The page a gateway serves (its
// config.json names a stage) talks to that gateway: a link's ?ws= naming another server
// only fills the Server field and says which server it is; the person connects there or not.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const el = {
    status: $("status"), statusText: $("status-text"), messages: $("messages"),
    older: $("older"), jump: $("jump"), composer: $("composer"), message: $("message-input"),
    to: $("to-select"), composerError: $("composer-error"), nameForm: $("name-form"),
    name: $("name-input"), nameError: $("name-error"), roomForm: $("room-form"),
    room: $("room-input"), roomError: $("room-error"), roomName: $("room-name"),
    people: $("people"), peopleToggle: $("people-toggle"), peopleCount: $("people-count"),
    peopleSection: document.querySelector(".people"), serverForm: $("server-form"),
    server: $("server-input"), serverNote: $("server-note"), taken: $("name-taken"), takenText: $("name-taken-text"),
    takenTitle: $("name-taken-title"),
    takenForm: $("name-taken-form"), takenName: $("name-taken-input"),
    takenError: $("name-taken-error"), retry: $("retry"), notify: $("notify"),
    rooms: $("rooms"), roomsToggle: $("rooms-toggle"),
    roomsSection: document.querySelector(".rooms"),
    conversations: $("conversations"), conversationsToggle: $("conversations-toggle"),
    conversationsSection: document.querySelector(".conversations"), dmView: $("dm-view"), dmTitle: $("dm-title"),
    dmClose: $("dm-close"), dmOlder: $("dm-older"), dmMessages: $("dm-messages"),
  };
  const saved = window.sessionStorage; // per tab: a reload restores room and name
  const state = {
    url: null, socket: null, attempt: 0, timer: null, refs: 0, token: "",
    room: saved.getItem("chat.room") || "general",
    wanted: saved.getItem("chat.name") || "", // the name this person asks for ("" = any)
    name: "", // the name the chat gave this connection
    welcomed: false, // this connection has had its welcome (so its room and name are known)
    roomRefused: false, // the room field holds a room the chat refused
    names: new Set(), queue: [], pending: new Map(), seen: new Set(), oldest: null,
    asked: new Map(), // ref -> {kind, value}: what a join or setName asked for
    // A join or setName in flight (its ref), and those waiting for it: each message is an
    // invocation of its own and nothing orders two in flight (a later one may answer
    // first, and the last to write the connection's room or name wins), so the page asks
    // one at a time.
    asking: null, toAsk: [], askingTimer: null,
    unread: 0,
    stuck: true, // the list follows its newest message (the reader has not scrolled up)
    editing: null, // {id, sentAt} of the own message the composer is editing
    lobby: null, // the probe's own empty room while it has no name of its own (see connect)
    pingTimer: null,
    retryAt: 0, countdown: null, // when the next reconnect is due, and the tick that shows it
    unseen: 0, // messages from others that arrived while the tab was hidden (the title's count)
    // Direct messages that last (docs/protocol.md, resume and directHistory): by id, and
    // the conversation shown in the feed's place (null: the room).
    directs: new Map(), conversation: null, peer: "", dmOldest: null,
  };
  // How long after sending it a message may be edited or deleted (the chat's own window,
  // docs/protocol.md): past it the buttons go, the chat would refuse.
  const EDIT_WINDOW_MS = 15 * 60 * 1000;
  // API Gateway closes a connection after 10 minutes without a frame: after 5 minutes
  // with nothing sent, the page sends {"action": "ping"} (a MOCK route, answered
  // {"type": "pong"}, no function and no table), so that a reader stays connected and the
  // room does not see them leave and come back.
  const PING_INTERVAL_MS = 5 * 60 * 1000;
  // One person's messages closer together than this sit under one name.
  const GROUP_MS = 5 * 60 * 1000;
  const TITLE = document.title;

  // -- connection -------------------------------------------------------------------
  function setStatus(kind, text) {
    el.status.dataset.state = kind;
    el.statusText.textContent = text;
  }

  // A browser is not told why a handshake was refused (a taken name is 409, a bad room
  // 400; the page sees only a close). So when one closes before it opened, the page
  // connects once more, to a room of its own that nobody else is in (no one hears it
  // arrive under a guest name), takes its name there (setName), and only once it has
  // it asks for its room (join; one after the other: the chat may run two requests of one
  // connection at once). Their refusals are frames, with the chat's reason: a taken name
  // stops the page until the person picks another; a bad room shows by its field. If the
  // probe does not open either, the server is away: back off and try again.
  function connect(probe = false) {
    clearTimeout(state.timer);
    clearInterval(state.countdown);
    el.retry.hidden = true;
    const query = new URLSearchParams({ format: "json" });
    state.lobby = null;
    if (probe) {
      const bytes = crypto.getRandomValues(new Uint8Array(8));
      state.lobby = `lobby-${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
      query.set("room", state.lobby);
    } else {
      query.set("room", state.room);
      if (state.wanted) query.set("name", state.wanted);
    }
    if (state.token) query.set("token", state.token); // AuthMode hs256 / jwks
    let socket;
    try {
      socket = new WebSocket(`${state.url}${state.url.includes("?") ? "&" : "?"}${query}`);
    } catch (error) {
      setStatus("offline", `Cannot connect to ${state.url}: ${error.message}`);
      return;
    }
    let opened = false;
    state.socket = socket;
    setStatus("connecting", "Connecting…");
    socket.addEventListener("open", () => {
      opened = true;
      state.attempt = 0;
      state.welcomed = false;
      state.asking = null;
      state.toAsk = [];
      setStatus("connected", "Connected");
      // The welcome says where this connection is and under which name; the room's
      // latest messages follow it.
      if (probe && state.wanted) nameInLobby(state.wanted);
      else sendInTurn({ action: "join", room: state.room, ref: ask("join", state.room) });
      resume();
    });
    socket.addEventListener("message", (event) => receive(event.data));
    socket.addEventListener("close", () => {
      if (state.socket !== socket) return; // replaced on purpose
      state.socket = null;
      state.lobby = null; // a probe's room ends with it: what is typed now waits for the network
      clearTimeout(state.pingTimer);
      clearPeople();
      if (!opened && !probe) {
        connect(true); // refused, or nobody there: the next one tells which
        return;
      }
      reconnectLater();
    });
  }

  function reconnectLater() {
    // Exponential backoff with jitter: 0.5 s, 1 s, 2 s … capped at 30 s, each halved at random.
    const ceiling = Math.min(30000, 500 * 2 ** state.attempt);
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    state.attempt += 1;
    state.retryAt = Date.now() + delay;
    showCountdown();
    clearInterval(state.countdown);
    state.countdown = setInterval(showCountdown, 1000); // the seconds left, each second
    el.retry.hidden = false;
    state.timer = setTimeout(connect, delay);
  }

  function showCountdown() {
    const left = Math.max(1, Math.ceil((state.retryAt - Date.now()) / 1000));
    const hint = state.attempt > 3 && state.token ? " (or is the token refused?)" : "";
    setStatus("offline", `Offline — reconnecting in ${left} s${hint}`);
  }

  function useServer(url) {
    state.url = url;
    el.server.value = url;
    if (state.socket) {
      const old = state.socket;
      state.socket = null;
      old.close();
    }
    connect();
  }

  function send(frame) {
    if (!state.socket || state.socket.readyState !== WebSocket.OPEN) return false;
    state.socket.send(JSON.stringify(frame));
    clearTimeout(state.pingTimer); // every frame sent restarts the idle count
    state.pingTimer = setTimeout(() => send({ action: "ping" }), PING_INTERVAL_MS);
    return true;
  }

  // The probe's name, taken in its own room: then, and only then, the room asked for.
  function nameInLobby(name) {
    sendInTurn({ action: "setName", name, ref: ask("lobby-name", name) });
  }

  // A taken name stops the page: a notice over the chat, its own field to pick another,
  // and the composer off, until the chat accepts one.
  function showTaken(text, name) {
    el.takenTitle.textContent = `Choose another name to join ${state.room}`;
    el.takenText.textContent = text;
    el.takenName.value = name;
    hideError(el.takenError);
    el.taken.hidden = false;
    document.querySelector(".layout").inert = true; // nothing else to do until then
    setStatus("refused", `Not in ${state.room}: your name is taken`);
    el.takenName.focus();
    el.takenName.select();
  }

  function hideTaken() {
    el.taken.hidden = true;
    document.querySelector(".layout").inert = false;
  }

  // A join or setName: sent when the one before it has been answered (state.asking).
  function sendInTurn(frame) {
    if (!state.socket || state.socket.readyState !== WebSocket.OPEN) return false;
    if (state.asking) {
      state.toAsk.push(frame);
      return true;
    }
    state.asking = frame.ref;
    // An answer that never comes (a failure the gateway answers without the ref) holds
    // the next no longer than API Gateway's integration timeout, 29 s.
    clearTimeout(state.askingTimer);
    state.askingTimer = setTimeout(() => answered(frame.ref), 30000);
    return send(frame);
  }

  function answered(ref) {
    if (!ref || ref !== state.asking) return;
    clearTimeout(state.askingTimer);
    state.asking = null;
    const next = state.toAsk.shift();
    if (next) sendInTurn(next);
  }

  function nextRef(kind) {
    state.refs += 1;
    return `${kind}-${state.refs}-${Date.now().toString(36)}`;
  }

  function ask(kind, value) {
    const ref = nextRef(kind);
    state.asked.set(ref, { kind, value });
    return ref;
  }

  // -- what arrives -------------------------------------------------------------------
  function receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      addSystem(String(data));
      return;
    }
    const handler = handlers[frame.type];
    if (handler) handler(frame);
    else if (frame.message) addSystem(`Server: ${frame.message}`, true);
    if (frame.type === "welcome" || frame.type === "error") answered(frame.ref);
  }

  const handlers = {
    welcome(frame) {
      const asked = frame.ref ? state.asked.get(frame.ref) : undefined;
      state.asked.delete(frame.ref);
      if (state.lobby && frame.room === state.lobby) {
        // The probe has its name (in a room of its own): now the room asked for.
        state.name = frame.name;
        sendInTurn({ action: "join", room: state.room, ref: ask("join", state.room) });
        return;
      }
      if (state.lobby) {
        state.lobby = null; // in a room at last: the probe is a connection like any other
        hideTaken();
        setStatus("connected", "Connected");
      }
      const moved = frame.room !== state.room || !state.welcomed;
      state.welcomed = true;
      state.room = frame.room;
      state.name = frame.name;
      // A guest keeps its name across reconnects; a name asked for stays asked for
      // until another is, even while the chat refuses it.
      if (!state.wanted || (asked && asked.kind === "name")) state.wanted = frame.name;
      saved.setItem("chat.room", frame.room);
      saved.setItem("chat.name", state.wanted);
      el.roomName.textContent = frame.room;
      el.name.value = frame.name;
      if (frame.name === state.wanted) hideError(el.nameError);
      if (asked && asked.kind === "join") {
        state.roomRefused = false;
        hideError(el.roomError);
      }
      // A refused room stays in its field, beside the reason, to be mended.
      if (!state.roomRefused) el.room.value = frame.room;
      followInAddressBar();
      if (moved) state.names.clear();
      send({ action: "who" });
      askRooms();
      flushQueue();
    },
    history(frame) {
      const items = frame.messages.filter((m) => !state.seen.has(m.id)).map(messageItem);
      frame.messages.forEach((m) => state.seen.add(m.id));
      if (frame.ref && frame.ref.startsWith("older")) {
        // Older messages above, and what was on screen stays where it was.
        const list = el.messages;
        const fromBottom = list.scrollHeight - list.scrollTop;
        list.prepend(...items);
        arrange();
        list.scrollTop = list.scrollHeight - fromBottom;
      } else {
        // The page that answers a join: the room's latest messages, then what is pending.
        state.seen.clear();
        frame.messages.forEach((m) => state.seen.add(m.id));
        const pending = [...el.messages.querySelectorAll("li.pending")];
        el.older.hidden = !frame.next;
        el.messages.replaceChildren(...frame.messages.map(messageItem), ...pending);
        mergeDirects(); // the room's flow holds the direct messages too (and arranges it)
        toBottom();
      }
      state.oldest = frame.next;
      el.older.hidden = !frame.next;
    },
    message(frame) { showMessage(frame); },
    edited(frame) { revised(frame); },
    deleted(frame) { revised(frame); },
    direct(frame) {
      showMessage(frame);
      keepDirects([frame]);
      if (frame.conversation && frame.conversation === state.conversation) {
        el.dmMessages.append(messageItem(frame));
        el.dmMessages.scrollTop = el.dmMessages.scrollHeight;
      }
    },
    resumed(frame) {
      // A guest's token, handed out once: kept for the next connection (a reload, a
      // reconnect) to read this person's direct messages again. Then those messages.
      if (frame.token) window.localStorage.setItem(resumeKey(), frame.token);
      send({ action: "directHistory", ref: nextRef("dms") });
    },
    directHistory(frame) { showDirects(frame); },
    presence(frame) {
      if (frame.room !== state.room) return;
      if (frame.event === "joined") state.names.add(frame.name);
      if (frame.event === "left") state.names.delete(frame.name);
      if (frame.event === "renamed") {
        state.names.delete(frame.previousName);
        state.names.add(frame.name);
      }
      const what = frame.event === "renamed"
        ? `${frame.previousName} is now ${frame.name}`
        : `${frame.name} ${frame.event}`;
      addSystem(what);
      renderPeople();
    },
    who(frame) {
      if (frame.room !== state.room) return;
      if (!frame.ref || !frame.ref.startsWith("who-more")) state.names = new Set();
      frame.names.forEach((name) => state.names.add(name));
      if (frame.next) send({ action: "who", after: frame.next, ref: nextRef("who-more") });
      renderPeople();
    },
    pong() {}, // the keep-alive's answer
    rooms(frame) { renderRooms(frame.rooms); },
    error(frame) {
      if (frame.action === "resume") { // a kept token the chat does not take: a new one
        window.localStorage.removeItem(resumeKey());
        resume();
        return;
      }
      const asked = frame.ref ? state.asked.get(frame.ref) : undefined;
      state.asked.delete(frame.ref);
      const item = frame.ref && state.pending.get(frame.ref);
      if (state.lobby && (frame.code === "NAME_TAKEN" || frame.action === "setName")) {
        // Still in no room but its own: nobody has seen this page arrive. Taken in the
        // room, or a name the chat refuses anywhere (INVALID_NAME).
        showTaken(frame.message, asked && asked.kind !== "join" ? asked.value : state.wanted);
        return;
      }
      if (item) {
        state.pending.delete(frame.ref);
        item.classList.remove("pending");
        item.classList.add("failed");
        setNote(item, `Not sent: ${frame.message}`);
      } else if (frame.action === "editMessage" || frame.action === "deleteMessage") {
        showError(el.composerError, frame.message);
      } else if (frame.action === "setName") {
        showError(el.nameError, frame.message);
        if (asked) el.name.value = asked.value; // to mend, not to type again
      } else if (frame.action === "join") {
        showError(el.roomError, frame.message);
        state.roomRefused = true;
        if (asked) el.room.value = asked.value;
        // Not in a room of our asking yet: learn where this connection is.
        if (!state.welcomed) {
          sendInTurn({ action: "join", room: "general", ref: ask("where", "general") });
        }
      } else {
        showError(el.composerError, frame.message);
      }
    },
  };

  // An edit or a deletion, of anyone's message on screen: shown in its place.
  function revised(frame) {
    if (frame.ref) state.asked.delete(frame.ref);
    const item = el.messages.querySelector(`li[data-id="${CSS.escape(frame.id)}"]`);
    if (item) {
      item.replaceWith(messageItem({ ...frame, type: "message", deleted: frame.type === "deleted" }));
      arrange();
      if (state.stuck) toBottom();
    }
    if (state.editing && state.editing.id === frame.id) stopEditing();
  }

  function showMessage(frame) {
    const pending = frame.ref && state.pending.get(frame.ref);
    if (state.seen.has(frame.id)) return;
    state.seen.add(frame.id);
    const item = messageItem(frame);
    if (pending) {
      state.pending.delete(frame.ref);
      pending.replaceWith(item);
      arrange();
      if (state.stuck) toBottom(); // the chat's copy may be taller than the pending one
    } else {
      arrive(item, true);
      if (frame.from !== state.name) lookedAway(frame, item.classList.contains("mentioned"));
    }
  }

  // -- while the person looks away: a count in the tab's title, and notifications ----------
  function lookedAway(frame, mentioned) {
    if (document.visibilityState === "hidden") {
      state.unseen += 1;
      document.title = `(${state.unseen}) ${TITLE}`;
    }
    if (frame.type === "direct" || mentioned) notify(frame);
  }

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible") return;
    state.unseen = 0;
    document.title = TITLE;
  });

  // Asked with a button, never on load: a browser may refuse a request nobody clicked for.
  function showNotifyButton() {
    el.notify.hidden = !("Notification" in window) || Notification.permission !== "default";
  }

  function notify(frame) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    if (document.visibilityState === "visible" && document.hasFocus()) return; // in sight
    const title = frame.type === "direct"
      ? `${frame.from} (a direct message)`
      : `${frame.from} mentioned you in ${frame.room || state.room}`;
    const shown = new Notification(title, { body: String(frame.text || "").slice(0, 200), tag: frame.id });
    shown.addEventListener("click", () => {
      window.focus();
      shown.close();
    });
  }

  el.notify.addEventListener("click", async () => {
    await Notification.requestPermission();
    showNotifyButton();
  });
  showNotifyButton();

  // -- direct messages that last: kept by the chat for this person's identity -------------
  // A signed-in person is their token's subject; a guest proves it is the same person with
  // the resume token the chat handed it once (kept in localStorage, by server).
  function resumeKey() {
    return `chat.resume ${state.url}`;
  }

  function resume() {
    const token = window.localStorage.getItem(resumeKey());
    const frame = { action: "resume", ref: nextRef("resume") };
    if (token) frame.token = token;
    send(frame);
  }

  function peerOf(m) {
    return m.from === state.name ? m.to : m.from;
  }

  function keepDirects(messages) {
    for (const m of messages) if (m.id && m.conversation) state.directs.set(m.id, m);
    renderConversations();
  }

  // Each direct message known and not on screen, in the room's flow at its time.
  function mergeDirects() {
    const items = [...el.messages.children];
    for (const m of [...state.directs.values()].sort((a, b) => a.sentAt - b.sentAt)) {
      if (el.messages.querySelector(`li[data-id="${CSS.escape(m.id)}"]`)) continue;
      state.seen.add(m.id);
      const item = messageItem(m);
      // Before the first later message, or what is still pending (day lines are redrawn).
      const after = items.find((i) => (i.dataset.sentAt
        ? Number(i.dataset.sentAt) > m.sentAt : i.classList.contains("pending")));
      el.messages.insertBefore(item, after || null);
    }
    arrange();
  }

  function showDirects(frame) {
    keepDirects(frame.messages);
    if (!frame.ref || !frame.ref.startsWith("dm-")) {
      mergeDirects(); // all of this person's, after (re)connecting: in the flow
      if (state.stuck) toBottom();
      return;
    }
    if (frame.conversation !== state.conversation) return; // another was opened since
    const items = frame.messages.map(messageItem);
    if (frame.ref.startsWith("dm-older")) el.dmMessages.prepend(...items);
    else {
      el.dmMessages.replaceChildren(...items);
      el.dmMessages.scrollTop = el.dmMessages.scrollHeight;
    }
    state.dmOldest = frame.next;
    el.dmOlder.hidden = !frame.next;
  }

  // One entry a person: the conversations known, the latest first.
  function renderConversations() {
    const latest = new Map();
    for (const m of state.directs.values()) {
      const known = latest.get(m.conversation);
      if (!known || known.sentAt < m.sentAt) latest.set(m.conversation, m);
    }
    const rows = [...latest.values()].sort((a, b) => b.sentAt - a.sentAt).map((m) => {
      const button = node("button", "", peerOf(m));
      button.type = "button";
      button.dataset.conversation = m.conversation;
      button.setAttribute("aria-pressed", String(m.conversation === state.conversation));
      const row = node("li");
      row.append(button);
      return row;
    });
    el.conversations.replaceChildren(...(rows.length ? rows : [node("li", "none", "None yet")]));
  }

  function openConversation(conversation, peer) {
    state.conversation = conversation;
    state.peer = peer;
    // The composer writes to them while their conversation is shown (if they are here).
    if ([...el.to.options].some((o) => o.value === peer)) el.to.value = peer;
    state.dmOldest = null;
    el.dmTitle.textContent = `Direct messages with ${peer}`;
    el.dmMessages.replaceChildren();
    el.dmOlder.hidden = true;
    el.dmView.hidden = false;
    document.querySelector("main.chat").classList.add("in-conversation");
    send({ action: "directHistory", conversation, ref: nextRef("dm-view") });
    renderConversations();
  }

  function closeConversation() {
    state.conversation = null;
    if (el.to.value === state.peer) el.to.value = "";
    el.dmView.hidden = true;
    document.querySelector("main.chat").classList.remove("in-conversation");
    renderConversations();
    if (state.stuck) toBottom();
  }

  el.conversations.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-conversation]");
    if (!button) return;
    openConversation(button.dataset.conversation, button.textContent);
    if (narrowScreen.matches) showConversations(false);
  });
  el.dmClose.addEventListener("click", closeConversation);

  // On a narrow screen, closed until asked for, as the rooms are (it opens over the feed).
  function showConversations(open) {
    el.conversationsToggle.setAttribute("aria-expanded", String(open));
    el.conversationsSection.classList.toggle("collapsed", !open);
  }
  const narrowScreen = window.matchMedia("(max-width: 640px)");
  showConversations(!narrowScreen.matches);
  narrowScreen.addEventListener("change", () => showConversations(!narrowScreen.matches));
  el.conversationsToggle.addEventListener("click", () => {
    showConversations(el.conversationsToggle.getAttribute("aria-expanded") !== "true");
  });
  el.dmOlder.addEventListener("click", () => {
    if (!state.dmOldest || !state.conversation) return;
    const conversation = state.conversation;
    send({ action: "directHistory", conversation, before: state.dmOldest, ref: nextRef("dm-older") });
  });

  // -- rendering (text only: names and messages can never become markup) ----------------
  function node(tag, className, text) {
    const n = document.createElement(tag);
    if (className) n.className = className;
    if (text !== undefined) n.textContent = text;
    return n;
  }

  function messageItem(m) {
    const item = node("li", m.from === state.name ? "mine" : "");
    if (m.type === "direct") item.classList.add("direct");
    if (m.id) item.dataset.id = m.id;
    if (m.sentAt) item.dataset.sentAt = String(m.sentAt);
    item.dataset.from = m.from || "";
    item.dataset.kind = m.type === "direct" ? `direct:${m.to}` : "room";
    const meta = node("span", "meta");
    const who = m.type === "direct" ? `${m.from} → ${m.to}` : m.from;
    meta.append(node("span", "from", who));
    if (m.sentAt) {
      const when = new Date(m.sentAt);
      const time = node("time", "", when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
      time.dateTime = when.toISOString();
      time.title = when.toLocaleString();
      meta.append(time);
    }
    if (m.deleted) {
      item.classList.add("deleted");
      item.append(meta, node("span", "text", "message deleted"));
      return item;
    }
    const text = richText(m.text || "");
    if (text.querySelector(".mention")) item.classList.add("mentioned");
    item.append(meta, text);
    if (m.editedAt) meta.append(node("span", "edited", "(edited)"));
    // Own room messages, while the chat still takes a change: edit and delete.
    const changeable = m.type !== "direct" && m.id && m.sentAt && m.from === state.name
      && Date.now() - m.sentAt < EDIT_WINDOW_MS;
    if (changeable) {
      const actions = node("span", "actions");
      for (const [act, label] of [["edit", "Edit"], ["delete", "Delete"]]) {
        const button = node("button", "", label);
        button.type = "button";
        button.dataset.act = act;
        button.setAttribute("aria-label", `${label} this message`);
        actions.append(button);
      }
      meta.append(actions); // on the name's line: the item is no taller for them
    }
    return item;
  }

  // A message's text with its links and mentions of this person's name, built of text
  // nodes and elements (never markup): a link is http or https only, and opens apart.
  const LINK = /\bhttps?:\/\/[^\s<>"'`]+/giu;
  function richText(text) {
    const span = node("span", "text");
    const found = [];
    for (const match of text.matchAll(LINK)) {
      const url = match[0].replace(/[.,;:!?'")\]}]+$/u, "");
      if (safeLink(url)) found.push({ at: match.index, end: match.index + url.length, url });
    }
    if (state.name) {
      const name = state.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      const mention = new RegExp(`@${name}(?![\\p{L}\\p{N}_-])`, "giu");
      for (const match of text.matchAll(mention)) {
        const end = match.index + match[0].length;
        if (!found.some((f) => match.index < f.end && end > f.at)) found.push({ at: match.index, end });
      }
    }
    found.sort((a, b) => a.at - b.at);
    let at = 0;
    for (const part of found) {
      span.append(text.slice(at, part.at));
      const piece = text.slice(part.at, part.end);
      if (part.url) {
        const link = node("a", "", piece);
        link.href = safeLink(part.url);
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        span.append(link);
      } else {
        span.append(node("mark", "mention", piece));
      }
      at = part.end;
    }
    span.append(text.slice(at));
    return span;
  }

  // Nor one with a user name or password before its host: https://aws.amazon.com@evil.example
  // goes to evil.example, whatever its first words say (RFC 3986 §7.6).
  function safeLink(text) {
    try {
      const url = new URL(text);
      if (url.username || url.password) return "";
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : "";
    } catch {
      return "";
    }
  }

  // -- days and runs: a separator where the day changes, one name over a person's run ------
  function dayStart(ms) {
    const day = new Date(ms);
    day.setHours(0, 0, 0, 0);
    return day;
  }

  function dayLabel(ms) {
    const days = Math.round((dayStart(Date.now()) - dayStart(ms)) / 86400000);
    if (days === 0) return "Today";
    if (days === 1) return "Yesterday";
    const when = new Date(ms);
    const options = { weekday: "long", day: "numeric", month: "long" };
    if (when.getFullYear() !== new Date().getFullYear()) options.year = "numeric";
    return when.toLocaleDateString([], options);
  }

  // Run over the whole list after each change (a page of history, a message, an edit):
  // cheap at the hundreds of items a page holds, and never out of step with it.
  function arrange() {
    el.messages.querySelectorAll("li.day").forEach((n) => n.remove());
    let previous = null;
    let previousDay = null;
    for (const item of [...el.messages.children]) {
      if (item.classList.contains("system")) {
        previous = null; // a line between two messages ends the run
        continue;
      }
      const at = Number(item.dataset.sentAt) || Date.now(); // pending: now
      const day = dayStart(at).getTime();
      if (day !== previousDay) {
        const separator = node("li", "system day");
        separator.setAttribute("role", "separator");
        separator.append(node("span", "", dayLabel(at)));
        item.before(separator);
        previousDay = day;
        previous = null;
      }
      const before = previous && (Number(previous.dataset.sentAt) || Date.now());
      const run = previous !== null && previous.dataset.from === item.dataset.from
        && previous.dataset.kind === item.dataset.kind && at - before < GROUP_MS;
      item.classList.toggle("cont", run);
      previous = item;
    }
  }

  function stopEditing() {
    state.editing = null;
    el.composer.classList.remove("editing");
    el.composer.querySelector("button[type=submit]").textContent = "Send";
    el.message.value = "";
  }

  function setNote(item, text) {
    let note = item.querySelector(".note");
    if (!note) {
      note = node("span", "note");
      item.append(note);
    }
    note.textContent = text;
    if (state.stuck) toBottom(); // the item grew: its note stays in sight
  }

  function addSystem(text, isError = false) {
    const item = node("li", "system", text);
    if (isError) item.classList.add("failed");
    arrive(item, false);
  }

  // -- the list stays at the newest message unless the reader scrolled up ---------------
  function atBottom() {
    const list = el.messages;
    return list.scrollHeight - list.scrollTop - list.clientHeight < 48;
  }

  function toBottom() {
    el.messages.scrollTop = el.messages.scrollHeight;
    state.stuck = true;
    state.unread = 0;
    el.jump.hidden = true;
  }

  // A new item at the end: followed when the reader is at the end (or wrote it); else
  // counted on the "new messages" button, which takes them down.
  function arrive(item, counts, mine = false) {
    const follow = mine || state.stuck;
    el.messages.append(item);
    arrange();
    if (follow) {
      toBottom();
    } else if (counts) {
      state.unread += 1;
      el.jump.textContent = `${state.unread} new message${state.unread === 1 ? "" : "s"} ↓`;
      el.jump.hidden = false;
    }
  }

  el.messages.addEventListener("scroll", () => {
    state.stuck = atBottom();
    if (state.stuck && !el.jump.hidden) toBottom();
  });
  // The pane changes size (a narrow screen turned, the people list opened, the "older"
  // button shown): one that followed its newest message still does.
  new ResizeObserver(() => {
    if (state.stuck) el.messages.scrollTop = el.messages.scrollHeight;
  }).observe(el.messages);
  el.jump.addEventListener("click", () => {
    toBottom();
    el.message.focus();
  });

  // -- people ---------------------------------------------------------------------------
  function renderPeople() {
    const names = [...state.names].sort((a, b) => a.localeCompare(b));
    const online = Boolean(state.socket && state.socket.readyState === WebSocket.OPEN);
    if (names.length || online) {
      el.people.replaceChildren(...names.map((name) => node("li", name === state.name ? "me" : "", name)));
    } else {
      el.people.replaceChildren(node("li", "none", "Nobody shown while offline"));
    }
    el.peopleCount.textContent = online
      ? `${names.length} ${names.length === 1 ? "person" : "people"}`
      : "offline";
    const chosen = el.to.value;
    const options = [node("option", "", "Everyone")];
    options[0].value = "";
    for (const name of names) {
      if (name === state.name) continue;
      const option = node("option", "", `Only ${name}`);
      option.value = name;
      options.push(option);
    }
    el.to.replaceChildren(...options);
    el.to.value = names.includes(chosen) ? chosen : "";
    // The rooms list's count of this room follows the people list (no new rooms read).
    const here = el.rooms.querySelector(`button[data-room="${CSS.escape(state.room)}"]`);
    if (here && online) {
      here.querySelector(".count").textContent = String(names.length);
      here.setAttribute("aria-label", `${state.room}, ${names.length} ${names.length === 1 ? "person" : "people"}`);
    }
  }

  function clearPeople() {
    state.names.clear(); // who was here is not known while offline
    renderPeople();
  }

  // On a narrow screen the people list is closed until asked for.
  const narrow = window.matchMedia("(max-width: 640px)");
  function showPeople(open) {
    el.peopleToggle.setAttribute("aria-expanded", String(open));
    el.peopleSection.classList.toggle("collapsed", !open);
  }
  showPeople(!narrow.matches);
  narrow.addEventListener("change", () => showPeople(!narrow.matches));
  el.peopleToggle.addEventListener("click", () => {
    showPeople(el.peopleToggle.getAttribute("aria-expanded") !== "true");
  });

  // -- rooms: the ones people are in, each a click away -------------------------------------
  // Asked for on each welcome and when the list is opened or refreshed, never on each
  // change: the answer reads every connection (docs/protocol.md, rooms).
  function askRooms() {
    if (!state.lobby) send({ action: "rooms", ref: nextRef("rooms") });
  }

  // The page's own probe rooms (lobby-<16 hex>, see connect) hold one page each for a moment:
  // they are nobody's to join.
  const PROBE_ROOM = /^lobby-[0-9a-f]{16}$/;

  function renderRooms(rooms) {
    const shown = rooms.filter((r) => !PROBE_ROOM.test(r.room));
    if (!shown.some((r) => r.room === state.room)) shown.unshift({ room: state.room, people: 0 });
    el.rooms.replaceChildren(...shown.map(({ room, people }) => {
      const button = node("button", "room");
      button.type = "button";
      button.dataset.room = room;
      button.append(node("span", "room-name", room), node("span", "count", String(people)));
      button.setAttribute("aria-label", `${room}, ${people} ${people === 1 ? "person" : "people"}`);
      if (room === state.room) button.setAttribute("aria-current", "true");
      const item = node("li");
      item.append(button);
      return item;
    }));
  }

  el.rooms.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-room]");
    if (!button || button.dataset.room === state.room) return;
    el.room.value = button.dataset.room;
    el.roomForm.requestSubmit();
    if (narrow.matches) showRooms(false);
  });

  function showRooms(open) {
    el.roomsToggle.setAttribute("aria-expanded", String(open));
    el.roomsSection.classList.toggle("collapsed", !open);
    if (open) askRooms();
  }
  showRooms(!narrow.matches);
  narrow.addEventListener("change", () => showRooms(!narrow.matches));
  el.roomsToggle.addEventListener("click", () => {
    showRooms(el.roomsToggle.getAttribute("aria-expanded") !== "true");
  });

  // -- the address bar names the room (and the name, when it named one): a reload stays --
  function followInAddressBar() {
    const params = new URLSearchParams(window.location.search);
    params.set("room", state.room);
    if (params.has("name")) params.set("name", state.wanted);
    const next = `${window.location.pathname}?${params}${window.location.hash}`;
    const now = `${window.location.pathname}${window.location.search}${window.location.hash}`;
    if (next !== now) window.history.replaceState(null, "", next);
  }

  function showError(target, text) {
    target.textContent = text;
    target.hidden = false;
  }

  function hideError(target) {
    target.textContent = "";
    target.hidden = true;
  }

  // -- what the person does ------------------------------------------------------------------
  function flushQueue() {
    const queued = state.queue;
    state.queue = [];
    for (const frame of queued) {
      const item = state.pending.get(frame.ref);
      if (item) item.querySelector(".note")?.remove();
      if (!send(frame)) state.queue.push(frame);
    }
  }

  el.messages.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-act]");
    const item = button && button.closest("li[data-id]");
    if (!item) return;
    const target = { id: item.dataset.id, sentAt: Number(item.dataset.sentAt) };
    if (button.dataset.act === "delete") {
      send({ action: "deleteMessage", ...target, ref: ask("delete", target.id) });
      return;
    }
    state.editing = target;
    el.composer.classList.add("editing");
    el.composer.querySelector("button[type=submit]").textContent = "Save";
    el.message.value = item.querySelector(".text").textContent;
    fitComposer();
    el.message.focus();
  });

  // Enter sends, Shift+Enter starts a new line (a paste keeps its lines: a textarea).
  el.message.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && state.editing) stopEditing();
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      el.composer.requestSubmit();
    }
  });

  // The box grows with its lines, up to a few, then scrolls.
  function fitComposer() {
    el.message.style.height = "auto";
    el.message.style.height = `${Math.min(el.message.scrollHeight + 2, 160)}px`;
  }
  el.message.addEventListener("input", fitComposer);

  el.retry.addEventListener("click", () => {
    if (!state.socket) connect();
  });

  el.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = el.message.value;
    if (!text.trim()) {
      showError(el.composerError, "Write something first.");
      return;
    }
    hideError(el.composerError);
    if (state.editing) {
      const { id, sentAt } = state.editing;
      send({ action: "editMessage", id, sentAt, message: text, ref: ask("edit", id) });
      return; // the composer empties when the chat answers (edited)
    }
    const frame = { action: "sendMessage", message: text, ref: nextRef("m") };
    if (el.to.value) frame.to = el.to.value;
    const item = messageItem({
      type: frame.to ? "direct" : "message", from: state.name, to: frame.to, text,
    });
    item.classList.add("pending", "mine");
    state.pending.set(frame.ref, item);
    arrive(item, false, true);
    if (state.lobby) { // not in the room yet (its name is being settled): it waits
      state.queue.push(frame);
      setNote(item, `Will be sent once you are in ${state.room}.`);
    } else if (!send(frame)) {
      state.queue.push(frame);
      setNote(item, "Offline: will be sent when the connection is back.");
    }
    el.message.value = "";
    fitComposer();
    // A direct message is one message: the next goes to everyone (or, in a conversation's
    // view, to that person again).
    el.to.value = state.conversation ? state.peer : "";
  });

  el.takenForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const name = el.takenName.value.trim();
    if (!name) {
      showError(el.takenError, "Choose a name first.");
      return;
    }
    state.wanted = name;
    saved.setItem("chat.name", name);
    el.name.value = name;
    hideError(el.takenError);
    if (state.lobby && send({ action: "setName", name, ref: ask("lobby-name", name) })) return;
    connect(); // offline: the next connection asks for it
  });

  el.nameForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const name = el.name.value.trim();
    if (!sendInTurn({ action: "setName", name, ref: ask("name", name) })) {
      state.wanted = name; // used when the connection comes back
      saved.setItem("chat.name", name);
    }
  });

  el.roomForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const room = el.room.value.trim();
    if (!sendInTurn({ action: "join", room, ref: ask("join", room) })) {
      state.room = room;
      saved.setItem("chat.room", room);
    }
  });

  el.older.addEventListener("click", () => {
    if (state.oldest) send({ action: "history", before: state.oldest, ref: nextRef("older") });
  });

  el.server.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault(); // a URL is one line: Enter connects
      el.serverForm.requestSubmit();
    }
  });

  el.serverForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const url = el.server.value.trim();
    if (!/^wss?:\/\/\S+$/.test(url)) {
      setStatus("offline", "The server URL starts with ws:// or wss://");
      return;
    }
    window.localStorage.setItem("chat.server", url);
    hideError(el.serverNote);
    useServer(url);
  });

  async function start() {
    const params = new URLSearchParams(window.location.search);
    if (params.get("room")) state.room = params.get("room");
    if (params.get("name")) state.wanted = params.get("name");
    state.token = params.get("token") || "";
    el.room.value = state.room;
    el.name.value = state.wanted;
    el.roomName.textContent = state.room;
    renderPeople();
    renderConversations();
    const config = await fetchConfig();
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const own = config.stage ? `${scheme}://${window.location.host}/${config.stage}` : null;
    const linked = params.get("ws");
    let url = linked;
    if (linked && own && linked !== own) {
      // Served by a gateway, whose page talks to it: a link (anyone's) may not send what is
      // typed here, and the token, to another server unless the person says so by name.
      url = null;
      showError(el.serverNote, `This link asks to connect to another server, ${hostOf(linked)}, `
        + "instead of this gateway. Connect there only if you trust it.");
      document.querySelector("details.server").open = true;
    }
    url = url || window.localStorage.getItem("chat.server") || config.websocketUrl || own;
    if (!url) {
      setStatus("offline", "No server yet: enter its WebSocket URL under Server.");
      document.querySelector("details.server").open = true;
      return;
    }
    useServer(url);
    if (linked && own && linked !== own) el.server.value = linked; // the offer stays in view
  }

  async function fetchConfig() {
    try {
      const response = await fetch("config.json", { cache: "no-store" });
      return response.ok ? await response.json() : {};
    } catch {
      return {};
    }
  }

  function hostOf(url) {
    try {
      return new URL(url).host || url;
    } catch {
      return url;
    }
  }

  start();
})();
