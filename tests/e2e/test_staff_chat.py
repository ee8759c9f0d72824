"""The staff chat at start-up (the bot must be in it with the rights it needs: one line, exit
2) and a service without one (escalation says plainly that nobody will mediate, in English and
Chinese, and no message promises a mediator)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.config import Settings
from bot.sandbox import Sandbox, SandboxServer
from bot.sandbox.state import MemberState
from flows.clock import FrozenClock
from flows.no_mediators import no_mediator_texts
from flows.rules.lifecycle import CaseState, ClosingReason, DeadlineKind
from flows.sweep import sweep
from locales.i18n import Catalogs
from storage import Deadline
from tests.e2e.conftest import BotHarness
from tests.e2e.dispute_steps import Case, containing, in_negotiation, open_case, saying
from tests.e2e.test_startup import assert_refused, run_bot


async def test_a_staff_chat_without_the_bot_is_refused_in_one_line(
    sandbox: Sandbox, server: SandboxServer, tmp_path: Path
) -> None:
    owner = sandbox.user("Li", language_code="zh-hans")
    staff = sandbox.group("Mediators", owner)
    outcome = await run_bot(sandbox, server, tmp_path, MEDIATOR_CHAT_ID=str(staff.id))
    line = assert_refused(outcome, "MEDIATOR_CHAT_ID")
    assert "add the bot" in line


async def test_a_forum_staff_chat_needs_the_right_to_manage_topics(
    sandbox: Sandbox, server: SandboxServer, tmp_path: Path
) -> None:
    owner = sandbox.user("Li", language_code="zh-hans")
    staff = sandbox.group("Mediators", owner, forum=True)
    staff.member_states[sandbox.bot_id] = MemberState(sandbox.bot_id, "member")
    outcome = await run_bot(sandbox, server, tmp_path, MEDIATOR_CHAT_ID=str(staff.id))
    line = assert_refused(outcome, "MEDIATOR_CHAT_ID")
    assert "manage topics" in line


# What a service with mediators promises, in both languages: none of it may reach anybody of
# a service without them.
PROMISES = (
    "mediator will",
    "goes to a mediator",
    "mediator is alerted",
    "mediator has been alerted",
    "neutral mediator steps in",
    "ask for a mediator",
    "will be assigned",
    "转交调解员",
    "通知调解员",
    "调解员介入",
    "指派调解员",
    "申请调解",
)


def _promises_in(text: str) -> list[str]:
    return [p for p in PROMISES if p in text and "未配置调解员" not in text]


async def _without_mediators(
    settings: Settings, sandbox: Sandbox, clock: FrozenClock
) -> tuple[BotHarness, Catalogs]:
    harness = BotHarness(settings.model_copy(update={"mediator_chat_id": None}), clock, sandbox)
    await harness.start()
    return harness, Catalogs(substitutes=no_mediator_texts())


async def _closed_unresolved(bot: BotHarness, case: Case, kind: DeadlineKind) -> Deadline:
    """The deadline of `kind` passes: the case closes as unresolved."""
    pending = await bot.services.db.deadlines.pending_for_case(case.case_id)
    [deadline] = [d for d in pending if d.kind is kind]
    case.bot.clock.set(deadline.due_at + timedelta(minutes=1))
    assert bot.app is not None
    await sweep(bot.services, bot.app.bot)
    stored = await bot.services.db.cases.get(case.case_id)
    assert stored is not None and stored.state is CaseState.CLOSED
    assert stored.closed_reason is ClosingReason.UNRESOLVED
    return deadline


def _assert_nothing_promised(case: Case) -> None:
    for user in (case.buyer, case.supplier):
        for entry in user.transcript() + user.transcript(case.group):
            assert not _promises_in(entry.text), entry.text
            assert not any("mediator" in label for label in entry.button_texts), entry.text
            assert not any("调解" in label for label in entry.button_texts), entry.text


async def test_without_a_staff_chat_a_negotiation_that_runs_out_closes_unresolved(
    settings: Settings, sandbox: Sandbox, clock: FrozenClock
) -> None:
    """/mediator is answered with what is left, nothing moves to a mediation nobody will do,
    the group's /help offers no mediator, and the negotiation's end closes the case."""
    bot, catalogs = await _without_mediators(settings, sandbox, clock)
    try:
        case = await in_negotiation(bot, sandbox, catalogs, clock)
        await case.supplier.send("/mediator", chat=case.group)
        nobody = case.str_.t("mediation.none_configured", number=case.number)
        await case.supplier.wait_for(saying(nobody), chat=case.group)
        await case.buyer.send("/mediator")
        await case.buyer.wait_for(
            saying(case.btr.t("mediation.none_configured", number=case.number))
        )
        assert await case.state() is CaseState.NEGOTIATION
        await case.buyer.send("/help", chat=case.group)
        help_text = await case.buyer.wait_for(
            lambda e: case.btr.t("help.group.propose") in e.text, chat=case.group
        )
        assert "/mediator" not in help_text.text

        deadline = await _closed_unresolved(bot, case, DeadlineKind.NEGOTIATION)
        for user, tr in ((case.buyer, case.btr), (case.supplier, case.str_)):
            told = tr.t(
                "outcome_applied.escalated_no_pool",
                number=case.number,
                due=tr.datetime(deadline.due_at),
            )
            await user.wait_for(saying(told))
        await case.buyer.send("/cases")
        await case.buyer.wait_for(containing(case.btr.t("closed.unresolved")))
        _assert_nothing_promised(case)
    finally:
        await bot.stop()


async def test_without_a_staff_chat_a_silent_suppliers_case_closes_unresolved(
    settings: Settings, sandbox: Sandbox, clock: FrozenClock
) -> None:
    """The supplier is told, in Chinese, that silence closes the case; at the deadline it
    closes as unresolved, said to both in their languages; nothing promised a mediator."""
    bot, catalogs = await _without_mediators(settings, sandbox, clock)
    try:
        case = await open_case(bot, sandbox, catalogs, clock)
        pending = await bot.services.db.deadlines.pending_for_case(case.case_id)
        [response] = [d for d in pending if d.kind is DeadlineKind.SUPPLIER_RESPONSE]
        welcome = case.str_.t(
            "supplier.welcome", number=case.number, due=case.str_.datetime(response.due_at)
        )
        assert "未配置调解员" in welcome
        await case.supplier.wait_for(saying(welcome))
        await _closed_unresolved(bot, case, DeadlineKind.SUPPLIER_RESPONSE)
        for user, tr in ((case.buyer, case.btr), (case.supplier, case.str_)):
            told = tr.t(
                "outcome_applied.supplier_silent_no_pool",
                number=case.number,
                due=tr.datetime(response.due_at),
            )
            await user.wait_for(saying(told))
        _assert_nothing_promised(case)
    finally:
        await bot.stop()
