"""``python -m bot.sandbox [--host H] [--port P] [--token T]``: run a standalone sandbox."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from bot.sandbox.server import serve


def main() -> None:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:SANDBOX-TOKEN")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, args.token, announce=print))


if __name__ == "__main__":
    main()
