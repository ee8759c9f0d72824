"""The `disputebot` command: run, sandbox, demo, migrate, stats, verify, export (`python -m bot`).

A setting or option the command cannot work with ends it with one line on stderr naming the
variable or option (`configuration error: DATABASE_URL: ...`) and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Sequence

from bot.case_tools import add_commands as add_case_commands
from bot.config import ConfigError, load_settings
from flows.logs import setup_logging


def _run(args: argparse.Namespace) -> int:
    from telegram import Update

    from bot.app import build_application
    from bot.token_check import check_token
    from flows.crash import run_clock

    settings = load_settings()
    settings.require_token()
    asyncio.run(check_token(settings))
    if args.webhook:
        from bot.webhook import run_webhook

        settings.require_webhook()
        setup_logging(settings.log_level)
        asyncio.run(run_webhook(settings, run_clock()))
        return 0
    setup_logging(settings.log_level)
    application = build_application(settings, run_clock(), freeze_heap=True)
    # PTB deletes any webhook before the first getUpdates: the switch back from --webhook.
    application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


def _migrate(_: argparse.Namespace) -> int:
    from bot.startup import migrate_database
    from flows.crash import run_clock
    from storage import display_url

    settings = load_settings()
    setup_logging(settings.log_level)
    asyncio.run(migrate_database(settings, run_clock()))
    print(f"database is up to date: {display_url(settings.database_url)}")
    return 0


def _stats(args: argparse.Namespace) -> int:
    """The operators' statistics from the configured database: a table, or JSON."""
    from bot.stats_cli import print_stats

    settings = load_settings()
    setup_logging(settings.log_level)
    return asyncio.run(
        print_stats(settings.database_url, as_json=args.json, language=args.language)
    )


def _sandbox(args: argparse.Namespace) -> int:
    from bot.sandbox import ListenError, serve

    async def main() -> None:
        await serve(args.host, args.port, args.token, announce=print)

    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(main())
    except ListenError as error:
        raise ConfigError(str(error)) from None
    return 0


def _demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return asyncio.run(run_demo(languages=args.language))


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="disputebot", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the bot (long polling, or --webhook)")
    run.add_argument(
        "--webhook",
        action="store_true",
        help="receive updates by webhook at WEBHOOK_URL (see docs/OPERATIONS.md)",
    )
    run.set_defaults(func=_run)
    commands.add_parser("migrate", help="apply database migrations").set_defaults(func=_migrate)
    stats = commands.add_parser("stats", help="print the operators' statistics")
    stats.add_argument("--json", action="store_true", help="as JSON instead of a table")
    stats.add_argument("--language", choices=["en", "zh_Hans"], default="en")
    stats.set_defaults(func=_stats)
    sandbox = commands.add_parser("sandbox", help="start the local Bot API sandbox")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8081)
    sandbox.add_argument("--token", default="123456:SANDBOX-TOKEN")
    sandbox.set_defaults(func=_sandbox)
    demo = commands.add_parser("demo", help="play a scripted dispute against the sandbox")
    demo.add_argument("--language", action="append", choices=["en", "zh_Hans"])
    demo.set_defaults(func=_demo)
    add_case_commands(commands)  # verify, export
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        result: int = args.func(args)
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    raise SystemExit(main())
