"""`mailflow web`: serve the status page with uvicorn, behind the operator's reverse proxy."""

from __future__ import annotations

import argparse
import logging

log = logging.getLogger(__name__)


def build(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add the options of `mailflow web` to its parser."""
    parser.add_argument("--host", help="address to listen on (default: [web] host)")
    parser.add_argument("--port", type=int, help="port to listen on (default: [web] port)")
    parser.set_defaults(func=cmd_web)


def cmd_web(args: argparse.Namespace) -> int:
    import uvicorn

    from mailflow.app import build_app
    from mailflow.service import logs
    from mailflow.web.app import create_app

    app = build_app(args.config)
    logs.mask_secrets(logs.secrets_of(app.settings))
    settings = app.settings.web
    host, port = args.host or settings.host, args.port or settings.port
    log.info("status page on http://%s:%d (reached as %s)", host, port, settings.base_url)
    try:
        # No access log: a sign-in link's path is a secret until it is used.
        uvicorn.run(create_app(app), host=host, port=port, log_config=None, access_log=False)
    finally:
        app.close()
    return 0
