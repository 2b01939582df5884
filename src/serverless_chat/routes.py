"""The chat's Lambda functions and the routes that reach them: one row each.

infra/template.yaml is generated from this table over the hand-kept infra/base.yaml
(``make template``, :mod:`serverless_chat.deploy.stack_template`): each row becomes a log
group, a least-privilege role, a function and, for its routes, an integration, a route
and a permission each; the stage's ``DependsOn`` and the errors alarm's metrics are
computed from the rows. The routes of clients' actions are not written here: each action of
the registry (chat/actions.py) names the function that serves it, and its row gets their
route keys, aliases included (``served``). The local hook (which entry modules it builds),
the Lambda package (the entry modules' import closure), the property tests and the fuzzer
read their lists here too; only the least-privilege test (tests/unit/test_template_policy.py)
keeps its own, written by hand, as an oracle.

Dev-time: no entry module imports it (they are named by it, not told by it), so it does
not ship to Lambda and a cold start does not pay for it.
"""

from __future__ import annotations

from typing import NamedTuple

from serverless_chat.chat.actions import ACTIONS as CLIENT_ACTIONS

# DynamoDB actions a role may be granted.
GET, PUT, UPDATE, DELETE, QUERY, SCAN = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "dynamodb:Scan",
)
MANAGE_CONNECTIONS = "execute-api:ManageConnections"
INVOKE = "lambda:InvokeFunction"

# The stack's resources a grant names, by logical id.
CONNECTIONS_TABLE = "ConnectionsTable"
MESSAGES_TABLE = "MessagesTable"
DIRECT_MESSAGES_TABLE = "DirectMessagesTable"
FANOUT_HANDLER = "FanoutHandler"
SECRET_PARAMETER = "ssm:JwtSecretParameter"  # the SSM parameter the JwtSecretParameter names


def index(name: str, table: str = CONNECTIONS_TABLE) -> str:
    """One of a table's indexes (the ConnectionsTable's unless told), as a grant names it."""
    return f"{table}/index/{name}"


def callbacks(method: str) -> str:
    """The stage's @connections for one HTTP method (POST: post, GET: info, DELETE: close)."""
    return f"@connections/{method}"


class Grant(NamedTuple):
    """IAM actions on resources of one kind: a table, indexes, @connections, a function,
    an SSM parameter (the names above); with ``condition``, only when it holds."""

    actions: tuple[str, ...]
    resources: tuple[str, ...]
    condition: str = ""


POSTS = Grant((MANAGE_CONNECTIONS,), (callbacks("POST"),))
# Whether a name's holder is still connected (GetConnection: 410 when its $disconnect, best
# effort, never came): $connect, join and setName take a name back from such a ghost.
GHOST_CHECKS = Grant((MANAGE_CONNECTIONS,), (callbacks("GET"),))
PAGES_TO_FANOUT = Grant((INVOKE,), (FANOUT_HANDLER,))  # a big room's other pages
# Presence, and a signed-in person's other connections (their name claim passes on).
PRESENCE_AND_NAMES = Grant((QUERY,), (index("presence-index"), index("name-index")))
# A request that moves its sender or renames it: a token and the row (UpdateItem), the
# name claimed (PutItem, and GetItem of its holder when refused), the old one released, a
# ghost holding the name deleted (DeleteItem).
MOVES_AND_CLAIMS = Grant((GET, UPDATE, PUT, DELETE), (CONNECTIONS_TABLE,))

# Environment variables by name; the generator gives each its value.
CHAT_ENVIRONMENT = (
    "CONNECTIONS_TABLE",
    "MESSAGES_TABLE",
    "DIRECT_MESSAGES_TABLE",
    "RETENTION_DAYS",
    "MAX_MESSAGE_LENGTH",
    "METRICS_NAMESPACE",
    "STAGE_NAME",
    "CALLBACK_URL",
    "RATE_LIMIT_PER_SECOND",
    "RATE_LIMIT_BURST",
)
PAGES_ENVIRONMENT = ("FANOUT_FUNCTION", "FANOUT_PAGE_SIZE")

# How a function is invoked.
ROUTE = "route"  # by API Gateway, synchronously, for its routes
AUTHORIZER = "authorizer"  # by API Gateway, synchronously, before $connect (REQUEST authorizer)
PAGES = "pages"  # asynchronously, once a page of a big room's fan-out, and never retried


class Route(NamedTuple):
    """A route key API Gateway selects (``$request.body.action``, or $connect, …), and the
    stem of its Route and Permission's logical ids (the function's name when empty)."""

    key: str
    name: str = ""


def _stem(key: str) -> str:
    """A route's logical-id stem from its key: sendMessage → SendMessage, $default → Default."""
    key = key.lstrip("$")
    return key[:1].upper() + key[1:]


