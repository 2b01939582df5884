from pathlib import Path

import pytest

from serverless_chat.gateway.functions import FunctionLoadError, FunctionRunner, load_handler
from serverless_chat.gateway.template import FunctionSpec
from tests.conftest import FIXTURES

CODE = FIXTURES / "behaviours" / "functions"


def _spec(**changes: object) -> FunctionSpec:
    values: dict[str, object] = {
        "logical_id": "Fn",
        "name": "fn",
        "handler": "behaviour_functions.echo",
        "code_dir": CODE,
        "runtime": "python3.13",
        "environment": {},
        "timeout": 1.0,
    }
    values.update(changes)
    return FunctionSpec(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"runtime": "nodejs20.x"}, "is not Python"),
        ({"code_dir": None}, "not a local folder"),
        ({"code_dir": Path("/nonexistent")}, "not a local folder"),
        ({"handler": "nodot"}, "not module.function"),
        ({"handler": "no_such_module.handler"}, "cannot import"),
        ({"handler": "behaviour_functions.missing"}, "is not a callable"),
    ],
)
def test_load_errors_are_clear(changes: dict[str, object], message: str) -> None:
    with pytest.raises(FunctionLoadError, match=message):
        load_handler(_spec(**changes), None)


async def test_invoking_an_unloadable_function_is_an_error_not_a_crash() -> None:
    spec = _spec(runtime="java21")
    runner = FunctionRunner({"Fn": spec})
    outcome = await runner.invoke(spec, {})
    assert not outcome.ok
    assert "not Python" in str(outcome.error)
    runner.shutdown()


async def test_result_status_and_body() -> None:
    spec = _spec()
    runner = FunctionRunner({"Fn": spec})
    outcome = await runner.invoke(spec, {"body": "hi"})
    assert outcome.ok
    assert outcome.status_code == 200
    assert outcome.body == "hi"
    assert outcome.duration_ms > 0
    runner.shutdown()


async def test_timeout(caplog: pytest.LogCaptureFixture) -> None:
    spec = _spec(handler="behaviour_functions.slow", timeout=0.2)
    runner = FunctionRunner({"Fn": spec})
    outcome = await runner.invoke(spec, {})
    assert outcome.timed_out
    assert "Task timed out after 0.20 seconds" in caplog.text
    runner.shutdown()
