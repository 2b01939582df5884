"""Hostile requests to the gateway's signed APIs (the callback API and Lambda's Invoke API)
over raw sockets: whatever the method, path, headers or body, and however a signed request
is changed after signing, the answer is a 4xx as API Gateway's would be ("Use @connections
commands in your backend service": 400 bad request, 403 unsigned or wrongly signed, 410
gone; "Troubleshoot signed requests for AWS APIs"), never a 5xx, never a hang, and the
gateway goes on serving. A call signed and left as it was may succeed."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.served import ServedGateway

KEY, SECRET = "AKIDFUZZ", "fuzz-secret"

header_bytes = st.binary(min_size=0, max_size=40).filter(
    lambda b: b"\r" not in b and b"\n" not in b
)
header_names = st.sampled_from(
    [
        b"X-Amz-Date",
        b"Authorization",
        b"X-Amz-Security-Token",
        b"Host",
        b"Content-Type",
        b"X-Amz-Content-SHA256",
        b"Origin",
        b"Sec-Fetch-Site",
        b"X-Custom",
        b"Content-Length",
    ]
) | st.binary(min_size=1, max_size=12).filter(
    lambda b: b":" not in b and b"\r" not in b and b"\n" not in b and b" " not in b
)
paths = st.sampled_from(
    [
        "/production/@connections/{id}",
        "/production/@connections/",
        "/production/@connections/{id}/extra",
        "/@connections/{id}",
        "/2015-03-31/functions/{id}/invocations",
        "/2015-03-31/functions/serverless-chat-who/invocations",
    ]
)
ids = st.just("NoSuchConnecti0%3D") | st.text(min_size=0, max_size=20).map(
    lambda t: "".join(f"%{b:02X}" for b in t.encode("utf-8", "surrogatepass"))
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedGateway]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    before = {name: os.environ.get(name) for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    os.environ.update(AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET)  # the tools' key
    gateway = ServedGateway(folder / "state", folder / "serve.log", "--quiet")
    try:
        gateway.start()
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    yield gateway
    gateway.stop()  # before the check below, which would otherwise leave it running
    # A function's own error is logged with its traceback, as Lambda logs it (an Invoke the
    # fuzz signs may hand WhoHandler an event it cannot read); the gateway's code is in none.
    assert not re.search(r'File "[^"]*/(local_gateway|aiohttp)/', gateway.log.read_text())


def _exchange(port: int, raw: bytes) -> bytes:
    """The status line of the answer (b"" when the gateway closed without one)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(raw)
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.split(b"\r\n", 1)[0]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    method=st.sampled_from(["POST", "GET", "DELETE", "PUT", "PATCH", "OPTIONS", "HEAD"]),
    path=paths,
    connection_id=ids,
    body=st.binary(max_size=200),
    sign=st.booleans(),
    changes=st.lists(st.tuples(header_names, header_bytes), max_size=4),
    drop=st.sets(st.sampled_from(["Authorization", "X-Amz-Date", "Host"]), max_size=2),
)
def test_a_hostile_request_to_a_signed_api_is_a_4xx_and_the_gateway_goes_on(
    served: ServedGateway,
    method: str,
    path: str,
    connection_id: str,
    body: bytes,
    sign: bool,
    changes: list[tuple[bytes, bytes]],
    drop: set[str],
) -> None:
    host = f"127.0.0.1:{served.port}"
    target = path.format(id=connection_id)
    headers: dict[str, str] = {"Host": host}
    if sign:
        request = AWSRequest(method=method, url=f"http://{host}{target}", data=body)
        service = "lambda" if target.startswith("/2015") else "execute-api"
        SigV4Auth(Credentials(KEY, SECRET), service, "us-east-1").add_auth(request)
        headers.update(request.headers.items())
    head = f"{method} {target} HTTP/1.1\r\n".encode()
    for name, value in headers.items():
        if name not in drop:
            head += f"{name}: {value}\r\n".encode("latin-1", "replace")
    for name, value in changes:
        head += name + b": " + value + b"\r\n"
    raw = head + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body
    status = _exchange(served.port, raw)
    untouched = sign and not changes and not drop
    if untouched and status.startswith(b"HTTP/1.1 2"):
        return  # a correctly signed call to a real function or connection is answered
    assert status.startswith((b"HTTP/1.1 4", b"HTTP/1.0 4")) or (
        status == b"" and any(name.lower() == b"content-length" for name, _ in changes)
    ), status
    assert served.process is not None
    assert served.process.poll() is None


def test_the_gateway_still_answers_a_correctly_signed_call(served: ServedGateway) -> None:
    host = f"127.0.0.1:{served.port}"
    url = f"http://{host}/production/@connections/NoSuchConnecti0%3D"
    request = AWSRequest(method="POST", url=url, data=b"x")
    SigV4Auth(Credentials(KEY, SECRET), "execute-api", "us-east-1").add_auth(request)
    head = f"POST /production/@connections/NoSuchConnecti0%3D HTTP/1.1\r\nHost: {host}\r\n".encode()
    for name, value in request.headers.items():
        head += f"{name}: {value}\r\n".encode()
    status = _exchange(served.port, head + b"Content-Length: 1\r\nConnection: close\r\n\r\nx")
    assert status == b"HTTP/1.1 410 Gone"
