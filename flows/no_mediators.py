"""What a service without mediators says instead of promising one.

Without a staff chat (MEDIATOR_CHAT_ID unset) nobody will ever take a case, so the deadlines
that would hand a case to a mediator end it instead (`NO_MEDIATOR_OUTCOMES` in the case rules):
a silent supplier or a negotiation that runs out closes the case as unresolved, and a
settlement whose obligations are not confirmed closes as unfulfilled. Every message that tells
people what happens next says so, through these substitutes: the bot's catalogs are built with
them (`Catalogs(substitutes=...)`, bot/app.py), so no flow needs to know, and no message
promises a mediator who will not come. Each substitute uses only its original's placeholders
(`tests/unit/test_no_mediators.py`).
"""

from __future__ import annotations

from locales.i18n import N_

NO_MEDIATOR_TEXTS: dict[str, str] = {
    N_("start.welcome"): N_("no_mediators.start.welcome"),
    N_("help.text"): N_("no_mediators.help.text"),
    N_("help.group.stranger"): N_("no_mediators.help.group.stranger"),
    N_("state.mediation"): N_("no_mediators.state.mediation"),
    N_("group.next_step"): N_("no_mediators.group.next_step"),
    N_("group.next_step_negotiation"): N_("no_mediators.group.next_step_negotiation"),
    N_("group.next_step_mediator"): N_("no_mediators.group.next_step_mediator"),
    N_("invite.clock_running"): N_("no_mediators.invite.clock_running"),
    N_("invite.clock_started"): N_("no_mediators.invite.clock_started"),
    N_("invite.respond_by"): N_("no_mediators.invite.respond_by"),
    N_("supplier.answer_question"): N_("no_mediators.supplier.answer_question"),
    N_("supplier.welcome"): N_("no_mediators.supplier.welcome"),
    N_("supplier.contested"): N_("no_mediators.supplier.contested"),
    N_("proposal.open_until_negotiation"): N_("no_mediators.proposal.open_until_negotiation"),
    N_("bids.midpoint_offer"): N_("no_mediators.bids.midpoint_offer"),
    N_("bids.midpoint_offer_assignment"): N_("no_mediators.bids.midpoint_offer_assignment"),
    N_("reminder.supplier_response"): N_("no_mediators.reminder.supplier_response"),
    N_("reminder.negotiation"): N_("no_mediators.reminder.negotiation"),
    N_("reminder.mediator_assignment"): N_("no_mediators.reminder.mediator_assignment"),
    N_("reminder.fulfilment"): N_("no_mediators.reminder.fulfilment"),
    N_("settlement.reached"): N_("no_mediators.settlement.reached"),
    N_("settlement.reached_blind_bid"): N_("no_mediators.settlement.reached_blind_bid"),
    N_("obligation.done"): N_("no_mediators.obligation.done"),
    N_("obligation.done_with_proof"): N_("no_mediators.obligation.done_with_proof"),
    N_("obligation.done_ack"): N_("no_mediators.obligation.done_ack"),
    N_("obligation.done_ack_proof"): N_("no_mediators.obligation.done_ack_proof"),
    N_("obligation.ask_not_done"): N_("no_mediators.obligation.ask_not_done"),
    # Nothing is offered "for the mediator only" (flows/private_evidence.py).
    N_("evidence.private.ask_file"): N_("no_mediators.evidence.private.ask_file"),
    N_("evidence.group.private_hint"): N_("no_mediators.evidence.group.private_hint"),
    N_("command.evidence"): N_("no_mediators.command.evidence"),
}


def no_mediator_texts() -> dict[str, str]:
    return dict(NO_MEDIATOR_TEXTS)
