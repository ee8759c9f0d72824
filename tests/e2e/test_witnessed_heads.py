"""The record's head posted at milestones (issue 10, part 2): the parties hold it, not us.

An English buyer and a Chinese supplier settle in the dispute chat; at filing the buyer, and
at the settlement the chat (in both languages) and each party privately (in their own), read
the history's event count and hash, the very head `disputebot verify` checks, and which
`witnessed_heads` records.
"""

from __future__ import annotations

from bot.demo_dispute import accept_proposal, counter_propose_partial_refund
from bot.sandbox import Sandbox
from flows.case_audit import verify_case
from flows.clock import FrozenClock
from flows.witness import short_hash
from locales.i18n import Catalogs, Translator
from tests.e2e.conftest import BotHarness, translator
from tests.e2e.dispute_steps import open_case, saying


def head(tr: Translator, number: str, milestone: str, seq: int, digest: str) -> str:
    return tr.tn(
        "record.head",
        "record.head.plural",
        seq,
        number=number,
        milestone=tr.t(f"record.milestone.{milestone}"),
        short=short_hash(digest),
        hash=digest,
    )


async def test_filing_and_settlement_post_the_head_to_the_chat_and_both_parties(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    buyer, supplier, group = case.buyer, case.supplier, case.group
    btr, str_ = translator(catalogs, buyer), translator(catalogs, supplier)
    db = bot.services.db

    [filed] = await db.witnessed.list(case.case_id)
    assert (filed.milestone, filed.audience, filed.chat_id) == ("filed", "buyer", buyer.id)
    await buyer.wait_for(saying(head(btr, case.number, "filed", filed.seq, filed.hash)))

    await counter_propose_partial_refund(supplier, str_, "800")
    proposal = await buyer.wait_for(lambda e: btr.t("button.accept") in e.button_texts)
    await accept_proposal(buyer, btr, "P1", message=proposal.message_id)

    settled = [h for h in await db.witnessed.list(case.case_id) if h.milestone == "settled"]
    assert sorted(h.audience for h in settled) == ["buyer", "chat", "supplier"]
    seq, digest = settled[0].seq, settled[0].hash
    assert all((h.seq, h.hash) == (seq, digest) for h in settled)
    events = await db.history.list(case.case_id)
    assert events[seq - 1].hash == digest  # the head as it was at the settlement

    english = head(btr, case.number, "settled", seq, digest)
    chinese = head(str_, case.number, "settled", seq, digest)
    assert "案件记录目前共" in chinese and "哈希值" in chinese and digest in chinese
    await buyer.wait_for(saying(english))
    await supplier.wait_for(saying(chinese))
    await buyer.wait_for(saying(f"{english}\n\n— — —\n\n{chinese}"), chat=group)

    report = await verify_case(db, bot.services.files.store, case.case_id)
    assert report.ok, report.findings
