from typing import Any

import pytest

from local_gateway.template.cfn_yaml import TemplateError
from local_gateway.template.intrinsics import Resolver

TEMPLATE: dict[str, Any] = {
    "Parameters": {
        "Stage": {"Type": "String", "Default": "production"},
        "Mode": {"Type": "String", "Default": "A", "AllowedValues": ["A", "B"]},
    },
    "Conditions": {
        "IsA": {"Fn::Equals": [{"Ref": "Mode"}, "A"]},
        "NotA": {"Fn::Not": [{"Condition": "IsA"}]},
    },
    "Mappings": {"Sizes": {"small": {"mb": 128}}},
    "Resources": {
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "my-fn"}},
        "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
        "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {}},
    },
}


@pytest.fixture
def resolver() -> Resolver:
    return Resolver(TEMPLATE, stack_name="stack", api_ids={"Api": "localapi"})


def test_ref_of_parameters_resources_and_pseudo(resolver: Resolver) -> None:
    assert resolver.resolve({"Ref": "Stage"}) == "production"
    assert resolver.resolve({"Ref": "Fn"}) == "my-fn"
    assert resolver.resolve({"Ref": "Table"}) == "stack-Table"
    assert resolver.resolve({"Ref": "Api"}) == "localapi"
    assert resolver.resolve({"Ref": "AWS::Region"}) == "us-east-1"


def test_getatt_arn_embeds_the_name(resolver: Resolver) -> None:
    arn = resolver.resolve({"Fn::GetAtt": ["Fn", "Arn"]})
    assert arn == "arn:aws:lambda:us-east-1:123456789012:function:my-fn"


def test_sub_with_refs_attributes_variables_and_escapes(resolver: Resolver) -> None:
    value = resolver.resolve(
        {"Fn::Sub": ["${Api}/${Stage}/${Fn.Arn}/${x}/${!Literal}", {"x": {"Ref": "Table"}}]}
    )
    assert value == (
        "localapi/production/arn:aws:lambda:us-east-1:123456789012:function:my-fn"
        "/stack-Table/${Literal}"
    )


def test_join_select_split_findinmap(resolver: Resolver) -> None:
    assert resolver.resolve({"Fn::Join": ["-", ["a", {"Ref": "Stage"}]]}) == "a-production"
    assert resolver.resolve({"Fn::Select": [1, {"Fn::Split": [",", "x,y,z"]}]}) == "y"
    assert resolver.resolve({"Fn::FindInMap": ["Sizes", "small", "mb"]}) == 128


def test_if_and_no_value(resolver: Resolver) -> None:
    value = resolver.resolve(
        {
            "keep": {"Fn::If": ["IsA", 1, 2]},
            "drop": {"Fn::If": ["NotA", 1, {"Ref": "AWS::NoValue"}]},
        }
    )
    assert value == {"keep": 1}


def test_parameter_override_and_validation() -> None:
    assert Resolver(TEMPLATE, {"Mode": "B"}).condition("NotA") is True
    with pytest.raises(TemplateError, match="Parameter 'Mode' must be one of AllowedValues"):
        Resolver(TEMPLATE, {"Mode": "C"})
    with pytest.raises(TemplateError, match="unknown parameter"):
        Resolver(TEMPLATE, {"Nope": "1"})


def test_unknown_names_are_clear_errors(resolver: Resolver) -> None:
    with pytest.raises(TemplateError, match="unknown name"):
        resolver.resolve({"Ref": "Missing"})
    with pytest.raises(TemplateError, match="not supported"):
        resolver.resolve({"Fn::Transmogrify": []})
    with pytest.raises(TemplateError, match="unknown resource"):
        resolver.resolve({"Fn::GetAtt": ["Missing", "Arn"]})


def test_a_yaml_boolean_default_is_the_string_cloudformation_sees() -> None:
    """CloudFormation parameter values are strings: Default: false is "false", as an
    override --parameter P=false is."""
    template = {
        "Parameters": {"Flag": {"Type": "String", "Default": False}},
        "Conditions": {"Off": {"Fn::Equals": [{"Ref": "Flag"}, "false"]}},
        "Resources": {},
    }
    assert Resolver(template).condition("Off") is True
    assert Resolver(template, {"Flag": "false"}).condition("Off") is True


def test_ref_of_a_stage_is_its_name() -> None:
    template = {
        "Resources": {
            "Stage": {"Type": "AWS::ApiGatewayV2::Stage", "Properties": {"StageName": "live"}}
        }
    }
    assert Resolver(template).resolve({"Ref": "Stage"}) == "live"


def test_rules_refuse_parameters_as_cloudformation_does() -> None:
    """A rule whose condition holds and one of whose assertions is false refuses the stack
    with its AssertDescription (CloudFormation checks Rules before it creates anything)."""
    template: dict[str, Any] = {
        "Parameters": {
            "Mode": {"Type": "String", "Default": "none"},
            "Audience": {"Type": "String", "Default": ""},
        },
        "Rules": {
            "NeedsAudience": {
                "RuleCondition": {"Fn::Equals": [{"Ref": "Mode"}, "jwks"]},
                "Assertions": [
                    {
                        "Assert": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Audience"}, ""]}]},
                        "AssertDescription": "jwks needs an audience",
                    }
                ],
            }
        },
        "Resources": {},
    }
    assert Resolver(template).parameters["Mode"] == "none"  # the rule's condition is false
    assert Resolver(template, {"Mode": "jwks", "Audience": "app"})
    with pytest.raises(TemplateError, match=r"jwks needs an audience \(rule NeedsAudience\)"):
        Resolver(template, {"Mode": "jwks"})


def test_a_cdk_bootstrap_rule_passes_and_unknown_rule_functions_are_left_to_aws() -> None:
    template: dict[str, Any] = {
        "Parameters": {"BootstrapVersion": {"Type": "String", "Default": "/cdk/version"}},
        "Rules": {
            "CheckBootstrapVersion": {
                "Assertions": [
                    {
                        "Assert": {
                            "Fn::Not": [
                                {"Fn::Contains": [["1", "2", "3"], {"Ref": "BootstrapVersion"}]}
                            ]
                        },
                        "AssertDescription": "bootstrap version 6 required",
                    }
                ]
            },
            "Elsewhere": {"Assertions": [{"Assert": {"Fn::ValueOf": ["P", "VpcId"]}}]},
        },
        "Resources": {},
    }
    assert Resolver(template)
    with pytest.raises(TemplateError, match="bootstrap version 6 required"):
        Resolver(template, {"BootstrapVersion": "2"})
