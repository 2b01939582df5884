"""Containers as Lambda runs them: forked from a warm parent of their Python version, each
with its own environment set before its import, frozen between invocations, on the
runtime's version of Python.

Sources: "Understanding the Lambda execution environment lifecycle" (Lambda Developer Guide,
https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html: after an
invocation "Lambda freezes the execution environment"; background processes or callbacks
that did not complete resume only if the environment is reused); "Defined runtime
environment variables" (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html);
"Lambda runtimes" (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html:
supported and deprecated runtimes, "Block function create")."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from local_gateway.functions.isolated.containers import FunctionContainers
from local_gateway.functions.isolated.forking import ForkServer, FreshInterpreter, Launcher
from local_gateway.functions.isolated.interpreters import find_interpreter, retired_runtime_message
from local_gateway.functions.isolated.runtime import prepare_runtime_dir
from local_gateway.functions.runner import FunctionRunner, RunnerConfig, check_runnable
from local_gateway.template.model import FunctionSpec

FUNCTIONS = """
import os
import sys
import threading
import time

PRELOADED = "boto3" in sys.modules  # before this module imports anything of boto3


def environment(event, context):
    return {"environ": dict(os.environ), "preloaded": PRELOADED}


def version(event, context):
    return list(sys.version_info[:2])


def leave_a_thread(event, context):
    if "wait_for" in event:
        # keeps the container thawed until the earlier invocation's thread has written
        deadline = time.monotonic() + 30
        while not os.path.exists(event["wait_for"]) and time.monotonic() < deadline:
            time.sleep(0.05)
        return "waited"

    def later():
        time.sleep(event["delay"])
        partial = event["path"] + ".partial"
        with open(partial, "w") as record:
            record.write("ran")
        os.replace(partial, event["path"])

    threading.Thread(target=later, daemon=True).start()
    return "returned"


def noop(event, context):
    return "ok"


def own_boto3(event, context):
    import boto3

    return boto3.__file__


def botocore_settings(event, context):
    import boto3

    callbacks = boto3.client(
        "apigatewaymanagementapi", endpoint_url="https://abc.execute-api.eu-west-1.amazonaws.com/p"
    )
    dynamodb = boto3.client("dynamodb")
    again = boto3.session.Session().client("dynamodb")  # a second session: parsed again
    credentials = boto3.session.Session().get_credentials()
    model = dynamodb.meta.service_model._service_description
    services = boto3.session.Session().get_available_services()
    return {
        "services": len(services),
        "made_up_service": "madeup" in services,
        "region": dynamodb.meta.region_name,
        "dynamodb_endpoint": dynamodb.meta.endpoint_url,
        "access_key": credentials.access_key,
        "retries": dynamodb.meta.config.retries,
        "callback_model": callbacks.meta.service_model.metadata.get("serviceFullName"),
        "callback_region": callbacks.meta.region_name,
        "models_equal": model == again.meta.service_model._service_description,
        "models_shared": model is again.meta.service_model._service_description,
    }
"""


def spec(code: Path, handler: str, runtime: str = "python3.13", **changes: Any) -> FunctionSpec:
    values: dict[str, Any] = {
        "logical_id": "Fn",
        "name": "fn",
        "handler": f"functions.{handler}",
        "code_dir": code,
        "runtime": runtime,
        "environment": {},
        "timeout": 5.0,
    }
    values.update(changes)
    return FunctionSpec(**values)


@pytest.fixture
def code(tmp_path: Path) -> Path:
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "functions.py").write_text(FUNCTIONS)
    return folder


@pytest.fixture
async def fork_server(tmp_path: Path) -> AsyncIterator[ForkServer]:
    runtime = prepare_runtime_dir(tmp_path / "runtime")
    server = ForkServer(Path(sys.executable), tmp_path / "pycache", runtime)
    yield server
    await server.stop()


ENVIRONMENT = {"AWS_REGION": "eu-west-1", "GREETING": "hello", "TZ": ":UTC", "PATH": "/bin"}


def containers(
    function: FunctionSpec, launcher: Launcher, runtime: Path, env: Mapping[str, str]
) -> FunctionContainers:
    return FunctionContainers(function, lambda: dict(env), [str(runtime)], launcher, 2)


async def test_the_childs_environment_is_exactly_the_functions(
    code: Path, fork_server: ForkServer, tmp_path: Path
) -> None:
    """Nothing of the fork server's environment (nor the gateway's) reaches the function:
    os.environ is the function's, plus the trace id the runtime sets per invocation."""
    os.environ["GATEWAY_ONLY_SECRET"] = "must not leak"
    try:
        pool = containers(spec(code, "environment"), fork_server, tmp_path / "runtime", ENVIRONMENT)
        outcome = await pool.invoke({}, "request-1", "Root=1-abc")
    finally:
        del os.environ["GATEWAY_ONLY_SECRET"]
        await pool.stop()
    assert outcome.error is None, outcome.error
    assert outcome.result["environ"] == {**ENVIRONMENT, "_X_AMZN_TRACE_ID": "Root=1-abc"}


