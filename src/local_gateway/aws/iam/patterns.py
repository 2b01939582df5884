"""IAM's wildcards: ``*`` and ``?`` in actions (case-insensitive) and in ARNs (per segment).

Sources: "IAM JSON policy elements: Action" (actions are not case-sensitive; ``*`` and ``?``
anywhere in the action name) and "IAM JSON policy elements: Resource" (wildcards match within
the colon-separated segments of an ARN; a ``*`` that ends a segment may extend across the
colons after it; a Resource of ``*`` alone is every resource).
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=4096)
def action_pattern(pattern: str) -> re.Pattern[str]:
    """``service:Action*`` as a case-insensitive regular expression."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.IGNORECASE | re.DOTALL)


@lru_cache(maxsize=4096)
def arn_pattern(pattern: str) -> re.Pattern[str]:
    """An ARN pattern as IAM matches it: ``*`` within a segment, unless it ends one (then it
    may run on across colons), ``?`` one character other than a colon; case-sensitive."""
    if pattern == "*":
        return re.compile(".*", re.DOTALL)
    out = []
    for index, char in enumerate(pattern):
        if char == "*":
            ends_segment = index + 1 == len(pattern) or pattern[index + 1] == ":"
            out.append(".*" if ends_segment else "[^:]*")
        elif char == "?":
            out.append("[^:]")
        else:
            out.append(re.escape(char))
    return re.compile("".join(out), re.DOTALL)


@lru_cache(maxsize=4096)
def string_pattern(pattern: str) -> re.Pattern[str]:
    """StringLike's ``*`` and ``?`` (multi- and single-character, across anything)."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL)
