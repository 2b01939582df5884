"""The per-target table: read from the document, rendered, rewritten between its markers;
what the scenarios write into it (observed.py); the template each remote target is given
(deployable.py). No target runs here."""

from __future__ import annotations

import pytest

from tests.targets import table
from tests.targets.deployable import RECORDER_CODE, deployable, recorder_template
from tests.targets.observed import AS_DOCUMENTED, Observed
from tests.targets.scenarios import SCENARIOS, Scenario
from tests.targets.targets import TARGETS


async def _nothing(*_: object) -> None:
    return None


TWO = (
    Scenario("first", "it does one thing", "Page one, https://example.com/1", _nothing),
    Scenario("second", "it | pipes", "Page two", _nothing),
)
DOCUMENT = f"# Doc\n\nbefore\n\n{table.BEGIN}\nold\n{table.END}\n\nafter\n"


def test_a_rendered_table_reads_back_cell_by_cell() -> None:
    cells = {"first": {"serve": AS_DOCUMENTED, "ministack": "close code: None (AWS: 1003)"}}
    document = f"{table.BEGIN}\n{table.render(TWO, cells)}\n{table.END}"
    read = table.read_cells(document)
    assert read["first"] == {
        "serve": AS_DOCUMENTED,
        "ministack": "close code: None (AWS: 1003)",
        "aws": table.NOT_RUN,
    }
    assert read["second"] == dict.fromkeys(TARGETS, table.NOT_RUN)


def test_rewriting_replaces_only_the_cells_found_and_keeps_the_rest_of_the_document() -> None:
    first = table.rewrite(DOCUMENT, TWO, {"first": {"aws": "as documented"}})
    second = table.rewrite(first, TWO, {"first": {"serve": "x: 1 (AWS: 2)"}})
    assert second.startswith("# Doc\n\nbefore\n\n")
    assert second.endswith("\n\nafter\n")
    assert "old" not in second
    assert table.read_cells(second)["first"] == {
        "serve": "x: 1 (AWS: 2)",
        "ministack": table.NOT_RUN,
        "aws": "as documented",  # kept: this run did not reach AWS
    }
    assert table.rewrite(second, TWO, {}) == second


def test_a_pipe_in_a_cell_cannot_break_the_row() -> None:
    rendered = table.rewrite(DOCUMENT, TWO, {"second": {"serve": "a | b\nc"}})
    assert table.read_cells(rendered)["second"]["serve"] == "a / b c"


def test_a_document_without_the_markers_is_refused_in_one_sentence() -> None:
    with pytest.raises(table.TableError, match="has no"):
        table.read_cells("# no table here\n")


def test_a_row_of_the_wrong_width_is_refused() -> None:
    with pytest.raises(table.TableError, match="a row of 3 columns"):
        table.read_cells(f"{table.BEGIN}\n| `first` | a | b |\n{table.END}")


def test_every_scenario_has_a_unique_id_and_a_source_that_names_an_aws_page() -> None:
    ids = [s.id for s in SCENARIOS]
    assert len(ids) == len(set(ids))
    for scenario in SCENARIOS:
        assert "https://" in scenario.source, scenario.id


def test_observed_writes_each_difference_once_in_one_line() -> None:
    seen = Observed()
    assert seen.expect("close code", 1003, 1003)
    assert seen.summary() == AS_DOCUMENTED
    assert not seen.expect("close code", None, 1009)
    seen.expect("close code", None, 1009)
    assert not seen.expect_true("header X-Amzn-Trace-Id", False, "missing")
    seen.expect("body", "a|b\n" + "x" * 200, "")
    summary = seen.summary()
    assert summary.startswith(
        "close code: None (AWS: 1009); header X-Amzn-Trace-Id: missing; body: 'a/b\\nx"
    )
    assert "\n" not in summary
    assert "|" not in summary
    assert len(summary) < 200


def test_a_remote_target_gets_the_recorders_code_inline_and_loses_what_it_cannot_make() -> None:
    template = recorder_template(("AWS::ApiGatewayV2::RouteResponse",))
    recorder = template["Resources"]["Recorder"]["Properties"]
    assert recorder["Code"] == {"ZipFile": RECORDER_CODE.read_text()}
    assert recorder["Handler"] == "index.handler"
    assert "JoinResponse" not in template["Resources"]
    assert "JoinRoute" in template["Resources"]
    assert "JoinResponse" in recorder_template()["Resources"]


def test_making_a_template_deployable_leaves_the_original_alone() -> None:
    original = {
        "Resources": {
            "Recorder": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "m.f"}}
        }
    }
    deployable(original, "code")
    assert original["Resources"]["Recorder"]["Properties"] == {"Handler": "m.f"}
