"""Template parameters are checked as CloudFormation checks them, with its words.

The constraints are those of the CloudFormation guide's "Parameters" page
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html;
awsdocs/aws-cloudformation-user-guide doc_source/parameters-section-structure.md, 2023).
The texts are CloudFormation's ValidationError texts as users quote them:
"Parameter 'Tester' must match pattern ..." (aws/aws-connected-device-framework#183),
"Parameter 'X' must be one of AllowedValues" (aws-amplify/amplify-cli#6224),
"Parameter 'XYZ' must contain at least N characters"
(aws-cloudformation/cloudformation-coverage-roadmap#930) and, with a ConstraintDescription,
"Parameter Profiles failed to satisfy constraint: ..." (aws/aws-cli#7750; the name is not
quoted). AWS documents no text for MaxLength, MinValue and MaxValue; those follow the same
pattern.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from local_gateway.template.cfn_yaml import TemplateError, load_template
from local_gateway.template.intrinsics import Resolver
from local_gateway.template.model import read_api
from local_gateway.template.parameters import ParameterError, check_parameter
from serverless_chat import cli
from tests.conftest import TEMPLATE


def refused(name: str, spec: dict[str, Any], value: str) -> str:
    with pytest.raises(ParameterError) as raised:
        check_parameter(name, spec, value)
    return str(raised.value)


# -- each constraint, both sides -----------------------------------------------------------


def test_allowed_values() -> None:
    spec = {"Type": "String", "AllowedValues": ["PROVISIONED", "PAY_PER_REQUEST"]}
    check_parameter("BillingMode", spec, "PAY_PER_REQUEST")
    assert (
        refused("BillingMode", spec, "ON_DEMAND")
        == "Parameter 'BillingMode' must be one of AllowedValues"
    )
    assert refused("BillingMode", spec, "provisioned").endswith("must be one of AllowedValues")


def test_allowed_values_of_a_number_are_compared_as_written() -> None:
    spec = {"Type": "Number", "AllowedValues": [1, 3, 5, 7, 14]}
    check_parameter("Days", spec, "14")
    assert refused("Days", spec, "2") == "Parameter 'Days' must be one of AllowedValues"


def test_yaml_booleans_in_allowed_values_are_cloudformations_true_and_false() -> None:
    """YAML's true / false reach CloudFormation as "true" / "false"."""
    spec = {"Type": "String", "AllowedValues": [True, False]}
    check_parameter("Enabled", spec, "true")
    check_parameter("Enabled", spec, "false")
    check_parameter("Enabled", spec, "False")  # how the resolver hands over a YAML Default
    assert refused("Enabled", spec, "yes") == "Parameter 'Enabled' must be one of AllowedValues"


def test_allowed_pattern_must_match_the_whole_value() -> None:
    """ "the pattern must match the entire parameter value provided"."""
    pattern = r"^db\.[tr]\d+[a-z0-9]*\.[a-z0-9]*$"
    spec = {"Type": "String", "AllowedPattern": pattern}
    check_parameter("Tester", spec, "db.t3.micro")
    assert refused("Tester", spec, "t3.micro") == f"Parameter 'Tester' must match pattern {pattern}"
    unanchored = {"Type": "String", "AllowedPattern": "[A-Za-z0-9]+"}
    check_parameter("MyParameter", unanchored, "abc123")
    # re.match or re.search would take the "abc" prefix; CloudFormation takes the whole.
    assert (
        refused("MyParameter", unanchored, "abc-123")
        == "Parameter 'MyParameter' must match pattern [A-Za-z0-9]+"
    )
    assert refused("MyParameter", unanchored, "abc\n")  # no trailing newline slips past $


def test_an_allowed_pattern_that_is_no_regular_expression_is_refused() -> None:
    message = refused("Broken", {"Type": "String", "AllowedPattern": "[a-z"}, "a")
    assert message.startswith("Parameter 'Broken' has an AllowedPattern that is not")


def test_min_length() -> None:
    spec = {"Type": "String", "MinLength": 3}
    check_parameter("XYZ", spec, "abc")
    assert refused("XYZ", spec, "ab") == "Parameter 'XYZ' must contain at least 3 characters"


def test_max_length() -> None:
    spec = {"Type": "String", "MaxLength": 4}
    check_parameter("Code", spec, "abcd")
    assert refused("Code", spec, "abcde") == "Parameter 'Code' must contain at most 4 characters"


