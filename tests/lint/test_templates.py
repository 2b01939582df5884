"""The external checkers over both templates: cfn-lint, and checkov (in its own venv,
`make checkov`). They take seconds each, so they are `make test`'s, not `make test-fast`'s:
the unit tier reads the templates itself."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from local_gateway import load_template
from serverless_chat.deploy.standalone import dump_template, standalone_template
from tests.conftest import ROOT, TEMPLATE
from tests.targets.deployable import recorder_template

CFN_LINT = Path(sys.executable).parent / "cfn-lint"
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"


@pytest.fixture(scope="module")
def standalone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The console's one-file template (`serverless-chat template --standalone`)."""
    path = tmp_path_factory.mktemp("standalone") / "chat-stack.yaml"
    path.write_text(dump_template(standalone_template(load_template(TEMPLATE))))
    return path


@pytest.fixture(scope="module")
def recorder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/targets' deployed-stage template, as that target creates the stack."""
    path = tmp_path_factory.mktemp("recorder") / "recorder.json"
    path.write_text(json.dumps(recorder_template()))
    return path


@pytest.fixture(scope="module")
def cfn_lint_findings(standalone: Path, recorder: Path) -> dict[str, list[dict[str, Any]]]:
    """cfn-lint's findings for each template this module lints, by path: one run over all of
    them, as its command line takes several (its start, reading CloudFormation's resource
    specification, is most of its time). A run that ends non-zero without a finding has
    failed, and says so."""
    paths = [str(TEMPLATE), str(standalone), str(recorder)]
    result = subprocess.run(
        [str(CFN_LINT), "--format", "json", *paths], capture_output=True, text=True, timeout=600
    )
    try:
        matches: list[dict[str, Any]] = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"cfn-lint printed no report (exit {result.returncode}): {result.stderr}")
    assert matches or result.returncode == 0, result.stdout + result.stderr
    unnamed = {m["Filename"] for m in matches} - set(paths)  # none left out of the verdicts
    assert not unnamed, unnamed
    return {path: [m for m in matches if m["Filename"] == path] for path in paths}


@pytest.fixture(params=["packaged", "standalone"])
def template_path(request: pytest.FixtureRequest, standalone: Path) -> Path:
    return TEMPLATE if request.param == "packaged" else standalone


def test_cfn_lint_is_clean(
    template_path: Path, cfn_lint_findings: dict[str, list[dict[str, Any]]]
) -> None:
    assert cfn_lint_findings[str(template_path)] == []


@pytest.mark.skipif(not CHECKOV.exists(), reason="no checkov venv: `make checkov` builds it")
def test_checkov_finds_nothing_and_every_skip_has_a_reason(template_path: Path) -> None:
    result = subprocess.run(
        [str(CHECKOV), "-f", str(template_path), "--skip-download", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    report: dict[str, Any] = json.loads(result.stdout)
    summary = report["summary"]
    assert summary["failed"] == 0, [c["check_id"] for c in report["results"]["failed_checks"]]
    assert summary["passed"] > 100
    for skipped in report["results"]["skipped_checks"]:
        assert len(skipped["check_result"].get("suppress_comment", "")) > 30, skipped["check_id"]


def test_the_recorder_as_a_deployed_stage_gets_it_is_cfn_lint_clean(
    recorder: Path, cfn_lint_findings: dict[str, list[dict[str, Any]]]
) -> None:
    """tests/targets' deployed-stage target creates this stack (not run here: no AWS
    credentials); cfn-lint checks it against CloudFormation's resource specification, the
    nearest this machine comes to a deploy."""
    assert cfn_lint_findings[str(recorder)] == []
