"""`disputebot verify` and `disputebot export`: the operators' commands on one case's record.

    disputebot verify 12                      # case #12 from the database
    disputebot verify case-12.json            # and against a case file (version 0 or 1)
    disputebot export 12 --out DIR            # the operator's case file (JSON, PDF), the files
    disputebot verify 12 --head 31:<hash>     # and against a head a party kept

Exit status 0 and "ok" with the event count and head hash when everything holds; 1 and the
first thing that differs (then the others) when something does not; 2 for a setting or an
argument it cannot work with. With TELEGRAM_BOT_TOKEN set, a stored evidence file that does not
match its SHA-256 is fetched again from Telegram (by its file id) and replaced; without it, it
is only reported. The checks themselves are in `flows/case_audit.py` and `storage/audit.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

from telegram import Bot

from bot.config import ConfigError, Settings, load_settings
from bot.startup import evidence_files
from flows.case_audit import CaseFileError, export_case, read_case_file, verify_case
from flows.crash import run_clock
from flows.logs import setup_logging
from locales.i18n import Catalogs
from storage import Database, DatabaseUnavailable
from storage.audit import Head

__all__ = ["add_commands"]


HEAD_ARGUMENT = re.compile(r"([0-9]+)\W([0-9A-Fa-f]{64})")  # "<event count>:<hash>"


def _head(value: str) -> Head:
    given = HEAD_ARGUMENT.fullmatch(value)
    if given is None:
        raise argparse.ArgumentTypeError("a head is <event count>:<64-character hash>")
    return Head(int(given[1]), given[2].lower(), "given on the command line")


@contextlib.asynccontextmanager
async def _database(settings: Settings) -> AsyncIterator[Database]:
    try:
        db = await Database.connect(settings.database_url, migrate=False)
    except DatabaseUnavailable as exc:
        raise ConfigError(f"DATABASE_URL: {exc}") from None
    try:
        yield db
    finally:
        await db.dispose()


def _bot(settings: Settings) -> Bot | None:
    token = settings.telegram_bot_token
    if token is None or not token.get_secret_value():
        return None
    return Bot(
        token.get_secret_value(),
        base_url=settings.bot_base_url,
        base_file_url=settings.bot_file_base_url,
    )


async def _case_id(db: Database, number: int) -> int | None:
    case = await db.cases.by_number(number)
    return None if case is None else case.id


async def _verify_async(args: argparse.Namespace, settings: Settings) -> int:
    target: str = args.target
    case_file = None
    if target.isdigit():
        number = int(target)
    else:
        try:
            case_file = read_case_file(Path(target))
        except CaseFileError as exc:
            print(f"verify: {exc}")
            return 2
        number = case_file.case_number
    async with _database(settings) as db:
        case_id = await _case_id(db, number)
        if case_id is None:
            print(f"FAILED: case #{number} is not in the database")
            return 1
        store = (await evidence_files(settings, db, run_clock())).store
        bot = _bot(settings)
        async with bot if bot is not None else contextlib.nullcontext():
            report = await verify_case(
                db, store, case_id, heads=args.head or (), case_file=case_file, bot=bot
            )
    if report.ok:
        print(f"ok: case #{number}, {report.count} events, head {report.head_hash}")
        return 0
    first, *rest = report.findings
    print(f"FAILED: case #{number}: {first.area}: {first.detail}")
    for finding in rest:
        print(f"  also: {finding.area}: {finding.detail}")
    return 1


async def _export_async(args: argparse.Namespace, settings: Settings) -> int:
    async with _database(settings) as db:
        case_id = await _case_id(db, args.number)
        if case_id is None:
            print(f"FAILED: case #{args.number} is not in the database")
            return 1
        clock = run_clock()
        store = (await evidence_files(settings, db, clock)).store
        tr = Catalogs().translator(settings.default_language, settings.default_timezone)
        written, problems = await export_case(db, store, case_id, Path(args.out), tr, clock.now())
    print(f"wrote {written}")
    for problem in problems:
        print(f"FAILED: {problem.detail}")
    return 1 if problems else 0


def _verify(args: argparse.Namespace) -> int:
    settings = load_settings()
    setup_logging(settings.log_level)
    return asyncio.run(_verify_async(args, settings))


def _export(args: argparse.Namespace) -> int:
    settings = load_settings()
    setup_logging(settings.log_level)
    return asyncio.run(_export_async(args, settings))


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`verify` and `export` under the `disputebot` command."""
    verify = commands.add_parser(
        "verify", help="check a case's record (history, witnessed heads, tables, evidence files)"
    )
    verify.add_argument("target", help="a case number, or a case file (JSON) to check against")
    verify.add_argument(
        "--head",
        action="append",
        type=_head,
        metavar="COUNT:HASH",
        help="a head the bot posted (event count and full hash), as a party kept it",
    )
    verify.set_defaults(func=_verify)
    export = commands.add_parser(
        "export", help="write a case's case file (JSON and PDF) and its evidence files"
    )
    export.add_argument("number", type=int, help="the case number")
    export.add_argument("--out", required=True, help="the folder to write to")
    export.set_defaults(func=_export)
