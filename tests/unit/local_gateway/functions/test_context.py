import time

from local_gateway.functions.context import LambdaContext


def test_context_attributes_and_remaining_time() -> None:
    context = LambdaContext("chat-send", 256, 0.2, "req-1")
    assert context.function_name == "chat-send"
    assert context.memory_limit_in_mb == "256"  # a str on Lambda (awslambdaric reads the env)
    assert context.aws_request_id == "req-1"
    assert context.invoked_function_arn.endswith(":function:chat-send")
    assert context.log_group_name == "/aws/lambda/chat-send"
    assert 0 < context.get_remaining_time_in_millis() <= 200
    time.sleep(0.25)
    assert context.get_remaining_time_in_millis() == 0
