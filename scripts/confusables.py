"""Generate src/serverless_chat/chat/confusables.py: what the chat needs of Unicode's
security data (UTS #39), taken from ICU through PyICU, as plain data for the standard
library to read in Lambda.

Usage: python scripts/confusables.py src/serverless_chat/chat/confusables.py
(``make confusables``: a venv of its own with PyICU, which builds against the system's ICU,
Debian's libicu-dev.)

What it writes:

- ``KEYS``: code point → its key, for every character name_key can meet after NFKC and NFD
  whose key is not its case fold (name_key's default). A key is ICU's
  confusable skeleton (UTS #39 section 4), case-folded, repeated until it is stable; and
  since a skeleton is case-sensitive (``I`` is ``l``'s confusable, ``i`` is not), the
  characters that case folding and the skeleton would pull apart are one class (``i``,
  ``I``, ``l`` and ``1`` are one letter to a name): case-insensitive and look-alike at once.
- ``SCRIPT_RANGES``: (first code point, index into ``SCRIPT_SETS``) for every run of code
  points with the same Script_Extensions, for UTS #39's mixed-script levels (a code point no
  name can hold, after NFKC, joins its neighbours' run).
- ``IGNORABLE_RANGES``: the Default_Ignorable_Code_Point runs (invisible: Hangul fillers,
  zero-width characters, variation selectors).

The output is checked here before it is written: every key is its own key (the key is
idempotent), and a character, its case fold and its skeleton have the same key.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import icu  # type: ignore[import-not-found]  # PyICU: dev-time only, never shipped

SURROGATES = range(0xD800, 0xE000)
NAME_PUNCTUATION = " _-."  # chat/protocol.py's _NAME_PUNCTUATION
SPOOF = icu.SpoofChecker()
# UTS #39's Identifier_Status Allowed: the letters in use today (not obsolete, technical or
# uncommon ones such as LATIN CAPITAL LETTER TONE FIVE, whose small form is an s).
RECOMMENDED = SPOOF.getRecommendedUnicodeSet()


def code_points() -> Iterator[str]:
    for cp in range(0x110000):
        if cp in SURROGATES:
            continue
        c = chr(cp)
        if unicodedata.category(c) != "Cn":
            yield c


def prepared(text: str) -> str:
    """name_key's first steps: NFKC, case folding, NFD."""
    return unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).casefold())


def skeleton(text: str) -> str:
    return str(SPOOF.getSkeleton(0, text))


def nameable(c: str) -> bool:
    """Whether a validated name can hold ``c`` after prepared()."""
    return c.isalpha() or c.isdigit() or c in NAME_PUNCTUATION or unicodedata.combining(c) > 0


class Classes:
    """Union-find over characters; a class's representative is its ASCII member if any,
    else its lowest code point."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, c: str) -> str:
        root = c
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while c != root:
            self.parent[c], c = root, self.parent.get(c, c)
        return root

    def union(self, a: str, b: str) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        first, second = sorted((ra, rb), key=lambda c: (not c.isascii(), ord(c)))
        self.parent[second] = first
        return True


def start(c: str) -> str:
    """name_key's first steps: NFKC, then NFD (case folding comes after the skeleton, which
    is case-sensitive: Greek capital beta is B's look-alike, its small beta is not)."""
    return unicodedata.normalize("NFD", unicodedata.normalize("NFKC", c))


def is_latin(c: str) -> bool:
    """A recommended Latin letter (UTS #39's Identifier_Status Allowed)."""
    if not RECOMMENDED.contains(c):
        return False
    return icu.Script.getScript(ord(c)).getScriptCode() == icu.UScriptCode.LATIN  # type: ignore[no-any-return]


def build() -> tuple[dict[str, str], Classes]:
    """The key of every character a name can hold, and of every character a key holds."""
    names = [c for c in code_points() if all(nameable(d) for d in prepared(c))]
    classes = Classes()
    for _round in range(20):
        cache: dict[str, str] = {}
        merged = False
        for c in names:  # a Latin letter and its case fold are one letter, whatever they
            lower = c.casefold()  # look like: I (l's look-alike) and i
            if len(lower) != 1 or lower == c or not (is_latin(c) and is_latin(lower)):
                continue
            one, other = _key(c, classes, cache), _key(lower, classes, cache)
            if one != other and len(one) == len(other) == 1:
                merged |= classes.union(one, other)
        if not merged:
            break
    else:
        raise SystemExit("the classes did not settle in 20 rounds")
    for c in names:
        _key(c, classes, cache)
    seen = set(cache) | set(classes.parent) | {d for k in cache.values() for d in k}
    # Only what name_key looks up (characters it can meet after NFKC and NFD), and only where
    # the key is not what case folding alone gives (name_key's default).
    keys = {
        c: k for c in sorted(seen) if start(c) == c and (k := _key(c, classes, cache)) != folded(c)
    }
    return keys, classes


