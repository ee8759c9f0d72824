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

from bot.demo import JPEG, SCRIPTS, add_evidence, answer_questions, file_claim, press
from bot.demo_dispute import invite_supplier, showing, supplier_accepts_invitation
from bot.sandbox import Sandbox, SandboxServer
from flows.clock import FrozenClock
from flows.no_mediators import no_mediator_texts
from locales.i18n import Catalogs
from tests.e2e.conftest import translator
from tests.storage.dbs import sqlite_url
from tests.webhook_process import SECRET, WebhookProcess

# The bot process runs on the wall clock: the claim's dates are written from it too.
pytestmark = pytest.mark.parametrize("clock", [0], indirect=True)


@pytest.fixture
def catalogs() -> Catalogs:
    """The webhook workers run without a staff chat: a service without mediators."""
    return Catalogs(substitutes=no_mediator_texts())


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


async def test_a_request_without_the_right_secret_gets_403_and_changes_nothing(
    webhook_bot: WebhookProcess, sandbox: Sandbox, catalogs: Catalogs, tmp_path: Path
) -> None:
    await webhook_bot.start()
    eve = sandbox.user("小红", language_code="zh-hans")
    eve.started = True  # she opened the bot: what the posted "/start" says
    before = await webhook_bot.metrics()
    sent = len(sandbox.requests)

    assert await webhook_bot.post(start_command(9001, eve.id, "小红", "zh-hans"), None) == 403
    assert await webhook_bot.post(start_command(9002, eve.id, "小红", "zh-hans"), "guess") == 403
    assert await webhook_bot.post(start_command(9003, eve.id, "小红", "zh-hans"), "") == 403

    after = await webhook_bot.metrics()
    missing = ("disputebot_webhook_refused_total", (("reason", "missing"),))
    wrong = ("disputebot_webhook_refused_total", (("reason", "wrong"),))
    assert (after[missing], after[wrong]) == (before[missing] + 1, before[wrong] + 2)
    assert sandbox.requests[sent:] == [], "nothing was sent to Telegram"
    assert eve.transcript() == []
    assert rows(tmp_path, "handled_updates") == rows(tmp_path, "users") == 0
    log = webhook_bot.log()
    assert "refused (403): missing secret token" in log
    assert "refused (403): wrong secret token" in log
    assert "guess" not in log, "a wrong secret is never written to the log"

    # The same update with the secret is handled: the 403 was the secret's doing.
    assert await webhook_bot.post(start_command(9004, eve.id, "小红", "zh-hans"), SECRET) == 200
    welcome = await eve.next_message(timeout=20)
    assert welcome.text == catalogs.translator("zh_Hans").t("start.welcome", name="小红")
    assert rows(tmp_path, "users") == 1


