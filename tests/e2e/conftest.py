"""End-to-end fixtures: the Bot API sandbox, and the real bot (same builder as `run`) on it."""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Application

from bot.config import Settings, load_settings
from bot.runner import running_bot
from bot.sandbox import CallbackAnswer, Sandbox, SandboxChat, SandboxServer, SandboxUser
from bot.sandbox.state import MemberState
from flows.clock import FrozenClock
from flows.services import LANGUAGE_TIMEZONES, SERVICES_KEY, Services
from flows.stats_chart import ChartLabels, render_png
from locales.i18n import Catalogs, Translator
from storage import migrate

TOKEN = "123456:E2E-TOKEN"
logging.getLogger("httpx").setLevel(logging.WARNING)


# The e2e clock's default start. Tests that must not depend on it (or on today's date) shift
# it with `@pytest.mark.parametrize("clock", [...], indirect=True)`: an offset in days from the
# wall clock.
START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> FrozenClock:
    """One "now" for the bot and the sandbox: nothing in a test reads the wall clock."""
    offset_days = getattr(request, "param", None)
    if offset_days is None:
        return FrozenClock(START)
    wall = datetime.now(UTC).replace(second=0, microsecond=0)
    return FrozenClock(wall + timedelta(days=offset_days))


@pytest.fixture
def sandbox(clock: FrozenClock) -> Sandbox:
    return Sandbox(
        bot_token=TOKEN,
        bot_username="DisputeTestBot",
        bot_name="Dispute Bot",
        clock=clock.timestamp,
    )


@pytest.fixture
async def server(sandbox: Sandbox) -> AsyncIterator[SandboxServer]:
    async with SandboxServer(sandbox) as running:
        yield running
    sandbox.assert_no_violations()


STAFF_TITLE = "Mediators"


def staff_chat(sandbox: Sandbox, *, forum: bool = False) -> SandboxChat:
    """The mediators' staff group, the bot a member (an administrator who manages topics in a
    forum), made silently before the bot starts: its start-up checks it."""
    owner = sandbox.user("Mediator team", language_code="en")
    staff = sandbox.group(STAFF_TITLE, owner, forum=forum)
    rights = staff.full_rights({"can_manage_topics": True}) if forum else {}
    status = "administrator" if forum else "member"
    staff.member_states[sandbox.bot_id] = MemberState(sandbox.bot_id, status, rights)
    return staff


# A migrated SQLite file made once per test process (`_migrated_template`); `bot_settings` gives
# each test a copy, which is much cheaper than running every migration at each bot's start-up.
# The bot still migrates at start-up (a no-op on the copy); tests that need a database that was
# never migrated pass their own `database_url`.
_template: Path | None = None


@pytest.fixture(scope="session", autouse=True)
def _migrated_template(tmp_path_factory: pytest.TempPathFactory) -> None:
    global _template
    path = tmp_path_factory.mktemp("bot-db-template") / "bot.db"
    # On a loop of its own: no test's loop runs yet, but keep it out of theirs anyway.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, migrate(f"sqlite:///{path}")).result()
    _template = path


@pytest.fixture(scope="session", autouse=True)
def _chart_warmed() -> None:
    """Draw one chart before the first test of this process: the bot imports matplotlib (a
    second or more) and loads its fonts at the first chart, on purpose (flows/stats_chart.py),
    and in one process running the whole suite the unit tests of the chart had always paid that
    before the end-to-end ones. Under xdist a worker may reach /stats first; the tests' waits
    are for the bot's answer, not for a library's first import."""
    render_png(ChartLabels("outcomes", [("a", 1)], "states", [("b", 2)], "cases"))


def bot_settings(server: SandboxServer, tmp_path: Path, **overrides: Any) -> Settings:
    """The settings of a bot under test: its own database (a copy of the migrated template,
    unless `database_url` is given) and evidence folder, no timer (tests run the sweep), and
    rate limits the sandbox does not need (it does not throttle), so that tests are quick.
    `overrides` are further settings, by name."""
    database = tmp_path / "bot.db"
    if "database_url" not in overrides and not database.exists() and _template is not None:
        shutil.copyfile(_template, database)
    values: dict[str, Any] = {
        "telegram_bot_token": TOKEN,
        "telegram_api_url": server.url,
        "database_url": f"sqlite:///{database}",
        "evidence_dir": tmp_path / "evidence",
        "sweep_interval_seconds": 0,
        "rate_limit_group_per_minute": 600,
        "rate_limit_private_per_second": 100,
    }
    return load_settings(**(values | overrides))


