"""The model worker: ``ModelService`` over a pluggable backend (llama, openai, scripted, synthetic).

Run it with ``python -m workers.model --port 50051 [--backend llama]``; see ``--help``.
"""
