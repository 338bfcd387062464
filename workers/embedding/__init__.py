"""The embedding worker: ``EmbeddingService`` with all-MiniLM-L6-v2, run with numpy (no torch).

Run it with ``python -m workers.embedding --port 50052``; see ``--help``.
"""