def served(function: str) -> tuple[Route, ...]:
    """The routes of the actions (chat/actions.py) that ``function`` serves, in the registry's
    order, each with its aliases: an alias that is its key in lower case is
    ``{Stem}Lowercase`` (sendmessage)."""
    routes: list[Route] = []
    for action in CLIENT_ACTIONS:
        if action.function != function:
            continue
        routes.append(Route(action.key, _stem(action.key)))
        for alias in action.aliases:
            lowercase = alias == action.key.lower()
            routes.append(
                Route(alias, f"{_stem(action.key)}Lowercase" if lowercase else _stem(alias))
            )
    return tuple(routes)


class Function(NamedTuple):
    """One Lambda function: its logical ids' stem (``{name}Handler``, ``{name}Role``,
    ``{name}LogGroup``), its entry module (``serverless_chat.handlers.{module}``, named
    ``{stack}-{module with dashes}``), its routes, what its role grants beyond writing its
    own log group, its environment, its size, and how it is invoked."""

    name: str
    module: str
    description: str
    routes: tuple[Route, ...] = ()
    grants: tuple[Grant, ...] = ()
    environment: tuple[str, ...] = CHAT_ENVIRONMENT
    memory: int = 256  # MB
    timeout: int = 10  # seconds
    invocation: str = ROUTE
    condition: str = ""  # the template condition the function exists under

    @property
    def entry_module(self) -> str:
        return f"serverless_chat.handlers.{self.module}"


# A name claim is written with a condition and its holder read when it is refused (GetItem,
# strongly consistent: connect, join, setName). Every request's first call is one
# conditional UpdateItem that takes a token and returns the sender's row (no GetItem); a
# signed-in person's claim passes to their other connection (Query name-index, PutItem).
_ROWS: tuple[Function, ...] = (
    Function(
        "Connect",
        "connect",
        "Places each new connection in its room under its name ($connect).",
        routes=(Route("$connect"),),
        grants=(
            Grant((PUT, GET, DELETE), (CONNECTIONS_TABLE,)),
            PRESENCE_AND_NAMES,
            POSTS,
            GHOST_CHECKS,
            PAGES_TO_FANOUT,
        ),
        environment=CHAT_ENVIRONMENT + PAGES_ENVIRONMENT,
    ),
    Function(
        "Disconnect",
        "disconnect",
        "Forgets a closed connection and tells its room ($disconnect).",
        routes=(Route("$disconnect"),),
        grants=(  # the row comes back with its DeleteItem (ALL_OLD): no GetItem
            Grant((PUT, DELETE), (CONNECTIONS_TABLE,)),
            PRESENCE_AND_NAMES,
            POSTS,
            PAGES_TO_FANOUT,
        ),
        environment=CHAT_ENVIRONMENT + PAGES_ENVIRONMENT,
    ),
    Function(
        "SendMessage",
        "send_message",
        "Sends a message to the room or to a name (sendMessage).",
        # GetItem: a guest's identity, in its row, for a direct message to it; presence-index:
        # a ghost its fan-out finds (410) is announced to the room's listeners as left.
        grants=(
            Grant((PUT, UPDATE, DELETE, GET), (CONNECTIONS_TABLE,)),
            Grant((QUERY,), (index("room-index"), index("name-index"), index("presence-index"))),
            Grant((PUT,), (MESSAGES_TABLE, DIRECT_MESSAGES_TABLE)),
            POSTS,
            PAGES_TO_FANOUT,
        ),
        environment=CHAT_ENVIRONMENT + PAGES_ENVIRONMENT,
        timeout=29,
    ),
    Function(
        "EditMessage",
        "edit_message",
        "Edits or deletes its sender's own message (editMessage, deleteMessage).",
        grants=(  # presence-index: a ghost its fan-out finds is announced as left
            Grant((PUT, UPDATE, DELETE), (CONNECTIONS_TABLE,)),
            Grant((QUERY,), (index("room-index"), index("name-index"), index("presence-index"))),
            Grant((UPDATE,), (MESSAGES_TABLE,)),
            POSTS,
            PAGES_TO_FANOUT,
        ),
        environment=CHAT_ENVIRONMENT + PAGES_ENVIRONMENT,
        timeout=29,
    ),
    Function(
        "Default",
        "default",
        "Replies with usage and connection info ($default).",
        grants=(  # a token from the caller's bucket, like every route; GetConnection
            Grant((UPDATE,), (CONNECTIONS_TABLE,)),
            Grant((MANAGE_CONNECTIONS,), (callbacks("POST"), callbacks("GET"))),
        ),
    ),
    Function(
        "Join",
        "join",
        "Moves a connection to another room (join).",
        grants=(
            MOVES_AND_CLAIMS,
            PRESENCE_AND_NAMES,
            Grant((QUERY,), (MESSAGES_TABLE,)),
            POSTS,
            GHOST_CHECKS,
            PAGES_TO_FANOUT,
        ),
        environment=CHAT_ENVIRONMENT + PAGES_ENVIRONMENT,
        timeout=29,
    ),
    Function(
        "SetName",
        "set_name",
        "Renames a connection within its room (setName).",
        grants=(
            MOVES_AND_CLAIMS,
            PRESENCE_AND_NAMES,
            POSTS,
            GHOST_CHECKS,
            PAGES_TO_FANOUT,
        ),
        environment=CHAT_ENVIRONMENT + PAGES_ENVIRONMENT,
        timeout=29,
    ),
    Function(
        "History",
        "history",
        "Answers pages of the room's and of direct messages; names a guest (history,"
        " directHistory, resume).",
        grants=(  # UpdateItem: a token, and a guest's identity written in its row (resume)
            Grant((UPDATE,), (CONNECTIONS_TABLE,)),
            Grant(
                (QUERY,),
                (
                    MESSAGES_TABLE,
                    DIRECT_MESSAGES_TABLE,
                    index("reader-a-index", DIRECT_MESSAGES_TABLE),
                    index("reader-b-index", DIRECT_MESSAGES_TABLE),
                ),
            ),
            POSTS,
        ),
    ),
    Function(
        "Who",
        "who",
        "Answers the names present in the room (who) and the rooms people are in (rooms).",
        # One function for both readers of room-index (who, rooms): another function would
        # carry the chat's sources once more in the standalone template (CloudFormation's
        # limit on a template's size).
        grants=(  # rooms: a Scan of room-index alone, never of the table (claims, buckets)
            Grant((UPDATE,), (CONNECTIONS_TABLE,)),
            Grant((QUERY, SCAN), (index("room-index"),)),
            POSTS,
        ),
    ),
    Function(
        "Authorize",
        "authorize",
        "Verifies the JWT in ?token= on $connect (REQUEST authorizer).",
        grants=(Grant(("ssm:GetParameter",), (SECRET_PARAMETER,), condition="UsesSecret"),),
        environment=(
            "AUTH_MODE",
            "JWT_SECRET_PARAMETER",
            "JWKS_URL",
            "JWT_ISSUER",
            "JWT_AUDIENCE",
            "METRICS_NAMESPACE",
            "STAGE_NAME",
        ),
        invocation=AUTHORIZER,
        condition="AuthEnabled",  # AuthMode hs256 or jwks
    ),
    Function(
        "Fanout",
        "fanout",
        "Posts one page of a big room's message (invoked asynchronously by SendMessageHandler).",
        grants=(  # drops gone rows, passing a signed-in person's claim to their next connection
            Grant((DELETE, PUT), (CONNECTIONS_TABLE,)),
            Grant((QUERY,), (index("name-index"),)),
            POSTS,
        ),
        environment=("CONNECTIONS_TABLE", "METRICS_NAMESPACE", "STAGE_NAME", "CALLBACK_URL"),
        # Lambda gives CPU in proportion to memory: a page of posts is bound by CPU, so more
        # memory ends it sooner for about the same GB-seconds (docs/scaling.md's figures).
        memory=512,
        timeout=60,
        invocation=PAGES,
    ),
)
# Each row with the routes of the actions it serves (chat/actions.py names the function of
# each): an action's key is written once, in the registry.
FUNCTIONS: tuple[Function, ...] = tuple(f._replace(routes=f.routes + served(f.name)) for f in _ROWS)


