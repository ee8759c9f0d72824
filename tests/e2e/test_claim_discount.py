"""A discount on a future order asked for in the claim form names its size (issue 8, point 5).

The form asks for it as its own step (a percentage, or an amount in the claim's currency of at
most what was paid), with Back, Change and edits as for every other answer; the summary, the
supplier's view of the claim, the supplier's "accept the buyer's request" confirmation and the
settlement's obligation all state the size, in English and in Chinese. A draft saved before the
form asked for the size still files, and only its discount is "to be confirmed in writing".
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from bot.demo import JPEG, SCRIPTS, ClaimScript, answer_questions
from bot.demo_dispute import confirm_privately, invite_supplier, supplier_accepts_invitation
from bot.sandbox import Sandbox, SandboxUser
from flows.claim_steps import Step
from flows.clock import FrozenClock
from flows.rules.lifecycle import CaseState
from locales.i18n import Catalogs, Translator
from tests.e2e.conftest import BotHarness, translator
from tests.e2e.dispute_steps import containing, open_case, showing

LANGUAGES = pytest.mark.parametrize(
    ("language_code", "language"), [("en", "en"), ("zh-hans", "zh_Hans")]
)


def step_line(tr: Translator, n: int) -> str:
    return tr.t("claim.progress", n=n, total=14)


def _paid(script: ClaimScript) -> Decimal:
    return Decimal(script.amount.replace(".", "").replace(",", "")) / 100  # "4,250.00"


def _question(tr: Translator, currency: str, paid: Decimal) -> str:
    money = tr.money(paid, currency)
    return (
        step_line(tr, 12) + "\n" + tr.t("claim.ask.outcome_discount", currency=currency, paid=money)
    )


async def _answers(bot: BotHarness, user: SandboxUser) -> dict[str, object]:
    active = await bot.services.db.cases.active_draft_for(user.id)
    assert active is not None
    return active[1].answers


async def _send(user: SandboxUser, text: str) -> tuple[int, str]:
    """Type `text`; the sent message's id and the bot's first answer."""
    sent = await user.send(text)
    return int(str(sent["message_id"])), (await user.next_message()).text


async def _refused(user: SandboxUser, text: str, error: str, question: str) -> None:
    """A bad answer: the reason, then the discount question again."""
    await user.send(text)
    assert (await user.next_message()).text == error
    assert (await user.next_message()).text == question


async def _add_photo(user: SandboxUser, tr: Translator, label: str) -> None:
    await user.send_photo(JPEG, caption=label)
    await user.next_message()  # tag?
    await user.press(tr.t("tag.defect"))
    await user.next_message()  # added
    await user.next_message()  # the evidence question again


@LANGUAGES
async def test_the_claim_form_asks_for_the_discount_and_checks_it(
    bot: BotHarness,
    sandbox: Sandbox,
    catalogs: Catalogs,
    clock: FrozenClock,
    language_code: str,
    language: str,
) -> None:
    buyer = sandbox.user("Buyer", language_code=language_code)
    tr = translator(catalogs, buyer)
    script = SCRIPTS[language]
    currency, paid = script.currency_button, _paid(script)
    question = _question(tr, currency, paid)
    # Up to the evidence question with a replacement asked for, then Back to the outcome.
    await answer_questions(buyer, tr, script, clock, outcome="outcome.replacement")
    await buyer.press(tr.t("button.back"))
    assert (await buyer.next_message()).text.startswith(step_line(tr, 12))
    await buyer.press(tr.t("outcome.discount"))
    assert (await buyer.next_message()).text == question

    # Bad answers are refused with the reason, and the question is asked again.
    await _refused(buyer, "120%", tr.t("error.discount.percent_range"), question)
    await _refused(buyer, "0%", tr.t("error.discount.percent_range"), question)
    await _refused(buyer, "0", tr.t("error.amount.not_positive"), question)
    await _refused(buyer, "ten", tr.t("error.discount.invalid", currency=currency), question)
    over = tr.t("error.discount.exceeds_paid", paid=tr.money(paid, currency))
    await _refused(buyer, str(paid + 1), over, question)

    # A percentage: the evidence question; an edit of it replaces it.
    sent, evidence = await _send(buyer, "10%")
    assert evidence.startswith(step_line(tr, 13))
    answers = await _answers(bot, buyer)
    assert (answers["discount_percent"], answers.get("discount_amount")) == ("10", None)
    await buyer.edit(sent, "12 ％")
    assert (await buyer.next_message()).text == tr.t("claim.edit.replaced", answer="12%")
    assert (await buyer.next_message()).text.startswith(step_line(tr, 13))
    assert (await _answers(bot, buyer))["discount_percent"] == "12"

    # Back shows the saved size; an amount replaces the percentage.
    await buyer.press(tr.t("button.back"))
    back = (await buyer.next_message()).text
    assert back == question + "\n\n" + tr.t("claim.saved", answer="12%")
    _, evidence = await _send(buyer, "200")
    assert evidence.startswith(step_line(tr, 13))
    answers = await _answers(bot, buyer)
    assert (answers["discount_amount"], answers["discount_percent"]) == ("200.00", None)

    # The summary states it.
    await _add_photo(buyer, tr, script.photo_label)
    await buyer.press(tr.t("button.done"))
    money = tr.money(Decimal("200"), currency)
    by_amount = tr.t("claim.summary.outcome", outcome=tr.t("outcome.discount_amount", amount=money))
    summary = await buyer.next_message()
    assert summary.text.startswith(step_line(tr, 14)) and by_amount in summary.text

    # Change the outcome: the outcome, then the discount, each with its saved answer kept.
    await buyer.press(tr.t("button.change.outcome"))
    assert (await buyer.next_message()).text.startswith(step_line(tr, 12))
    await buyer.press(tr.t("button.keep_answer"))
    assert (await buyer.next_message()).text == question + "\n\n" + tr.t(
        "claim.saved", answer=money
    )
    await buyer.press(tr.t("button.keep_answer"))
    summary = await buyer.next_message()
    assert summary.text.startswith(step_line(tr, 14)) and by_amount in summary.text

    # A new currency: the discount was an amount in the old one, so it is asked again (keeping
    # it is refused: the same figure in another currency is another discount).
    other = "EUR" if currency != "EUR" else "USD"
    await buyer.press(tr.t("button.change.paid"))
    await buyer.next_message()
    await buyer.press(other)
    await buyer.next_message()  # the amount paid, in the new currency?
    await buyer.send(str(paid))
    asked_again = await buyer.next_message()
    assert asked_again.text == _question(tr, other, paid) + "\n\n" + tr.t(
        "claim.saved", answer=money
    )
    await buyer.press(tr.t("button.keep_answer"), message=asked_again.message_id)
    assert (await buyer.next_message()).text == tr.t(
        "error.amount.currency_mismatch", currency=other
    )
    assert (await buyer.next_message()).text.startswith(_question(tr, other, paid))
    await buyer.send("15%")
    summary = await buyer.next_message()
    by_percent = tr.t("outcome.discount_percent", percent="15")
    assert summary.text.startswith(step_line(tr, 14))
    assert tr.t("claim.summary.outcome", outcome=by_percent) in summary.text

    # Filed: the claim keeps the size.
    await buyer.press(tr.t("button.submit"))
    await buyer.next_message()
    [case] = await bot.services.db.cases.list_for_user(buyer.id)
    assert case.state is CaseState.AWAITING_SUPPLIER
    claim = case.filed_claim
    assert (claim.outcome, claim.discount_percent) == ("discount", Decimal("15"))
    assert claim.discount_amount is None
    # stored as filed: the answer cleared by the percentage is left out, not null
    assert "discount_amount" not in claim.record()


@pytest.mark.parametrize(
    ("typed", "term_key", "duty_key", "size"),
    [
        ("10%", "term.discount", "obligation.grant_discount", {"percent": "10"}),
        ("250", "term.discount_amount", "obligation.grant_discount_amount", {"amount": "250"}),
    ],
)
async def test_the_supplier_accepts_the_requested_discount_with_its_size(
    bot: BotHarness,
    sandbox: Sandbox,
    catalogs: Catalogs,
    clock: FrozenClock,
    typed: str,
    term_key: str,
    duty_key: str,
    size: dict[str, str],
) -> None:
    case = await open_case(
        bot, sandbox, catalogs, clock, outcome="outcome.discount", discount=typed
    )
    btr, str_ = case.btr, case.str_

    def params(tr: Translator) -> dict[str, str]:
        if "amount" in size:
            return {"amount": tr.money(Decimal(size["amount"]), "USD")}
        return dict(size)

    def outcome(tr: Translator) -> str:
        key = "outcome.discount_amount" if "amount" in size else "outcome.discount_percent"
        return tr.t(key, **params(tr))

    # The supplier's view of the claim, and the question they answer, state the size.
    assert any(outcome(str_) in e.text for e in case.supplier.transcript())
    stored = await bot.services.db.cases.get(case.case_id)
    assert stored is not None
    percent, amount = stored.filed_claim.discount
    assert (percent if "percent" in size else amount) is not None

    # "Accept the buyer's request" asks to confirm the discount with its size.
    await case.supplier.press(str_.t("button.accept_request"))
    confirm = str_.t(
        "supplier.confirm_accept", case=case.number, terms="• " + str_.t(term_key, **params(str_))
    )
    await case.supplier.wait_for(lambda e: e.text == confirm)
    await confirm_privately(case.supplier, str_.t("button.accept_request_yes"))
    due = clock.now() + timedelta(days=7)

    def duty(tr: Translator) -> str:
        return tr.t(
            duty_key, number="O1", party=tr.t("role.supplier"), due=tr.datetime(due), **params(tr)
        )

    def settled(tr: Translator) -> str:
        return tr.t(
            "settlement.reached",
            case=case.number,
            number="P1",
            by=tr.t("role.supplier"),
            obligations=duty(tr),
            due=tr.datetime(due),
        )

    await case.buyer.wait_for(containing(settled(btr)))
    supplier_sees = await case.supplier.wait_for(containing(settled(str_)))
    in_chat = await case.buyer.wait_for(containing(duty(str_)), chat=case.group)
    assert duty(btr) in in_chat.text and "后续订单优惠" in supplier_sees.text
    for entry in (supplier_sees, in_chat):
        assert str_.t("term.discount_open") not in entry.text
        assert "书面确认后续订单优惠，并写明优惠幅度" not in entry.text
    [obligation] = await bot.services.db.obligations.list(case.case_id)
    assert (obligation.party_role, obligation.kind) == ("supplier", "grant_discount")
    [proposal] = await bot.services.db.proposals.list(case.case_id)
    [term] = proposal.terms["terms"]
    if "percent" in size:
        assert (term["percent"], term["amount"]) == ("10", None)
    else:
        assert (term["percent"], term["amount"]) == (None, "250.00")


async def test_a_draft_saved_before_the_size_was_asked_still_files_and_is_accepted(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    buyer = sandbox.user("Anna", language_code="en")
    supplier = sandbox.user("王芳", language_code="zh-hans")
    btr, str_ = translator(catalogs, buyer), translator(catalogs, supplier)
    script = SCRIPTS["en"]
    await answer_questions(buyer, btr, script, clock, outcome="outcome.discount")
    # The draft as the form saved it before it asked for the size: a discount, no size.
    db = bot.services.db
    active = await db.cases.active_draft_for(buyer.id)
    assert active is not None
    case, draft = active
    answers = {
        key: value
        for key, value in draft.answers.items()
        if key not in ("discount_percent", "discount_amount", "_discount_currency")
    }
    stack = [step for step in draft.back_stack if step != Step.OUTCOME_DISCOUNT]
    await db.drafts.save(
        case.id, Step.EVIDENCE, answers, stack, clock.now(), expected_version=draft.version
    )
    await _add_photo(buyer, btr, script.photo_label)
    await buyer.press(btr.t("button.done"))
    summary = await buyer.next_message()
    plain = btr.t("claim.summary.outcome", outcome=btr.t("outcome.discount"))
    assert plain in summary.text.split("\n")
    await buyer.press(btr.t("button.submit"))
    await buyer.next_message()
    invitation = await invite_supplier(buyer, btr)
    await supplier_accepts_invitation(supplier, str_, invitation, None)
    await supplier.wait_for(showing(str_.t("button.contest")))

    # Accepting it commits to a discount whose size the supplier confirms in writing.
    await supplier.press(str_.t("button.accept_request"))
    filed = await db.cases.get(case.id)
    assert filed is not None and filed.number is not None
    confirm = str_.t(
        "supplier.confirm_accept",
        case=f"#{filed.number}",
        terms="• " + str_.t("term.discount_open"),
    )
    await supplier.wait_for(lambda e: e.text == confirm)
    await confirm_privately(supplier, str_.t("button.accept_request_yes"))
    due = clock.now() + timedelta(days=7)
    for user, tr in ((buyer, btr), (supplier, str_)):
        duty = tr.t(
            "obligation.grant_discount_open",
            number="O1",
            party=tr.t("role.supplier"),
            due=tr.datetime(due),
        )
        await user.wait_for(containing(duty))
    [proposal] = await db.proposals.list(case.id)
    assert proposal.terms["terms"] == [{"kind": "discount", "percent": None, "amount": None}]
