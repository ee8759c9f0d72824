"""`disputebot demo`: the sandbox and the real bot, a scripted buyer, and what each user saw.

The scripted claim (`file_claim`) is the same one the end-to-end tests play, so the demo shows
exactly what is tested. After the claims, two disputes: Anna's, settled by negotiation, and Li
Wei's, which the supplier takes to a mediator at once and which ends in the mediator's decision
(the steps of `tests/e2e/test_mediation_journey.py`, from `bot/demo_mediation.py`). Button
labels are looked up in the catalogs of the reader's language, as a person would read them on
screen.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bot.config import load_settings
from bot.demo_dispute import (
    accept_proposal,
    counter_propose_partial_refund,
    create_dispute_chat,
    fulfil_with_receipt,
    invite_supplier,
    supplier_accepts_invitation,
)
from bot.demo_mediation import (
    decide_partial_refund,
    fetch_case_file,
    give_evidence,
    give_statement,
    join_case,
    mediators_chat,
    open_statements,
    request_evidence,
    take_label,
)
from bot.runner import running_bot
from bot.sandbox import Sandbox, SandboxChat, SandboxServer, SandboxUser
from flows.clock import Clock, SystemClock
from flows.proposal_render import role_name
from flows.rules.lifecycle import Role
from locales.i18n import Catalogs, Translator

DEMO_TOKEN = "123456:DEMO-TOKEN"
# A tiny valid JPEG (a red 16x16 square, decodable: the case file draws its thumbnail) and PDF,
# so the stored copies are real files.
JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300100b0c0e0c0a100e0d0e1211101318281a1816"
    "16183123251d283a333d3c3933383740485c4e404457453738506d51575f626768673e4d71797064785c6567"
    "63ffdb0043011112121815182f1a1a2f63423842636363636363636363636363636363636363636363636363"
    "6363636363636363636363636363636363636363636363636363ffc000110800100010030122000211010311"
    "01ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303"
    "020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f024"
    "33627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a63646566"
    "6768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7"
    "b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffc400"
    "1f0100030101010101010101010000000000000102030405060708090a0bffc400b511000201020404030407"
    "05040400010277000102031104052131061241510761711322328108144291a1b1c109233352f0156272d10a"
    "162434e125f11718191a262728292a35363738393a434445464748494a535455565758595a63646566676869"
    "6a737475767778797a82838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9"
    "bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9faffda000c030100"
    "02110311003f00a34514579e7d11ffd9"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass(frozen=True)
class ClaimScript:
    """What a scripted buyer answers, in their own words and language."""

    order_number: str
    product: str
    quantity: str
    currency_button: str
    amount: str
    supplier_name: str
    supplier_contact: str
    description: str
    refund: str
    photo_label: str
    document_label: str


SCRIPTS = {
    "en": ClaimScript(
        "PO-2026-1142",
        "Bluetooth speaker BT-200",
        "500",
        "USD",
        "4,250.00",
        "Shenzhen Bright Audio Co., Ltd.",
        "sales@brightaudio.example",
        "120 of the 500 speakers arrived with cracked casings; the inspection report confirms it. "
        "The supplier has not answered two emails.",
        "1020",
        "Cracked casing, carton 7",
        "Inspection report, 20 Nov",
    ),
    "zh_Hans": ClaimScript(
        "HB-20261102-77",
        "不锈钢保温杯 500ml",
        "2000",
        "EUR",
        "3.600,00",
        "Hamburg Haushaltswaren GmbH",
        "+49 40 1234567",
        "2000 个保温杯中有 300 个密封圈漏水，已拍照并附检验报告。供应商至今未回复。",
        "540",
        "漏水的保温杯",
        "第三方检验报告",
    ),
}


def dates(clock: Clock) -> tuple[str, str]:
    today = clock.now().date()
    return (today - timedelta(days=24)).isoformat(), (today - timedelta(days=6)).isoformat()


async def answer(user: SandboxUser, text: str, timeout: float) -> None:  # noqa: ASYNC109
    await user.send(text)
    await user.next_message(timeout=timeout)


async def press(user: SandboxUser, label: str, timeout: float) -> None:  # noqa: ASYNC109
    await user.press(label, timeout=timeout)


async def answer_questions(
    user: SandboxUser,
    tr: Translator,
    script: ClaimScript,
    clock: Clock,
    timeout: float = 10.0,  # noqa: ASYNC109 - how long the bot may take per answer
    outcome: str = "outcome.partial_refund",
    discount: str = "10%",
) -> None:
    """Play the claim form from /new up to its evidence question (the last message read).
    `outcome` is the requested outcome's button key: a partial refund (the script's figure),
    a discount on a future order (`discount`, a percentage or an amount) or one that asks
    nothing more."""
    ordered, received = dates(clock)
    await user.send("/new")
    await user.next_message(timeout=timeout)  # "let's file your claim"
    await user.next_message(timeout=timeout)  # order number?
    await answer(user, script.order_number, timeout)
    await answer(user, ordered, timeout)
    await answer(user, script.product, timeout)
    await answer(user, script.quantity, timeout)
    await press(user, script.currency_button, timeout)
    await user.next_message(timeout=timeout)
    await answer(user, script.amount, timeout)
    await answer(user, script.supplier_name, timeout)
    await answer(user, script.supplier_contact, timeout)
    await press(user, tr.t("category.quality_defect"), timeout)
    await user.next_message(timeout=timeout)
    await answer(user, received, timeout)
    await answer(user, script.description, timeout)
    await press(user, tr.t(outcome), timeout)
    await user.next_message(timeout=timeout)
    if outcome == "outcome.partial_refund":
        await answer(user, script.refund, timeout)
    elif outcome == "outcome.discount":
        await answer(user, discount, timeout)


async def add_evidence(
    user: SandboxUser,
    tr: Translator,
    sent: Awaitable[object],
    label: str,
    tag_key: str,
    timeout: float = 10.0,  # noqa: ASYNC109 - how long the bot may take per answer
) -> None:
    """At the evidence question: send a file (`sent`), label and tag it; the question again."""
    await sent
    await user.next_message(timeout=timeout)  # label?
    await answer(user, label, timeout)  # tag?
    await press(user, tr.t(tag_key), timeout)
    await user.next_message(timeout=timeout)  # added
    await user.next_message(timeout=timeout)  # evidence question again


async def file_claim(
    user: SandboxUser,
    tr: Translator,
    script: ClaimScript,
    clock: Clock,
    timeout: float = 10.0,  # noqa: ASYNC109 - how long the bot may take per answer
    outcome: str = "outcome.partial_refund",
    discount: str = "10%",
) -> str:
    """Play a whole claim with a photo and a PDF as evidence; returns the bot's last message."""
    await answer_questions(user, tr, script, clock, timeout, outcome, discount)
    photo = user.send_photo(JPEG)
    await add_evidence(user, tr, photo, script.photo_label, "tag.defect", timeout)
    document = user.send_document(PDF, "inspection.pdf", "application/pdf")
    await add_evidence(user, tr, document, script.document_label, "tag.contract", timeout)
    await press(user, tr.t("button.done"), timeout)
    await user.next_message(timeout=timeout)  # summary to confirm
    await press(user, tr.t("button.submit"), timeout)
    submitted = await user.next_message(timeout=timeout)
    await user.next_message(timeout=timeout)  # the record's head at filing, for the buyer to keep
    return submitted.text


