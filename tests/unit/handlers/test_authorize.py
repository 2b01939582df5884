"""The authorizer: PyJWT verifies; a valid token allows and names the user, others are refused."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from serverless_chat.errors import SettingsError
from serverless_chat.handlers.authorize import AuthSettings, build_handler, verify
from serverless_chat.handlers.dependencies import AuthorizerDependencies

SECRET = "a-development-secret-of-enough-length-for-hs256"


def _token(key: Any = SECRET, algorithm: str = "HS256", **claims: Any) -> str:
    now = int(time.time())
    body = {"sub": "u-1", "name": "ana", "iat": now, "exp": now + 60, **claims}
    return jwt.encode({k: v for k, v in body.items() if v is not None}, key, algorithm=algorithm)


def _handler(mode: str = "hs256", **env: str) -> Any:
    deps = AuthorizerDependencies({"AUTH_MODE": mode, **env}, signing_secret=lambda: SECRET)
    return build_handler(deps)


def _event(token: str | None) -> dict[str, Any]:
    query = {} if token is None else {"token": token}
    return {
        "type": "REQUEST",
        "methodArn": "arn:aws:execute-api:r:1:api/s/$connect",
        "queryStringParameters": query,
    }


def test_a_valid_token_is_allowed_with_sub_and_name() -> None:
    result = _handler()(_event(_token()), None)
    assert result["principalId"] == "u-1"
    assert result["context"] == {"sub": "u-1", "name": "ana"}
    (statement,) = result["policyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == "arn:aws:execute-api:r:1:api/s/$connect"


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        "not.a.jwt",
        _token(exp=int(time.time()) - 3600),  # expired
        _token(key="another-secret-another-secret-another-secret"),  # forged
        _token(sub=None),  # no subject
        _token(exp=None),  # never expires: refused, exp is required
        jwt.encode({"sub": "x", "exp": int(time.time()) + 60}, "", algorithm="none"),
        "\ud800",  # a lone surrogate: not UTF-8, so no token (PyJWT raised UnicodeEncodeError)
        "eyJhbGciOiJIUzI1NiJ9.\udfff.sig",
    ],
)
def test_bad_tokens_are_unauthorized(token: str | None) -> None:
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        _handler()(_event(token), None)


def test_name_falls_back_to_other_name_claims() -> None:
    token = _token(name=None, preferred_username="zoe")
    assert _handler()(_event(token), None)["context"]["name"] == "zoe"


def test_issuer_and_audience_are_checked_when_set() -> None:
    handler = _handler(JWT_ISSUER="https://issuer", JWT_AUDIENCE="chat")
    good = _token(iss="https://issuer", aud="chat")
    assert handler(_event(good), None)["principalId"] == "u-1"
    with pytest.raises(Exception, match="Unauthorized"):
        handler(_event(_token(iss="https://elsewhere", aud="chat")), None)


def test_rs256_against_a_jwks() -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = _token(key=private, algorithm="RS256")

    class KeySet:
        def get_signing_key_from_jwt(self, _token: str) -> Any:
            return jwt.PyJWK.from_dict(
                {
                    **jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key(), as_dict=True),
                    "alg": "RS256",
                }
            )

    audience = AuthSettings(mode="jwks", audience="chat")
    claims = verify(
        _token(key=private, algorithm="RS256", aud="chat"), audience, lambda: "", lambda: KeySet()
    )
    assert claims["sub"] == "u-1"
    with pytest.raises(jwt.InvalidTokenError):  # an HS256 token is not accepted in jwks mode
        verify(_token(aud="chat"), audience, lambda: SECRET, lambda: KeySet())
    # Another app client's ID token of the same user pool, signed by the same key set, and a
    # token with no audience at all, are not ours.
    for other in (token, _token(key=private, algorithm="RS256", token_use="id", aud="other")):
        with pytest.raises(jwt.InvalidTokenError):
            verify(other, audience, lambda: "", lambda: KeySet())
    with pytest.raises(jwt.InvalidTokenError, match="without JWT_AUDIENCE"):
        verify(_token(key=private, algorithm="RS256", token_use="id"), AuthSettings("jwks"), str)


@pytest.mark.parametrize("audience", [None, "", "  "])
def test_jwks_mode_without_an_audience_refuses_to_start(audience: str | None) -> None:
    """(issue 25) A user pool signs every app client's tokens: without JWT_AUDIENCE any of
    them would pass, so the authorizer does not start, and says why."""
    env = {"JWKS_URL": "https://keys"} | ({} if audience is None else {"JWT_AUDIENCE": audience})
    with pytest.raises(SettingsError, match="AUTH_MODE jwks needs an audience") as refused:
        _handler("jwks", **env)
    assert refused.value.setting == "JWT_AUDIENCE"
    assert _handler("jwks", JWKS_URL="https://keys", JWT_AUDIENCE="chat")


def test_a_refusal_cannot_forge_a_log_line(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refusal that quotes the token's text (PyJWKClient quotes its kid: "Unable to find a
    signing key that matches: ...") is logged on one line, its newlines escaped."""
    caplog.set_level("INFO")
    forged = "x\n2026-12-01 12:00:00 local_gateway all is well"

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise jwt.PyJWKClientError(f'Unable to find a signing key that matches: "{forged}"')

    monkeypatch.setattr("serverless_chat.handlers.authorize.verify", refuse)
    with pytest.raises(Exception, match="Unauthorized"):
        _handler("jwks", JWT_AUDIENCE="chat")(_event("any"), None)
    (record,) = [r for r in caplog.records if "token refused" in r.getMessage()]
    assert "\n" not in record.getMessage()
    assert "\\n2026-12-01" in record.getMessage()
