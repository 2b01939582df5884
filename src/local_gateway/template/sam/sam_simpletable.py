"""SAM's ``AWS::Serverless::SimpleTable``, expanded as the SAM translator expands it. Pure.

Each becomes an ``AWS::DynamoDB::Table`` under the same logical id, with the same resource
attributes (Condition, DependsOn, DeletionPolicy ...): ``PrimaryKey`` (``Name``, ``Type``
String / Number / Binary → S / N / B; without it ``id`` of type String) is its one attribute
definition and its HASH key; ``ProvisionedThroughput`` is passed on, and without it the
table is ``BillingMode: PAY_PER_REQUEST``; ``TableName``, ``SSESpecification`` and
``PointInTimeRecoverySpecification`` are passed on, ``Tags`` become a list of Key / Value.
``Globals.SimpleTable`` (``SSESpecification``) is merged in first (sam_globals). Its error
texts are the translator's. Source: "AWS::Serverless::SimpleTable" ("If not provided, the
primary key will be a String with a value of id"; "If ProvisionedThroughput is not specified
BillingMode will be specified as PAY_PER_REQUEST"),
https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-simpletable.html,
and "PrimaryKeyObject" (Valid values: String, Number, Binary); aws/serverless-application-model,
samtranslator/model/sam_resources.py (SamSimpleTable).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from local_gateway.template.cfn_yaml import TemplateError

SAM_TYPE = "AWS::Serverless::SimpleTable"
_ATTRIBUTE_TYPES = {"String": "S", "Number": "N", "Binary": "B"}
_PASSED_ON = ("PointInTimeRecoverySpecification", "SSESpecification", "TableName")


def _invalid(logical_id: str, message: str) -> TemplateError:
    return TemplateError(f"Resource with id [{logical_id}] is invalid. {message}")


def table_properties(logical_id: str, props: Mapping[str, Any]) -> dict[str, Any]:
    """The AWS::DynamoDB::Table Properties a SimpleTable's ``props`` make."""
    key = props.get("PrimaryKey")
    if key:
        if not isinstance(key, Mapping) or "Name" not in key or "Type" not in key:
            raise _invalid(
                logical_id, "'PrimaryKey' is missing required Property 'Name' or 'Type'."
            )
        kind = key["Type"]
        if kind not in _ATTRIBUTE_TYPES:
            raise _invalid(logical_id, f"Invalid 'Type' \"{kind}\".")
        definition = {"AttributeName": key["Name"], "AttributeType": _ATTRIBUTE_TYPES[kind]}
    else:
        definition = {"AttributeName": "id", "AttributeType": "S"}
    table: dict[str, Any] = {
        "AttributeDefinitions": [definition],
        "KeySchema": [{"AttributeName": definition["AttributeName"], "KeyType": "HASH"}],
    }
    if props.get("ProvisionedThroughput"):
        table["ProvisionedThroughput"] = props["ProvisionedThroughput"]
    else:
        table["BillingMode"] = "PAY_PER_REQUEST"
    table.update({name: props[name] for name in _PASSED_ON if props.get(name)})
    tags = props.get("Tags")
    if tags:
        table["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    return table


def expand_simple_tables(template: Mapping[str, Any]) -> dict[str, Any]:
    """``template`` with each SimpleTable replaced by the DynamoDB table it stands for."""
    resources: Mapping[str, Any] = template.get("Resources") or {}
    if not any(isinstance(r, dict) and r.get("Type") == SAM_TYPE for r in resources.values()):
        return dict(template)
    expanded: dict[str, Any] = {}
    for logical_id, resource in resources.items():
        if isinstance(resource, dict) and resource.get("Type") == SAM_TYPE:
            props = resource.get("Properties") or {}
            resource = {
                **{k: v for k, v in resource.items() if k != "Properties"},
                "Type": "AWS::DynamoDB::Table",
                "Properties": table_properties(logical_id, props),
            }
        expanded[logical_id] = resource
    return {**template, "Resources": expanded}