def print_transcript(user: SandboxUser, title: str, chat: SandboxChat | None = None) -> None:
    print(f"\n===== {title} =====")
    for entry in user.transcript(chat):
        who = "BOT" if entry.from_bot else entry.sender
        body = entry.text if entry.kind == "text" else f"[{entry.kind}] {entry.text}".rstrip()
        print(f"--- {who}:")
        print(body)
        for row in entry.buttons:
            print("    " + "  ".join(f"[ {text} ]" for text, _ in row))


async def play_dispute(
    sandbox: Sandbox, buyer: SandboxUser, supplier: SandboxUser, catalogs: Catalogs
) -> SandboxChat:
    """Anna's case: the dispute chat, the supplier invited, a counter-proposal, settlement."""
    btr, supplier_tr = catalogs.translator("en"), catalogs.translator("zh_Hans")
    create = btr.t("button.create_chat")  # on the filing's news (the record's head follows it)
    submitted = [e for e in buyer.transcript() if create in e.button_texts][-1]
    group = await create_dispute_chat(sandbox, buyer, btr, submitted, "Order PO-2026-1142")
    invitation = await invite_supplier(buyer, btr)
    await supplier_accepts_invitation(supplier, supplier_tr, invitation, group)
    await buyer.send("Hello. The photos of the cracked casings are E1 in the case.", chat=group)
    await supplier.send("您好，我们已看到照片，愿意部分退款。", chat=group)
    await counter_propose_partial_refund(supplier, supplier_tr, "900")
    proposal = await buyer.wait_for(lambda e: btr.t("button.accept") in e.button_texts)
    await accept_proposal(buyer, btr, "P1", message=proposal.message_id)
    await fulfil_with_receipt(supplier, supplier_tr, buyer, btr, "退款回单")
    await buyer.wait_for(lambda e: e.text.startswith("Case #") and "is closed" in e.text)
    return group


