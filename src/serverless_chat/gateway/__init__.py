"""The local API Gateway: runs a WebSocket API template's routes and Python functions.

Dev-time only: nothing under ``handlers`` may import it. Layers, from pure to I/O:
``cfn_yaml``/``intrinsics``/``template`` (read the template), ``routing`` and
``events`` (pure), ``functions`` (invoke handlers in a worker pool),
``registry``/``callback_api``/``local_adapters`` (live connections and the
@connections API), ``server`` (aiohttp).
"""
