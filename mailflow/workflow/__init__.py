"""The process as data: change_request.toml, its model, its checks and the pure engine step.

The workflow knows no reader and no store: it is read by both.
"""
