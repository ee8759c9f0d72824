"""The scripted mediation after an escalation: the staff chat, Take, the mediator joining,
a request for evidence, the final statements round and a decision through the panel.

Played by `disputebot demo` (its second dispute) and by the acceptance test
`tests/e2e/test_mediation_journey.py`, so the demo shows what is tested. Each step acts as a
person would: pressing buttons by their translated labels, typing in the private chat, opening
links; it waits on what the bot says, never on fixed sleeps, and never reads the clock.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.demo_dispute import LINK, showing
from bot.sandbox import Sandbox, SandboxChat, SandboxUser, TranscriptEntry
from bot.sandbox.state import MemberState
from locales.i18n import Translator

STEP = 10.0  # how long the bot may take per step, in seconds


def mediators_chat(sandbox: Sandbox, title: str, mediators: Sequence[SandboxUser]) -> SandboxChat:
    """The mediators' staff group with the bot and `mediators` as members, made silently before
    the bot starts (its start-up checks it)."""
    owner = sandbox.user("Mediator team", language_code="en")
    staff = sandbox.group(title, owner)
    staff.member_states[sandbox.bot_id] = MemberState(sandbox.bot_id, "member")
    for mediator in mediators:
        staff.member_states[mediator.id] = MemberState(mediator.id, "member")
    return staff


def take_label(staff_translators: Sequence[Translator]) -> str:
    """The staff post's Take button: "Take the case / 接手此案", in the staff chat's languages."""
    return " / ".join(tr.t("button.take_case") for tr in staff_translators)


async def join_case(mediator: SandboxUser, tr: Translator, number: str) -> TranscriptEntry:
    """After Take: the context card arrives privately, then the one-time link, which the
    mediator opens; returns the card."""
    card = await mediator.wait_for(
        lambda e: tr.t("card.title", number=number) in e.text, None, STEP
    )
    link = await mediator.wait_for(lambda e: "t.me/+" in e.text, None, STEP)
    url = LINK.search(link.text)
    assert url is not None, link.text
    await mediator.open_link(url.group(0))
    return card


async def request_evidence(
    mediator: SandboxUser, tr: Translator, number: str, party: str, what: str, days: int
) -> None:
    """The panel's "Request evidence" (the first, R1) from the supplier: what, then how
    many days."""
    panel = await mediator.wait_for(showing(tr.t("button.request_evidence")), None, STEP)
    await mediator.press(tr.t("button.request_evidence"), message=panel.message_id, timeout=STEP)
    await mediator.wait_for(
        lambda e: tr.t("mediator.request_which", number=number) in e.text, None, STEP
    )
    await mediator.press(tr.t("button.request_from_supplier"), timeout=STEP)
    asked = tr.t("mediator.request_what", number=number, party=party)
    await mediator.wait_for(lambda e: e.text == asked, None, STEP)
    await mediator.send(what)
    label = tr.tn("button.days", "button.days.plural", days)
    await mediator.wait_for(showing(label), None, STEP)
    await mediator.press(label, timeout=STEP)
    await mediator.wait_for(lambda e: "R1" in e.text and what in e.text, None, STEP)


async def give_evidence(
    party: SandboxUser,
    tr: Translator,
    filed_number: int,
    data: bytes,
    file_name: str,
    label: str,
    tag_key: str,
) -> None:
    """A party gives a document privately with /evidence <n>: the file, its label, its tag."""
    await party.send(f"/evidence {filed_number}")
    ask_file = tr.t("evidence.private.ask_file", case=f"#{filed_number}")
    await party.wait_for(lambda e: e.text == ask_file, None, STEP)
    await party.send_document(data, file_name, "application/pdf")
    ask_label = tr.t("evidence.private.ask_label")
    await party.wait_for(lambda e: e.text == ask_label, None, STEP)
    await party.send(label)
    await party.wait_for(showing(tr.t(tag_key)), None, STEP)
    await party.press(tr.t(tag_key), timeout=STEP)
    added = tr.t("evidence.private.added", case=f"#{filed_number}", line="\x00").split("\x00")[0]
    await party.wait_for(lambda e: e.text.startswith(added) and label in e.text, None, STEP)


async def open_statements(mediator: SandboxUser, tr: Translator, number: str) -> None:
    """The panel's "Final statements round", confirmed: the case goes to arbitration."""
    panel = await mediator.wait_for(showing(tr.t("button.open_statements")), None, STEP)
    await mediator.press(tr.t("button.open_statements"), message=panel.message_id, timeout=STEP)
    await mediator.wait_for(showing(tr.t("button.confirm_statements")), None, STEP)
    await mediator.press(tr.t("button.confirm_statements"), timeout=STEP)
    opened = tr.t("statements.opened_mediator", number=number, due="\x00").split("\x00")[0]
    await mediator.wait_for(lambda e: e.text.startswith(opened), None, STEP)


