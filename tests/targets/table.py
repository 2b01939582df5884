"""The per-target table in docs/local-gateway.md ("Where each target differs from AWS"),
between two markers: read as the suite's expectations, and rewritten from what the suite
found (``pytest tests/targets --regenerate-targets-table``). Pure: text in, text out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tests.targets.scenarios import Scenario
from tests.targets.targets import TARGETS, TITLES

BEGIN = "<!-- targets-table: begin (pytest tests/targets --regenerate-targets-table writes it) -->"
END = "<!-- targets-table: end -->"
NOT_RUN = "not run yet"

Cells = dict[str, dict[str, str]]  # scenario id → target → what was found


class TableError(Exception):
    """The document has no table between the markers, or a row the suite cannot read."""


def section(document: str) -> str:
    """The text between the markers."""
    start, end = document.find(BEGIN), document.find(END)
    if start < 0 or end < start:
        raise TableError(f"the document has no {BEGIN!r} … {END!r} section")
    return document[start + len(BEGIN) : end]


def read_cells(document: str) -> Cells:
    """Each scenario's cell for each target, as the committed table says."""
    cells: Cells = {}
    for line in section(document).splitlines():
        if not line.startswith("| `"):
            continue
        columns = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(columns) != 3 + len(TARGETS):
            raise TableError(f"a row of {len(columns)} columns: {line}")
        scenario = columns[0].strip("`")
        cells[scenario] = dict(zip(TARGETS, columns[3:], strict=True))
    return cells


def render(scenarios: Sequence[Scenario], cells: Mapping[str, Mapping[str, str]]) -> str:
    """The table: a row a scenario, what AWS documents and where, and each target's cell
    (a target without one: "not run yet")."""
    head = ["scenario", "AWS documents", "source", *(TITLES[t] for t in TARGETS)]
    lines = [
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for scenario in scenarios:
        found = cells.get(scenario.id, {})
        row = [
            f"`{scenario.id}`",
            as_cell(scenario.documented),
            as_cell(scenario.source),
            *(as_cell(found.get(t, NOT_RUN)) for t in TARGETS),
        ]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def rewrite(document: str, scenarios: Sequence[Scenario], found: Cells) -> str:
    """The document with its table made of the committed cells, each replaced by what the
    suite found where it ran."""
    cells = read_cells(document)
    for scenario, by_target in found.items():
        cells.setdefault(scenario, {}).update(by_target)
    start, end = document.index(BEGIN) + len(BEGIN), document.index(END)
    return document[:start] + "\n" + render(scenarios, cells) + "\n" + document[end:]


def as_cell(text: str) -> str:
    """``text`` as one table cell: one line, no pipe."""
    return text.replace("|", "/").replace("\n", " ")
