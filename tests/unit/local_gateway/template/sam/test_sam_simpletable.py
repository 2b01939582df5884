"""AWS::Serverless::SimpleTable expanded as the SAM translator expands it.

Source: "AWS::Serverless::SimpleTable"
(https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-simpletable.html):
PrimaryKey "If not provided, the primary key will be a String with a value of id";
ProvisionedThroughput "If ProvisionedThroughput is not specified BillingMode will be
specified as PAY_PER_REQUEST"; "PrimaryKeyObject": Type "Valid values: String, Number,
Binary"; the error texts are samtranslator's (sam_resources.py, SamSimpleTable).
"""

from __future__ import annotations

from typing import Any

import pytest

from local_gateway.template.cfn_yaml import TemplateError
from local_gateway.template.model import expand_sam


def _expanded(props: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {"Type": "AWS::Serverless::SimpleTable", **extra}
    if props is not None:
        resource["Properties"] = props
    template = {"Resources": {"Table": resource}}
    result: dict[str, Any] = expand_sam(template)["Resources"]["Table"]
    return result


def test_without_a_primary_key_the_key_is_id_a_string_and_billing_is_on_demand() -> None:
    assert _expanded() == {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    }


@pytest.mark.parametrize(("kind", "code"), [("String", "S"), ("Number", "N"), ("Binary", "B")])
def test_a_primary_key_of_each_type(kind: str, code: str) -> None:
    props = _expanded({"PrimaryKey": {"Name": "room", "Type": kind}})["Properties"]
    assert props["AttributeDefinitions"] == [{"AttributeName": "room", "AttributeType": code}]
    assert props["KeySchema"] == [{"AttributeName": "room", "KeyType": "HASH"}]


def test_provisioned_throughput_name_tags_and_attributes_are_passed_on() -> None:
    throughput = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    table = _expanded(
        {
            "ProvisionedThroughput": throughput,
            "TableName": "connections",
            "Tags": {"team": "chat"},
            "SSESpecification": {"SSEEnabled": True},
        },
        Condition="Local",
        DeletionPolicy="Delete",
    )
    assert table["Condition"] == "Local"
    assert table["DeletionPolicy"] == "Delete"
    props = table["Properties"]
    assert props["ProvisionedThroughput"] == throughput
    assert "BillingMode" not in props
    assert props["TableName"] == "connections"
    assert props["Tags"] == [{"Key": "team", "Value": "chat"}]
    assert props["SSESpecification"] == {"SSEEnabled": True}


def test_globals_simple_table_is_merged_in() -> None:
    template = {
        "Globals": {"SimpleTable": {"SSESpecification": {"SSEEnabled": True}}},
        "Resources": {"Table": {"Type": "AWS::Serverless::SimpleTable"}},
    }
    props = expand_sam(template)["Resources"]["Table"]["Properties"]
    assert props["SSESpecification"] == {"SSEEnabled": True}


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ({"Name": "id"}, "'PrimaryKey' is missing required Property 'Name' or 'Type'."),
        ({"Name": "id", "Type": "Boolean"}, "Invalid 'Type' \"Boolean\"."),
    ],
)
def test_a_bad_primary_key_is_refused_in_the_translators_words(
    key: dict[str, str], message: str
) -> None:
    with pytest.raises(TemplateError) as raised:
        _expanded({"PrimaryKey": key})
    assert str(raised.value) == f"Resource with id [Table] is invalid. {message}"
