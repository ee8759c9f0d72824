"""Case numbers are for filed claims: a draft takes none, filings are numbered #1, #2, ... in
order; /cases lists drafts as drafts and says why each closed case closed; /case N and the
numbered commands find the case by the number people see, never by the internal id (issue 8,
point 7). In English and Chinese."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.demo import SCRIPTS, file_claim
from bot.sandbox import Sandbox
from bot.scheduler import sweep
from flows.clock import FrozenClock
from flows.rules.lifecycle import CaseState, ClosingReason
from locales.i18n import Catalogs
from tests.e2e.conftest import BotHarness, translator
from tests.e2e.dispute_steps import is_head_notice, saying

LANGUAGES = [("en", "en"), ("zh-hans", "zh_Hans")]


@pytest.mark.parametrize(("language_code", "language"), LANGUAGES)
async def test_drafts_take_no_number_and_cases_say_why_they_closed(
    bot: BotHarness,
    sandbox: Sandbox,
    catalogs: Catalogs,
    clock: FrozenClock,
    language_code: str,
    language: str,
) -> None:
    buyer = sandbox.user("Anna", language_code=language_code)
    tr = translator(catalogs, buyer)
    db, script = bot.services.db, SCRIPTS[language]
    assert bot.app is not None

    # A draft begun and left: it names no number, and it expires without taking one.
    await buyer.send("/new")
    assert (await buyer.next_message()).text == tr.t("claim.started")
    await buyer.next_message()  # the first question
    clock.advance(timedelta(days=7, minutes=1))
    await sweep(bot.services, bot.app.bot)
    await buyer.wait_for(saying(tr.t("outcome_applied.draft_deleted")))
    buyer.skip_messages()  # its reminders and its end: the claims below read from here
    [expired_draft] = await db.cases.list_for_user(buyer.id, include_closed_drafts=True)
    assert expired_draft.closed_reason is ClosingReason.EXPIRED and expired_draft.number is None

    # Two claims filed: they are #1 and #2, whatever their internal ids.
    due = tr.datetime(clock.now() + timedelta(days=7))
    first_filed = await file_claim(buyer, tr, script, clock)
    assert first_filed == tr.t("claim.filed", number="#1", id=1, due=due)
    second_filed = await file_claim(buyer, tr, script, clock)
    assert second_filed == tr.t("claim.filed", number="#2", id=2, due=due)
    assert "/case 1" in first_filed and "/case 2" in second_filed
    first, second = await db.cases.by_number(1), await db.cases.by_number(2)
    assert first is not None and second is not None
    assert (first.id, second.id) == (2, 3)  # the draft took an id, not a number

    # /case N finds the case by its number; the internal id of #2 (3) names nothing.
    await buyer.send("/case 1")
    view = await buyer.next_message()
    assert view.text.startswith("#1 · ") and script.product in view.text
    await buyer.send("/case 3")
    assert (await buyer.next_message()).text == tr.t("case.not_found", number="#3")

    # #1 withdrawn with the number typed; #2 lapses (no invitation in time).
    await buyer.send("/withdraw 1")
    confirm = await buyer.next_message()
    assert confirm.text == tr.t("withdraw.confirm", number="#1")
    await buyer.press(tr.t("button.withdraw_yes"), message=confirm.message_id)
    withdrawn = await buyer.wait_for(saying(tr.t("withdraw.done", number="#1")))
    # Each closing's record head follows its news (flows/witness.py): read past both.
    await buyer.wait_for(lambda e: is_head_notice(e) and e.message_id > withdrawn.message_id)
    clock.advance(timedelta(days=7, minutes=1))
    await sweep(bot.services, bot.app.bot)
    told = await buyer.wait_for(saying(tr.t("outcome_applied.claim_lapsed", number="#2", due=due)))
    await buyer.wait_for(lambda e: is_head_notice(e) and e.message_id > told.message_id)
    buyer.skip_messages()
    lapsed = await db.cases.get(second.id)
    assert lapsed is not None and lapsed.state is CaseState.CLOSED

    # A new draft: in /cases as a draft, without a number; the expired draft is not listed.
    await buyer.send("/new")
    assert (await buyer.next_message()).text == tr.t("claim.started")
    await buyer.next_message()
    draft = await db.cases.active_draft_for(buyer.id)
    assert draft is not None and draft[0].number is None
    [expiry] = await db.deadlines.pending_for_case(draft[0].id)
    await buyer.send("/cases")
    listing = await buyer.next_message()
    product = script.product
    assert listing.text == "\n\n".join(
        [
            tr.t("cases.header"),
            tr.t(
                "cases.draft_due",
                what=tr.t("deadline.draft_expiry"),
                due=tr.datetime(expiry.due_at),
            ),
            tr.t("cases.line", number="#2", state=tr.t("closed.expired"), title=product),
            tr.t("cases.line", number="#1", state=tr.t("closed.withdrawn"), title=product),
        ]
    )
    assert "#3" not in listing.text and "#4" not in listing.text
