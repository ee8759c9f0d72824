"""The shared dispute chat end to end: a buyer (English) and a supplier (Chinese) take a case
from claim to closed, each reading every bot message in their own language."""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal

import pytest

from bot.demo import SCRIPTS, file_claim
from bot.demo_dispute import (
    accept_proposal,
    counter_propose_partial_refund,
    create_dispute_chat,
    fulfil_with_receipt,
    invite_supplier,
    supplier_accepts_invitation,
)
from bot.sandbox import Sandbox, SandboxUser, TranscriptEntry
from flows.clock import FrozenClock
from flows.rules.lifecycle import CaseState
from locales.i18n import Catalogs
from tests.e2e.conftest import BotHarness, translator
from tests.e2e.dispute_steps import is_head_notice, saying

HAN = re.compile(r"[\u4e00-\u9fff]")


def last_bot_entry(user: SandboxUser) -> TranscriptEntry:
    return [e for e in user.transcript() if e.from_bot and not is_head_notice(e)][-1]


async def open_case(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> tuple[SandboxUser, SandboxUser, object, int]:
    buyer = sandbox.user("Anna", language_code="en")
    supplier = sandbox.user("王芳", language_code="zh-hans")
    btr, str_ = translator(catalogs, buyer), translator(catalogs, supplier)
    await file_claim(buyer, btr, SCRIPTS["en"], clock)
    group = await create_dispute_chat(sandbox, buyer, btr, last_bot_entry(buyer), "PO-2026-1142")
    invitation = await invite_supplier(buyer, btr)
    await supplier_accepts_invitation(supplier, str_, invitation, group)
    [case] = await bot.services.db.cases.list_for_user(buyer.id)
    return buyer, supplier, group, case.id


# The whole dispute once on the default clock, and once a year ahead of and a year behind
# today's date: nothing in the bot or the sandbox may read the wall clock.
@pytest.mark.parametrize(
    "clock", [None, 365, -365], indirect=True, ids=["fixed", "year-ahead", "year-behind"]
)
async def test_claim_to_closed_between_english_buyer_and_chinese_supplier(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    buyer, supplier, group, case_id = await open_case(bot, sandbox, catalogs, clock)
    btr, str_ = translator(catalogs, buyer), translator(catalogs, supplier)
    db = bot.services.db
    chat = await db.chats.for_case(case_id)
    assert chat is not None and chat.chat_id == group.id and chat.can_record  # type: ignore[attr-defined]
    assert group.title.startswith(f"#{case_id}")  # type: ignore[attr-defined]
    assert sandbox.pinned(group)
    assert supplier.id in group.members  # type: ignore[attr-defined]

    await buyer.send("Hello, I sent photos of the cracked casings.", chat=group)
    await supplier.send("我们看到了，正在核实。", chat=group)
    await counter_propose_partial_refund(supplier, str_, "800")
    proposal = await buyer.wait_for(lambda e: btr.t("button.accept") in e.button_texts)
    assert "$800.00" in proposal.text
    await accept_proposal(buyer, btr, "P1", message=proposal.message_id)
    await fulfil_with_receipt(supplier, str_, buyer, btr, "退款回单")
    closed = await buyer.wait_for(
        lambda e: e.text == btr.t("case.closed_fulfilled", number=f"#{case_id}")
    )
    assert closed

    case = await db.cases.get(case_id)
    assert case is not None and case.state is CaseState.CLOSED
    [obligation] = await db.obligations.list(case_id)
    assert obligation.amount == Decimal("800.00") and obligation.status == "confirmed"
    assert obligation.proof_evidence_number == 3
    proof = await db.evidence.get(case_id, 3)
    assert proof is not None and proof.sha256 and proof.submitter_role == "supplier"

    # Every bot message each party read privately is in their own language.
    # (The supplier's name is theirs, in any script; it is not the bot's language.)
    assert all(not HAN.search(e.text.replace("王芳", "")) for e in buyer.transcript() if e.from_bot)
    assert all(HAN.search(e.text) for e in supplier.transcript() if e.from_bot and e.text)
    # In the shared chat, once both are there, the bot writes both languages.
    later = [e for e in group.transcript() if e.from_bot][-3:]  # type: ignore[attr-defined]
    assert all(HAN.search(e.text) and re.search("[A-Za-z]{4}", e.text) for e in later)

    events = await db.history.list(case_id)
    said = [e.payload.get("text") for e in events if e.kind == "chat.message"]
    assert (
        "Hello, I sent photos of the cracked casings." in said and "我们看到了，正在核实。" in said
    )
    assert (await db.history.verify(case_id)).ok

    # /cases says why it closed, to each party in their language (issue 8, point 7).
    for reader, tr in ((buyer, btr), (supplier, str_)):
        await reader.send("/cases")
        line = tr.t(
            "cases.line",
            number="#1",
            state=tr.t("closed.fulfilled"),
            title=case.filed_claim.product,
        )
        await reader.wait_for(saying("\n\n".join([tr.t("cases.header"), line])))


async def test_stranger_is_removed_and_reused_invitation_refused(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    buyer = sandbox.user("Anna", language_code="en")
    supplier = sandbox.user("Li", language_code="zh")
    eve = sandbox.user("Eve", language_code="en")
    btr = translator(catalogs, buyer)
    await file_claim(buyer, btr, SCRIPTS["en"], clock)
    group = await create_dispute_chat(sandbox, buyer, btr, last_bot_entry(buyer), "Dispute")
    invitation = await invite_supplier(buyer, btr)
    await supplier_accepts_invitation(supplier, translator(catalogs, supplier), invitation, group)

    await eve.open_link(invitation)
    refusal = await eve.next_message()
    [case] = await bot.services.db.cases.list_for_user(buyer.id)
    assert refusal.text == btr.t("invite.supplier_set", number=f"#{case.id}")

    link = await sandbox.call("createChatInviteLink", {"chat_id": group.id})  # a leaked link
    await eve.open_link(link[1]["result"]["invite_link"])
    removed = await buyer.wait_for(
        lambda e: btr.t("group.stranger_removed", name="Eve") in e.text, chat=group
    )
    assert removed
    assert eve.id not in group.members


async def test_superseded_proposal_and_concurrent_accepts(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    buyer, supplier, group, case_id = await open_case(bot, sandbox, catalogs, clock)
    btr, str_ = translator(catalogs, buyer), translator(catalogs, supplier)
    await counter_propose_partial_refund(supplier, str_, "700")
    first = await buyer.wait_for(lambda e: "$700.00" in e.text and bool(e.buttons))
    await supplier.send("/propose")
    await supplier.wait_for(lambda e: str_.t("outcome.partial_refund") in e.button_texts)
    await supplier.press(str_.t("outcome.partial_refund"))
    await supplier.wait_for(lambda e: e.text == str_.t("builder.ask.partial"))
    await supplier.send("900")
    await supplier.wait_for(lambda e: str_.t("button.send_proposal") in e.button_texts)
    await supplier.press(str_.t("button.send_proposal"))
    second = await buyer.wait_for(lambda e: "$900.00" in e.text and bool(e.buttons))

    old = await buyer.press(btr.t("button.accept"), message=first.message_id)
    assert old.text == btr.t("proposal.superseded", number="P1")
    case = await bot.services.db.cases.get(case_id)
    assert case is not None and case.state is CaseState.NEGOTIATION

    # The buyer presses Accept in the private chat and in the group, then confirms both
    # questions at the same instant.
    group_copy = await buyer.wait_for(lambda e: "$900.00" in e.text and bool(e.buttons), chat=group)
    label = " / ".join([btr.t("button.accept"), str_.t("button.accept")])
    yes = btr.t("button.accept_yes", number="P2")
    await buyer.press(btr.t("button.accept"), message=second.message_id)
    await buyer.press(label, chat=group, message=group_copy.message_id)
    await sandbox.wait_until(
        lambda: len([e for e in buyer.transcript() if yes in e.button_texts]) == 2, 5
    )
    questions = [e for e in buyer.transcript() if yes in e.button_texts]
    await asyncio.gather(*(buyer.press(yes, message=q.message_id) for q in questions))
    obligations = await bot.services.db.obligations.list(case_id)
    assert len(obligations) == 1
    case = await bot.services.db.cases.get(case_id)
    assert case is not None and case.state is CaseState.SETTLED
    # The supplier cannot accept their own proposal, and a stranger's press does nothing.
    answers = [a for a in sandbox.callback_answers if a.user_id == buyer.id]
    assert sum(1 for a in answers if a.text == btr.t("proposal.accepted_ack")) == 1


async def test_a_file_in_the_chat_becomes_numbered_evidence(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    buyer, supplier, group, case_id = await open_case(bot, sandbox, catalogs, clock)
    str_ = translator(catalogs, supplier)
    photo = await supplier.send_photo(b"\xff\xd8\xff\xe0packing list\xff\xd9", chat=group)
    await supplier.send("/evidence", chat=group, reply_to=photo)
    await supplier.wait_for(
        lambda e: e.text == str_.t("evidence.group.ask_label", name="王芳"), chat=group
    )
    await supplier.send("装箱单", chat=group)
    # The questions go to the supplier by name, in Chinese; the buyer's English is not used.
    tags = await supplier.wait_for(lambda e: str_.t("tag.delivery") in e.button_texts, chat=group)
    # ... and say that private items (for the mediator only) go to the bot privately.
    hint = str_.t("evidence.group.private_hint")
    assert tags.text == str_.t("evidence.group.ask_tag", name="王芳") + "\n\n" + hint
    await supplier.press(str_.t("tag.delivery"), chat=group)
    added = await buyer.wait_for(lambda e: "E3" in e.text and "装箱单" in e.text, chat=group)
    assert added
    item = await bot.services.db.evidence.get(case_id, 3)
    assert item is not None and item.submitter_role == "supplier" and item.tag == "delivery"
    assert item.sha256 and item.label == "装箱单"

    # In a private chat it adds evidence privately, to an open case of the sender's: someone
    # without one is told so, and how to file a claim.
    eve = sandbox.user("Eve", language_code="en")
    await eve.send("/evidence")
    assert (await eve.next_message()).text == translator(catalogs, eve).t(
        "evidence.private.no_case"
    )


async def test_a_group_added_by_hand_is_told_how_to_link_it(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs
) -> None:
    li = sandbox.user("李", language_code="zh")
    tr = translator(catalogs, li)
    group = sandbox.group("随便一个群", creator=li)
    await li.add_bot_to_group(group)
    # The join says nothing (a bind through a case's link would look the same); the group's
    # next message that is not a command is told, once.
    await li.send(f"@{sandbox.bot_username} 你好", chat=group)
    told = await li.wait_for(lambda e: bool(e.text), chat=group)
    assert told.text == tr.t("group.not_linked")
    await li.send(f"@{sandbox.bot_username} 在吗", chat=group)
    await li.send("/help", chat=group)
    await li.wait_for(lambda e: e.text == tr.t("help.group.unbound"), chat=group)
    assert [e.text for e in li.transcript(group) if e.from_bot] == [
        tr.t("group.not_linked"),
        tr.t("help.group.unbound"),
    ]
    assert await bot.services.db.chats.case_for_chat(group.id) is None


async def test_opening_the_bind_link_again_does_not_rebind(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    buyer = sandbox.user("Anna", language_code="en")
    btr = translator(catalogs, buyer)
    await file_claim(buyer, btr, SCRIPTS["en"], clock)
    submitted = last_bot_entry(buyer)
    group = await create_dispute_chat(sandbox, buyer, btr, submitted, "Dispute")
    token = sandbox.parse_link(
        next(url for row in submitted.buttons for _, url in row if url and "startgroup" in url)
    ).payload
    pinned = list(await sandbox.wait_until(lambda: sandbox.pinned(group)))
    await buyer.wait_for(
        lambda e: e.text.startswith(btr.t("group.next_step", due="")[:5]), chat=group
    )
    await buyer.send(f"/start@DisputeTestBot {token}", chat=group)
    again = await buyer.wait_for(lambda e: "already" in e.text, chat=group)
    [case] = await bot.services.db.cases.list_for_user(buyer.id)
    assert again.text == btr.t("group.bind.already", number=f"#{case.id}")
    assert list(sandbox.pinned(group)) == pinned
