"""SAM's Globals merge, the one both Globals.Function and Globals.WebSocketApi go through.

The rules are those of the SAM page "Globals section of the AWS SAM template", section
"Overridable properties"
(https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-template-anatomy-globals.html):
primitives are overridden by the resource, maps are merged, lists are additive with the
global entries first; samtranslator/plugins/globals/globals.py treats an intrinsic function
as a primitive.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from local_gateway.template.cfn_yaml import TemplateError
from local_gateway.template.model import read_api
from local_gateway.template.sam.sam_globals import apply_globals, merge

_API = {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"ProtocolType": "WEBSOCKET"}}


def _template(globals_: dict[str, Any], **resources: dict[str, Any]) -> dict[str, Any]:
    return {"Globals": globals_, "Resources": resources}


def _function(**props: Any) -> dict[str, Any]:
    return {"Type": "AWS::Serverless::Function", "Properties": props}


def _merged(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    result: dict[str, Any] = apply_globals(template)["Resources"][logical_id]["Properties"]
    return result


# -- the merge ---------------------------------------------------------------------------------


def test_lists_are_joined_global_entries_first() -> None:
    assert merge(["global-a", "global-b"], ["own"]) == ["global-a", "global-b", "own"]


def test_maps_are_merged_key_by_key_and_recursively() -> None:
    merged = merge(
        {"Variables": {"A": "global", "B": "global"}, "Other": 1},
        {"Variables": {"B": "own", "C": "own"}},
    )
    assert merged == {"Variables": {"A": "global", "B": "own", "C": "own"}, "Other": 1}


@pytest.mark.parametrize(
    ("global_value", "own"),
    [
        (10, 3),  # a scalar
        ({"A": "1"}, ["A"]),  # kinds that differ: the resource's own
        ({"A": "1"}, {"Fn::If": ["Cond", {"B": "2"}, {"Ref": "AWS::NoValue"}]}),  # intrinsic
        (["a"], {"Ref": "Layers"}),
    ],
    ids=["scalar", "kinds-differ", "intrinsic-map", "intrinsic-list"],
)
def test_anything_else_is_the_resources_own(global_value: Any, own: Any) -> None:
    assert merge(global_value, own) == own


def test_the_merge_leaves_both_sides_as_they_were() -> None:
    global_value = {"Variables": {"A": "1"}, "Layers": ["g"]}
    merge(global_value, {"Variables": {"B": "2"}, "Layers": ["o"]})
    assert global_value == {"Variables": {"A": "1"}, "Layers": ["g"]}


# -- Globals.Function and Globals.WebSocketApi through it -------------------------------------


def test_function_globals_layers_are_joined_global_first() -> None:
    template = _template(
        {"Function": {"Layers": ["arn:global"], "Timeout": 10}},
        Fn=_function(Layers=["arn:own"], Timeout=3),
    )
    assert _merged(template, "Fn") == {"Layers": ["arn:global", "arn:own"], "Timeout": 3}


def test_websocket_api_globals_maps_are_merged() -> None:
    template = _template(
        {"WebSocketApi": {"StageVariables": {"tier": "shared", "region": "eu"}}},
        Api={
            "Type": "AWS::Serverless::WebSocketApi",
            "Properties": {"StageVariables": {"tier": "own"}},
        },
    )
    assert _merged(template, "Api") == {"StageVariables": {"tier": "own", "region": "eu"}}


def test_a_function_without_properties_takes_the_globals_and_others_take_none() -> None:
    template = _template(
        {"Function": {"Runtime": "python3.13"}},
        Fn={"Type": "AWS::Serverless::Function"},
        Plain={"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.12"}},
    )
    assert _merged(template, "Fn") == {"Runtime": "python3.13"}
    assert _merged(template, "Plain") == {"Runtime": "python3.12"}


def test_a_section_once_merged_leaves_the_template() -> None:
    """As SAM's plugin removes Globals: merging again would join the lists twice."""
    template = _template(
        {"Function": {"Layers": ["g"]}, "Api": {"Cors": "*"}}, Fn=_function(Layers=["o"])
    )
    once = apply_globals(template)
    assert once["Globals"] == {"Api": {"Cors": "*"}}  # not a section the gateway applies
    assert apply_globals(once)["Resources"]["Fn"]["Properties"] == {"Layers": ["g", "o"]}
    assert "Globals" not in apply_globals(_template({"Function": {}}, Fn=_function()))


def test_a_section_is_only_read_where_a_resource_takes_it() -> None:
    """Globals.WebSocketApi is checked only when the template has a WebSocketApi (as
    before the merge was shared); Globals.Function's properties are not checked."""
    template = _template({"WebSocketApi": {"StageName": "prod"}}, Fn=_function())
    assert apply_globals(template)["Globals"] == {"WebSocketApi": {"StageName": "prod"}}
    template = _template({"Function": {"Anything": 1}}, Fn=_function())
    assert _merged(template, "Fn") == {"Anything": 1}


def test_a_section_that_is_not_a_map_is_refused_with_sams_words() -> None:
    with pytest.raises(TemplateError, match="Value of Function must be a dictionary"):
        apply_globals(_template({"Function": ["Runtime"]}, Fn=_function()))


def test_read_api_merges_function_globals_before_resolving(tmp_path: Path) -> None:
    """An intrinsic is a plain value to SAM's merge, so a function's own ``!If`` Variables
    replace the global ones whole, as on AWS (aws/serverless-application-model#1647,
    "Map doesn't merge when using intrinsic function in resource"; aws/aws-sam-cli#8167).
    The gateway used to resolve each side first and merge the results."""
    template = _template(
        {
            "Function": {
                "Timeout": 10,
                "Layers": ["arn:aws:lambda:us-east-1:1:layer:global:1"],
                "Environment": {"Variables": {"GLOBAL": "g", "SHARED": "g"}},
            }
        },
        Api=_API,
        Fn=_function(
            Handler="app.handler",
            Timeout=3,
            Layers=["arn:aws:lambda:us-east-1:1:layer:own:1"],
            Environment={"Variables": {"SHARED": "own"}},
        ),
        Other=_function(
            Handler="app.handler",
            Environment={"Variables": {"Fn::If": ["Yes", {"OWN": "1"}, {"OWN": "0"}]}},
        ),
    )
    template["Conditions"] = {"Yes": {"Fn::Equals": ["a", "a"]}}
    path = tmp_path / "template.yaml"
    path.write_text(yaml.safe_dump(template))
    api = read_api(path)
    function = api.functions["Fn"]
    assert function.timeout == 3
    assert function.layers_not_local == (
        "arn:aws:lambda:us-east-1:1:layer:global:1",
        "arn:aws:lambda:us-east-1:1:layer:own:1",
    )
    assert function.environment == {"GLOBAL": "g", "SHARED": "own"}
    assert api.functions["Other"].environment == {"OWN": "1"}
    assert api.functions["Other"].timeout == 10