def test_min_value() -> None:
    spec = {"Type": "Number", "MinValue": 1}
    check_parameter("Units", spec, "1")
    check_parameter("Units", spec, "1.5")
    assert refused("Units", spec, "0") == "Parameter 'Units' must be a number not less than 1"
    assert refused("Units", spec, "-3").endswith("not less than 1")


def test_max_value() -> None:
    spec = {"Type": "Number", "MaxValue": 32000}
    check_parameter("Length", spec, "32000")
    assert (
        refused("Length", spec, "32001")
        == "Parameter 'Length' must be a number not greater than 32000"
    )


@pytest.mark.parametrize("value", ["8888", "-2", "0.7", ".5", "1e3", "+4"])
def test_a_number_is_an_integer_or_a_float(value: str) -> None:
    check_parameter("Port", {"Type": "Number"}, value)


@pytest.mark.parametrize("value", ["", "abc", "5 ", "nan", "inf", "1_000", "0x10", "1,2"])
def test_anything_else_is_no_number(value: str) -> None:
    assert refused("Port", {"Type": "Number"}, value) == "Parameter 'Port' must be a number"


def test_string_constraints_do_not_apply_to_numbers_nor_number_ones_to_strings() -> None:
    """MinLength / MaxLength / AllowedPattern are for String, MinValue / MaxValue for Number."""
    check_parameter("N", {"Type": "Number", "MaxLength": 1, "AllowedPattern": "x"}, "12345")
    check_parameter("S", {"Type": "String", "MinValue": 10, "MaxValue": 20}, "5")


def test_a_comma_delimited_list_is_checked_member_by_member() -> None:
    """ "each value in the list must be one of the specified allowed values"; "the pattern
    must match each value in the list"; "each member string is space trimmed"."""
    values = {"Type": "CommaDelimitedList", "AllowedValues": ["dev", "test", "prod"]}
    check_parameter("Envs", values, "dev, prod")
    assert refused("Envs", values, "dev,staging") == "Parameter 'Envs' must be one of AllowedValues"
    pattern = {"Type": "CommaDelimitedList", "AllowedPattern": "[a-z]+"}
    check_parameter("Names", pattern, "ann,bob , cy")
    assert refused("Names", pattern, "ann,Bob") == "Parameter 'Names' must match pattern [a-z]+"


def test_each_member_of_a_number_list_is_a_number() -> None:
    check_parameter("Ports", {"Type": "List<Number>"}, "80,20")
    assert refused("Ports", {"Type": "List<Number>"}, "80,http") == (
        "Parameter 'Ports' must be a number"
    )


def test_no_constraint_no_check() -> None:
    check_parameter("Anything", {"Type": "String"}, "bad stage/../x")


# -- ConstraintDescription -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "value"),
    [
        ({"AllowedValues": ["true", "false"]}, "maybe"),
        ({"AllowedPattern": r"\w+(,\w+)*"}, "a b"),
        ({"MinLength": 2}, "a"),
        ({"MaxLength": 2}, "abc"),
        ({"Type": "Number", "MinValue": 1}, "0"),
        ({"Type": "Number", "MaxValue": 1}, "2"),
    ],
)
def test_a_constraint_description_replaces_the_text_and_the_name_is_not_quoted(
    spec: dict[str, Any], value: str
) -> None:
    spec = {**spec, "ConstraintDescription": "Must specify 'true' or 'false'"}
    assert refused("CreateVPNEndpoint", spec, value) == (
        "Parameter CreateVPNEndpoint failed to satisfy constraint: Must specify 'true' or 'false'"
    )


def test_a_constraint_description_says_nothing_of_a_value_that_passes() -> None:
    check_parameter("P", {"AllowedValues": ["a"], "ConstraintDescription": "only a"}, "a")


# -- through the resolver: defaults and --parameter --------------------------------------------


