"""A real `disputebot run` killed with SIGKILL at chosen moments, then started again: every
message about a change arrives exactly once and the case goes on. SQLite and PostgreSQL.

The moments are the bot's test-only crash points (`flows/crash.py`, `DISPUTEBOT_CRASH_AT`):
after filing, after "Yes, I am the supplier" and after Accept (each: committed, nothing sent
yet), inside a counter-proposal's transaction and after its commit, after a reminder was
claimed and queued, and inside a deadline's transaction (claimed and applied, not committed).
The bot process has the wall clock, not the tests' FrozenClock; to
bring it to a reminder or a due deadline it is started with `DISPUTEBOT_CLOCK_OFFSET_SECONDS`
(days ahead) rather than driving the sweep in-process, so that the process that dies is the one
that sweeps, with its scheduler, as in production.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.demo import JPEG, PDF, SCRIPTS, add_evidence, answer_questions, press
from bot.demo_dispute import fulfil_with_receipt, invite_supplier
from bot.sandbox import Sandbox, SandboxServer
from bot.sandbox.state import TranscriptEntry
from bot.sandbox.users import SandboxUser
from flows.clock import FrozenClock
from locales.i18n import Catalogs
from storage import Database
from tests.bot_process import BotProcess
from tests.e2e.conftest import eventually
from tests.e2e.dispute_steps import containing, is_head_notice, showing
from tests.storage.dbs import (
    fresh_postgres_url,
    sqlite_url,
    usable_postgres_admin,
)

DAY = 24 * 3600


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "data")
        return
    admin = await usable_postgres_admin()
    async with fresh_postgres_url(admin) as url:
        yield url


@pytest.fixture
async def bot_process(
    sandbox: Sandbox, server: SandboxServer, database_url: str, tmp_path: Path
) -> AsyncIterator[BotProcess]:
    process = BotProcess(sandbox, server, database_url, tmp_path)
    try:
        yield process
    finally:
        await process.stop()


def count(user: SandboxUser, match: Callable[[TranscriptEntry], bool]) -> int:
    return sum(1 for entry in user.transcript() if entry.from_bot and match(entry))


async def file_until_submit(user: SandboxUser, catalogs: Catalogs, clock: FrozenClock) -> None:
    """The scripted claim up to the press on Submit (whose answer comes before the filing)."""
    tr = catalogs.translator("en")
    script = SCRIPTS["en"]
    await answer_questions(user, tr, script, clock, 20)
    await add_evidence(user, tr, user.send_photo(JPEG), script.photo_label, "tag.defect", 20)
    document = user.send_document(PDF, "inspection.pdf", "application/pdf")
    await add_evidence(user, tr, document, script.document_label, "tag.contract", 20)
    await press(user, tr.t("button.done"), 20)
    await user.next_message(timeout=20)  # the summary to confirm
    await press(user, tr.t("button.submit"), 20)


async def test_killed_after_each_commit_every_message_arrives_once_and_the_case_goes_on(
    bot_process: BotProcess, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    buyer = sandbox.user("Anna", language_code="en")
    supplier = sandbox.user("王芳", language_code="zh-hans")
    btr, st = catalogs.translator("en"), catalogs.translator("zh_Hans")
    create_chat = showing(btr.t("button.create_chat"))

    # Filing: committed, then killed before the buyer heard of it.
    await bot_process.start(crash_at="outbox.after_commit:filed")
    await file_until_submit(buyer, catalogs, clock)
    await bot_process.killed()
    assert count(buyer, create_chat) == 0
    await bot_process.start(crash_at="outbox.after_commit:joined")
    await buyer.wait_for(create_chat, timeout=30)

    # "Yes, I am the supplier": joined, then killed before anyone heard of it.
    invitation = await invite_supplier(buyer, btr, timeout=20)
    await supplier.open_link(invitation)
    await supplier.next_message(timeout=20)  # the claim, "are you the supplier?"
    # The kill must meet this step's news, not an earlier step's still being sent (a row in
    # flight when the process dies waits out its 60-second lease, longer than these waits).
    await outbox_drained(bot_process.url)
    await supplier.press(st.t("button.i_am_supplier"), timeout=20)
    await bot_process.killed()
    answer_buttons = showing(st.t("button.contest"))
    replace = showing(btr.t("button.replace_supplier"))
    assert count(supplier, answer_buttons) == 0
    await bot_process.start(crash_at="outbox.after_commit:settled")
    # (Their buttons are taken off once they no longer apply: counted by text at the end.)
    answer_text = (await supplier.wait_for(answer_buttons, timeout=30)).text
    replace_text = (await buyer.wait_for(replace, timeout=30)).text

    # Accept, confirmed: settled, then killed before either party heard of it (the press
    # stays unanswered by the dead process; the next one answers the re-delivered press).
    # Only the supplier, who owes O1, gets its "done" button; the buyer gets the news.
    await supplier.press(st.t("button.accept_request"), timeout=20)
    yes = st.t("button.accept_request_yes")
    question = await supplier.wait_for(showing(yes), timeout=20)
    await outbox_drained(bot_process.url)
    pressing = asyncio.create_task(supplier.press(yes, message=question.message_id, timeout=60))
    await bot_process.killed()
    settled = btr.t("settlement.reached", case="#1", number="\x00", by="", obligations="", due="")
    buyer_done = containing(settled.split("\x00")[0])
    supplier_done = showing(st.t("button.mark_done", number="O1"))
    assert count(buyer, buyer_done) + count(supplier, supplier_done) == 0
    await bot_process.start()
    await pressing
    done_text = (await supplier.wait_for(supplier_done, timeout=30)).text
    await buyer.wait_for(buyer_done, timeout=30)

    # The case goes on: fulfilment marked with proof and confirmed, the case closed.
    await fulfil_with_receipt(supplier, st, buyer, btr, "退款回单", timeout=30)
    db = await Database.connect(bot_process.url, migrate=False)
    try:
        [case] = await db.cases.list_for_user(buyer.id)
    finally:
        await db.dispose()
    closed = btr.t("case.closed_fulfilled", number=f"#{case.id}")
    await buyer.wait_for(lambda e: e.text == closed, timeout=30)
    # The closing's last news is each party's rating question: all is delivered once both
    # have it (stopping earlier raced the supplier's and left its row open in the outbox).
    await buyer.wait_for(containing(btr.t("rating.ask", number=f"#{case.id}")), timeout=30)
    await supplier.wait_for(containing(st.t("rating.ask", number=f"#{case.id}")), timeout=30)

    # Exactly once each, whatever was re-delivered or drained at start-up.
    assert count(buyer, create_chat) == 1
    assert count(supplier, lambda e: e.text == answer_text) == 1
    assert count(buyer, lambda e: e.text == replace_text) == 1
    assert count(supplier, lambda e: e.text == done_text) == 1
    assert count(buyer, buyer_done) == 1
    # The closing's news is followed by the record's head to each party (flows/witness.py):
    # everything queued is delivered, then the bot stops (it raced the head notices).
    await outbox_drained(bot_process.url)
    await bot_process.stop()  # whatever it was still sending is sent or left in the outbox
    db = await Database.connect(bot_process.url, migrate=False)
    try:
        assert await db.outbox.open_count() == 0
    finally:
        await db.dispose()


async def outbox_drained(url: str) -> None:
    """Wait until everything queued in the outbox was delivered."""
    db = await Database.connect(url, migrate=False)

    async def drained() -> bool:
        return await db.outbox.open_count() == 0

    try:
        await eventually(drained, within=30)
    finally:
        await db.dispose()


async def test_killed_in_a_reminder_and_in_a_deadline_nothing_is_lost_or_doubled(
    bot_process: BotProcess, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    buyer = sandbox.user("Anna", language_code="en")
    btr = catalogs.translator("en")
    await bot_process.start()
    await file_until_submit(buyer, catalogs, clock)
    await buyer.wait_for(showing(btr.t("button.create_chat")), timeout=30)
    await bot_process.stop()
    db = await Database.connect(bot_process.url, migrate=False)
    try:
        [case] = await db.cases.list_for_user(buyer.id)
        [deadline] = await db.deadlines.pending_for_case(case.id)
    finally:
        await db.dispose()
    number = f"#{case.id}"
    invite = btr.t("button.invite_supplier")

    def reminder(entry: TranscriptEntry) -> bool:
        return entry.text.startswith(
            btr.t("reminder.supplier_invitation", number=number, due="\x00").split("\x00")[0]
        )

    # Half time of the buyer's 7 days: the reminder is claimed and queued, then the process dies.
    await bot_process.start(crash_at="sweep.reminder_committed", offset_days=4)
    await bot_process.killed()
    assert count(buyer, reminder) == 0
    await bot_process.start(offset_days=4)
    await buyer.wait_for(lambda e: reminder(e) and invite in e.button_texts, timeout=30)
    await bot_process.stop()

    # Past the deadline: claimed and applied inside one transaction, killed before its commit.
    lapsed = btr.t("outcome_applied.claim_lapsed", number=number, due="\x00").split("\x00")[0]
    await bot_process.start(crash_at="sweep.deadline_in_transaction", offset_days=8)
    await bot_process.killed()
    db = await Database.connect(bot_process.url, migrate=False)
    try:
        still = await db.deadlines.get(deadline.id)
        assert still is not None and still.status == "pending"  # nothing half done
    finally:
        await db.dispose()
    await bot_process.start(offset_days=8)
    told = await buyer.wait_for(lambda e: e.text.startswith(lapsed), timeout=30)
    # The closing's record head follows its news (flows/witness.py): all is delivered then.
    await buyer.wait_for(lambda e: is_head_notice(e) and e.message_id > told.message_id, timeout=30)
    await bot_process.stop()

    assert count(buyer, reminder) == 1
    assert count(buyer, lambda e: e.text.startswith(lapsed)) == 1
    db = await Database.connect(bot_process.url, migrate=False)
    try:
        closed = await db.cases.get(case.id)
        assert closed is not None and closed.closed_at is not None
        fired = await db.deadlines.get(deadline.id)
        assert fired is not None and fired.status == "fired"
        assert await db.outbox.open_count() == 0
        assert (await db.history.verify(case.id)).ok
    finally:
        await db.dispose()


async def test_killed_during_a_counter_proposal_it_reaches_the_buyer_once(
    bot_process: BotProcess, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    """The supplier's counter-proposal is one step: their response (the case to negotiation),
    the proposal and its news, and the builder it was made in. Killed inside that transaction,
    nothing of it is left and Send works again (before, the builder was gone and the case had
    moved, with no proposal: lost); killed after its commit, it is all there. The buyer gets
    it once after the restart, and the supplier is told it was sent."""
    buyer = sandbox.user("Anna", language_code="en")
    supplier = sandbox.user("王芳", language_code="zh-hans")
    btr, st = catalogs.translator("en"), catalogs.translator("zh_Hans")
    await bot_process.start()
    await file_until_submit(buyer, catalogs, clock)
    await buyer.wait_for(showing(btr.t("button.create_chat")), timeout=30)
    invitation = await invite_supplier(buyer, btr, timeout=20)
    await supplier.open_link(invitation)
    await supplier.next_message(timeout=20)  # the claim, "are you the supplier?"
    await supplier.press(st.t("button.i_am_supplier"), timeout=20)
    await supplier.wait_for(showing(st.t("button.counter")), timeout=20)
    await bot_process.stop()

    async def state() -> tuple[str, int, bool]:
        db = await Database.connect(bot_process.url, migrate=False)
        try:
            [case] = await db.cases.list_for_user(buyer.id)
            made = await db.proposals.list(case.id)
            builder = await db.inputs.get(supplier.id, supplier.id)
            return case.state.value, len(made), builder is not None
        finally:
            await db.dispose()

    def proposal_for_buyer(entry: TranscriptEntry) -> bool:
        return btr.t("button.accept") in entry.button_texts and "P1" in entry.text

    sent = showing(st.t("button.send_proposal"))
    await bot_process.start(crash_at="proposal.in_transaction")
    await supplier.press(st.t("button.counter"), timeout=20)
    await supplier.wait_for(showing(st.t("outcome.full_refund")), timeout=20)
    await supplier.press(st.t("outcome.full_refund"), timeout=20)
    ready = await supplier.wait_for(sent, timeout=20)
    # The press is answered before the proposal is stored; the process dies in its commit.
    pressing = asyncio.create_task(
        supplier.press(st.t("button.send_proposal"), message=ready.message_id, timeout=60)
    )
    await bot_process.killed()
    await pressing
    assert await state() == ("awaiting_supplier", 0, True)  # nothing of the step

    # The builder is still there, so Send works again (polling confirmed the update before
    # it was handled, so it may not come again); this time killed just after the commit.
    await bot_process.start(crash_at="outbox.after_commit:proposed")
    pressing = asyncio.create_task(
        supplier.press(st.t("button.send_proposal"), message=ready.message_id, timeout=60)
    )
    await bot_process.killed()
    assert await state() == ("negotiation", 1, False)  # all of the step
    assert count(buyer, proposal_for_buyer) == 0

    await bot_process.start()
    await pressing
    await buyer.wait_for(proposal_for_buyer, timeout=30)
    await supplier.wait_for(lambda e: e.text == st.t("builder.sent", number="P1"), timeout=30)
    await bot_process.stop()
    assert count(buyer, proposal_for_buyer) == 1
    assert count(supplier, lambda e: e.text == st.t("builder.sent", number="P1")) == 1
    assert await state() == ("negotiation", 1, False)
    db = await Database.connect(bot_process.url, migrate=False)
    try:
        assert await db.outbox.open_count() == 0
    finally:
        await db.dispose()


async def test_killed_after_the_last_confirmation_the_case_is_closed_after_the_restart(
    bot_process: BotProcess, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    """Found by the soak run: confirming the last obligation and closing the case were two
    transactions, so a kill between them left a settled case with everything confirmed, no
    action open to anyone and the confirmation's update already in the ledger: stranded."""
    buyer = sandbox.user("Anna", language_code="en")
    supplier = sandbox.user("王芳", language_code="zh-hans")
    btr, st = catalogs.translator("en"), catalogs.translator("zh_Hans")
    await bot_process.start(crash_at="outbox.after_commit:confirmed")
    await file_until_submit(buyer, catalogs, clock)
    await buyer.wait_for(showing(btr.t("button.create_chat")), timeout=30)
    invitation = await invite_supplier(buyer, btr, timeout=20)
    await supplier.open_link(invitation)
    await supplier.next_message(timeout=20)  # the claim, "are you the supplier?"
    await supplier.press(st.t("button.i_am_supplier"), timeout=20)
    await supplier.wait_for(showing(st.t("button.accept_request")), timeout=20)
    await supplier.press(st.t("button.accept_request"), timeout=20)
    yes = st.t("button.accept_request_yes")
    question = await supplier.wait_for(showing(yes), timeout=20)
    await supplier.press(yes, message=question.message_id, timeout=20)
    done = st.t("button.mark_done", number="O1")
    await supplier.wait_for(showing(done), timeout=20)
    await supplier.press(done, timeout=20)
    await supplier.wait_for(showing(st.t("button.no_proof")), timeout=20)
    await supplier.press(st.t("button.no_proof"), timeout=20)
    confirm = btr.t("button.confirm_done")
    await buyer.wait_for(showing(confirm), timeout=20)
    # Confirmed and committed, then killed before anything else happened.
    pressing = asyncio.create_task(buyer.press(confirm, timeout=60))
    await bot_process.killed()
    await bot_process.start()
    await pressing
    db = await Database.connect(bot_process.url, migrate=False)
    try:
        [case] = await db.cases.list_for_user(buyer.id)
    finally:
        await db.dispose()
    closed = btr.t("case.closed_fulfilled", number=f"#{case.id}")
    await buyer.wait_for(lambda e: e.text == closed, timeout=30)
    await bot_process.stop()
    assert count(buyer, lambda e: e.text == closed) == 1
    db = await Database.connect(bot_process.url, migrate=False)
    try:
        stored = await db.cases.get(case.id)
        assert stored is not None and stored.state.value == "closed"
        assert (await db.history.verify(case.id)).ok
    finally:
        await db.dispose()