class MockRoute(NamedTuple):
    """A route API Gateway answers itself, on a MOCK integration: no function runs and no
    table is read, so it costs nothing beyond the message (API Gateway bills messages, not
    integrations). Its integration response's template is the caller's answer, which it
    gets through the route's ``$default`` route response. Logical ids: ``{name}Integration``,
    ``{name}IntegrationResponse``, ``{name}Route``, ``{name}RouteResponse``."""

    key: str
    name: str
    answer: str  # the integration response's template: the frame the caller gets
    description: str
    condition: str = ""  # the template condition its resources exist under


# The keep-alive: API Gateway closes a connection idle for 10 minutes (a frame either way
# resets it), so clients send ``{"action": "ping"}`` every few minutes and get a pong back.
MOCK_ROUTES: tuple[MockRoute, ...] = (
    MockRoute(
        "ping",
        "Ping",
        '{"type": "pong"}',
        'Keeps an idle connection open: answers {"type": "pong"} with no function.',
        # KeepAlive=disabled, for an engine that cannot make integration and route
        # responses (MiniStack): clients then get $default's usage reply to their pings.
        condition="KeepAliveEnabled",
    ),
)

# Every Lambda entry module, in the table's order.
ENTRY_MODULES = tuple(f.entry_module for f in FUNCTIONS)
# Every route key, in the table's order, and the entry module each reaches.
ROUTE_KEYS = tuple(r.key for f in FUNCTIONS for r in f.routes)
ENTRY_MODULE_BY_ROUTE = {r.key: f.entry_module for f in FUNCTIONS for r in f.routes}
# What a client may name as its request's "action" (the routes a body selects, not $-keys).
ACTIONS = tuple(key for key in ROUTE_KEYS if not key.startswith("$"))
# The routes API Gateway answers by itself (no function, no store).
MOCK_ROUTE_KEYS = tuple(r.key for r in MOCK_ROUTES)
