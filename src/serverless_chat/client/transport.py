"""What the terminal client trusts on a ``wss://`` URL, and what a failed TLS or plain
handshake means, in words.

The local gateway serves WSS with a self-signed certificate it keeps in its state folder
(local_gateway's ``certificate_path``): on this machine the client trusts it from there, for
an address (or ``localhost``) only, beside the system's own authorities — so
``connect wss://127.0.0.1:PORT/…`` from the folder serve runs in works as it is, and a
name such as an ``execute-api`` host is never vouched for by a file on this disk. The file
vouches only while it is as serve leaves it: the user's own, in a folder that is theirs
alone (serve makes ``tls/`` 0700), written by nobody else — a certificate someone else
could plant (a shared folder, a cloned repository's ``.serverless-chat/``) vouches for
nothing, since it would vouch for every address.
``--cafile`` trusts one more file for every host. The two mistakes a person makes with a
gateway's two ports each get one line: ``wss://`` to its plain port (OpenSSL's
``WRONG_VERSION_NUMBER``) and ``ws://`` to its TLS port (which closes without a word: the
client then tries a TLS handshake there to tell).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import ssl
from pathlib import Path

PROBE_TIMEOUT = 5.0


def own_host(host: str) -> bool:
    """``localhost`` or an IP address: a host the gateway's own certificate may vouch for."""
    if host.lower() == "localhost":
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def tls_context(host: str, cafile: Path | None, gateway_certificate: Path | None) -> ssl.SSLContext:
    """The system's authorities, and ``cafile``; without one, the gateway's own certificate
    when it is there and ``host`` is one it may vouch for."""
    context = ssl.create_default_context()
    if cafile is not None:
        context.load_verify_locations(cafile)
    elif (
        gateway_certificate is not None
        and own_host(host)
        and gateway_certificate.is_file()
        and kept_privately(gateway_certificate)
    ):
        with contextlib.suppress(OSError, ssl.SSLError):  # (a half-written file: not trusted)
            context.load_verify_locations(gateway_certificate)
    return context


def kept_privately(certificate: Path) -> bool:
    """Whether ``certificate`` is as serve leaves it: the user's own file, writable by
    nobody else, in a folder of the user's that nobody else may enter or write."""
    try:
        folder, file = certificate.parent.stat(), certificate.stat()
    except OSError:
        return False
    user = os.getuid()
    return (
        folder.st_uid == user
        and file.st_uid == user
        and not folder.st_mode & 0o077
        and not file.st_mode & 0o022
    )


def untrusted(
    error: ssl.SSLCertVerificationError, host: str, gateway_certificate: Path | None
) -> str:
    """Why a certificate was refused, and what to do about it (on an address or localhost,
    where it may be a local gateway's, how to trust that)."""
    reason = error.verify_message or error.reason or "not trusted"
    if not own_host(host):
        return f"its certificate is not trusted ({reason}): --cafile names one to trust"
    if (
        gateway_certificate is not None
        and gateway_certificate.is_file()
        and not kept_privately(gateway_certificate)
    ):
        return (
            f"its certificate is not trusted ({reason}): {gateway_certificate} is not trusted"
            " either, since someone else could have written it (serve keeps it, yours alone,"
            " in a 0700 folder); pass --cafile with the certificate to trust"
        )
    where = f" (its certificate is {gateway_certificate})" if gateway_certificate else ""
    return (
        f"its certificate is not trusted ({reason}): for serve's wss:// port, connect from the"
        f" folder serve runs in{where}, or pass --cafile with the certificate to trust"
    )


def tls_failure(error: ssl.SSLError) -> str:
    """A TLS handshake that failed, in words: a plain port answers TLS with HTTP."""
    if error.reason in {"WRONG_VERSION_NUMBER", "HTTP_REQUEST", "RECORD_LAYER_FAILURE"}:
        return "it does not speak TLS: that is a ws:// port (serve prints its wss:// URL too)"
    return f"the TLS handshake failed ({error.reason or error})"


async def speaks_tls(host: str, port: int) -> bool:
    """Whether ``host:port`` completes a TLS handshake (its certificate unchecked: this only
    tells a TLS port from a plain one)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=context), PROBE_TIMEOUT
        )
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError, ssl.SSLError):
        await writer.wait_closed()
    return True
