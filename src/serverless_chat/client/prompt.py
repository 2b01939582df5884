"""The terminal client's interactive prompt (prompt_toolkit, the optional ``client``
extra): the prompt and the half-typed line kept at the bottom while frames arrive above it,
line history, Tab completion of commands and names, Ctrl-C that clears the line first."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from serverless_chat.client.shell import TerminalClient


async def read_terminal(client: TerminalClient) -> None:
    """Lines typed at the prompt handed to the client until EOF, Ctrl-C or a line that
    leaves; the prompt shows the room and the name, and is redrawn as the client changes."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import Completer, Completion
    from prompt_toolkit.document import Document
    from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

    def prompt() -> str:
        state = "" if client.connected.is_set() else "(offline) "
        return f"{state}{client.name or '…'}@{client.room}> "

    class SessionCompleter(Completer):
        """Tab: what the session offers (ChatSession.complete) for the word before the
        cursor."""

        def get_completions(self, document: Document, _event: object) -> Any:
            before = document.text_before_cursor
            command = before.startswith("/") and " " not in before
            word = before if command else before.rsplit(" ", 1)[-1]
            for option in client.session.complete(before):
                yield Completion(option, start_position=-len(word))

    keys = KeyBindings()

    @keys.add("c-c")
    def _interrupt(event: KeyPressEvent) -> None:
        buffer = event.app.current_buffer
        if client.session.interrupt(buffer.text):
            event.app.exit(exception=KeyboardInterrupt())
        else:
            buffer.reset()
        client.flush()

    # Erased once sent: the line comes back as the chat's own, in the chat's order
    # (raw clients get no copy of their own messages, so there it stays).
    session: PromptSession[str] = PromptSession(
        erase_when_done=client.fmt != "raw",
        completer=SessionCompleter(),
        complete_while_typing=False,
        key_bindings=keys,
    )

    def refresh() -> None:
        if session.app.is_running:
            session.app.invalidate()

    client.on_change = refresh
    while True:
        try:
            line = await session.prompt_async(prompt)
        except (EOFError, KeyboardInterrupt):
            return
        if not client.handle_line(line):
            return
