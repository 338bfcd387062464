"""Tools for people working on the workers: start a worker process, measure the workers."""