async def test_a_module_the_parent_imported_is_not_imported_again(
    code: Path, fork_server: ForkServer, tmp_path: Path
) -> None:
    """The fork server imported boto3 before it forked: the function finds it imported (a
    fresh interpreter, the baseline, does not)."""
    runtime = tmp_path / "runtime"
    forked = containers(spec(code, "environment"), fork_server, runtime, ENVIRONMENT)
    fresh = containers(
        spec(code, "environment"),
        FreshInterpreter(Path(sys.executable), tmp_path / "pycache"),
        runtime,
        ENVIRONMENT,
    )
    try:
        from_fork = await forked.invoke({}, "r1", "t")
        from_fresh = await fresh.invoke({}, "r2", "t")
    finally:
        await asyncio.gather(forked.stop(), fresh.stop())
    assert "boto3" in fork_server.preloaded
    assert from_fork.result["preloaded"] is True
    assert from_fresh.result["preloaded"] is False


async def test_a_function_that_carries_its_own_boto3_imports_its_own(
    code: Path, fork_server: ForkServer, tmp_path: Path
) -> None:
    """Lambda puts the function's code before the runtime's packages on sys.path: a boto3
    in the deployment package wins over the preloaded one."""
    (code / "boto3").mkdir()
    (code / "boto3" / "__init__.py").write_text("OWN = True\n")
    pool = containers(spec(code, "own_boto3"), fork_server, tmp_path / "runtime", ENVIRONMENT)
    try:
        outcome = await pool.invoke({}, "r1", "t")
    finally:
        await pool.stop()
    assert outcome.result == str(code / "boto3" / "__init__.py")


async def test_a_thread_left_running_is_frozen_until_the_next_invocation(
    code: Path, fork_server: ForkServer, tmp_path: Path
) -> None:
    """After the invocation Lambda freezes the environment: a thread the handler left
    running (a post it did not wait for) does not run while the container is idle, and
    runs on when the next invocation thaws it."""
    record = tmp_path / "record"
    pool = containers(spec(code, "leave_a_thread"), fork_server, tmp_path / "runtime", ENVIRONMENT)
    try:
        first = await pool.invoke({"delay": 0.3, "path": str(record)}, "r1", "t")
        assert first.result == "returned"
        await asyncio.sleep(1.5)
        assert not record.exists(), "the thread ran while its container was frozen"
        second = await pool.invoke({"wait_for": str(record)}, "r2", "t")
        assert second.result == "waited"
        assert record.read_text() == "ran"
    finally:
        await pool.stop()


async def test_a_frozen_container_is_stopped_for_good(
    code: Path, fork_server: ForkServer, tmp_path: Path
) -> None:
    """Stopping (shutdown, --watch, a timeout) ends a frozen container too."""
    pool = containers(spec(code, "noop"), fork_server, tmp_path / "runtime", ENVIRONMENT)
    await pool.invoke({}, "r1", "t")
    assert len(pool._idle) == 1
    process = pool._idle[0]._process
    assert pool._idle[0].frozen
    await asyncio.wait_for(pool.stop(), 5)
    assert process.returncode is not None
    with pytest.raises(ProcessLookupError):
        os.kill(process.pid, 0)


async def test_a_python312_function_runs_on_python312(code: Path, tmp_path: Path) -> None:
    """Lambda runs a python3.12 function on Python 3.12."""
    if find_interpreter("python3.12") is None:
        pytest.skip("no python3.12 on this machine")
    function = spec(code, "version", runtime="python3.12")
    runner = FunctionRunner({"Fn": function}, None, RunnerConfig(state_dir=tmp_path))
    try:
        outcome = await runner.invoke(function, {})
    finally:
        await runner.shutdown()
    assert outcome.result == [3, 12]
    assert runner.interpreters["python3.12"].version == (3, 12)


@pytest.mark.parametrize("runtime", ["python2.7", "python3.6", "python3.7", "python3.8"])
def test_a_runtime_lambda_no_longer_creates_is_refused(code: Path, runtime: str) -> None:
    """In the words CreateFunction answers with (InvalidParameterValueException)."""
    from local_gateway.functions.runner import FunctionLoadError

    with pytest.raises(FunctionLoadError) as refused:
        check_runnable(spec(code, "noop", runtime=runtime))
    assert str(refused.value) == (
        f"Fn: The runtime parameter of {runtime} is no longer supported for creating or"
        " updating AWS Lambda functions. We recommend you use a supported runtime while"
        " creating or updating functions."
    )
    assert retired_runtime_message("python3.13") is None