async def give_statement(
    party: SandboxUser, tr: Translator, number: str, text: str, *, by_button: bool
) -> None:
    """A party states their case: by /statement, or by the button of the round's news."""
    if by_button:
        await party.press(tr.t("button.give_statement"), timeout=STEP)
    else:
        await party.send("/statement")
    asked = tr.t("statement.ask", number=number, max=2000)
    await party.wait_for(lambda e: asked in e.text, None, STEP)
    await party.send(text)
    recorded = tr.t("statement.recorded", number=number)
    await party.wait_for(lambda e: e.text == recorded, None, STEP)


async def decide_partial_refund(
    mediator: SandboxUser,
    tr: Translator,
    filed_number: int,
    amount: str,
    currency: str,
    items: str,
    reasons: str,
) -> None:
    """The mediator's /case shows the panel with "Decide"; a partial refund of `amount`, the
    reasons (the evidence `items` offered to cite, "E1, E2, ..."), the preview, Issue."""
    number = f"#{filed_number}"
    await mediator.send(f"/case {filed_number}")
    panel = await mediator.wait_for(showing(tr.t("button.decide")), None, STEP)
    await mediator.press(tr.t("button.decide"), message=panel.message_id, timeout=STEP)
    choose = await mediator.wait_for(
        lambda e: tr.t("decision.choose_outcome") in e.text, None, STEP
    )
    await mediator.press(tr.t("outcome.partial_refund"), message=choose.message_id, timeout=STEP)
    ask = tr.t("builder.ask.partial", currency=currency)
    await mediator.wait_for(lambda e: e.text == ask, None, STEP)
    await mediator.send(amount)
    await mediator.wait_for(showing(tr.t("button.decision_next")), None, STEP)
    await mediator.press(tr.t("button.decision_next"), timeout=STEP)
    # The time to fulfil: the usual one kept (its label names the configured days).
    keep = tr.t("button.decision_keep_days").split("{days}")[0]
    asked = await mediator.wait_for(
        lambda e: any(b.startswith(keep) for b in e.button_texts), None, STEP
    )
    label = next(b for b in asked.button_texts if b.startswith(keep))
    await mediator.press(label, message=asked.message_id, timeout=STEP)
    ask_reasons = tr.t("decision.ask_reasons", number=number, items=items)
    await mediator.wait_for(lambda e: ask_reasons in e.text, None, STEP)
    await mediator.send(reasons)
    preview = await mediator.wait_for(showing(tr.t("button.decision_issue")), None, STEP)
    assert reasons in preview.text, preview.text
    await mediator.press(tr.t("button.decision_issue"), message=preview.message_id, timeout=STEP)
    issued = tr.t("decision.issued_ack", number="D1")
    await mediator.wait_for(lambda e: e.text == issued, None, STEP)


async def fetch_case_file(
    sandbox: Sandbox, user: SandboxUser, tr: Translator, number: int
) -> tuple[bytes, dict[str, object]]:
    """`/casefile <number>` in the private chat: the PDF and the JSON, as the party keeps them."""
    before = len(user.transcript())
    await user.send(f"/casefile {number}")
    names = (f"case-{number}.pdf", f"case-{number}.json")

    def sent() -> dict[str | None, TranscriptEntry]:
        new = user.transcript()[before:]
        return {e.file_name: e for e in new if e.from_bot and e.kind == "document"}

    await sandbox.wait_until(lambda: all(name in sent() for name in names), 60)
    found = sent()
    pdf, document = (
        bytes(sandbox.files.by_id[found[name].message["document"]["file_id"]].data)
        for name in names
    )
    if not pdf.startswith(b"%PDF"):
        raise AssertionError(f"{names[0]} is not a PDF")
    case_file = json.loads(document)
    if case_file.get("format") != "disputebot-case-file" or case_file.get("version") != 1:
        raise AssertionError(f"{names[1]} is not a version-1 case file")
    if tr.t("casefile.caption.pdf", number=f"#{number}") != found[names[0]].text:
        raise AssertionError(f"{names[0]} came without its caption in the reader's language")
    return pdf, case_file
