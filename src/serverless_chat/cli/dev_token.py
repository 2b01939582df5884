"""serverless-chat token: a development token, signed with the secret serve uses (a module
named for what it mints, not for the standard library's `token`)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from serverless_chat.cli.arguments import add_command, chat_name, non_empty, number, sentence

if TYPE_CHECKING:
    from serverless_chat.cli.arguments import Commands


def register(commands: Commands) -> None:
    token = add_command(
        commands,
        "token",
        run,
        help="mint a development token (HS256, signed with the secret serve uses)",
    )
    token.add_argument(
        "--name", required=True, type=chat_name, help="the chat name the token carries"
    )
    token.add_argument("--sub", type=non_empty, help="the subject (default: the name)")
    token.add_argument("--ttl", type=number(int, 1), default=3600, help="seconds until it expires")


def run(args: argparse.Namespace) -> int:
    import time

    import jwt

    from serverless_chat.devsecret import dev_secret

    now = int(time.time())
    claims = {"sub": args.sub or args.name, "name": args.name, "iat": now, "exp": now + args.ttl}
    try:
        secret = dev_secret()
    except OSError as error:
        print(
            f"error: cannot read or make the development secret: {sentence(error)}",
            file=sys.stderr,
        )
        return 1
    print(jwt.encode(claims, secret, algorithm="HS256"))
    return 0
