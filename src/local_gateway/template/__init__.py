"""The template read as CloudFormation reads it: YAML and its short tags, intrinsics,
parameters, the SAM transform (``sam/``: Globals, WebSocketApi, SimpleTable), roles and
permissions (``policies/``), one reader per resource type, into the read model. The lowest
layer: it imports no other."""
