"""AuthorizeHandler (REQUEST authorizer of $connect): verify the JWT in ``?token=``.

AUTH_MODE ``hs256`` checks an HS256 signature with a secret kept in SSM Parameter Store
(a SecureString named by JWT_SECRET_PARAMETER); ``jwks`` checks RS256 against the keys at
JWKS_URL (a Cognito user pool's, say), with JWT_ISSUER when set, and JWT_AUDIENCE, which
jwks mode requires: the key set signs the tokens of every app client of the user pool, so
without an audience another app's token would pass, and the authorizer refuses to start
(SettingsError, on its first invocation; the template's rule refuses the stack). A valid
token allows the connection and passes ``sub`` and ``name`` on to every handler in
requestContext.authorizer; a missing, malformed, forged or expired one is refused.
PyJWT does the verifying: no hand-written JWT code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jwt

from serverless_chat.errors import SettingsError
from serverless_chat.handlers.dependencies import (
    AuthorizerDependencies,
    Handler,
    aws_authorizer_dependencies,
    lambda_entry,
)

log = logging.getLogger("serverless_chat.handlers.authorize")

NAME_CLAIMS = ("name", "preferred_username", "cognito:username", "username")


class AuthSettings(NamedTuple):
    mode: str = "none"
    jwks_url: str = ""
    issuer: str = ""
    audience: str = ""
    leeway_seconds: int = 30

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AuthSettings:
        return cls(
            mode=env.get("AUTH_MODE", "none"),
            jwks_url=env.get("JWKS_URL", ""),
            issuer=env.get("JWT_ISSUER", ""),
            audience=env.get("JWT_AUDIENCE", ""),
        )

    def check(self) -> None:
        """SettingsError when these settings would let tokens through that are not ours."""
        if self.mode == "jwks" and not self.audience.strip():
            raise SettingsError(
                "JWT_AUDIENCE",
                "AUTH_MODE jwks needs an audience (your app client id): the key set signs"
                " the tokens of every app client of the user pool, and without one any of"
                " them would be taken",
            )


def verify(
    token: str,
    settings: AuthSettings,
    secret: Callable[[], str],
    jwks: Callable[[], Any] | None = None,
) -> dict[str, Any]:
    """The token's claims, or jwt.InvalidTokenError (expired, forged, malformed …)."""
    options: Any = {"require": ["exp", "sub"]}
    extra: dict[str, Any] = {}
    if settings.issuer:
        extra["issuer"] = settings.issuer
    if settings.audience:
        extra["audience"] = settings.audience
    else:
        options["verify_aud"] = False
    if settings.mode == "hs256":
        key: Any = secret()
        algorithms = ["HS256"]
    elif settings.mode == "jwks":
        if not settings.audience:  # (build_handler refuses such settings; never skip aud)
            raise jwt.InvalidTokenError("AUTH_MODE jwks without JWT_AUDIENCE")
        if jwks is None:
            raise jwt.InvalidTokenError("no JWKS client configured")
        key = jwks().get_signing_key_from_jwt(token).key
        algorithms = ["RS256"]
    else:
        raise jwt.InvalidTokenError(f"unknown AUTH_MODE {settings.mode!r}")
    claims: dict[str, Any] = jwt.decode(
        token, key, algorithms=algorithms, options=options, leeway=settings.leeway_seconds, **extra
    )
    return claims


def _printable(text: str) -> str:
    """External text (a token's kid, say) with its control characters escaped, so it
    cannot forge a line of its own in a text log."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def policy(effect: str, principal: str, resource: str, context: dict[str, str]) -> dict[str, Any]:
    return {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
        "context": context,
    }


def build_handler(deps: AuthorizerDependencies) -> Handler:
    settings = AuthSettings.from_env(deps.environment)
    settings.check()
    clients: list[Any] = []

    def jwks() -> Any:
        if not clients:  # once per container: PyJWKClient caches the keys it fetches
            clients.append(jwt.PyJWKClient(settings.jwks_url, cache_keys=True, lifespan=600))
        return clients[0]

    def secret() -> str:
        if deps.signing_secret is None:
            raise jwt.InvalidTokenError("no signing secret configured")
        return deps.signing_secret()

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        token = str((event.get("queryStringParameters") or {}).get("token", ""))
        try:
            claims = verify(token, settings, secret, jwks)
        # invalid, expired, or no key in the JWKS matches; or not even UTF-8 (PyJWT encodes
        # the token first, and a lone surrogate in the query raises UnicodeEncodeError)
        except (jwt.PyJWTError, UnicodeEncodeError) as error:
            log.info("token refused: %s", _printable(str(error)))
            raise Exception("Unauthorized") from None  # API Gateway answers 401
        name = next((str(claims[c]) for c in NAME_CLAIMS if claims.get(c)), "")
        sub = str(claims["sub"])
        return policy("Allow", sub, str(event.get("methodArn", "*")), {"sub": sub, "name": name})

    return handle


handler = lambda_entry(build_handler, aws_authorizer_dependencies)
