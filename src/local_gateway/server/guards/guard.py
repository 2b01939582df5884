"""Who may talk to the local gateway: the Host and Origin checks. Pure, with a thin aiohttp
middleware.

The gateway listens on the user's machine, where any web page the user opens can reach
loopback. So:

- a request whose ``Host`` is not one of the gateway's own names is refused (403): a page
  that re-binds its own DNS name to 127.0.0.1 cannot use the gateway as if it were its own
  origin;
- a WebSocket handshake from a browser (it carries ``Origin``) is accepted only from the
  gateway's own origins and those given with ``--allow-origin`` (``*`` allows any, and
  ``serve`` says so at start);
- the callback API (``@connections``), Lambda's Invoke API and the embedded DynamoDB's
  port are for programs, never for pages: a request carrying ``Origin`` or
  ``Sec-Fetch-Site`` is refused.

This is stricter than API Gateway, which takes any Origin: a deployed API that must refuse
other sites does it in its ``$connect`` function or authorizer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from local_gateway.aws.not_emulated import PREFIX as NOT_EMULATED
from local_gateway.aws.sigv4 import INVOKE_PREFIX

# Paths only programs may call (and every path with /@connections/ in it).
PROGRAM_PATHS = (INVOKE_PREFIX, NOT_EMULATED)


@dataclass(frozen=True, slots=True)
class Guard:
    # "name:port" and "name" values of Host the gateway answers to; None: any (it listens
    # beyond loopback, where its names are the network's)
    hosts: frozenset[str] | None
    origins: frozenset[str]  # scheme://name[:port] values of Origin it takes, or "*"
    programs_only: bool = False  # every path is for programs (the DynamoDB port)

    @classmethod
    def for_gateway(
        cls,
        names: Iterable[str],
        ports: Iterable[tuple[str, int]],
        allowed_origins: Iterable[str],
        any_host: bool = False,
        programs_only: bool = False,
    ) -> Guard:
        """``names``: the host names and addresses it is reached by; ``ports``: (scheme, port)
        of each listener."""
        names = [_bracketed(n.lower()) for n in names]
        listeners = list(ports)
        hosts = set(names) | {f"{n}:{p}" for n in names for _, p in listeners}
        origins = {f"{scheme}://{n}:{p}" for n in names for scheme, p in listeners}
        origins |= {o.rstrip("/").lower() for o in allowed_origins}
        return cls(None if any_host else frozenset(hosts), frozenset(origins), programs_only)

    def refusal(self, path: str, host: str, origin: str | None, fetch_site: str | None) -> str:
        """Why a request is refused ("" when it may go on)."""
        if self.hosts is not None and host.lower() not in self.hosts:
            return f"Host {host!r} is not this gateway's"
        if self.programs_only or "/@connections/" in path or path.startswith(PROGRAM_PATHS):
            if origin is not None or fetch_site is not None:
                return "the callback, Invoke and DynamoDB APIs are for programs, not web pages"
            return ""
        if origin is not None and "*" not in self.origins and origin.lower() not in self.origins:
            return f"Origin {origin!r} is not allowed (serve --allow-origin adds one)"
        return ""


def _bracketed(name: str) -> str:
    return f"[{name}]" if ":" in name and not name.startswith("[") else name


def middleware(guard: Guard) -> Middleware:
    """The guard in front of every request. Not a coroutine: it hands back the handler's
    own awaitable, so that no frame of it is held for as long as a WebSocket connection
    lasts (~300 bytes each)."""

    @web.middleware
    def check(request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
        why = guard.refusal(
            request.path,
            request.headers.get("Host", ""),
            request.headers.get("Origin"),
            request.headers.get("Sec-Fetch-Site"),
        )
        if why:
            return _refused(why)
        return handler(request)

    return check


async def _refused(why: str) -> web.StreamResponse:
    return web.json_response({"message": "Forbidden", "reason": why}, status=403)
