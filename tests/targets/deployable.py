"""tests/fixtures/recorder as CloudFormation takes it from a test: the function's code inline
(``Code.ZipFile``, which CloudFormation writes to index.py, so the handler is
index.handler: nothing to upload), less the resource types a target cannot create. Pure."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from local_gateway import load_template
from tests.conftest import FIXTURES

RECORDER = FIXTURES / "recorder" / "template.yaml"
RECORDER_CODE = FIXTURES / "recorder" / "functions" / "recorder.py"


def deployable(template: dict[str, Any], code: str, without: Iterable[str] = ()) -> dict[str, Any]:
    """``template`` with the Recorder's code inline and the resources of the types in
    ``without`` left out."""
    result = copy.deepcopy(template)
    recorder = result["Resources"]["Recorder"]["Properties"]
    recorder["Code"] = {"ZipFile": code}
    recorder["Handler"] = "index." + recorder["Handler"].rsplit(".", 1)[1]
    dropped = set(without)
    result["Resources"] = {
        name: resource
        for name, resource in result["Resources"].items()
        if resource["Type"] not in dropped
    }
    return result


def recorder_template(without: Iterable[str] = ()) -> dict[str, Any]:
    return deployable(load_template(RECORDER), Path(RECORDER_CODE).read_text(), without)
