"""The terminal client (``serverless-chat connect``). Dev-time only."""
