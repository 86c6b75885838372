"""live-check: judges OTLP telemetry from any language's SDK or a Collector against a registry.

Needs the ``[live]`` extra (``opentelemetry-proto`` and ``grpcio``); imports nothing of the server.
"""