@pytest.fixture
def settings(server: SandboxServer, sandbox: Sandbox, tmp_path: Path) -> Settings:
    """A service with mediators (a staff chat); tests of one without set their own."""
    return bot_settings(server, tmp_path, mediator_chat_id=staff_chat(sandbox).id)


@pytest.fixture(scope="session")
def catalogs() -> Catalogs:
    """Compiled once per test process: compiling the .po files takes a quarter of a second,
    and a `Catalogs` is never changed after it is made (its translators are new objects)."""
    return Catalogs()


class BotHarness:
    """Starts, stops and restarts the real bot against the sandbox."""

    def __init__(self, settings: Settings, clock: FrozenClock, sandbox: Sandbox) -> None:
        self.settings = settings
        self.clock = clock
        self.sandbox = sandbox
        self._stack: AsyncExitStack | None = None
        self.app: Application[Any, Any, Any, Any, Any, Any] | None = None

    @property
    def services(self) -> Services:
        assert self.app is not None
        services = self.app.bot_data[SERVICES_KEY]
        assert isinstance(services, Services)
        return services

    def _polls(self) -> int:
        return sum(1 for method, _ in self.sandbox.requests if method == "getUpdates")

    async def start(self) -> None:
        before = self._polls()
        self._stack = AsyncExitStack()
        self.app = await self._stack.enter_async_context(running_bot(self.settings, self.clock))
        await self.sandbox.wait_until(lambda: self._polls() > before)

    async def stop(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
        self._stack = None
        self.app = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()


@pytest.fixture
async def bot(
    settings: Settings, clock: FrozenClock, sandbox: Sandbox
) -> AsyncIterator[BotHarness]:
    harness = BotHarness(settings, clock, sandbox)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


def translator(catalogs: Catalogs, user: SandboxUser) -> Translator:
    language = "zh_Hans" if (user.language_code or "").startswith("zh") else "en"
    return catalogs.translator(language, LANGUAGE_TIMEZONES.get(language, "UTC"))


def _emit_press(user: SandboxUser, chat: SandboxChat, message_id: int, data: str) -> str:
    """A press of a button with arbitrary callback data sent to the bot; its query id."""
    sb = user.sandbox
    record = chat.messages[message_id]
    query_id = sb.new_query_id()
    sb.pending_queries[query_id] = CallbackAnswer(query_id, user.id, chat.id, message_id, data)
    sb.emit(
        "callback_query",
        {
            "id": query_id,
            "from": user.as_user(),
            "message": dict(record.message),
            "chat_instance": "1",
            "data": data,
        },
    )
    return query_id


async def press_data(
    user: SandboxUser, message_id: int, data: str, chat_id: int | None = None
) -> CallbackAnswer:
    """Press a button with arbitrary callback data, as a modified client could."""
    sb = user.sandbox
    chat = sb.chat(chat_id if chat_id is not None else user.id)
    query_id = _emit_press(user, chat, message_id, data)
    answer: CallbackAnswer = await sb.notifier.wait_until(
        lambda: sb.answers_by_id.get(query_id), 5.0
    )
    return answer


async def press_many(
    user: SandboxUser, message_id: int, datas: Sequence[str]
) -> list[CallbackAnswer]:
    """Press buttons with these callback data one after the other, in the user's private
    chat, without waiting for each answer before the next press: the bot handles one chat's
    updates in order (bot/update_processor.py), so each press is handled after the one before
    it, as when pressed one by one, but many reach the bot in one getUpdates. The answers, in
    the order of `datas` (TimeoutError when any is missing after 5 s per press)."""
    sb = user.sandbox
    chat = sb.chat(user.id)
    ids = [_emit_press(user, chat, message_id, data) for data in datas]

    def answers() -> list[CallbackAnswer] | None:
        found = [sb.answers_by_id.get(query_id) for query_id in ids]
        return None if None in found else found  # type: ignore[return-value]

    answered: list[CallbackAnswer] = await sb.notifier.wait_until(answers, 5.0 * len(ids))
    return answered


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    """Wait until the async `check` holds (a database row written after a send, say);
    TimeoutError after `within` seconds."""
    async with asyncio.timeout(within):
        while True:
            if await check():
                return
            await asyncio.sleep(0.02)
