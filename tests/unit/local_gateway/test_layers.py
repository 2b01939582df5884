"""A function's layers: a LayerVersion of the template with local content is on its
sys.path where Lambda extracts layers ("/opt/python/lib/python3.x/site-packages" and
"/opt/python", "Packaging your layer content",
https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html), SAM's global layers
first; a layer that is not local code (an ARN) is named in the log."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from local_gateway.functions.runner import FunctionRunner, RunnerConfig
from local_gateway.template.model import read_api

TEMPLATE = {
    "Transform": "AWS::Serverless-2016-10-31",
    "Globals": {"Function": {"Layers": [{"Ref": "Shared"}], "Runtime": "python3.13"}},
    "Resources": {
        "Api": {
            "Type": "AWS::ApiGatewayV2::Api",
            "Properties": {"Name": "l", "ProtocolType": "WEBSOCKET"},
        },
        "Shared": {
            "Type": "AWS::Serverless::LayerVersion",
            "Properties": {"ContentUri": "shared/"},
        },
        "Deps": {"Type": "AWS::Serverless::LayerVersion", "Properties": {"ContentUri": "deps/"}},
        "Fn": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Handler": "app.handler",
                "CodeUri": "fn/",
                "Layers": [
                    {"Ref": "Deps"},
                    "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3:1",
                ],
            },
        },
    },
}


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


async def test_layers_are_importable_in_lambdas_order(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    write(tmp_path / "shared" / "python" / "shared_lib.py", "WHO = 'shared'\n")
    site = tmp_path / "deps" / "python" / "lib" / "python3.13" / "site-packages"
    write(site / "deps_lib.py", "WHO = 'deps'\n")
    write(
        tmp_path / "fn" / "app.py",
        "import deps_lib, shared_lib\n"
        "def handler(e, c):\n    return [shared_lib.WHO, deps_lib.WHO]\n",
    )
    (tmp_path / "template.json").write_text(json.dumps(TEMPLATE))
    api = read_api(tmp_path / "template.json")
    spec = api.functions["Fn"]
    assert spec.layers == ((tmp_path / "shared").resolve(), (tmp_path / "deps").resolve())
    assert len(spec.layers_not_local) == 1
    runner = FunctionRunner(api.functions, None, RunnerConfig(state_dir=tmp_path / "state"))
    try:
        assert (await runner.invoke(spec, {})).result == ["shared", "deps"]
    finally:
        await runner.shutdown()
    assert "AWSLambdaPowertoolsPythonV3:1 is not local code" in caplog.text
