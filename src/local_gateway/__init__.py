"""The local API Gateway: runs a template's WebSocket API and its functions as API Gateway
and Lambda run them, failures included (docs/local-gateway.md).

Dev-time only: nothing that ships to Lambda imports it, and it imports nothing of the chat.
Layers, from pure to I/O:

- reading the template: ``cfn_yaml``, ``intrinsics``, ``parameters``, ``sam_websocket``,
  ``permissions``, ``template``;
- API Gateway's semantics, no sockets: ``routing``, ``event_factory``, ``authorizer``, ``core``;
- functions as Lambda runs them: ``containers`` (with ``container_bootstrap``, the runtime
  inside each), ``code_package``, ``functions``, ``pool``, ``lambda_context``;
- what functions call: ``callback_api``, ``lambda_api``, ``not_emulated``,
  ``dynamodb_local``, ``egress``, ``tls``, ``sigv4``;
- the seam an application's hook plugs into: ``services``, ``errors``;
- live connections and the shell: ``connection``, ``registry``, ``outbox``, ``guard``,
  ``websocket``, ``watch``, ``server`` (composition and lifecycle).
"""
