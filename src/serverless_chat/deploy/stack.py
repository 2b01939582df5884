"""Create, update or delete the stack through change sets, showing CloudFormation's events.

Everything AWS is reached through an injected CloudFormation client, and time through an
injected ``sleep``, so the whole flow runs against moto or botocore's Stubber in tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from botocore.exceptions import ClientError

from serverless_chat.adapters.aws_errors import error_message
from serverless_chat.deploy.errors import DeployError

_NO_CHANGES = ("didn't contain changes", "No updates are to be performed", "no changes")
_SUCCESS = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "DELETE_COMPLETE", "IMPORT_COMPLETE"}


def is_terminal(status: str) -> bool:
    return not status.endswith("_IN_PROGRESS")


class Reporter(Protocol):
    """Where the deployment tells what happens (a rich console, or a list in tests)."""

    def info(self, text: str) -> None: ...

    def status(self, text: str) -> None: ...

    def changes(self, changes: list[dict[str, Any]]) -> None: ...

    def event(self, event: dict[str, Any]) -> None: ...


@dataclass(slots=True)
class Outcome:
    """How a deployment ended."""

    stack_name: str
    status: str
    changed: bool
    outputs: dict[str, str] = field(default_factory=dict)
    failure: str | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


class StackDeployer:
    """One stack, through an injected boto3 CloudFormation client."""

    def __init__(
        self,
        cloudformation: Any,
        reporter: Reporter,
        sleep: Callable[[float], None] = time.sleep,
        poll_seconds: float = 3.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._cfn = cloudformation
        self._report = reporter
        self._sleep = sleep
        self._poll = poll_seconds
        self._clock = clock

    # -- reading ---------------------------------------------------------------------
    def describe(self, stack_name: str) -> dict[str, Any] | None:
        """The stack, or None when there is none (or only a deleted one)."""
        try:
            stacks = self._cfn.describe_stacks(StackName=stack_name)["Stacks"]
        except ClientError as error:
            if "does not exist" in error_message(error):
                return None
            raise
        stack: dict[str, Any] = stacks[0]
        return None if stack["StackStatus"] == "DELETE_COMPLETE" else stack

    def outputs(self, stack_name: str) -> dict[str, str]:
        stack = self.describe(stack_name)
        if stack is None:
            raise DeployError(f"There is no stack named {stack_name}.")
        return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}

    # -- deploying -------------------------------------------------------------------
    def deploy(self, stack_name: str, template_url: str, parameters: dict[str, str]) -> Outcome:
        """Create or update through a change set; "no changes" is a clean success."""
        stack = self.describe(stack_name)
        if stack is not None and stack["StackStatus"] == "ROLLBACK_COMPLETE":
            raise DeployError(
                f"The stack {stack_name} failed to create earlier (ROLLBACK_COMPLETE) and can "
                "only be deleted: run `serverless-chat destroy` first."
            )
        creating = stack is None or stack["StackStatus"] == "REVIEW_IN_PROGRESS"
        change_set = f"serverless-chat-{int(self._clock())}"
        self._cfn.create_change_set(
            StackName=stack_name,
            ChangeSetName=change_set,
            TemplateURL=template_url,
            Parameters=self._parameters(stack, parameters),
            Capabilities=["CAPABILITY_IAM"],
            ChangeSetType="CREATE" if creating else "UPDATE",
            Description="serverless-chat deploy",
        )
        described = self._wait_for_change_set(stack_name, change_set)
        reason = str(described.get("StatusReason", ""))
        empty = described["Status"] == "CREATE_COMPLETE" and not described.get("Changes")
        if (described["Status"] == "FAILED" and any(m in reason for m in _NO_CHANGES)) or (
            empty and not creating
        ):
            self._cfn.delete_change_set(StackName=stack_name, ChangeSetName=change_set)
            self._report.info("No changes: the stack is already up to date.")
            status = stack["StackStatus"] if stack else ""
            return Outcome(stack_name, status, False, self.outputs(stack_name))
        if described["Status"] == "FAILED":
            raise DeployError(f"CloudFormation could not plan the change: {reason}")
        self._report.changes([c["ResourceChange"] for c in described.get("Changes", [])])
        started = self._clock()
        seen = self._seen_events(stack_name) if not creating else set()
        self._cfn.execute_change_set(StackName=stack_name, ChangeSetName=change_set)
        return self._follow(stack_name, seen, started, changed=True)

    def destroy(self, stack_name: str) -> Outcome:
        """Delete the stack and wait until it is gone."""
        stack = self.describe(stack_name)
        if stack is None:
            self._report.info(f"There is no stack named {stack_name}; nothing to delete.")
            return Outcome(stack_name, "DELETE_COMPLETE", False)
        seen = self._seen_events(stack_name)
        stack_id = stack["StackId"]
        self._cfn.delete_stack(StackName=stack_name)
        return self._follow(stack_id, seen, self._clock(), changed=True)

    # -- helpers ---------------------------------------------------------------------
    @staticmethod
    def _parameters(stack: dict[str, Any] | None, given: dict[str, str]) -> list[dict[str, Any]]:
        values: list[dict[str, Any]] = [
            {"ParameterKey": key, "ParameterValue": value} for key, value in sorted(given.items())
        ]
        for previous in (stack or {}).get("Parameters", []):
            if previous["ParameterKey"] not in given:
                values.append({"ParameterKey": previous["ParameterKey"], "UsePreviousValue": True})
        return values

    def _wait_for_change_set(self, stack_name: str, change_set: str) -> dict[str, Any]:
        while True:
            described: dict[str, Any] = self._cfn.describe_change_set(
                StackName=stack_name, ChangeSetName=change_set
            )
            if described["Status"] in {"CREATE_COMPLETE", "FAILED", "DELETE_COMPLETE"}:
                return described
            self._report.status(f"Planning the change set: {described['Status']}")
            self._sleep(self._poll)

    def _events(self, stack: str) -> list[dict[str, Any]]:
        """Every event of the stack, oldest first."""
        events: list[dict[str, Any]] = []
        request: dict[str, Any] = {"StackName": stack}
        while True:
            page = self._cfn.describe_stack_events(**request)
            events += page.get("StackEvents", [])
            if not page.get("NextToken"):
                break
            request["NextToken"] = page["NextToken"]
        return list(reversed(events))

    def _seen_events(self, stack: str) -> set[str]:
        return {e["EventId"] for e in self._events(stack)}

    def _follow(self, stack: str, seen: set[str], started: float, changed: bool) -> Outcome:
        """Print new events as they come until the stack settles; report the first failure."""
        first_failure: str | None = None
        while True:
            fresh = [e for e in self._events(stack) if e["EventId"] not in seen]
            for event in fresh:
                seen.add(event["EventId"])
                self._report.event(event)
                first_failure = first_failure or _failure(event)
            status = self._status(stack)
            if is_terminal(status):
                break
            self._report.status(f"CloudFormation: {status} ({int(self._clock() - started)} s)")
            self._sleep(self._poll)
        outcome = Outcome(stack, status, changed)
        if status in _SUCCESS:
            if status != "DELETE_COMPLETE":
                outcome.outputs = self.outputs(stack)
            return outcome
        outcome.failure = first_failure or f"the stack ended in {status}"
        return outcome

    def _status(self, stack: str) -> str:
        try:
            stacks = self._cfn.describe_stacks(StackName=stack)["Stacks"]
        except ClientError as error:
            if "does not exist" in error_message(error):
                return "DELETE_COMPLETE"
            raise
        return str(stacks[0]["StackStatus"])


def _failure(event: dict[str, Any]) -> str | None:
    """'LogicalId (Type): reason' for a failed resource, skipping mere cancellations."""
    status = str(event.get("ResourceStatus", ""))
    reason = str(event.get("ResourceStatusReason", ""))
    if not status.endswith("_FAILED") or "cancelled" in reason.lower():
        return None
    if event.get("ResourceType") == "AWS::CloudFormation::Stack" and not reason:
        return None
    return f"{event.get('LogicalResourceId')} ({event.get('ResourceType')}): {reason}"


def summarize_changes(changes: Iterable[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """(action, logical id, type, replacement) rows for a change set's summary."""
    return [
        (
            str(c.get("Action", "")),
            str(c.get("LogicalResourceId", "")),
            str(c.get("ResourceType", "")),
            str(c.get("Replacement", "")) if c.get("Action") == "Modify" else "",
        )
        for c in changes
    ]