MEDIATED_REASONS = (
    "The photos E1 and the inspection report E2 show 300 leaking seals; the supplier's loading "
    "photos E3 were taken before shipping and do not answer them. A partial refund of 540 EUR "
    "covers the leaking cups."
)


async def play_mediated_dispute(
    sandbox: Sandbox,
    buyer: SandboxUser,
    supplier: SandboxUser,
    mediator: SandboxUser,
    staff: SandboxChat,
    catalogs: Catalogs,
) -> SandboxChat:
    """Li Wei's case: the chat, the supplier invited, who asks for a mediator at once; Maria
    takes it, requests evidence, opens the final statements round and decides a partial
    refund citing E1; the supplier pays, the buyer confirms, the case closes."""
    btr, str_ = catalogs.translator("zh_Hans"), catalogs.translator("en")
    mtr = catalogs.translator("en")
    create = btr.t("button.create_chat")  # on the filing's news (the record's head follows it)
    submitted = [e for e in buyer.transcript() if create in e.button_texts][-1]
    group = await create_dispute_chat(sandbox, buyer, btr, submitted, "订单 HB-20261102-77")
    invitation = await invite_supplier(buyer, btr)
    await supplier_accepts_invitation(supplier, str_, invitation, group)
    await supplier.send(
        "We dispute the leaks and would like a neutral person to look at it.", chat=group
    )
    await supplier.send("/mediator")
    take = take_label([catalogs.translator(language) for language in ("en", "zh_Hans")])
    await mediator.wait_for(lambda e: take in e.button_texts, staff, 10)
    await mediator.press(take, staff, timeout=10)
    await join_case(mediator, mtr, "#2")
    await buyer.wait_for(lambda e: mediator.full_name in e.text, group, 10)
    what = "Photos of the cups' seals before loading"
    await request_evidence(mediator, mtr, "#2", role_name(mtr, Role.SUPPLIER), what, 2)
    loading = PDF.replace(b"1 0 obj", b"1 0 obj % loading")
    await give_evidence(
        supplier, str_, 2, loading, "loading.pdf", "Seals before loading", "tag.delivery"
    )
    await mediator.wait_for(lambda e: "R1" in e.text and "E3" in e.text, None, 10)
    await open_statements(mediator, mtr, "#2")
    await give_statement(
        buyer, btr, "#2", "2000 个保温杯中有 300 个漏水，见 E1 和 E2。", by_button=False
    )
    await give_statement(
        supplier, str_, "#2", "The seals were tight when loaded; see E3.", by_button=True
    )
    await decide_partial_refund(mediator, mtr, 2, "540", "EUR", "E1, E2, E3", MEDIATED_REASONS)
    await fulfil_with_receipt(supplier, str_, buyer, btr, "Refund receipt")
    closed = btr.t("case.closed_fulfilled", number="#2")
    await buyer.wait_for(lambda e: e.text == closed, None, 10)
    # Each party keeps the case file: the PDF and the JSON, made for them, in their language.
    for party, tr in ((buyer, btr), (supplier, str_)):
        pdf, case_file = await fetch_case_file(sandbox, party, tr, 2)
        head = case_file["head"]
        assert isinstance(head, dict)
        print(
            f"{party.full_name} keeps the case file of case #2: a PDF of {len(pdf) // 1024} KB "
            f"and the JSON, head {head['seq']}:{head['hash']}"
        )
    return group