def test_no_interpreter_of_the_version_means_none(tmp_path: Path) -> None:
    assert find_interpreter("python3.99", path=str(tmp_path), pyenv_root=tmp_path) is None
    assert json.dumps(find_interpreter("nodejs20.x")) == "null"


async def test_botocore_settings_that_depend_on_the_environment_are_the_childs(
    code: Path, fork_server: ForkServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fork server parses botocore's data files ahead, but what a client is built from
    is resolved in the child, from the function's environment, as in a fresh interpreter:
    AWS_REGION (and AWS_DEFAULT_REGION, which botocore reads), the credentials,
    AWS_ENDPOINT_URL_<SERVICE>, AWS_CONFIG_FILE, the model and the services AWS_DATA_PATH
    adds; and each session's model is an object of its own. (Lambda
    sets a function's environment before its code runs: "Defined runtime environment
    variables", https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html;
    the SDK reads its settings from it: "Service-specific endpoints" and "Config file
    settings", AWS SDKs and Tools Reference Guide,
    https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html,
    https://docs.aws.amazon.com/sdkref/latest/guide/file-format.html.)"""
    import botocore.loaders

    for name, value in (
        ("AWS_REGION", "ap-south-1"),
        ("AWS_DEFAULT_REGION", "ap-south-1"),
        ("AWS_ACCESS_KEY_ID", "gateway-key"),
        ("AWS_SECRET_ACCESS_KEY", "gateway-secret"),
        ("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:9/gateway"),
    ):
        monkeypatch.setenv(name, value)  # the gateway's: none of it may reach the function
    config = tmp_path / "config"
    config.write_text("[default]\nretry_mode = standard\nmax_attempts = 7\n")
    models = tmp_path / "models"
    model = botocore.loaders.Loader().load_service_model("apigatewaymanagementapi", "service-2")
    model["metadata"]["serviceFullName"] = "the function's own model"
    version = models / "apigatewaymanagementapi" / model["metadata"]["apiVersion"]
    version.mkdir(parents=True)
    (version / "service-2.json").write_text(json.dumps(model))
    made_up = models / "madeup" / "2020-01-01"  # a service the child's AWS_DATA_PATH adds
    made_up.mkdir(parents=True)
    (made_up / "service-2.json").write_text(json.dumps(model))
    env = {
        **ENVIRONMENT,  # AWS_REGION eu-west-1, and AWS_DEFAULT_REGION, as Lambda sets both
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "function-key",
        "AWS_SECRET_ACCESS_KEY": "function-secret",
        "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:9/function",
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_DATA_PATH": str(models),
    }
    runtime = tmp_path / "runtime"
    function = spec(code, "botocore_settings")
    fresh_launcher = FreshInterpreter(Path(sys.executable), tmp_path / "pycache")
    forked, fresh = (
        containers(function, launcher, runtime, env) for launcher in (fork_server, fresh_launcher)
    )
    try:
        from_fork = await forked.invoke({}, "r1", "t")
        from_fresh = await fresh.invoke({}, "r2", "t")
    finally:
        await asyncio.gather(forked.stop(), fresh.stop())
    assert from_fork.error is None, from_fork.error
    assert "dynamodb/2012-08-10/service-2" in fork_server.shared_data
    assert from_fork.result == from_fresh.result
    services = len(botocore.loaders.Loader().list_available_services("service-2"))
    assert from_fork.result == {
        "services": services + 1,
        "made_up_service": True,
        "region": "eu-west-1",
        "dynamodb_endpoint": "http://127.0.0.1:9/function",
        "access_key": "function-key",
        "retries": {"mode": "standard", "total_max_attempts": 7},
        "callback_model": "the function's own model",
        "callback_region": "eu-west-1",
        "models_equal": True,
        "models_shared": False,
    }


async def test_a_child_that_exits_at_once_is_still_handed_to_its_launcher(
    fork_server: ForkServer, tmp_path: Path
) -> None:
    """A container whose process ends before its launcher has read its pid (a function
    that fails at once, started many at a time) is handed over with its exit status, not
    lost: the fork server's exit report can arrive before the launcher resumes."""
    args = ["functions.noop", str(tmp_path), "not json", "arn:aws:lambda:eu-west-1:1:function:f"]
    processes = await asyncio.gather(*(fork_server(args, ENVIRONMENT, 2**16) for _ in range(20)))
    statuses = await asyncio.wait_for(asyncio.gather(*(p.wait() for p in processes)), 30)
    assert all(status != 0 for status in statuses)
