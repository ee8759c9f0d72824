"""The mediators' pool end to end: a silent supplier's case escalates and is posted in the staff
chat (its own forum topic), two mediators press Take at once and exactly one gets it, the
winner gets the context card in their language and a one-time link, joins, and is announced in
both languages; hand-back, /queue, the pool's reminders and the overdue news on working days;
and without a staff chat, escalation says plainly that nobody will mediate.

The English buyer and the Chinese supplier of `open_case`; mediators Li (Chinese) and Maria
(English). The clock moves; nothing sleeps.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.demo_dispute import LINK
from bot.sandbox import Sandbox, SandboxChat, SandboxServer, SandboxUser
from bot.sandbox.state import MemberState
from flows.callbacks import TakeCase, encode
from flows.claim_render import CATEGORY_KEYS
from flows.clock import FrozenClock
from flows.rules.lifecycle import CaseState, DeadlineKind
from flows.sweep import sweep
from locales.i18n import Catalogs, Translator
from tests.e2e.conftest import (
    STAFF_TITLE,
    BotHarness,
    bot_settings,
    press_data,
    staff_chat,
    translator,
)
from tests.e2e.dispute_steps import Case, containing, open_case, recorded, saying


def _staff(sandbox: Sandbox) -> SandboxChat:
    return next(c for c in sandbox.chats.values() if c.title == STAFF_TITLE)


def _mediator(sandbox: Sandbox, name: str) -> SandboxUser:
    return next(u for u in sandbox.users.values() if u.first_name == name)


@pytest.fixture
def settings(server: SandboxServer, sandbox: Sandbox, tmp_path: Path) -> Settings:
    """A forum staff chat with two mediators, the bot an administrator who manages topics."""
    staff = staff_chat(sandbox, forum=True)
    for name, language in (("Li", "zh-hans"), ("Maria", "en")):
        user = sandbox.user(name, language_code=language)
        staff.member_states[user.id] = MemberState(user.id, "member")
    return bot_settings(server, tmp_path, mediator_chat_id=staff.id)


async def _escalated(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> Case:
    """The supplier joins and stays silent: at the deadline the case goes to mediation."""
    case = await open_case(bot, sandbox, catalogs, clock)
    for name in ("Li", "Maria"):
        mediator = _mediator(sandbox, name)
        await mediator.send("/start")
        await mediator.wait_for(lambda e: e.from_bot)
    clock.advance(timedelta(days=3, minutes=1))
    assert bot.app is not None
    await sweep(bot.services, bot.app.bot)
    assert await case.state() is CaseState.MEDIATION
    return case


def _mediators(sandbox: Sandbox) -> list[SandboxUser]:
    return [_mediator(sandbox, "Maria"), _mediator(sandbox, "Li")]


async def test_a_silent_suppliers_case_is_posted_taken_once_and_the_mediator_joins(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await _escalated(bot, sandbox, catalogs, clock)
    staff = _staff(sandbox)
    li, maria = _mediator(sandbox, "Li"), _mediator(sandbox, "Maria")
    ltr, mtr = translator(catalogs, li), translator(catalogs, maria)
    # The post, in its own forum topic, in both languages, with what a mediator needs.
    take = " / ".join(t.t("button.take_case") for t in (mtr, ltr))
    post = await maria.wait_for(lambda e: take in e.button_texts, chat=staff)
    assert post.message.get("is_topic_message") and staff.topics
    why = mtr.t("pool.why.supplier_silent", state=mtr.t("state.awaiting_supplier"))
    assert case.number in post.text and why in post.text
    assert ltr.t("pool.why.supplier_silent", state=ltr.t("state.awaiting_supplier")) in post.text
    assert mtr.t("language.name.zh_Hans") in post.text

    # /queue lists it, in the asker's language.
    await li.send("/queue", staff)
    await li.wait_for(
        lambda e: ltr.t("pool.queue_header") in e.text and case.number in e.text, chat=staff
    )

    # Both press Take at the same moment: exactly one gets the case.
    answers = await asyncio.gather(
        li.press(take, staff, message=post.message_id),
        maria.press(take, staff, message=post.message_id),
    )
    stored = await bot.services.db.cases.get(case.case_id)
    assert stored is not None and stored.mediator_id in (li.id, maria.id)
    winner, loser = (li, maria) if stored.mediator_id == li.id else (maria, li)
    wtr, ltr_ = translator(catalogs, winner), translator(catalogs, loser)
    by_user = {a.user_id: a for a in answers}
    assert by_user[winner.id].text == wtr.t("pool.taken_you", number=case.number)
    assert by_user[loser.id].text == ltr_.t(
        "pool.taken_already", number=case.number, name=winner.first_name
    )
    assert by_user[loser.id].show_alert
    # The post now says who took it, and has no button left.
    taken = wtr.t("pool.post_taken", number=case.number, name=winner.first_name)
    await winner.wait_for(lambda e: e.message_id == post.message_id and taken in e.text, chat=staff)
    assert not staff.messages[post.message_id].message.get("reply_markup")
    # A later press (an old client still showing the button) is refused with the reason.
    late = await press_data(loser, post.message_id, encode(TakeCase(case.case_id)), staff.id)
    assert late.text == ltr_.t("pool.taken_already", number=case.number, name=winner.first_name)

    # The context card in the winner's own language, then a one-time link into the chat.
    card = await winner.wait_for(containing(wtr.t("card.title", number=case.number)))
    assert wtr.t("card.evidence_header") in card.text
    assert wtr.t("card.history_header") in card.text
    link_message = await winner.wait_for(lambda e: "t.me/+" in e.text)
    url = LINK.search(link_message.text)
    assert url is not None
    await winner.open_link(url.group(0))

    def joined(tr: Translator) -> str:
        return tr.t("mediator.joined_chat", name=winner.full_name, number=case.number)

    await case.buyer.wait_for(
        lambda e: joined(case.btr) in e.text and joined(case.str_) in e.text, chat=case.group
    )
    await recorded(bot, case.case_id, lambda kind, actor: kind == "mediator.joined")
    assert winner.id in case.group.members

    # /queue has nothing left.
    await li.send("/queue", staff)
    await li.wait_for(saying(ltr.t("pool.queue_empty")), chat=staff)


async def test_a_mediator_hands_the_case_back_and_it_is_posted_again(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await _escalated(bot, sandbox, catalogs, clock)
    staff = _staff(sandbox)
    li = _mediator(sandbox, "Li")
    ltr = translator(catalogs, li)
    take = " / ".join(
        t.t("button.take_case") for t in (translator(catalogs, _mediator(sandbox, "Maria")), ltr)
    )
    await li.wait_for(lambda e: take in e.button_texts, chat=staff)
    await li.press(take, staff)
    await li.wait_for(containing(ltr.t("card.title", number=case.number)))
    # Someone else's hand-back, or one without a reason, changes nothing.
    maria = _mediator(sandbox, "Maria")
    await maria.send(f"/handback {case.filed_number} not mine")
    await maria.wait_for(
        saying(translator(catalogs, maria).t("pool.not_your_case", number=case.number))
    )
    await li.send(f"/handback {case.filed_number}")
    await li.wait_for(saying(ltr.t("pool.handback_usage")))
    await li.send(f"/handback {case.filed_number} 与供应商有业务往来")
    await li.wait_for(saying(ltr.t("pool.handed_back", number=case.number)))
    stored = await bot.services.db.cases.get(case.case_id)
    assert stored is not None and stored.mediator_id is None
    pending = await bot.services.db.deadlines.pending_for_case(case.case_id)
    [assignment] = [d for d in pending if d.kind is DeadlineKind.MEDIATOR_ASSIGNMENT]
    for user, tr in ((case.buyer, case.btr), (case.supplier, case.str_)):
        news = tr.t("pool.handed_back_news", number=case.number, due=tr.datetime(assignment.due_at))
        await user.wait_for(saying(news))
    # Posted again with its Take button, the reason given as why.
    why = ltr.t("pool.why.handed_back", reason="与供应商有业务往来")
    again = await li.wait_for(lambda e: take in e.button_texts and why in e.text, chat=staff)
    assert again.message.get("message_thread_id") in staff.topics


async def test_an_untaken_case_reminds_the_pool_and_then_tells_the_parties(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await _escalated(bot, sandbox, catalogs, clock)
    assert bot.app is not None
    # Escalated on a Sunday: two working days are Monday and Tuesday.
    pending = await bot.services.db.deadlines.pending_for_case(case.case_id)
    [assignment] = [d for d in pending if d.kind is DeadlineKind.MEDIATOR_ASSIGNMENT]
    assert clock.now().weekday() == 6
    assert assignment.due_at == clock.now() + timedelta(days=2)
    clock.set(assignment.reminder_times[0] + timedelta(minutes=1))
    await sweep(bot.services, bot.app.bot)
    staff = _staff(sandbox)
    maria = _mediator(sandbox, "Maria")
    mtr = translator(catalogs, maria)
    reminder = mtr.t("pool.reminder", number=case.number, due=mtr.datetime(assignment.due_at))
    # The case's news goes into its own topic, where its post is, not the general topic.
    post = await bot.services.db.pool.post_of(case.case_id)
    assert post is not None and post.thread_id in staff.topics
    reminded = await maria.wait_for(containing(reminder), chat=staff)
    assert reminded.message.get("message_thread_id") == post.thread_id
    clock.set(assignment.due_at + timedelta(minutes=1))
    await sweep(bot.services, bot.app.bot)
    overdue = mtr.t("pool.overdue", number=case.number)
    told = await maria.wait_for(containing(overdue), chat=staff)
    assert told.message.get("message_thread_id") == post.thread_id
    days = bot.services.policy.mediator_assignment_working_days
    for user, tr in ((case.buyer, case.btr), (case.supplier, case.str_)):
        await user.wait_for(saying(tr.t("pool.overdue_parties", number=case.number, days=days)))
    stored = await bot.services.db.cases.get(case.case_id)
    assert stored is not None
    line = mtr.t(
        "pool.queue_line_overdue",
        number=case.number,
        category=mtr.t(CATEGORY_KEYS[stored.filed_claim.category]),
        amount=mtr.money(stored.filed_claim.amount, stored.filed_claim.currency),
    )
    await maria.send("/queue", staff)
    await maria.wait_for(containing(line), chat=staff)


async def test_a_stranger_with_the_mediators_link_is_refused_and_the_mediator_gets_a_new_one(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await _escalated(bot, sandbox, catalogs, clock)
    staff = _staff(sandbox)
    li = _mediator(sandbox, "Li")
    ltr = translator(catalogs, li)
    take = " / ".join(
        t.t("button.take_case") for t in (translator(catalogs, _mediator(sandbox, "Maria")), ltr)
    )
    await li.wait_for(lambda e: take in e.button_texts, chat=staff)
    await li.press(take, staff)
    first = LINK.search((await li.wait_for(lambda e: "t.me/+" in e.text)).text)
    assert first is not None
    eve = sandbox.user("Eve", language_code="en")
    await eve.open_link(first.group(0))
    await case.buyer.wait_for(
        lambda e: case.btr.t("group.stranger_removed", name="Eve") in e.text, chat=case.group
    )
    assert eve.id not in case.group.members
    told = ltr.t("chatlink.used_by_other", name="Eve", number=case.number, id=case.filed_number)
    notice = await li.wait_for(saying(told))
    await li.press(ltr.t("button.chat_link"), message=notice.message_id)
    second = await li.wait_for(lambda e: e.message_id > notice.message_id and "t.me/+" in e.text)
    url = LINK.search(second.text)
    assert url is not None and url.group(0) != first.group(0)
    assert await li.open_link(url.group(0)) == "joined"

    def joined(tr: Translator) -> str:
        return tr.t("mediator.joined_chat", name=li.full_name, number=case.number)

    await case.supplier.wait_for(
        lambda e: joined(case.btr) in e.text and joined(case.str_) in e.text, chat=case.group
    )
