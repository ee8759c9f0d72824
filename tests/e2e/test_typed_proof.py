"""Proof of fulfilment may be typed: a transfer or tracking number is what many people have.

Found playing a settlement by hand: the supplier typed the refund's transfer reference and was
told to send a photo or a document. A typed reference is now proof, on the record as a written
statement, and the other party reads which evidence item it is, in their language.
"""

from __future__ import annotations

from bot.sandbox import Sandbox
from flows.clock import FrozenClock
from flows.rules.validation import EvidenceKind
from locales.i18n import Catalogs
from tests.e2e.conftest import BotHarness
from tests.e2e.dispute_steps import accept_request, open_case, saying, showing

REFERENCE = "SWIFT MT103 ref 20261201-88341"


async def test_a_typed_transfer_reference_is_proof_of_the_refund(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)  # English buyer, Chinese supplier
    btr, str_ = case.btr, case.str_
    await accept_request(case.supplier, str_)
    done = str_.t("button.mark_done", number="O1")
    await case.supplier.wait_for(showing(done))
    await case.supplier.press(done)
    # The prompt says a reference may be typed, in the supplier's language.
    await case.supplier.wait_for(saying(str_.t("obligation.ask_proof", number="O1")))
    assert "编号" in str_.t("obligation.ask_proof", number="O1")
    await case.supplier.send(REFERENCE)
    question = await case.buyer.wait_for(
        lambda e: "O1" in e.text and btr.t("button.confirm_done") in e.button_texts
    )

    [fulfilment] = await bot.services.db.deadlines.pending_for_case(case.case_id)
    items = await bot.services.db.evidence.list(case.case_id)
    proof = items[-1]
    assert proof.kind == str(EvidenceKind.STATEMENT) and proof.text == REFERENCE
    assert proof.label == str_.t("obligation.proof_label", number="O1")
    marked = btr.t(
        "obligation.done_with_proof",
        number="O1",
        party=btr.t("role.supplier"),
        proof=f"E{proof.number}",
        other=btr.t("role.buyer"),
        due=btr.datetime(fulfilment.due_at),
    )
    assert question.text == marked
    assert question.button_texts == [btr.t("button.confirm_done"), btr.t("button.not_done")]
    [duty] = await bot.services.db.obligations.list(case.case_id)
    assert duty.status == "done" and duty.proof_evidence_number == proof.number


async def test_an_empty_or_overlong_reference_is_refused_and_the_prompt_kept(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock, supplier_language="en")
    str_ = case.str_
    await accept_request(case.supplier, str_)
    done = str_.t("button.mark_done", number="O1")
    await case.supplier.wait_for(showing(done))
    await case.supplier.press(done)
    await case.supplier.wait_for(saying(str_.t("obligation.ask_proof", number="O1")))
    await case.supplier.send("x" * 501)
    await case.supplier.wait_for(lambda e: "500" in e.text and "501" in e.text)
    [duty] = await bot.services.db.obligations.list(case.case_id)
    assert duty.status != "done"
    await case.supplier.send(REFERENCE)  # the prompt still waits for the proof
    await case.buyer.wait_for(
        lambda e: REFERENCE not in e.text and "E" in e.text and "O1" in e.text
    )
    [duty] = await bot.services.db.obligations.list(case.case_id)
    assert duty.status == "done"
