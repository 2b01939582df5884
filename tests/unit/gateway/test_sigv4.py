"""The gateway's SigV4 check against botocore's own signer: what it signs passes, anything
changed after signing is refused as AWS refuses it ("Use @connections commands in your
backend service": the callback API takes only requests signed with Signature Version 4;
"Signature Version 4 signing process" / "Create a signed AWS API request" in the IAM user
guide for the canonical request, the string to sign and the signing key)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st

from serverless_chat.gateway import sigv4

KEYS = {"AKIDLOCAL": "secret/one+two", "ASIAOTHER": "another-secret"}


def _signed(
    method: str,
    url: str,
    body: bytes,
    key: str = "AKIDLOCAL",
    region: str = "us-east-1",
    service: str = "execute-api",
    token: str | None = None,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    request = AWSRequest(method=method, url=url, data=body, headers=dict(extra or {}))
    SigV4Auth(Credentials(key, KEYS[key], token), service, region).add_auth(request)
    headers = dict(request.headers.items())
    headers["Host"] = url.split("/")[2]
    return headers


def _check(method: str, url: str, headers: dict[str, str], body: bytes) -> sigv4.Refusal | None:
    return sigv4.check(method, url, headers, body, KEYS.get)


connection_ids = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=30
)
bodies = st.binary(max_size=300)


@settings(max_examples=150, deadline=None)
@given(
    method=st.sampled_from(["POST", "GET", "DELETE"]),
    connection_id=connection_ids,
    body=bodies,
    key=st.sampled_from(sorted(KEYS)),
    region=st.sampled_from(["us-east-1", "eu-west-2", "ap-southeast-2"]),
    token=st.none() | st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1),
    query=st.sampled_from(["", "?a=1", "?b=2&a=%20x"]),
)
def test_what_botocore_signs_passes(
    method: str,
    connection_id: str,
    body: bytes,
    key: str,
    region: str,
    token: str | None,
    query: str,
) -> None:
    url = f"http://127.0.0.1:8080/production/@connections/{quote(connection_id, safe='')}{query}"
    headers = _signed(method, url, body, key, region, token=token)
    assert _check(method, url, headers, body) is None
    lowered = {name.lower(): value for name, value in headers.items()}
    assert _check(method, url, lowered, body) is None  # names in any case


@settings(max_examples=100, deadline=None)
@given(connection_id=connection_ids, body=bodies, flip=st.integers(min_value=0))
def test_a_changed_body_path_or_signed_header_is_a_bad_signature(
    connection_id: str, body: bytes, flip: int
) -> None:
    url = f"http://127.0.0.1:8080/production/@connections/{quote(connection_id, safe='')}"
    headers = _signed("POST", url, body, extra={"X-Custom": "kept"})
    tampered_body = body + b"!" if not body else body[: flip % len(body)] + b"\x00" + body[1:]
    if tampered_body != body:
        assert _check("POST", url, headers, tampered_body) == sigv4.BAD_SIGNATURE
    assert _check("POST", url + "x", headers, body) == sigv4.BAD_SIGNATURE
    assert _check("DELETE", url, headers, body) == sigv4.BAD_SIGNATURE
    changed = {**headers, "X-Amz-Date": _shifted(headers["X-Amz-Date"], seconds=1)}
    assert _check("POST", url, changed, body) == sigv4.BAD_SIGNATURE


def test_the_region_and_service_are_the_signers() -> None:
    url = "http://127.0.0.1:8080/production/@connections/abc%3D"
    for region, service in (("eu-west-1", "execute-api"), ("us-east-1", "lambda")):
        headers = _signed("POST", url, b"x", region=region, service=service)
        assert _check("POST", url, headers, b"x") is None
        other = headers["Authorization"].replace(f"/{region}/", "/us-west-2/")
        assert _check("POST", url, {**headers, "Authorization": other}, b"x") == (
            sigv4.BAD_SIGNATURE
        )


def test_a_wrong_secret_is_a_bad_signature() -> None:
    url = "http://127.0.0.1:8080/production/@connections/abc%3D"
    request = AWSRequest(method="POST", url=url, data=b"x")
    SigV4Auth(Credentials("AKIDLOCAL", "not-the-secret"), "execute-api", "us-east-1").add_auth(
        request
    )
    assert _check("POST", url, dict(request.headers.items()), b"x") == sigv4.BAD_SIGNATURE


def test_no_signature_an_unknown_key_and_a_bad_date_are_refused_in_aws_words() -> None:
    url = "http://127.0.0.1:8080/production/@connections/abc%3D"
    assert _check("POST", url, {}, b"x") == sigv4.MISSING
    assert _check("POST", url, {"Authorization": "Bearer x"}, b"x") == sigv4.MISSING
    headers = _signed("POST", url, b"x")
    unknown = headers["Authorization"].replace("AKIDLOCAL", "AKIDNOBODY")
    assert _check("POST", url, {**headers, "Authorization": unknown}, b"x") == sigv4.UNKNOWN_KEY
    fullwidth = "\uff12\uff10\uff12\uff161201T000000Z"
    for stamp in ("", "yesterday", "20261301T000000Z", "2026-12-01T00:00", fullwidth):
        assert _check("POST", url, {**headers, "X-Amz-Date": stamp}, b"x") == (sigv4.BAD_SIGNATURE)


def test_a_signature_more_than_15_minutes_off_has_expired() -> None:
    url = "http://127.0.0.1:8080/production/@connections/abc%3D"
    headers = _signed("POST", url, b"x")
    signed_at = datetime.strptime(headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    for offset in (timedelta(minutes=14), -timedelta(minutes=14)):
        assert sigv4.check("POST", url, headers, b"x", KEYS.get, signed_at + offset) is None
    late = sigv4.check("POST", url, headers, b"x", KEYS.get, signed_at + timedelta(minutes=16))
    assert late is not None
    assert late.code == "InvalidSignatureException"
    assert late.message == "Signature expired: " + headers["X-Amz-Date"]


def _shifted(stamp: str, seconds: int) -> str:
    moment = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ") + timedelta(seconds=seconds)
    return moment.strftime("%Y%m%dT%H%M%SZ")
