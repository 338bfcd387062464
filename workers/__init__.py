"""AgentOS Python workers: a shared gRPC runtime plus one module per worker.

Each worker is its own process (``python -m workers.<name>``) serving the contracts generated into
``gen/python`` from ``proto/``.
"""
