// serverless-chat web client: plain JavaScript, no build step; text goes in as textContent only.
// Talks the json format of docs/protocol.md to any endpoint: ?ws=URL, the Server field,
// or config.json (which the local gateway serves).
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const el = {
    status: $("status"), statusText: $("status-text"), messages: $("messages"),
    older: $("older"), composer: $("composer"), message: $("message-input"), to: $("to-select"),
    composerError: $("composer-error"), nameForm: $("name-form"), name: $("name-input"),
    nameError: $("name-error"), roomForm: $("room-form"), room: $("room-input"),
    roomError: $("room-error"), roomName: $("room-name"), people: $("people"),
    serverForm: $("server-form"), server: $("server-input"),
  };
  const saved = window.sessionStorage; // per tab: a reload restores room and name
  const state = {
    url: null, socket: null, attempt: 0, timer: null, refs: 0, token: "",
    room: saved.getItem("chat.room") || "general",
    name: saved.getItem("chat.name") || "",
    names: new Set(), queue: [], pending: new Map(), seen: new Set(), oldest: null,
  };

  // -- connection -------------------------------------------------------------------
  function setStatus(kind, text) {
    el.status.dataset.state = kind;
    el.statusText.textContent = text;
  }

  function connect() {
    clearTimeout(state.timer);
    const query = new URLSearchParams({ room: state.room, format: "json" });
    if (state.name) query.set("name", state.name);
    if (state.token) query.set("token", state.token); // AuthMode hs256 / jwks
    let socket;
    try {
      socket = new WebSocket(`${state.url}${state.url.includes("?") ? "&" : "?"}${query}`);
    } catch (error) {
      setStatus("offline", `Cannot connect to ${state.url}: ${error.message}`);
      return;
    }
    state.socket = socket;
    setStatus("connecting", "Connecting…");
    socket.addEventListener("open", () => {
      state.attempt = 0;
      setStatus("connected", "Connected");
      send({ action: "join", room: state.room });
    });
    socket.addEventListener("message", (event) => receive(event.data));
    socket.addEventListener("close", () => {
      if (state.socket !== socket) return; // replaced on purpose
      state.socket = null;
      reconnectLater();
    });
  }

  function reconnectLater() {
    // Exponential backoff with jitter: 0.5 s, 1 s, 2 s … capped at 30 s, each halved at random.
    const ceiling = Math.min(30000, 500 * 2 ** state.attempt);
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    state.attempt += 1;
    const hint = state.attempt > 3 && state.name ? ` (is the name "${state.name}" taken?)` : "";
    setStatus("offline", `Offline — reconnecting in ${Math.ceil(delay / 1000)} s${hint}`);
    state.timer = setTimeout(connect, delay);
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
    return true;
  }

  function nextRef(kind) {
    state.refs += 1;
    return `${kind}-${state.refs}-${Date.now().toString(36)}`;
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
  }

  const handlers = {
    welcome(frame) {
      const moved = frame.room !== state.room;
      state.room = frame.room;
      state.name = frame.name;
      saved.setItem("chat.room", frame.room);
      saved.setItem("chat.name", frame.name);
      el.roomName.textContent = frame.room;
      el.room.value = frame.room;
      el.name.value = frame.name;
      hideError(el.nameError);
      hideError(el.roomError);
      if (moved) state.names.clear();
      send({ action: "who" });
      flushQueue();
    },
    history(frame) {
      const items = frame.messages.filter((m) => !state.seen.has(m.id)).map(messageItem);
      if (frame.ref && frame.ref.startsWith("older")) {
        el.messages.prepend(...items);
      } else {
        // The page that answers a join: the room's latest messages, then what is pending.
        state.seen.clear();
        frame.messages.forEach((m) => state.seen.add(m.id));
        const pending = [...el.messages.querySelectorAll("li.pending")];
        el.messages.replaceChildren(...frame.messages.map(messageItem), ...pending);
        scrollToEnd(true);
      }
      state.oldest = frame.next;
      el.older.hidden = !frame.next;
    },
    message(frame) { showMessage(frame); },
    direct(frame) { showMessage(frame); },
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
      state.names = new Set(frame.names);
      renderPeople();
    },
    error(frame) {
      const item = frame.ref && state.pending.get(frame.ref);
      if (item) {
        state.pending.delete(frame.ref);
        item.classList.remove("pending");
        item.classList.add("failed");
        setNote(item, `Not sent: ${frame.message}`);
      } else if (frame.action === "setName") {
        showError(el.nameError, frame.message);
      } else if (frame.action === "join") {
        showError(el.roomError, frame.message);
      } else {
        showError(el.composerError, frame.message);
      }
    },
  };

  function showMessage(frame) {
    const pending = frame.ref && state.pending.get(frame.ref);
    if (state.seen.has(frame.id)) return;
    state.seen.add(frame.id);
    const item = messageItem(frame);
    if (pending) {
      state.pending.delete(frame.ref);
      pending.replaceWith(item);
    } else {
      el.messages.append(item);
    }
    scrollToEnd(Boolean(pending));
  }

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
    item.append(meta, node("span", "text", m.text));
    return item;
  }

  function setNote(item, text) {
    let note = item.querySelector(".note");
    if (!note) {
      note = node("span", "note");
      item.append(note);
    }
    note.textContent = text;
  }

  function addSystem(text, isError = false) {
    const item = node("li", "system", text);
    if (isError) item.classList.add("failed");
    el.messages.append(item);
    scrollToEnd(false);
  }

  function renderPeople() {
    const names = [...state.names].sort((a, b) => a.localeCompare(b));
    el.people.replaceChildren(...names.map((name) => {
      const item = node("li", name === state.name ? "me" : "", name);
      return item;
    }));
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
  }

  function scrollToEnd(force) {
    const list = el.messages;
    const near = list.scrollHeight - list.scrollTop - list.clientHeight < 120;
    if (force || near) list.scrollTop = list.scrollHeight;
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

  el.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = el.message.value;
    if (!text.trim()) {
      showError(el.composerError, "Write something first.");
      return;
    }
    hideError(el.composerError);
    const frame = { action: "sendMessage", message: text, ref: nextRef("m") };
    if (el.to.value) frame.to = el.to.value;
    const item = messageItem({
      type: frame.to ? "direct" : "message", from: state.name, to: frame.to, text,
    });
    item.classList.add("pending", "mine");
    state.pending.set(frame.ref, item);
    el.messages.append(item);
    scrollToEnd(true);
    if (!send(frame)) {
      state.queue.push(frame);
      setNote(item, "Offline: will be sent when the connection is back.");
    }
    el.message.value = "";
  });

  el.nameForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const name = el.name.value.trim();
    if (!send({ action: "setName", name, ref: nextRef("name") })) {
      state.name = name; // used when the connection comes back
      saved.setItem("chat.name", name);
    }
  });

  el.roomForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const room = el.room.value.trim();
    if (!send({ action: "join", room, ref: nextRef("join") })) {
      state.room = room;
      saved.setItem("chat.room", room);
    }
  });

  el.older.addEventListener("click", () => {
    if (state.oldest) send({ action: "history", before: state.oldest, ref: nextRef("older") });
  });

  el.serverForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const url = el.server.value.trim();
    if (!/^wss?:\/\//.test(url)) {
      setStatus("offline", "The server URL starts with ws:// or wss://");
      return;
    }
    window.localStorage.setItem("chat.server", url);
    useServer(url);
  });

  async function start() {
    const params = new URLSearchParams(window.location.search);
    if (params.get("room")) state.room = params.get("room");
    if (params.get("name")) state.name = params.get("name");
    state.token = params.get("token") || "";
    el.room.value = state.room;
    el.name.value = state.name;
    el.roomName.textContent = state.room;
    let url = params.get("ws")
      || window.localStorage.getItem("chat.server");
    if (!url) {
      try {
        const response = await fetch("config.json", { cache: "no-store" });
        if (response.ok) {
          const config = await response.json();
          const scheme = window.location.protocol === "https:" ? "wss" : "ws";
          url = config.websocketUrl || (config.stage && `${scheme}://${window.location.host}/${config.stage}`);
        }
      } catch {
        url = null;
      }
    }
    if (!url) {
      setStatus("offline", "No server yet: enter its WebSocket URL under Server.");
      document.querySelector("details.server").open = true;
      return;
    }
    useServer(url);
  }

  start();
})();