async def run_demo(languages: list[str] | None = None) -> int:
    languages = languages or ["en", "zh_Hans"]
    clock = SystemClock()
    catalogs = Catalogs()  # the demo's service has a mediator in its staff chat
    sandbox = Sandbox(
        bot_token=DEMO_TOKEN,
        bot_username="DisputeDemoBot",
        bot_name="Dispute Bot",
        clock=clock.timestamp,
    )
    people = {
        "en": sandbox.user("Anna", language_code="en", username="anna_buyer"),
        "zh_Hans": sandbox.user("李伟", language_code="zh-hans", username="li_wei"),
    }
    supplier = sandbox.user("王芳", language_code="zh-hans", username="wang_fang_audio")
    supplier_2 = sandbox.user("Jonas", language_code="en", username="jonas_hamburg")
    mediator = sandbox.user("Maria", language_code="en", username="maria_mediates")
    staff = mediators_chat(sandbox, "Mediators", [mediator])
    group: SandboxChat | None = None
    group_2: SandboxChat | None = None
    with tempfile.TemporaryDirectory(prefix="disputebot-demo-") as workdir:
        async with SandboxServer(sandbox) as server:
            settings = load_settings(
                telegram_bot_token=DEMO_TOKEN,
                telegram_api_url=server.url,
                database_url=f"sqlite:///{Path(workdir) / 'demo.db'}",
                evidence_dir=Path(workdir) / "evidence",
                sweep_interval_seconds=0,
                mediator_chat_id=staff.id,
                # the sandbox does not throttle; at Telegram's 20 a minute per group, the
                # group's news waits behind the edits that take stale buttons off
                rate_limit_group_per_minute=600,
                rate_limit_private_per_second=100,  # the sandbox does not throttle
            )
            async with running_bot(settings, clock):
                await sandbox.wait_until(lambda: "getUpdates" in [m for m, _ in sandbox.requests])
                await mediator.send("/start")
                await mediator.next_message(timeout=10)
                for language in languages:
                    user = people[language]
                    await user.send("/start")
                    await user.next_message(timeout=10)
                    await file_claim(user, catalogs.translator(language), SCRIPTS[language], clock)
                if "en" in languages:
                    group = await play_dispute(sandbox, people["en"], supplier, catalogs)
                if "zh_Hans" in languages:
                    group_2 = await play_mediated_dispute(
                        sandbox, people["zh_Hans"], supplier_2, mediator, staff, catalogs
                    )
        for language in languages:
            user = people[language]
            print_transcript(user, f"{user.full_name} ({language})")
        if group is not None:
            print_transcript(supplier, f"{supplier.full_name} (zh_Hans, the supplier)")
            print_transcript(people["en"], f"The shared dispute chat “{group.title}”", group)
        if group_2 is not None:
            print_transcript(supplier_2, f"{supplier_2.full_name} (en, the supplier of case #2)")
            print_transcript(mediator, f"{mediator.full_name} (en, the mediator)")
            print_transcript(mediator, f"The mediators' staff chat “{staff.title}”", staff)
            print_transcript(
                people["zh_Hans"], f"The shared dispute chat “{group_2.title}”", group_2
            )
    sandbox.assert_no_violations()
    print("\nDemo finished: every request the bot made fitted the Bot API schema.")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(run_demo()))
