"""Functions run as Lambda runs them: each isolated in containers of its own, with its own
environment set before its import and its own modules; an init error answers every
invocation; a timeout stops the container. Sources: "Using Lambda environment variables"
(defined runtime environment variables,
https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html); "Lambda execution
environment" ("If the Lambda function crashes or times out during the Invoke phase, Lambda
resets the execution environment"); the Python runtime's error types
(aws/aws-lambda-python-runtime-interface-client, awslambdaric/bootstrap.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from local_gateway.functions.runner import FunctionRunner, RunnerConfig
from local_gateway.template.model import FunctionSpec
from tests.conftest import FIXTURES

CODE = FIXTURES / "behaviours" / "functions"


def spec(**changes: Any) -> FunctionSpec:
    values: dict[str, Any] = {
        "logical_id": "Fn",
        "name": "fn",
        "handler": "behaviour_functions.echo",
        "code_dir": CODE,
        "runtime": "python3.13",
        "environment": {},
        "timeout": 5.0,
    }
    values.update(changes)
    return FunctionSpec(**values)


@pytest.fixture
async def runner_for(tmp_path: Path) -> AsyncIterator[Any]:
    runners: list[FunctionRunner] = []

    def make(*specs: FunctionSpec, app: Any = None, **config: Any) -> FunctionRunner:
        runner = FunctionRunner(
            {s.logical_id: s for s in specs}, app, RunnerConfig(state_dir=tmp_path, **config)
        )
        runners.append(runner)
        return runner

    yield make
    for runner in runners:
        await runner.shutdown()


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"runtime": "nodejs20.x"}, "is not Python"),
        ({"code_dir": None}, "not a local folder"),
        ({"code_dir": Path("/nonexistent")}, "not a local folder"),
    ],
)
async def test_a_function_that_cannot_run_here_says_why(
    runner_for: Any, changes: dict[str, Any], message: str
) -> None:
    runner = runner_for(spec(**changes))
    assert message in runner.load_errors["Fn"]
    outcome = await runner.invoke(spec(**changes), {})
    assert not outcome.ok
    assert message in str(outcome.error)


async def test_result_status_and_body(runner_for: Any) -> None:
    runner = runner_for(spec())
    assert runner.placement("Fn") == "isolated"
    outcome = await runner.invoke(spec(), {"body": "hi"})
    assert outcome.ok, outcome
    assert outcome.status_code == 200
    assert outcome.body == "hi"
    assert outcome.duration_ms > 0


async def test_environment_is_set_before_import_and_is_the_functions_own(
    runner_for: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_SECRET", "must not leak")
    code = write(
        tmp_path / "env",
        "envapp.py",
        "import os\nAT_IMPORT = os.environ['TABLE_NAME']\n"
        "def handler(event, context):\n"
        "    return {'at_import': AT_IMPORT, 'env': dict(os.environ)}\n",
    )
    first = spec(
        logical_id="First",
        name="first-fn",
        handler="envapp.handler",
        code_dir=code,
        environment={"TABLE_NAME": "first-table", "ONLY_FIRST": "1"},
        memory_mb=256,
    )
    second = spec(
        logical_id="Second",
        name="second-fn",
        handler="envapp.handler",
        code_dir=code,
        environment={"TABLE_NAME": "second-table"},
    )
    runner = runner_for(first, second, region="eu-west-1")
    one, two = await asyncio.gather(runner.invoke(first, {}), runner.invoke(second, {}))
    assert one.result["at_import"] == "first-table"
    assert two.result["at_import"] == "second-table"
    env_one, env_two = one.result["env"], two.result["env"]
    assert "ONLY_FIRST" not in env_two
    assert "GATEWAY_SECRET" not in env_one
    assert env_one["AWS_LAMBDA_FUNCTION_NAME"] == "first-fn"
    assert env_one["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env_one["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env_one["AWS_REGION"] == env_one["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env_one["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.13"
    assert env_one["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/first-fn"
    assert env_one["AWS_LAMBDA_LOG_STREAM_NAME"].count("/[$LATEST]") == 1
    assert env_one["_HANDLER"] == "envapp.handler"
    assert env_one["LAMBDA_TASK_ROOT"] == str(code)
    assert env_one["TZ"] == ":UTC"
    assert env_one["LANG"] == "en_US.UTF-8"
    assert env_one["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        assert env_one[key]
    assert "_X_AMZN_TRACE_ID" in env_one


async def test_same_named_modules_in_two_folders_each_run_their_own(
    runner_for: Any, tmp_path: Path
) -> None:
    """The SAM layout: src/<function>/app.py, Handler app.lambda_handler in every folder."""
    specs = []
    for name in ("connect", "send"):
        folder = write(
            tmp_path / "src" / name,
            "app.py",
            f"def lambda_handler(event, context):\n    return {name!r}\n",
        )
        specs.append(
            spec(logical_id=name, name=name, handler="app.lambda_handler", code_dir=folder)
        )
    runner = runner_for(*specs)
    assert [(await runner.invoke(s, {})).result for s in specs] == ["connect", "send"]


async def test_only_the_runtimes_packages_are_importable(runner_for: Any, tmp_path: Path) -> None:
    """boto3 is there, as on Lambda; what the gateway itself runs on is not."""
    code = write(
        tmp_path / "imports",
        "imports.py",
        "import importlib\n"
        "def handler(event, context):\n"
        "    found = {}\n"
        "    for name in event['modules']:\n"
        "        try:\n"
        "            importlib.import_module(name)\n"
        "            found[name] = True\n"
        "        except ImportError:\n"
        "            found[name] = False\n"
        "    return found\n",
    )
    fn = spec(handler="imports.handler", code_dir=code)
    outcome = await runner_for(fn).invoke(
        fn, {"modules": ["boto3", "botocore", "json", "aiohttp", "yaml", "serverless_chat"]}
    )
    assert outcome.result == {
        "boto3": True,
        "botocore": True,
        "json": True,
        "aiohttp": False,
        "yaml": False,
        "serverless_chat": False,
    }


async def test_boto3_is_there_with_a_relative_state_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """serve's default state dir is relative (.serverless-chat) and a container works in its
    code folder, as Lambda in /var/task: the runtime's packages are still found."""
    code = write(
        tmp_path / "code",
        "uses_boto3.py",
        "def handler(event, context):\n    import boto3\n    return boto3.__name__\n",
    )
    monkeypatch.chdir(tmp_path)
    fn = spec(handler="uses_boto3.handler", code_dir=code)
    runner = FunctionRunner({fn.logical_id: fn}, None, RunnerConfig(state_dir=Path("state")))
    try:
        outcome = await runner.invoke(fn, {})
    finally:
        await runner.shutdown()
    assert outcome.result == "boto3", outcome.error


