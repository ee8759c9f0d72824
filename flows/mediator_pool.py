"""The mediators' pool: escalated cases posted in the staff chat, Take, hand-back, /queue.

An escalated case is posted in the staff chat (MEDIATOR_CHAT_ID; in its own forum topic when
the chat is a forum) with what a mediator needs to decide to take it and a Take button. The
post is made after the escalation commits: a case in mediation with no mediator and no post
made at its current version is owed one (`PoolRepo.owed`), and every escalation and every
sweep posts what is owed, so a crash in between loses nothing. Taking is the guarded
transition `ASSIGN_MEDIATOR` (first press wins, in the database); the post then says who.
Without a staff chat nothing is posted and the parties are told plainly that this service has
no mediators configured.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from telegram import Bot, Update
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    filters,
)

from flows.audience import DIVIDER, for_case, parties
from flows.callbacks import TakeCase, decode, encode, pattern
from flows.claim_render import CATEGORY_KEYS, case_number
from flows.common import keyboard, parse_id
from flows.logs import bind_case
from flows.mediator_card import (
    brief_mediator,
    brief_reconsideration,
    reconsideration_of,
    why_text,
)
from flows.messaging import send
from flows.outbox import after_commit
from flows.rules.lifecycle import Action, CaseState, DeadlineKind, IllegalTransition, Role
from flows.services import Services, get_services
from locales.i18n import N_, Translator
from storage import Case, ConcurrentUpdate

log = logging.getLogger(__name__)

STAFF_LANGUAGES = ("en", "zh_Hans")  # the staff chat is shared: its posts carry both
MEMBERS = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
REASON_LIMIT = 500
# The mediators' own commands: not in the parties' menus and help (they are told of them in
# the staff chat's posts and the hand-back usage line).
MEDIATOR_COMMANDS = frozenset({"decide", "handback", "queue", "stats"})
LANGUAGE_KEYS = {"en": N_("language.name.en"), "zh_Hans": N_("language.name.zh_Hans")}


def has_pool(services: Services) -> bool:
    return services.settings.mediator_chat_id is not None


def staff_translators(services: Services) -> list[Translator]:
    zone = services.settings.default_timezone
    return [services.catalogs.translator(language, zone) for language in STAFF_LANGUAGES]


def staff_text(services: Services, render: Any) -> str:
    return DIVIDER.join(render(tr) for tr in staff_translators(services))


async def is_mediator(services: Services, bot: Bot, user_id: int) -> bool:
    """A member of the staff chat, and on MEDIATOR_IDS when that list is set."""
    chat_id = services.settings.mediator_chat_id
    allowed = services.settings.mediator_ids
    if chat_id is None or (allowed and user_id not in allowed):
        return False
    try:
        member = await bot.get_chat_member(chat_id, user_id)
    except TelegramError as exc:
        log.warning("staff chat membership of %s unknown: %s", user_id, exc.message)
        return False
    return member.status in MEMBERS


async def _post_text(services: Services, case: Case, due: datetime | None) -> Any:
    events = await services.db.history.list(case.id)
    reconsidered = await reconsideration_of(services, case)
    buyer = await services.translator_for_id(case.buyer_id)
    supplier = await services.translator_for_id(case.supplier_id) if case.supplier_id else None
    now = services.clock.now()
    age = max(0, (now - (case.submitted_at or case.created_at)).days)
    claim = case.filed_claim

    # A reconsideration waits in arbitration: its post does not say it stays in mediation.
    key = N_("pool.post") if reconsidered is None else N_("pool.post_reconsideration")

    def render(tr: Translator) -> str:
        languages = tr.t(
            "pool.languages",
            buyer=tr.t(LANGUAGE_KEYS[buyer.language]),
            supplier=tr.t(LANGUAGE_KEYS[supplier.language]) if supplier else "—",
        )
        return tr.t(
            key,
            number=case_number(case),
            category=tr.t(CATEGORY_KEYS[claim.category]),
            amount=tr.money(claim.amount, claim.currency),
            age=tr.tn("pool.age", "pool.age.plural", age),
            why=why_text(tr, events) if reconsidered is None else reconsidered(tr),
            languages=languages,
            due=tr.datetime(due) if due else "—",
        )

    return render


async def _assignment_due(services: Services, case: Case) -> datetime | None:
    for deadline in await services.db.deadlines.pending_for_case(case.id):
        if deadline.kind is DeadlineKind.MEDIATOR_ASSIGNMENT:
            return deadline.due_at
    return None


async def post_owed(services: Services, bot: Bot) -> None:
    """Post every untaken case that has no post at its current version; a failure is logged
    and the case stays owed (the next sweep tries again)."""
    chat_id = services.settings.mediator_chat_id
    if chat_id is None:
        return
    for case in await services.db.pool.owed():
        try:
            await _post(services, bot, case, chat_id)
        except TelegramError:
            log.exception("posting case %s to the staff chat failed", case.id)


async def _post(services: Services, bot: Bot, case: Case, chat_id: int) -> None:
    bind_case(case.id)
    post = await services.db.pool.post_of(case.id)
    thread_id = post.thread_id if post is not None else None
    if thread_id is None and (await bot.get_chat(chat_id)).is_forum:
        name = f"#{case_number(case).lstrip('#')} · {case.filed_claim.product}"[:128]
        topic = await bot.create_forum_topic(chat_id, name=name)
        thread_id = await services.db.pool.claim_topic(case.id, chat_id, topic.message_thread_id)
        if thread_id != topic.message_thread_id:  # another worker's topic was kept first
            await bot.delete_forum_topic(chat_id, topic.message_thread_id)
    render = await _post_text(services, case, await _assignment_due(services, case))
    take = " / ".join(tr.t("button.take_case") for tr in staff_translators(services))
    message = await bot.send_message(
        chat_id,
        staff_text(services, render),
        message_thread_id=thread_id,
        reply_markup=keyboard([[(take, encode(TakeCase(case.id)))]]),
    )
    now = services.clock.now()
    if not await services.db.pool.record(case, chat_id, thread_id, message.message_id, now):
        await bot.delete_message(chat_id, message.message_id)  # another worker's stands
        return
    await services.db.history.append(
        case.id, None, Role.SYSTEM, "pool.posted", {"chat_id": chat_id}, now
    )
    log.info("case posted to the mediators' staff chat")


async def _edit_post(services: Services, bot: Bot, case: Case, render: Any) -> None:
    post = await services.db.pool.post_of(case.id)
    if post is None or post.message_id is None:
        return
    try:
        await bot.edit_message_text(
            staff_text(services, render), chat_id=post.chat_id, message_id=post.message_id
        )
    except TelegramError as exc:
        log.warning("the staff chat post of case %s not edited: %s", case.id, exc.message)


async def on_take(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Take: the first mediator to press it gets the case; everyone after is told who has it."""
    services = get_services(context)
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    user, tr = await services.reader(update.effective_user)
    data = decode(query.data, TakeCase)
    in_staff = query.message is not None and query.message.chat.id == (
        services.settings.mediator_chat_id
    )
    case = await services.db.cases.get(data.case_id) if data is not None else None
    if case is None or not in_staff:
        await query.answer(tr.t("callback.unavailable"), show_alert=True)
        return
    bind_case(case.id)
    if not await is_mediator(services, context.bot, user.id):
        await query.answer(tr.t("pool.not_mediator"), show_alert=True)
        return
    if user.id in (case.buyer_id, case.supplier_id):
        await query.answer(tr.t("pool.own_case"), show_alert=True)
        return
    waiting = case.state is CaseState.MEDIATION or (
        case.state is CaseState.ARBITRATION and case.reconsiderations > 0
    )
    if case.mediator_id is not None or not waiting:
        await query.answer(await _taken_text(services, tr, case), show_alert=True)
        return
    reconsidered = await services.db.decisions.in_force(case.id)
    if case.state is CaseState.ARBITRATION and reconsidered is not None:
        # A reconsideration goes to a different mediator than the one who decided.
        if reconsidered.mediator_id == user.id:
            number = f"D{reconsidered.number}"
            text = tr.t("pool.reconsideration_not_first", number=case_number(case), decision=number)
            await query.answer(text, show_alert=True)
            return
    else:
        reconsidered = None
    now = services.clock.now()
    kind = DeadlineKind.MEDIATION if reconsidered is None else DeadlineKind.ARBITRATION_DECISION
    deadline = services.deadline(kind, now)
    name = user.first_name
    key = N_("pool.taken_news") if reconsidered is None else N_("reconsider.taken_news")
    decision = f"D{reconsidered.number}" if reconsidered is not None else ""
    news = await for_case(
        services,
        case,
        lambda t: t.t(
            key,
            number=case_number(case),
            name=name,
            decision=decision,
            due=t.datetime(deadline.due_at),
        ),
        key=f"case:{case.id}:v{case.version + 1}:taken",
        private_to=parties(case),
    )
    try:
        moved = await services.db.cases.transition(
            case.id,
            Action.ASSIGN_MEDIATOR,
            user.id,
            Role.MEDIATOR,
            now,
            reason="taken from the pool",
            new_deadline=deadline,
            expected_version=case.version,
            outbox=news,
        )
    except (IllegalTransition, ConcurrentUpdate):
        fresh = await services.db.cases.get(case.id)
        await query.answer(await _taken_text(services, tr, fresh or case), show_alert=True)
        return
    await query.answer(tr.t("pool.taken_you", number=case_number(moved)))
    log.info("case taken by mediator %s", user.id)
    await _edit_post(
        services,
        context.bot,
        moved,
        lambda t: t.t("pool.post_taken", number=case_number(moved), name=name),
    )
    await after_commit(services, context.bot)
    await brief_mediator(services, context.bot, moved, user.id)
    if reconsidered is not None:
        await brief_reconsideration(services, context.bot, moved, user.id)


