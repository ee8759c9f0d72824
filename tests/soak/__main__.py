"""`python -m tests.soak --buyers 20 --kills 30 --seed 7 [--database postgresql]`: the soak run
by hand; prints its summary and exits 1 when anything was left unfinished or doubled."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from tests.soak.run import Config, Summary, soak
from tests.storage.dbs import fresh_postgres_url, postgres_admin_url, sqlite_url


async def _main(config: Config, database: str, keep: Path | None) -> Summary:
    with tempfile.TemporaryDirectory(prefix="soak-") as scratch:
        tmp = str(keep) if keep is not None else scratch
        if database == "sqlite":
            return await soak(config, sqlite_url(Path(tmp)), Path(tmp))
        async with fresh_postgres_url(postgres_admin_url()) as url:
            return await soak(config, url, Path(tmp))


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.soak", description=__doc__)
    parser.add_argument("--buyers", type=int, default=20, help="cases (one buyer, one supplier)")
    parser.add_argument("--kills", type=int, default=30, help="SIGKILLs of the bot")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="a folder for the bot's logs, kept")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    config = Config(buyers=args.buyers, kills=args.kills, seed=args.seed)
    summary = asyncio.run(_main(config, args.database, args.keep))
    print("\n".join(summary.lines()))
    return 1 if summary.problems else 0


if __name__ == "__main__":
    sys.exit(main())
