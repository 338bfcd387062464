"""The shared runtime of every worker: server bootstrap, configuration, errors, validation, metrics.

A worker module builds its servicers and calls :func:`workers.runtime.server.serve`::

    config = parse_config(parser, argv)
    await serve(config, [Registration(...)], load=backend.load)
"""