async def test_a_redelivered_update_changes_nothing_and_the_metrics_move(
    webhook_bot: WebhookProcess, sandbox: Sandbox, catalogs: Catalogs
) -> None:
    await webhook_bot.start()
    before = await webhook_bot.metrics()
    for name in (
        "disputebot_updates_total",
        "disputebot_update_handling_seconds_count",
        "disputebot_update_errors_total",
        "disputebot_deadlines_pending",
        "disputebot_deadlines_overdue",
        "disputebot_outbox_undelivered",
        "disputebot_outbox_failed",
        "disputebot_updates_redelivered_total",
    ):
        assert any(key[0] == name for key in before), name
    buyer = sandbox.user("Anna", language_code="en")
    tr = catalogs.translator("en")
    await buyer.send("/new")
    await buyer.next_message(timeout=20)  # let's file your claim
    await buyer.next_message(timeout=20)  # order number?
    answer = await buyer.send("PO-77")
    asked = await buyer.next_message(timeout=20)  # the next question
    await sandbox.wait_until(lambda: not sandbox.updates.pending, timeout=20)
    transcript = list(buyer.transcript())

    update_id = next(
        u["update_id"]
        for u in sandbox.updates.log
        if u.get("message", {}).get("message_id") == answer["message_id"]
    )
    sandbox.updates.redeliver(update_id)
    await sandbox.wait_until(
        lambda: [s for u, s in sandbox.webhook.deliveries if u == update_id] == [200, 200],
        timeout=20,
    )
    assert buyer.transcript() == transcript, "nothing was said again"
    assert asked.text != tr.t("claim.ask.order_number")
    assert "update delivered again after it was handled: skipped" in webhook_bot.log()

    after = await webhook_bot.metrics()
    messages = ("disputebot_updates_total", (("type", "message"),))
    assert after[messages] >= before[messages] + 3  # /new, the answer, its copy
    latency = ("disputebot_update_handling_seconds_count", (("type", "message"),))
    assert after[latency] >= before[latency] + 3
    redelivered = ("disputebot_updates_redelivered_total", ())
    assert after[redelivered] == before[redelivered] + 1
    pending = ("disputebot_deadlines_pending", ())
    assert after[pending] == before[pending] + 1  # the draft's expiry
    assert after[("disputebot_deadlines_overdue", ())] == 0
    assert after[("disputebot_database_up", ())] == 1


async def test_healthz_and_switching_back_to_polling(
    webhook_bot: WebhookProcess, sandbox: Sandbox, catalogs: Catalogs
) -> None:
    await webhook_bot.start()
    assert await webhook_bot.get("/healthz") == (200, '{"status":"ok","database":"ok"}')
    assert await webhook_bot.stop() == 0
    assert sandbox.webhook.active

    await webhook_bot.start(webhook=False)
    assert not sandbox.webhook.active, "polling removed the webhook"
    assert sandbox.webhook.info()["url"] == ""
    user = sandbox.user("李伟", language_code="zh-hans")
    await user.send("/start")
    welcome = await user.next_message(timeout=20)
    assert welcome.text == catalogs.translator("zh_Hans").t("start.welcome", name="李伟")
    assert await webhook_bot.stop() == 0

    await webhook_bot.start()  # and by webhook again
    await user.send("/start")
    again = await user.next_message(timeout=20)
    assert again.text == welcome.text


async def test_a_worker_killed_before_its_answer_gets_the_update_again_and_nothing_doubles(
    webhook_bot: WebhookProcess, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    """Killed after the filing committed, before the 200: Telegram posts the Submit press again
    to the restarted worker, whose ledger skips it; the news of the filing, committed in the
    outbox, goes out once at start-up."""
    buyer = sandbox.user("小明", language_code="zh-hans")
    tr = catalogs.translator("zh_Hans")
    script = SCRIPTS["zh_Hans"]
    await webhook_bot.start(crash_at="outbox.after_commit:filed")
    await answer_questions(buyer, tr, script, clock, 20)
    await add_evidence(buyer, tr, buyer.send_photo(JPEG), script.photo_label, "tag.defect", 20)
    await press(buyer, tr.t("button.done"), 20)
    await buyer.next_message(timeout=20)  # the summary to confirm
    await press(buyer, tr.t("button.submit"), 20)
    await webhook_bot.killed()
    submit = sandbox.updates.pending[0]["update_id"]
    assert "callback_query" in sandbox.updates.pending[0], "the press was never answered 2xx"
    create_chat = showing(tr.t("button.create_chat"))
    assert not any(create_chat(e) for e in buyer.transcript())

    await webhook_bot.start()
    await buyer.wait_for(create_chat, timeout=30)
    await sandbox.wait_until(lambda: not sandbox.updates.pending, timeout=30)
    assert [s for u, s in sandbox.webhook.deliveries if u == submit][-1] == 200
    assert "update delivered again after it was handled: skipped" in webhook_bot.log()
    assert sum(1 for e in buyer.transcript() if e.from_bot and create_chat(e)) == 1
    assert await webhook_bot.stop() == 0
