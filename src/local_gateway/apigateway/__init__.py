"""API Gateway's WebSocket semantics: route selection, events, the authorizer's answer, the
transport-free core (what a handshake, a message and a disconnect do), and the live
connections and their outbox. Imports ``functions`` and ``template`` only."""
