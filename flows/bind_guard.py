"""Nobody but the parties reads a case: a group is checked for other members before it is bound.

Removing strangers who join later is not enough: someone already in the group when the bot is
added would read the pinned claim and everything after it. A bot cannot list a group's members
(the Bot API has no such method; getChatMember needs a user id), but it can count them
(getChatMemberCount), list the administrators (getChatAdministrators) and look up the parties by
id. When the count is larger than the bot itself plus the parties and the administrators it can
name, or an administrator is not a party, there are people in the group who must not read the
case. The bot then binds nothing and says nothing of the case there: it tells the group only that
it cannot be used as it is, tells the buyer privately (with the button to add it again), and
leaves. The binding token stays unused, so once the others are out (or in a new group with only
the parties) the same button binds the group; by then the count matches.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial

from telegram import Bot

from flows.audience import to_user
from flows.chat_links import in_chat
from flows.claim_render import case_number
from flows.messaging import ChatTarget
from flows.rules.lifecycle import Role
from flows.services import Services
from locales.i18n import Translator
from storage import Case

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Others:
    """Who is in the group besides the bot and the case's parties."""

    count: int  # how many members are neither the bot nor a party
    admins: list[str]  # the names of those among them who are administrators


async def others_in(bot: Bot, case: Case, group: ChatTarget) -> Others:
    """Count the group's members who are not parties (the only way: total minus the known)."""
    total = await group.call(bot.get_chat_member_count)
    parties = {p for p in (case.buyer_id, case.supplier_id) if p is not None}
    known = {bot.id}
    admins: list[str] = []
    for member in await group.call(bot.get_chat_administrators):
        if member.user.id == bot.id:
            continue
        if member.user.id in parties:
            known.add(member.user.id)
        else:
            admins.append(member.user.full_name)
    for party in parties - known:
        if in_chat(await group.call(partial(bot.get_chat_member, user_id=party))):
            known.add(party)
    return Others(max(total - len(known), 0), admins)


async def hold(
    services: Services,
    bot: Bot,
    case: Case,
    group: ChatTarget,
    title: str | None,
    others: Others,
    tr: Translator,
    create_link: str,
) -> None:
    """Refuse to bind a group with others in it: a word to the group (nothing of the case), the
    reason and the way on to the buyer privately, and the bot leaves."""
    log.info("group %s not bound: %s members are not parties", group.chat_id, others.count)
    number, count, names = case_number(case), others.count, ", ".join(others.admins)
    await services.db.history.append(
        case.id,
        None,
        Role.SYSTEM,
        "chat.bind_held",
        {"chat_id": group.chat_id, "others": count, "admins": others.admins},
        services.clock.now(),
    )
    await group.send(tr.t("group.bind.held"))

    def private(t: Translator) -> str:
        text = t.t("group.held_private", number=number, title=title or "—", others=count)
        if names:
            text += "\n\n" + t.t("group.held_admins", names=names)
        return text

    await to_user(
        services,
        bot,
        case,
        case.buyer_id,
        private,
        lambda t: [[(t.t("button.create_chat"), create_link)]],
    )
    await group.call(bot.leave_chat)
