"""The gateway's SigV4 check against botocore's own signer: what it signs passes, anything
changed after signing is refused as AWS refuses it ("Use @connections commands in your
backend service": the callback API takes only requests signed with Signature Version 4;
"Signature Version 4 signing process" / "Create a signed AWS API request" in the IAM user
guide for the canonical request, the string to sign and the signing key)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict

from local_gateway.aws import sigv4
from local_gateway.functions.credentials import SigningKey

# A long-term key, and temporary credentials that carry a session token (as each container's).
KEYS = {
    "AKIDLOCAL": SigningKey("secret/one+two"),
    "ASIAOTHER": SigningKey("another-secret", "local-session-Other/+="),
}


def _signed(
    method: str,
    url: str,
    body: bytes,
    key: str = "AKIDLOCAL",
    region: str = "us-east-1",
    service: str = "execute-api",
    token: str | bool | None = True,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    request = AWSRequest(method=method, url=url, data=body, headers=dict(extra or {}))
    known = KEYS[key]
    session_token = known.session_token if token is True else (token or None)
    SigV4Auth(Credentials(key, known.secret, session_token), service, region).add_auth(request)
    headers = dict(request.headers.items())
    headers["Host"] = url.split("/")[2]
    return headers


CALLBACKS = sigv4.Scope("us-east-1", "execute-api")


def _check(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    scope: sigv4.Scope = CALLBACKS,
) -> sigv4.Refusal | None:
    return sigv4.check(method, url, headers, body, KEYS.get, scope)


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
    query=st.sampled_from(["", "?a=1", "?b=2&a=%20x"]),
)
def test_what_botocore_signs_passes(
    method: str,
    connection_id: str,
    body: bytes,
    key: str,
    region: str,
    query: str,
) -> None:
    url = f"http://127.0.0.1:8080/production/@connections/{quote(connection_id, safe='')}{query}"
    headers = _signed(method, url, body, key, region)
    scope = sigv4.Scope(region, "execute-api")
    assert _check(method, url, headers, body, scope) is None
    lowered = {name.lower(): value for name, value in headers.items()}
    assert _check(method, url, lowered, body, scope) is None  # names in any case


@settings(max_examples=100, deadline=None)
@given(connection_id=connection_ids, body=bodies, flip=st.integers(min_value=0))
def test_a_changed_body_path_method_date_or_signed_header_is_a_bad_signature(
    connection_id: str, body: bytes, flip: int
) -> None:
    url = f"http://127.0.0.1:8080/production/@connections/{quote(connection_id, safe='')}"
    headers = _signed("POST", url, body, extra={"X-Custom": "kept"})
    assert _check("POST", url, headers, body) is None
    if body:
        at = flip % len(body)
        tampered = body[:at] + bytes([body[at] ^ 1]) + body[at + 1 :]
    else:
        tampered = b"!"
    assert _check("POST", url, headers, tampered) == sigv4.BAD_SIGNATURE
    assert _check("POST", url + "x", headers, body) == sigv4.BAD_SIGNATURE
    assert _check("DELETE", url, headers, body) == sigv4.BAD_SIGNATURE
    assert _check("POST", url, {**headers, "X-Custom": "changed"}, body) == sigv4.BAD_SIGNATURE
    changed = {**headers, "X-Amz-Date": _shifted(headers["X-Amz-Date"], seconds=1)}
    assert _check("POST", url, changed, body) == sigv4.BAD_SIGNATURE


def test_a_credential_scope_of_another_region_service_or_day_is_refused_in_aws_words() -> None:
    """ "Troubleshoot signed requests for AWS APIs" (IAM user guide), credential scope
    errors: the scope's date, region and service must be the request's."""
    url = "http://127.0.0.1:8080/production/@connections/abc%3D"
    other_region = _signed("POST", url, b"x", region="eu-west-1")
    assert _check("POST", url, other_region, b"x") == sigv4.Refusal(
        "InvalidSignatureException",
        "Credential should be scoped to a valid region, not 'eu-west-1'.",
    )
    for_lambda = _signed("POST", url, b"x", service="lambda")
    assert _check("POST", url, for_lambda, b"x") == sigv4.Refusal(
        "InvalidSignatureException",
        "Credential should be scoped to correct service: 'execute-api'.",
    )
    assert _check("POST", url, for_lambda, b"x", sigv4.Scope("us-east-1", "lambda")) is None
    headers = _signed("POST", url, b"x")
    yesterday = re.sub(r"/\d{8}/", "/19990101/", headers["Authorization"])
    refusal = _check("POST", url, {**headers, "Authorization": yesterday}, b"x")
    assert refusal is not None
    assert refusal.message.startswith("Date in Credential scope does not match YYYYMMDD")


def test_a_session_token_must_be_the_keys_own() -> None:
    """AWS answers a temporary key without its token, with another token, or a long-term key
    with one, "The security token included in the request is invalid." """
    url = "http://127.0.0.1:8080/production/@connections/abc%3D"
    assert _check("POST", url, _signed("POST", url, b"x", "ASIAOTHER"), b"x") is None
    for key, token in (("ASIAOTHER", None), ("ASIAOTHER", "another-token"), ("AKIDLOCAL", "t")):
        headers = _signed("POST", url, b"x", key, token=token)
        assert _check("POST", url, headers, b"x") == sigv4.UNKNOWN_KEY, (key, token)


def test_a_name_signed_twice_counts_once() -> None:
    url = "http://127.0.0.1:8080/production/@connections/abc%3D"
    headers = _signed("POST", url, b"x")
    doubled = headers["Authorization"].replace("SignedHeaders=host;", "SignedHeaders=host;host;")
    assert doubled != headers["Authorization"]
    assert _check("POST", url, {**headers, "Authorization": doubled}, b"x") is None


def test_a_header_botocore_cannot_read_is_a_bad_signature_not_a_crash() -> None:
    url = "http://127.0.0.1:8080/production/@connections/abc%3D"
    headers = _signed("POST", url, b"x", extra={"X-Custom": "kept"})
    for odd in ("\udcff", "a\x00b", "\ud800"):
        assert _check("POST", url, {**headers, "X-Custom": odd}, b"x") == sigv4.BAD_SIGNATURE


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


def test_a_signature_more_than_5_minutes_off_is_refused_in_aws_words() -> None:
    """A request must reach AWS within five minutes of its time stamp ("Elements of an AWS
    API request signature", IAM User Guide); botocore#149 quotes the refusal's words."""
    url = "http://127.0.0.1:8080/production/@connections/abc%3D"
    headers = _signed("POST", url, b"x")
    stamp = headers["X-Amz-Date"]
    signed_at = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)

    def at(moment: datetime) -> sigv4.Refusal | None:
        return sigv4.check("POST", url, headers, b"x", KEYS.get, CALLBACKS, moment)

    for offset in (timedelta(minutes=4), -timedelta(minutes=4)):
        assert at(signed_at + offset) is None
    assert at(signed_at + timedelta(minutes=6)) == sigv4.Refusal(
        "InvalidSignatureException",
        f"Signature expired: {stamp} is now earlier than {_shifted(stamp, 60)}"
        f" ({_shifted(stamp, 6 * 60)} - 5 min.)",
    )
    assert at(signed_at - timedelta(minutes=6)) == sigv4.Refusal(
        "InvalidSignatureException",
        f"Signature not yet current: {stamp} is still later than {_shifted(stamp, -60)}"
        f" ({_shifted(stamp, -6 * 60)} + 5 min.)",
    )


def _shifted(stamp: str, seconds: int) -> str:
    moment = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ") + timedelta(seconds=seconds)
    return moment.strftime("%Y%m%dT%H%M%SZ")


def test_a_header_copy_added_after_signing_breaks_the_signature() -> None:
    """A header sent twice is checked as SigV4's canonical request reads it, its values
    joined with commas ("Create a canonical request", IAM User Guide): an unsigned
    ``X-Amz-Invocation-Type: RequestResponse`` put before a signed ``DryRun`` cannot turn a
    captured dry run into a run, whichever copy the API would read."""
    url = "http://127.0.0.1:8080/2015-03-31/functions/fn/invocations"
    lambdas = sigv4.Scope("us-east-1", "lambda")
    signed = _signed(
        "POST", url, b"{}", service="lambda", extra={"X-Amz-Invocation-Type": "DryRun"}
    )
    assert _check("POST", url, signed, b"{}", lambdas) is None
    for copy in ("RequestResponse", "DryRun"):
        doubled: CIMultiDict[str] = CIMultiDict([("X-Amz-Invocation-Type", copy)])
        doubled.extend(signed)
        assert _check("POST", url, doubled, b"{}", lambdas) == sigv4.BAD_SIGNATURE
