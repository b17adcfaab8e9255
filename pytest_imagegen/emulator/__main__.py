"""``python -m pytest_imagegen.emulator``: run the emulator in the foreground and print its base URL.

The base URL is printed alone on the first line of stdout (so scripts can read it); a hint goes to
stderr. Stop with Ctrl+C or SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Sequence

from pytest_imagegen.emulator.server import Emulator


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pytest_imagegen.emulator",
        description="Serve an emulator of the OpenAI Images API on a local port.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8000, help="port to listen on; 0 picks a free one (default 8000)"
    )
    parser.add_argument(
        "--api-key", default=None, help="accept only this key (default: any key starting with sk-)"
    )
    parser.add_argument(
        "--google-api-key",
        default=None,
        help="accept only this key on the Gemini API routes (default: any key starting with AIza)",
    )
    parser.add_argument(
        "--organization", default=None, help="organization id to report (default: random org-…)"
    )
    parser.add_argument("--project", default=None, help="project id to report (default: random proj_…)")
    parser.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s: %(message)s")
    emulator = Emulator(
        args.host,
        args.port,
        api_key=args.api_key,
        google_api_key=args.google_api_key,
        organization=args.organization,
        project=args.project,
        log_level=args.log_level,
        access_log=True,
    )

    def ready(emulator: Emulator) -> None:
        print(emulator.base_url, flush=True)
        key = "the key given with --api-key" if args.api_key else "any key starting with sk-"
        print(
            f"Images API emulator at {emulator.base_url} ({key}); Ctrl+C to stop.",
            file=sys.stderr,
            flush=True,
        )

    # uvicorn re-raises the SIGINT it handled gracefully, once the server is down.
    with contextlib.suppress(KeyboardInterrupt):
        emulator.serve_forever(on_ready=ready)
    return 0


if __name__ == "__main__":
    sys.exit(main())