def _template(tmp_path: Path, parameter: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(
        f"""
Parameters:
{parameter}
Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {{Name: a, ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.a}}
"""
    )
    return path


def test_a_default_that_breaks_its_own_constraint_is_refused(tmp_path: Path) -> None:
    """ "If you define constraints for the parameter, you must specify a value that adheres
    to those constraints" (Default)."""
    path = _template(
        tmp_path,
        "  Stage:\n    Type: String\n    Default: Prod!\n    AllowedPattern: '[A-Za-z]+'",
    )
    with pytest.raises(TemplateError, match=r"^Parameter 'Stage' must match pattern \[A-Za-z\]\+$"):
        read_api(path)
    assert read_api(path, {"Stage": "Prod"}).name == "a"  # a good override replaces it


def test_a_number_default_below_its_minimum_is_refused(tmp_path: Path) -> None:
    path = _template(tmp_path, "  Units:\n    Type: Number\n    Default: 0\n    MinValue: 1")
    with pytest.raises(
        TemplateError, match=r"^Parameter 'Units' must be a number not less than 1$"
    ):
        Resolver(load_template(path))


def test_a_yaml_boolean_default_passes_its_boolean_allowed_values(tmp_path: Path) -> None:
    path = _template(
        tmp_path,
        "  Enabled:\n    Type: String\n    Default: false\n    AllowedValues: [true, false]",
    )
    Resolver(load_template(path))
    Resolver(load_template(path), {"Enabled": "true"})


def test_an_override_is_checked_like_a_default(tmp_path: Path) -> None:
    path = _template(
        tmp_path, "  Mode:\n    Type: String\n    Default: a\n    AllowedValues: [a, b]"
    )
    assert Resolver(load_template(path), {"Mode": "b"}).parameters["Mode"] == "b"
    with pytest.raises(TemplateError, match=r"^Parameter 'Mode' must be one of AllowedValues$"):
        Resolver(load_template(path), {"Mode": "c"})


# -- the project's template ------------------------------------------------------------------


def test_the_real_stage_name_refuses_a_path(capsys: pytest.CaptureFixture[str]) -> None:
    """serverless-chat serve --parameter 'StageName=bad stage/../x': infra/template.yaml's
    StageName has AllowedPattern ^[A-Za-z0-9_-]{1,128}$, so the gateway refuses to start."""
    spec = load_template(TEMPLATE)["Parameters"]["StageName"]
    assert spec["AllowedPattern"] == "^[A-Za-z0-9_-]{1,128}$"
    expected = "Parameter 'StageName' must match pattern ^[A-Za-z0-9_-]{1,128}$"
    with pytest.raises(TemplateError) as raised:
        read_api(TEMPLATE, {"StageName": "bad stage/../x"})
    assert str(raised.value) == expected
    status = cli.main(
        ["serve", "--template", str(TEMPLATE), "--parameter", "StageName=bad stage/../x"]
    )
    assert status == 2
    assert capsys.readouterr().err == f"serverless-chat serve: error: {expected}\n"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"StageName": "x" * 129}, "Parameter 'StageName' must match pattern"),
        ({"StageName": ""}, "Parameter 'StageName' must match pattern"),
        ({"BillingMode": "ON_DEMAND"}, "Parameter 'BillingMode' must be one of AllowedValues"),
        ({"AuthMode": "basic"}, "Parameter 'AuthMode' must be one of AllowedValues"),
        ({"AccessLogs": "on"}, "Parameter 'AccessLogs' must be one of AllowedValues"),
        ({"LogRetentionDays": "2"}, "Parameter 'LogRetentionDays' must be one of AllowedValues"),
        ({"ReadCapacityUnits": "0"}, "Parameter 'ReadCapacityUnits' must be a number not less"),
        ({"ReadCapacityUnits": "five"}, "Parameter 'ReadCapacityUnits' must be a number"),
        (
            {"MaxMessageLength": "32001"},
            "Parameter 'MaxMessageLength' must be a number not greater",
        ),
        ({"FanoutPageSize": "5001"}, "Parameter 'FanoutPageSize' must be a number not greater"),
        ({"MessagesPerSecond": "0"}, "Parameter 'MessagesPerSecond' must be a number not less"),
        ({"JwtSecretParameter": "jwt-secret"}, "Parameter 'JwtSecretParameter' must match pattern"),
    ],
)
def test_the_real_templates_parameters_are_constrained(
    override: dict[str, str], message: str
) -> None:
    with pytest.raises(TemplateError) as raised:
        read_api(TEMPLATE, override)
    assert str(raised.value).startswith(message)


def test_the_real_templates_defaults_and_good_values_pass() -> None:
    api = read_api(
        TEMPLATE,
        {
            "StageName": "dev_2-x",
            "BillingMode": "PAY_PER_REQUEST",
            "LogRetentionDays": "30",
            "MaxMessageLength": "32000",
            "JwtSecretParameter": "/chat/dev/jwt",
        },
    )
    assert api.stage == "dev_2-x"