def folded(text: str) -> str:
    return unicodedata.normalize("NFD", text.casefold())


def _key(text: str, classes: Classes, cache: dict[str, str]) -> str:
    return "".join(_stable(d, classes, cache) for d in start(text))


def _stable(c: str, classes: Classes, cache: dict[str, str]) -> str:
    """skeleton, case fold, NFD, class representatives: again until nothing changes."""
    if c in cache:
        return cache[c]
    text = c
    for _ in range(10):
        after = "".join(classes.find(d) for d in prepared(skeleton(text)))
        if after == text:
            cache[c] = text
            return text
        text = after
    raise SystemExit(f"U+{ord(c):04X}'s key does not settle")


def key_of(keys: dict[str, str], text: str) -> str:
    """chat.model.name_key, on these keys."""
    return folded(start(text).translate({ord(c): k for c, k in keys.items()}))


def check(keys: dict[str, str]) -> None:
    table = {ord(c): k for c, k in keys.items()}

    def key_of(_keys: dict[str, str], text: str) -> str:  # (the table made once)
        return folded(start(text).translate(table))

    for c in code_points():
        if not all(nameable(d) for d in prepared(c)):
            continue
        k = key_of(keys, c)
        assert key_of(keys, k) == k, f"U+{ord(c):04X}: the key {k!r} is not its own key"
        looks = key_of(keys, skeleton(start(c)))
        assert looks == k, f"U+{ord(c):04X}: its skeleton has another key"


def script_ranges() -> tuple[list[tuple[str, ...]], list[tuple[int, int]]]:
    sets: list[tuple[str, ...]] = []
    ranges: list[tuple[int, int]] = []
    for cp in range(0x110000):
        c = chr(cp)
        matters = unicodedata.normalize("NFKC", c) == c and (c.isalpha() or c.isdigit())
        if ranges and not matters:
            continue  # no name holds it: it may share its neighbours' run
        extensions = tuple(
            sorted(icu.Script(code).getShortName() for code in icu.Script.getScriptExtensions(cp))
        )
        if extensions not in sets:
            sets.append(extensions)
        index = sets.index(extensions)
        if not ranges or ranges[-1][1] != index:
            ranges.append((cp, index))
    return sets, ranges


def ignorable_ranges() -> list[tuple[int, int]]:
    prop = icu.UProperty.DEFAULT_IGNORABLE_CODE_POINT
    runs: list[tuple[int, int]] = []
    for cp in range(0x110000):
        if icu.Char.hasBinaryProperty(cp, prop):
            if runs and runs[-1][1] == cp - 1:
                runs[-1] = (runs[-1][0], cp)
            else:
                runs.append((cp, cp))
    return runs


HEADER = '''"""Unicode's security data for names (UTS #39), generated by scripts/confusables.py
(``make confusables``) from ICU {icu_version} (Unicode {unicode_version}, PyICU {pyicu}): do
not edit. Pure data, the standard library's types only.

KEYS: code point -> its key (confusable skeleton and case folding, one class where they
disagree), where it is not the case fold alone; SCRIPT_SETS and SCRIPT_RANGES: each code
point's Script_Extensions, as runs (first code point, index); IGNORABLE_RANGES:
Default_Ignorable_Code_Point runs (first, last).
"""

# fmt: off
'''


def render() -> str:
    keys, classes = build()
    check(keys)
    merged = sorted({classes.find(c) for c in classes.parent})
    for rep in merged:
        members = sorted(c for c in classes.parent if classes.find(c) == rep)
        print(f"one letter: {rep} {' '.join(members)}", file=sys.stderr)
    sets, ranges = script_ranges()
    lines = [
        HEADER.format(
            icu_version=icu.ICU_VERSION, unicode_version=icu.UNICODE_VERSION, pyicu=icu.VERSION
        )
    ]
    lines.append("KEYS: dict[int, str] = {")
    lines += [f"    {ord(c)}: {k!r}," for c, k in sorted(keys.items())]
    lines.append("}")
    lines.append("SCRIPT_SETS: tuple[frozenset[str], ...] = (")
    lines += [f"    frozenset({list(s)!r})," for s in sets]
    lines.append(")")
    lines.append("SCRIPT_RANGES: tuple[tuple[int, int], ...] = (")
    lines += [f"    ({start}, {index})," for start, index in ranges]
    lines.append(")")
    lines.append("IGNORABLE_RANGES: tuple[tuple[int, int], ...] = (")
    lines += [f"    ({first}, {last})," for first, last in ignorable_ranges()]
    lines.append(")")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(render(), encoding="utf-8")
