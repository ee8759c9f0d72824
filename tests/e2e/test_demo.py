"""`disputebot demo` plays a claim in each language, a dispute to a negotiated settlement, and a
second dispute through mediation to the mediator's decision, fulfilled."""

from __future__ import annotations

import pytest

from bot.demo import MEDIATED_REASONS, run_demo
from locales.i18n import Catalogs


async def test_demo_prints_both_claims_the_settled_and_the_decided_dispute(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await run_demo() == 0
    out = capsys.readouterr().out
    en, zh = Catalogs().translator("en"), Catalogs().translator("zh_Hans")
    for title in (
        "Anna (en)",
        "李伟 (zh_Hans)",
        "王芳 (zh_Hans, the supplier)",
        "shared dispute chat",
        "Jonas (en, the supplier of case #2)",
        "Maria (en, the mediator)",
        "The mediators' staff chat",
    ):
        assert title in out
    assert "Your claim is filed as case #1." in out and "您的索赔已提交，立案为案件 #2。" in out
    assert en.t("case.closed_fulfilled", number="#1") in out
    assert zh.t("case.closed_fulfilled", number="#1") in out
    # The second dispute: taken, decided with reasons citing E1, fulfilled and closed.
    assert en.t("pool.post_taken", number="#2", name="Maria") in out
    assert en.t("mediator.joined_chat", name="Maria", number="#2") in out
    assert zh.t("mediator.joined_chat", name="Maria", number="#2") in out
    assert "the buyer: 1 case; none closed yet" in out  # the card's history, in the singular
    assert en.t("decision.issued_ack", number="D1") in out
    assert MEDIATED_REASONS in out
    for tr in (en, zh):  # the dispute chat reads the decision in both languages
        heading = tr.t(
            "decision.announced",
            number="D1",
            case="#2",
            name="Maria",
            outcome="\x00",
            reasons="",
            obligations="",
            due="",
            until="",
            filed=2,
        ).split("\x00")[0]
        assert heading in out
    for tr in (en, zh):
        assert tr.t("case.closed_fulfilled", number="#2") in out
    assert "every request the bot made fitted the Bot API schema" in out
