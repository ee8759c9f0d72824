"""`disputebot run --webhook` as a real process: the sandbox posts every update to it with the
secret token, as Telegram does. A claim and the supplier's first steps work by webhook, in
English and Chinese; a request without the right secret gets 403 and changes nothing; a
re-delivered update changes nothing; `run` without --webhook switches back to polling."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FrozenClock
from bot.demo import SCRIPTS, file_claim
from bot.demo_dispute import invite_supplier, showing, supplier_accepts_invitation
from bot.i18n import Catalogs
from bot.sandbox import Sandbox, SandboxServer
from tests.e2e.conftest import translator
from tests.storage.dbs import sqlite_url
from tests.webhook_process import SECRET, WebhookProcess

# The bot process runs on the wall clock: the claim's dates are written from it too.
pytestmark = pytest.mark.parametrize("clock", [0], indirect=True)


@pytest.fixture
async def webhook_bot(
    sandbox: Sandbox, server: SandboxServer, tmp_path: Path
) -> AsyncIterator[WebhookProcess]:
    process = WebhookProcess(sandbox, server, sqlite_url(tmp_path / "data"), tmp_path)
    try:
        yield process
    finally:
        await process.stop()


def rows(tmp_path: Path, table: str) -> int:
    with sqlite3.connect(tmp_path / "data" / "bot.db") as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def start_command(update_id: int, user_id: int, name: str, language: str) -> dict[str, Any]:
    """A private "/start" as Telegram would post it."""
    person = {"id": user_id, "is_bot": False, "first_name": name, "language_code": language}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 900,
            "date": 1_800_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": name},
            "from": person,
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


@pytest.mark.parametrize("language", ["en", "zh_Hans"])
async def test_a_claim_is_filed_and_the_supplier_answers_it_by_webhook(
    webhook_bot: WebhookProcess,
    sandbox: Sandbox,
    catalogs: Catalogs,
    clock: FrozenClock,
    language: str,
) -> None:
    await webhook_bot.start()
    info = sandbox.webhook.info()
    assert info["url"] == webhook_bot.hook
    assert sandbox.webhook.settings.secret_token == SECRET
    assert set(info["allowed_updates"]) >= {"message", "callback_query", "chat_member"}
    code = "zh-hans" if language == "zh_Hans" else "en"
    buyer = sandbox.user("小明" if language == "zh_Hans" else "Anna", language_code=code)
    supplier = sandbox.user("Hans" if language == "zh_Hans" else "王芳", language_code="zh-hans")
    btr, str_ = translator(catalogs, buyer), translator(catalogs, supplier)

    await buyer.send("/start")
    welcome = await buyer.next_message(timeout=20)
    assert welcome.text == btr.t("start.welcome", name=buyer.first_name)
    await file_claim(buyer, btr, SCRIPTS[language], clock, timeout=20)
    await buyer.wait_for(showing(btr.t("button.create_chat")), timeout=20)
    invitation = await invite_supplier(buyer, btr, timeout=20)
    await supplier_accepts_invitation(supplier, str_, invitation, None, timeout=20)
    await supplier.wait_for(showing(str_.t("button.contest")), timeout=20)

    # Each update is answered once handled (the last press may still be finishing).
    await sandbox.wait_until(lambda: not sandbox.updates.pending, timeout=20)
    deliveries = sandbox.webhook.deliveries
    assert len(deliveries) == len(sandbox.updates.log) > 20
    assert all(status == 200 for _, status in deliveries)
    assert await webhook_bot.stop() == 0
    assert "webhook worker stopped" in webhook_bot.log()
    assert sandbox.webhook.active, "a stopping worker leaves the webhook to the others"