async def _taken_text(services: Services, tr: Translator, case: Case) -> str:
    if case.mediator_id is None:
        return tr.t("pool.not_waiting", number=case_number(case))
    mediator = await services.db.users.get(case.mediator_id)
    name = mediator.first_name if mediator is not None else "?"
    return tr.t("pool.taken_already", number=case_number(case), name=name)


async def on_hand_back(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/handback <number> <reason>: the case's own mediator returns it to the pool."""
    services = get_services(context)
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    user, tr = await services.reader(update.effective_user)
    args = context.args or []
    number = parse_id(args[0]) if args else None
    reason = " ".join(args[1:]).strip()
    if number is None or not reason:
        await send(context.bot, message.chat_id, tr.t("pool.handback_usage"))
        return
    if len(reason) > REASON_LIMIT:
        await send(context.bot, message.chat_id, tr.t("pool.reason_too_long", max=REASON_LIMIT))
        return
    case = await services.db.cases.by_number(number)
    if case is None or case.mediator_id != user.id:
        await send(context.bot, message.chat_id, tr.t("pool.not_your_case", number=f"#{number}"))
        return
    bind_case(case.id)
    moved = await hand_back(services, context.bot, case, user.id, user.first_name, reason)
    if moved is None:
        await send(context.bot, message.chat_id, tr.t("pool.not_your_case", number=f"#{number}"))
        return
    await send(context.bot, message.chat_id, tr.t("pool.handed_back", number=case_number(moved)))
    await after_commit(services, context.bot)
    await post_owed(services, context.bot)


async def hand_back(
    services: Services, bot: Bot, case: Case, user_id: int, name: str, reason: str
) -> Case | None:
    """The case's own mediator returns it to the pool with `reason` (the guarded
    RELEASE_MEDIATOR, the parties' news with it); None when it is not theirs to hand back.
    The caller delivers the outbox and posts what is owed (`after_commit`, `post_owed`)."""
    now = services.clock.now()
    deadline = services.deadline(DeadlineKind.MEDIATOR_ASSIGNMENT, now)
    # Their open proposal goes with them (withdrawn in the transition's transaction).
    offered = await services.db.proposals.open_for_case(case.id)
    gone = f"P{offered.number}" if offered and offered.author_role is Role.MEDIATOR else None
    news = await for_case(
        services,
        case,
        lambda t: (
            t.t("pool.handed_back_news", number=case_number(case), due=t.datetime(deadline.due_at))
            + ("\n\n" + t.t("mproposal.withdrawn_handed_back", number=gone) if gone else "")
        ),
        key=f"case:{case.id}:v{case.version + 1}:handed_back",
        private_to=parties(case),
    )
    try:
        moved = await services.db.cases.transition(
            case.id,
            Action.RELEASE_MEDIATOR,
            user_id,
            Role.MEDIATOR,
            now,
            reason=reason,
            new_deadline=deadline,
            expected_version=case.version,
            outbox=news,
        )
    except (IllegalTransition, ConcurrentUpdate):
        return None
    await _edit_post(
        services,
        bot,
        moved,
        lambda t: t.t("pool.post_handed_back", number=case_number(moved), name=name),
    )
    await _leave_chat(services, bot, moved, user_id)
    return moved


async def _leave_chat(services: Services, bot: Bot, case: Case, user_id: int) -> None:
    """The mediator who handed the case back is no longer one of its people: out of its chat."""
    chat = await services.db.chats.for_case(case.id)
    if chat is None:
        return
    try:
        await bot.ban_chat_member(chat.chat_id, user_id)
        await bot.unban_chat_member(chat.chat_id, user_id, only_if_banned=True)
    except TelegramError as exc:
        log.warning("the former mediator not removed from the chat: %s", exc.message)


async def on_queue(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/queue in the staff chat: the untaken cases, the overdue ones marked, oldest first."""
    services = get_services(context)
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    _user, tr = await services.reader(update.effective_user)
    if message.chat_id != services.settings.mediator_chat_id:
        await send(context.bot, message.chat_id, tr.t("pool.queue_staff_only"))
        return
    lines = []
    for case in await services.db.pool.untaken():
        claim = case.filed_claim
        due = await _assignment_due(services, case)
        key = N_("pool.queue_line") if due is not None else N_("pool.queue_line_overdue")
        lines.append(
            tr.t(
                key,
                number=case_number(case),
                category=tr.t(CATEGORY_KEYS[claim.category]),
                amount=tr.money(claim.amount, claim.currency),
                due=tr.datetime(due) if due is not None else "",
            )
        )
    text = "\n".join([tr.t("pool.queue_header"), *lines]) if lines else tr.t("pool.queue_empty")
    thread = message.message_thread_id if message.is_topic_message else None
    await context.bot.send_message(message.chat_id, text, message_thread_id=thread)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CallbackQueryHandler(on_take, pattern=pattern(TakeCase)),
        CommandHandler("handback", on_hand_back, filters.ChatType.PRIVATE),
        # Any chat: elsewhere than the staff chat (a private chat too) it says where it works,
        # rather than falling to "I didn't understand".
        CommandHandler("queue", on_queue),
    ]
