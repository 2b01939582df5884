"""What every command shares: argument types that refuse a bad value in one sentence, the
parser that says a wrong argument in one line, and an error said as one line."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]
    """Where a command module registers its subcommands."""


def parameters(pairs: Sequence[str]) -> dict[str, str]:
    """``--parameter NAME=VALUE`` pairs as a mapping (the last of a name wins)."""
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise argparse.ArgumentTypeError(f"--parameter wants NAME=VALUE, not {pair!r}")
        values[name] = value
    return values


# -- argument types: each refuses a bad value with one sentence ------------------------------
def pair(text: str) -> str:
    name, sep, _ = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE")
    return text


def number(kind: type[int] | type[float], low: float, high: float | None = None) -> Any:
    """A whole number (or a number) from ``low`` (inclusive) up to ``high``."""
    words = "a whole number" if kind is int else "a number"
    span = f"from {low:g} to {high:g}" if high is not None else f"of at least {low:g}"

    def convert(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {words}") from None
        if value != value or value < low or (high is not None and value > high):  # NaN too
            raise argparse.ArgumentTypeError(f"{text} is out of range: {words} {span}")
        return value

    convert.__name__ = kind.__name__  # argparse names the type in its own messages
    return convert


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is out of range: more than 0 seconds")
    return value


def duration(text: str) -> float:
    """Seconds from '20ms', '0.5s' or '0.02'; not negative."""
    try:
        seconds = float(text[:-2]) / 1000 if text.endswith("ms") else float(text.removesuffix("s"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 20ms") from None
    if not 0 <= seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is out of range: a duration of 0 or more")
    return seconds


def url(schemes: tuple[str, ...], *, path: bool = True) -> Any:
    """A URL of one of ``schemes`` with a host (and, unless ``path``, nothing after the
    port): checked before anything starts."""
    from urllib.parse import urlsplit

    example = f"{schemes[0]}://HOST:PORT" + ("/…" if path and schemes[0].startswith("ws") else "")
    article = "an" if schemes[0].startswith("h") else "a"
    wanted = f"{article} {' or '.join(f'{scheme}://' for scheme in schemes)} URL such as {example}"

    def convert(text: str) -> str:
        try:
            parts = urlsplit(text)
            parts.port  # noqa: B018 (raises ValueError when the port is not a number 0-65535)
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"{text!r} is not a URL: {error}") from None
        if parts.scheme not in schemes or not parts.hostname:
            raise argparse.ArgumentTypeError(f"{text!r} is not {wanted}")
        if not path and (parts.path not in ("", "/") or parts.query or parts.fragment):
            raise argparse.ArgumentTypeError(f"{text!r} is not {wanted} (no path)")
        return text

    convert.__name__ = "URL"
    return convert


# Where serve keeps its state unless told (--state-dir), and connect finds serve's
# certificate: beside where each runs.
STATE_DIR = Path(".serverless-chat")


def certificate_file(text: str) -> Path:
    """A file of PEM certificates to trust: read before anything starts."""
    import ssl

    path = existing_file(text)
    try:
        ssl.create_default_context().load_verify_locations(path)
    except (OSError, ssl.SSLError) as error:
        reason = getattr(error, "reason", None) or getattr(error, "strerror", None) or error
        raise argparse.ArgumentTypeError(
            f"{text!r} holds no certificate to trust ({reason})"
        ) from None
    return path


def existing_file(text: str) -> Path:
    """A path to a file that is there: checked before anything starts."""
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a file" + ("" if path.exists() else " (no such file)")
        )
    return path


def host(text: str) -> str:
    """A host name or address that resolves: checked before anything starts (whether it is
    one of this machine's is said when the gateway tries to listen there)."""
    import socket

    try:
        socket.getaddrinfo(text, None)
    except (OSError, UnicodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a host name or address: {reason}"
        ) from None
    return text


def chaos(text: str) -> Any:
    """A --chaos specification (local_gateway's Chaos), read before the start."""
    from local_gateway import Chaos, ChaosError

    try:
        return Chaos.parse(text)
    except ChaosError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def origin(text: str) -> str:
    return text if text == "*" else str(url(("http", "https"), path=False)(text))


def hook(text: str) -> str:
    module, sep, attribute = text.partition(":")
    if not sep or not module or not attribute:
        raise argparse.ArgumentTypeError(f"{text!r} is not MODULE:CALLABLE")
    return text


def chat_name(text: str) -> str:
    """A name the chat accepts (a token that carries another is refused at connect)."""
    from serverless_chat.chat.protocol import ProtocolError, validate_name

    try:
        return validate_name(text, None)
    except ProtocolError as error:
        raise argparse.ArgumentTypeError(f"{text!r}: {error.message}") from None


def non_empty(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("it must not be empty")
    return text


class HelpFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default, when it has one worth saying."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            action.option_strings
            and "default" not in text
            and default is not None
            and default is not False
            and default != []
            and default != argparse.SUPPRESS
        ):
            text += " (default: %(default)s)"
        return text


class Parser(argparse.ArgumentParser):
    """argparse that says a wrong argument in one line: what was wrong, where to look."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


Run = Callable[[argparse.Namespace], int]


def add_command(commands: Commands, name: str, run: Run, **kwargs: Any) -> argparse.ArgumentParser:
    """A subcommand whose parsed arguments ``run`` acts on (``args.run(args)``)."""
    command: argparse.ArgumentParser = commands.add_parser(name, **kwargs)
    command.set_defaults(run=run)
    return command


def sentence(error: BaseException) -> str:
    """An error as one line: what it is and what it says."""
    if isinstance(error, OSError) and error.strerror:
        where = f" ({error.filename})" if error.filename else ""
        return f"{error.strerror}{where}"
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
