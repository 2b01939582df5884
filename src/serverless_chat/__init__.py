"""serverless-chat: a WebSocket chat on API Gateway, Lambda and DynamoDB, runnable locally.

This package is shared by the Lambda runtime (``handlers``, ``chat``, ``ports``,
``adapters``) and the dev-time tools (``gateway``, ``client``, ``cli``). Nothing
here may import dev-time code: the Lambda entry modules import this package.
"""

__version__ = "0.1.0"
