"""``python -m bot.sandbox [--host H] [--port P] [--token T]``: run a standalone sandbox."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from bot.sandbox.server import ListenError, serve


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and serve until interrupted; 2 (and one line) if it cannot listen."""
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:SANDBOX-TOKEN")
    args = parser.parse_args(argv)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(args.host, args.port, args.token, announce=print))
    except ListenError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
