"""The claim pinned in the dispute chat: its text and button, and keeping it readable by all.

The bot pins the claim when it binds the group, often before the supplier is in the case, so
it is written then in the buyer's language only. When a party joins later, the pinned claim is
rewritten for everyone now in the case (both languages when they differ), with its button
("What can I do now?", which sends the presser their /case card privately) labelled alike.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import Bot
from telegram.error import BadRequest, Forbidden

from flows.audience import DIVIDER, RenderRows, combine_rows, translators_for
from flows.buttons import MyActions
from flows.callbacks import encode
from flows.claim_render import case_number, render_summary
from flows.common import Button, keyboard
from flows.evidence_index import SHARED
from flows.messaging import ChatTarget
from flows.services import Services
from locales.i18n import Translator
from storage import Case, Evidence

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096  # one Telegram message: a longer claim stays as it was posted (split)


def actions_button(tr: Translator, case_id: int) -> Button:
    return tr.t("button.my_actions"), encode(MyActions(case_id))


def claim_text(case: Case, evidence: Sequence[Evidence], tr: Translator) -> str:
    return (
        tr.t("group.bound", number=case_number(case))
        + "\n\n"
        + render_summary(case.filed_claim, evidence, tr, SHARED)
    )


def claim_rows(case: Case) -> RenderRows:
    def rows(tr: Translator) -> list[list[Button]]:
        return [[actions_button(tr, case.id)]]

    return rows


async def refresh(services: Services, bot: Bot, case: Case, group: ChatTarget) -> None:
    """Rewrite the pinned claim for everyone now in the case. Cosmetic: when Telegram refuses
    (the message is too old to edit, the pin was changed by hand), it is logged and left."""
    pinned = (await group.call(bot.get_chat)).pinned_message
    if pinned is None or pinned.from_user is None or pinned.from_user.id != bot.id:
        return
    translators = await translators_for(services, case)
    number = case_number(case)
    if not any(
        (pinned.text or "").startswith(tr.t("group.bound", number=number)) for tr in translators
    ):
        return  # not the claim as the bot posted it in one piece
    evidence = await services.db.evidence.list(case.id)  # rendered for the shared chat
    text = DIVIDER.join(claim_text(case, evidence, tr) for tr in translators)
    if len(text) > TEXT_LIMIT or text == pinned.text:
        return
    markup = keyboard(combine_rows(translators, claim_rows(case)))
    message_id = pinned.message_id
    try:
        await group.call(
            lambda chat_id: bot.edit_message_text(
                text, chat_id=chat_id, message_id=message_id, reply_markup=markup
            ),
            again=False,
        )
    except (BadRequest, Forbidden) as exc:
        log.info("pinned claim not refreshed: %s", exc.message)
