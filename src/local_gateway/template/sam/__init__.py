"""SAM's transform, as the SAM translator applies it, once and before any intrinsic is
resolved: the one Globals merge (sam_globals.py), ``AWS::Serverless::WebSocketApi``
(sam_websocket.py) and ``AWS::Serverless::SimpleTable`` (sam_simpletable.py) expanded into
the CloudFormation resources the translator writes. Pure."""
