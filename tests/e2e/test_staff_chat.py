"""The staff chat at start-up (the bot must be in it with the rights it needs: one line, exit
2) and a service without one (escalation says plainly that nobody will mediate, in English and
Chinese, and no message promises a mediator)."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings
from bot.sandbox import Sandbox, SandboxServer
from bot.sandbox.state import MemberState
from flows.clock import FrozenClock
from flows.rules.lifecycle import CaseState
from locales.i18n import Catalogs, Translator
from tests.e2e.conftest import BotHarness
from tests.e2e.dispute_steps import in_negotiation, saying
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


async def test_without_a_staff_chat_escalation_says_nobody_will_mediate(
    settings: Settings, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    harness = BotHarness(settings.model_copy(update={"mediator_chat_id": None}), clock, sandbox)
    await harness.start()
    try:
        await _nobody_will_mediate(harness, sandbox, catalogs, clock)
    finally:
        await harness.stop()


async def _nobody_will_mediate(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await in_negotiation(bot, sandbox, catalogs, clock)
    await case.supplier.send("/mediator", chat=case.group)

    def plain(tr: Translator) -> str:
        return tr.t("mediation.requested_no_pool", number=case.number, by=tr.t("role.supplier"))

    for user, tr in ((case.buyer, case.btr), (case.supplier, case.str_)):
        await user.wait_for(saying(plain(tr)))
    await case.buyer.wait_for(
        lambda e: plain(case.btr) in e.text and plain(case.str_) in e.text, chat=case.group
    )
    assert await case.state() is CaseState.MEDIATION
    # Nothing promises a mediator: no message says one will be assigned.
    promises = ["will be assigned", "mediator has been alerted", "指派", "已通知调解员"]
    for user in (case.buyer, case.supplier):
        for entry in user.transcript() + user.transcript(case.group):
            assert not any(p in entry.text for p in promises), entry.text
