"""What operators see of a running fleet: metrics, health endpoints and structured logs.

``logs`` (one JSON object per line, secrets scrubbed, task and deployment ids attached),
``exposition`` (the small HTTP server behind ``/metrics``, ``/healthz`` and ``/readyz``),
``multiprocess`` (one Prometheus metrics directory per worker host), ``heartbeat`` (worker
processes saying they are alive), ``middleware`` (the dramatiq middleware that ties them to the
worker's life cycle) and ``host`` (the worker host's endpoint, run as a dramatiq fork).
"""
