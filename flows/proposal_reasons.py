"""Why a proposal was rejected: optional, typed by the party who rejected it, or skipped.

After a rejection the rejecting party is asked privately for a short reason (with Skip). A
reason given goes on the case's record (history event "proposal.reject_reason") and to the
proposer, who otherwise knows only that it was rejected. The question is a pending input, so
it survives a restart; Skip (`pp:<proposal id>:s`) clears it and takes the button off.
"""

from __future__ import annotations

from telegram import Bot, Message
from telegram.ext import ContextTypes

from flows import inputs
from flows.audience import to_case
from flows.common import keyboard
from flows.messaging import send
from flows.proposal_render import proposal_number, role_name
from flows.rules.lifecycle import Role
from flows.services import Services
from locales.i18n import Translator
from storage import Case, PendingInput, User
from storage import Proposal as StoredProposal

REJECT_REASON = "reject_reason"
REASON_MAX = 500  # a short reason; the full story belongs in the chat


async def ask(
    services: Services,
    bot: Bot,
    case: Case,
    stored: StoredProposal,
    user_id: int,
    tr: Translator,
    skip_data: str,
) -> None:
    """Offer the rejecting party to say why (typed), or to skip (a button with `skip_data`)."""
    await services.db.inputs.put(
        user_id,
        user_id,
        REJECT_REASON,
        case.id,
        str(stored.id),
        {"proposal_id": stored.id},
        services.clock.now(),
    )
    number = proposal_number(stored.number)
    text = tr.t(
        "proposal.ask_reject_reason",
        number=number,
        author=role_name(tr, stored.author_role),
        max=REASON_MAX,
    )
    rows = [[(tr.t("button.skip_reason"), skip_data)]]
    await send(bot, user_id, text, keyboard(rows))


async def skip(services: Services, user_id: int) -> None:
    await services.db.inputs.clear(user_id, user_id)


async def on_reason(
    services: Services,
    context: ContextTypes.DEFAULT_TYPE,
    message: Message,
    pending: PendingInput,
    user: User,
    tr: Translator,
) -> None:
    """The typed reason: on the record, then told to the proposer (and the shared chat)."""
    reason = inputs.typed_text(message, REASON_MAX)
    stored = await services.db.proposals.get(int(pending.data["proposal_id"]))
    case = await services.db.cases.get(pending.case_id)
    role = await services.db.cases.role_of(pending.case_id, user.id)
    if stored is None or case is None or role is None:
        await services.db.inputs.clear(user.id, user.id)
        return
    await services.db.history.append(
        case.id,
        user.id,
        role,
        "proposal.reject_reason",
        {"number": stored.number, "reason": reason},
        services.clock.now(),
    )
    await services.db.inputs.clear(user.id, user.id)
    await to_case(
        services,
        context.bot,
        case,
        lambda t: t.t(
            "proposal.reject_reason",
            number=proposal_number(stored.number),
            by=role_name(t, Role(role)),
            reason=reason,
        ),
        private_to=[stored.author_id, user.id],
    )


def pending_inputs() -> dict[str, inputs.InputHandler]:
    """The typed answers this flow waits for (routed by `flows/inputs.py`)."""
    return {REJECT_REASON: on_reason}
