"""The buyer replaces a wrong supplier, before the supplier has answered the claim.

An invitation forwarded to the wrong person can make them the case's supplier. Until the
supplier accepts, counter-proposes or contests, the buyer may undo that with a confirmation tap
that states the consequence: the person is removed from the case and from the dispute chat (ban
then unban, like a stranger), told so privately in their language, their chat link revoked, and
the case waits for the right supplier, whom the buyer invites anew.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from telegram import Bot, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes

from flows import chat_links
from flows.audience import to_chat, to_user
from flows.buttons import Confirm, ReplaceSupplier
from flows.callbacks import encode, pattern
from flows.case_context import case_button
from flows.chat_migration import group_target
from flows.claim_render import case_number
from flows.common import Button, keyboard
from flows.dispute_chat import remove_member
from flows.logs import bind_case
from flows.messaging import ChatTarget, clear_buttons, send
from flows.rules.lifecycle import CaseState, Role
from flows.services import Services
from flows.supplier_invite import invite_button
from locales.i18n import Translator
from storage import Case, ChatStatus, Conflict

log = logging.getLogger(__name__)


def replace_button(tr: Translator, case_id: int, supplier_id: int) -> Button:
    return tr.t("button.replace_supplier"), encode(
        ReplaceSupplier(case_id, supplier_id, Confirm.ASK)
    )


async def on_replace_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    press = await case_button(update, context, ReplaceSupplier, frozenset({Role.BUYER}))
    if press is None:
        return
    services, query, user, tr, case = press.services, press.query, press.user, press.tr, press.case
    bind_case(case.id)
    supplier_id, step = press.data.supplier_id, press.data.step
    number = case_number(case)
    # The button names the supplier it was shown for: a stale one never removes a newer one.
    if case.state is not CaseState.AWAITING_SUPPLIER or case.supplier_id != supplier_id:
        await query.answer(tr.t("supplier.replace_not_now", number=number), show_alert=True)
        return
    name = await _name(services, supplier_id)
    if step is Confirm.ASK:
        await query.answer()
        rows = [
            [
                (
                    tr.t("button.replace_yes"),
                    encode(ReplaceSupplier(case.id, supplier_id, Confirm.YES)),
                )
            ],
            [
                (
                    tr.t("button.replace_no"),
                    encode(ReplaceSupplier(case.id, supplier_id, Confirm.NO)),
                )
            ],
        ]
        text = tr.t("supplier.replace_confirm", name=name, number=number)
        await send(context.bot, user.id, text, keyboard(rows))
        return
    if step is not Confirm.YES:
        await query.answer(tr.t("supplier.replace_kept"))
        await _clear(context.bot, query.message)
        return
    try:
        removed = await services.db.suppliers.remove(
            case.id, supplier_id, user.id, services.clock.now()
        )
    except Conflict:  # answered, or replaced, since the button was shown
        await query.answer(tr.t("supplier.replace_not_now", number=number), show_alert=True)
        return
    await query.answer()
    await _clear(context.bot, query.message)
    log.info("the buyer removed a wrong supplier")
    await _after_removal(services, context.bot, case, removed, supplier_id, name)


async def _after_removal(
    services: Services, bot: Bot, before: Case, case: Case, supplier_id: int, name: str
) -> None:
    """Out of the chat, their link revoked, each one told in their own language."""
    number = case_number(case)
    await chat_links.revoke_case_links(services, bot, case, user_id=supplier_id)
    chat = await services.db.chats.for_case(case.id)
    if chat is not None and chat.status == ChatStatus.BOUND:
        group = group_target(services, bot, chat.chat_id)
        present = await _present(bot, group, supplier_id)
        removed = not present or await remove_member(bot, group, supplier_id)
        # Written for the case as it was, so the removed supplier's language is still in it.
        await to_chat(
            services,
            bot,
            before,
            group.chat_id,
            lambda t: t.t("supplier.removed_chat", name=name, number=number),
        )
        if not removed:
            await to_chat(
                services,
                bot,
                before,
                group.chat_id,
                lambda t: t.t("group.stranger_not_removed", name=name),
            )
    await to_user(
        services, bot, case, supplier_id, lambda t: t.t("supplier.removed", number=number)
    )
    await to_user(
        services,
        bot,
        case,
        case.buyer_id,
        lambda t: t.t("supplier.replaced", name=name, number=number),
        lambda t: [[invite_button(t, case.id)]],
    )


async def _present(bot: Bot, group: ChatTarget, user_id: int) -> bool:
    try:
        return chat_links.in_chat(await group.call(partial(bot.get_chat_member, user_id=user_id)))
    except (BadRequest, Forbidden) as exc:
        log.warning("membership of the removed supplier unknown: %s", exc.message)
        return True  # then try to remove them: that says plainly whether it worked


async def _name(services: Services, user_id: int) -> str:
    user = await services.db.users.get(user_id)
    return user.first_name if user is not None else ""


async def _clear(bot: Bot, message: Any) -> None:
    if message is not None:
        await clear_buttons(bot, message.chat.id, message.message_id)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [CallbackQueryHandler(on_replace_button, pattern=pattern(ReplaceSupplier))]
