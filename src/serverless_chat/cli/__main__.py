"""``python -m serverless_chat.cli``: the serverless-chat command."""

import sys

from serverless_chat.cli import main

sys.exit(main())
