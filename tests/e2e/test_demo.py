"""`disputebot demo` plays a claim in each language and a dispute to a negotiated settlement."""

from __future__ import annotations

import pytest

from bot.demo import run_demo
from locales.i18n import Catalogs


async def test_demo_prints_both_claims_and_the_settled_dispute(
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
    ):
        assert title in out
    assert "Your claim is filed as case #1." in out and "您的索赔已提交，立案为案件 #2。" in out
    assert en.t("case.closed_fulfilled", number="#1") in out
    assert zh.t("case.closed_fulfilled", number="#1") in out
    assert "every request the bot made fitted the Bot API schema" in out