async def test_the_context_is_lambdas(runner_for: Any, tmp_path: Path) -> None:
    """The context object's fields ("Using the Lambda context object to retrieve Python
    function information"): the ARN carries the region and the gateway's AWS::AccountId."""
    code = write(
        tmp_path / "ctx",
        "ctx.py",
        "def handler(event, context):\n"
        "    return [context.invoked_function_arn, context.function_name,"
        " context.memory_limit_in_mb, context.aws_request_id != '']\n",
    )
    fn = spec(handler="ctx.handler", code_dir=code, name="chat-send")
    outcome = await runner_for(fn, region="eu-west-1").invoke(fn, {})
    assert outcome.result == [
        "arn:aws:lambda:eu-west-1:123456789012:function:chat-send",
        "chat-send",
        "128",
        True,
    ], outcome.error


async def test_an_import_error_answers_every_invocation(
    runner_for: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    code = write(tmp_path / "broken", "broken.py", "import requests_that_do_not_exist\n")
    fn = spec(handler="broken.handler", code_dir=code)
    runner = runner_for(fn)
    for _ in range(2):
        outcome = await runner.invoke(fn, {})
        assert outcome.error_type == "Runtime.ImportModuleError"
        assert outcome.error == (
            "Unable to import module 'broken': No module named 'requests_that_do_not_exist'"
        )
    assert "[ERROR] Runtime.ImportModuleError: Unable to import module 'broken'" in caplog.text


@pytest.mark.parametrize(
    ("source", "handler", "error_type"),
    [
        ("def handler(:\n", "bad.handler", "Runtime.UserCodeSyntaxError"),
        ("x = 1\n", "bad.missing", "Runtime.HandlerNotFound"),
        ("raise KeyError('config')\n", "bad.handler", "KeyError"),
        ("", "nodot", "Runtime.MalformedHandlerName"),
    ],
)
async def test_init_errors_have_the_python_runtimes_types(
    runner_for: Any, tmp_path: Path, source: str, handler: str, error_type: str
) -> None:
    code = write(tmp_path / "bad", "bad.py", source)
    fn = spec(handler=handler, code_dir=code)
    outcome = await runner_for(fn).invoke(fn, {})
    assert outcome.error_type == error_type


async def test_a_function_error_is_lambdas_error_body(runner_for: Any) -> None:
    fn = spec(handler="behaviour_functions.crash")
    outcome = await runner_for(fn).invoke(fn, {})
    body = outcome.error_body
    assert body["errorType"] == "ValueError"
    assert body["requestId"] == outcome.request_id
    assert any("behaviour_functions.py" in line for line in body["stackTrace"])


async def test_an_answer_that_is_not_json_is_a_marshal_error(
    runner_for: Any, tmp_path: Path
) -> None:
    code = write(tmp_path / "m", "m.py", "def handler(event, context):\n    return object()\n")
    fn = spec(handler="m.handler", code_dir=code)
    outcome = await runner_for(fn).invoke(fn, {})
    assert outcome.error_type == "Runtime.MarshalError"
    assert outcome.error is not None
    assert outcome.error.startswith("Unable to marshal response:")


async def test_a_timeout_stops_the_container_and_the_next_invocation_starts_cold(
    runner_for: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    code = write(
        tmp_path / "slow",
        "slow.py",
        "import time\nCOUNT = []\n"
        "def handler(event, context):\n"
        "    COUNT.append(1)\n"
        "    if event.get('sleep'):\n"
        "        time.sleep(event['sleep'])\n"
        "    return len(COUNT)\n",
    )
    caplog.set_level(logging.INFO)
    fn = spec(handler="slow.handler", code_dir=code, timeout=0.5)
    runner = runner_for(fn)
    assert (await runner.invoke(fn, {})).result == 1
    assert (await runner.invoke(fn, {})).result == 2  # warm: the same container
    outcome = await runner.invoke(fn, {"sleep": 5})
    assert outcome.timed_out
    assert outcome.error == "Task timed out after 0.50 seconds"
    assert "Task timed out after 0.50 seconds" in caplog.text
    assert "Status: timeout" in caplog.text
    assert (await runner.invoke(fn, {})).result == 1  # a new container: init ran again


async def test_concurrent_invocations_get_containers_of_their_own(
    runner_for: Any, tmp_path: Path
) -> None:
    code = write(
        tmp_path / "c",
        "c.py",
        "import os, time\n"
        "def handler(event, context):\n"
        "    time.sleep(0.3)\n"
        "    return os.getpid()\n",
    )
    fn = spec(handler="c.handler", code_dir=code)
    runner = runner_for(fn)
    outcomes = await asyncio.gather(*(runner.invoke(fn, {}) for _ in range(3)))
    assert len({o.result for o in outcomes}) == 3


async def test_a_container_that_exits_answers_an_exit_error(
    runner_for: Any, tmp_path: Path
) -> None:
    code = write(tmp_path / "x", "x.py", "import os\ndef handler(e, c):\n    os._exit(3)\n")
    fn = spec(handler="x.handler", code_dir=code)
    outcome = await runner_for(fn).invoke(fn, {})
    assert outcome.error_type == "Runtime.ExitError"
    assert outcome.error == "Runtime exited with error: exit status 3"


async def test_what_a_function_prints_is_logged_under_its_name(
    runner_for: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    code = write(
        tmp_path / "p",
        "p.py",
        "import logging\nlogging.getLogger().setLevel(logging.INFO)\n"
        "def handler(e, c):\n    print('hello from p')\n    logging.info('logged')\n",
    )
    fn = spec(handler="p.handler", code_dir=code, name="printer")
    await runner_for(fn).invoke(fn, {})
    for _ in range(50):
        if "logged" in caplog.text:
            break
        await asyncio.sleep(0.05)
    assert "[printer] hello from p" in caplog.text
    assert "[INFO]" in caplog.text
    assert "logged" in caplog.text
    assert "Init Duration:" in caplog.text


async def test_a_hooks_handler_runs_in_process(runner_for: Any) -> None:
    class App:
        def handler(self, function: FunctionSpec) -> Any:
            if function.logical_id == "Mine":
                return lambda event, context: {"statusCode": 200, "body": context.function_name}
            return None

        def web_routes(self) -> list[Any]:
            return []

        def close(self) -> None:
            pass

    mine, other = spec(logical_id="Mine", name="mine"), spec(logical_id="Other")
    runner = runner_for(mine, other, app=App())
    assert runner.placement("Mine") == "in-process"
    assert runner.placement("Other") == "isolated"
    assert (await runner.invoke(mine, {})).body == "mine"
    assert (await runner.invoke(other, {"body": "x"})).body == "x"


async def test_an_in_process_timeout(runner_for: Any, caplog: pytest.LogCaptureFixture) -> None:
    import time

    class App:
        def handler(self, function: FunctionSpec) -> Any:
            return lambda event, context: time.sleep(1)

        def web_routes(self) -> list[Any]:
            return []

        def close(self) -> None:
            pass

    fn = spec(timeout=0.2)
    outcome = await runner_for(fn, app=App()).invoke(fn, {})
    assert outcome.timed_out
    assert "Task timed out after 0.20 seconds" in caplog.text


class _Gate:
    """An in-process app whose handler waits until the test opens the gate."""

    def __init__(self) -> None:
        import threading

        self.gate = threading.Event()

    def handler(self, function: FunctionSpec) -> Any:
        return lambda event, context: self.gate.wait(30) and {"statusCode": 200}

    def web_routes(self) -> list[Any]:
        return []

    def close(self) -> None:
        self.gate.set()


async def test_over_its_reserved_concurrency_an_invocation_is_throttled_not_queued(
    runner_for: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Lambda throttles an invocation over the function's reserved concurrency with 429
    TooManyRequestsException ("Configuring reserved concurrency for a function",
    https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html; "Understanding
    Lambda function scaling": requests over concurrency are throttled)."""
    app = _Gate()
    fn = spec(reserved_concurrency=1)
    runner = runner_for(fn, app=app)
    first = asyncio.ensure_future(runner.invoke(fn, {}))
    deadline = asyncio.get_running_loop().time() + 30
    while runner.concurrency.running("Fn") == 0:  # the first one has started
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.01)
    second = await runner.invoke(fn, {})
    assert second.throttled
    assert second.error_type == "TooManyRequestsException"
    assert "fn throttled: 429 TooManyRequestsException" in caplog.text
    app.gate.set()
    assert (await first).ok
    assert (await runner.invoke(fn, {})).ok  # the slot is free again


async def test_reserved_concurrency_zero_never_runs_the_function(runner_for: Any) -> None:
    """ReservedConcurrentExecutions 0 throttles every invocation (same page: "set reserved
    concurrency to zero ... throttles all invocations")."""
    seen: list[str] = []

    class Observer:
        def invoked(self, spec: FunctionSpec, request_id: str, event: Any) -> None:
            seen.append(request_id)

        def answered(self, spec: FunctionSpec, invocation: Any) -> None:
            seen.append("answered")

    fn = spec(reserved_concurrency=0)
    runner = runner_for(fn, app=_Gate())
    runner.observers.append(Observer())
    outcome = await runner.invoke(fn, {})
    assert outcome.throttled
    assert seen == []  # no event reached the function


async def test_a_queued_event_is_tried_again_while_throttled() -> None:
    """Lambda's asynchronous queue returns a throttled event to the queue and tries it again
    ("How Lambda handles errors and retries with asynchronous invocation",
    https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html)."""
    from local_gateway.functions.async_queue import queued
    from local_gateway.functions.invocation import Invocation

    answers = [
        Invocation("a", error="Rate Exceeded.", error_type="TooManyRequestsException"),
        Invocation("b", result=1),
    ]

    async def invoke(function: FunctionSpec, event: Any) -> Invocation:
        return answers.pop(0)

    outcome = await queued(invoke, first_wait=0.01)(spec(), {})
    assert outcome.result == 1
    assert answers == []
