"""Two Chinese-speaking parties read one terminology through a whole dispute (GLOSSARY-zh.md).

A buyer and a supplier who both read Simplified Chinese go through the claim form (with labelled
and tagged evidence), the shared chat (evidence added there too), a counter-proposal of
replacement and a discount on a future order, a round of blind bidding and the settlement.
Everything the bot showed them, texts and buttons, is then checked with the glossary's rules
(`tests/zh_glossary.py`): no forbidden wording (数额, 退单, 反方案, 点选, 折扣 ...), no
half-width punctuation next to Chinese, and a tag is asked for as a 分类, never as the 标签 the
reader has just typed.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal

from bot.demo import SCRIPTS, file_claim
from bot.demo_dispute import (
    accept_proposal,
    create_dispute_chat,
    invite_supplier,
    supplier_accepts_invitation,
)
from bot.sandbox import Sandbox, SandboxUser
from flows.clock import FrozenClock
from flows.rules.lifecycle import CaseState
from locales.i18n import Catalogs, Translator
from tests.e2e.conftest import BotHarness, translator
from tests.e2e.dispute_steps import containing, last_bot_entry, saying, showing
from tests.zh_glossary import LABEL, TAG, Problem, check_text

TAG_KEYS = ("tag.defect", "tag.delivery", "tag.communication", "tag.contract", "tag.payment")
# Dates as Babel writes them for a Chinese reader ("2026年12月15日 09:30 (GMT+08:00)"): they are
# the formatter's, not the catalog's, so the text rules see them as a placeholder.
BABEL_DATE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日(?: \d{1,2}:\d{2} \(GMT[+-]\d{2}:\d{2}\))?")


def _shown(sandbox: Sandbox) -> list[tuple[str, list[str]]]:
    """(text, button labels) of every request the bot made that shows a Chinese reader
    something: messages and their edits, captions, callback answers, the command menu. The
    requests, not the transcripts, because the claim form edits its questions away."""
    shown: list[tuple[str, list[str]]] = []
    for method, params in sandbox.requests:
        if method.startswith("setMy") and not str(params.get("language_code")).startswith("zh"):
            continue  # the default (English) command menu and descriptions
        markup = params.get("reply_markup") or {}
        if isinstance(markup, str):
            markup = json.loads(markup)
        buttons = [b["text"] for row in markup.get("inline_keyboard", []) for b in row]
        commands = [c["description"] for c in params.get("commands") or []]
        text = str(params.get("text") or params.get("caption") or "")
        if text or buttons or commands:
            shown.append((text, buttons + commands))
    return shown


def _problems(shown: list[tuple[str, list[str]]]) -> list[Problem]:
    found: list[Problem] = []
    for index, (text, labels) in enumerate(shown):
        for piece in (text, *labels):
            found += check_text(BABEL_DATE.sub("{due}", piece), key=f"request {index}")
    return found


async def _propose_replacement_and_discount(
    supplier: SandboxUser, tr: Translator, ship_by: str
) -> None:
    """The supplier answers the claim with 300 items replaced and 10% off a future order."""
    await supplier.press(tr.t("button.counter"))
    await supplier.wait_for(showing(tr.t("outcome.replacement")))
    await supplier.press(tr.t("outcome.replacement"))
    await supplier.wait_for(saying(tr.t("builder.ask.replacement_qty")))
    await supplier.send("300")
    await supplier.wait_for(saying(tr.t("builder.ask.replacement_date")))
    await supplier.send(ship_by)
    await supplier.wait_for(containing(tr.t("builder.terms_so_far")))
    await supplier.press(tr.t("outcome.discount"))
    await supplier.wait_for(saying(tr.t("builder.ask.discount", currency="EUR")))
    await supplier.send("10%")
    await supplier.wait_for(containing(tr.t("term.discount", percent="10")))
    await supplier.press(tr.t("button.send_proposal"))
    await supplier.wait_for(saying(tr.t("builder.sent", number="P1")))


async def test_two_chinese_speaking_parties_read_the_glossary_terms_throughout(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    buyer = sandbox.user("李伟", language_code="zh-hans")
    supplier = sandbox.user("王芳", language_code="zh-hans")
    tr = translator(catalogs, buyer)
    await file_claim(buyer, tr, SCRIPTS["zh_Hans"], clock)
    submitted = last_bot_entry(buyer)
    for command in ("/help", "/timezone", "/cases"):
        await buyer.send(command)
        await buyer.next_message()
    group = await create_dispute_chat(sandbox, buyer, tr, submitted, "保温杯订单")
    invitation = await invite_supplier(buyer, tr)
    await supplier_accepts_invitation(supplier, tr, invitation, group)

    # The supplier adds a file of the chat as evidence: a label typed, then a tag chosen.
    photo = await supplier.send_photo(b"\xff\xd8\xff\xe0packing list\xff\xd9", chat=group)
    await supplier.send("/evidence", chat=group, reply_to=photo)
    await supplier.wait_for(saying(tr.t("evidence.group.ask_label", name="王芳")), chat=group)
    await supplier.send("装箱单", chat=group)
    await supplier.wait_for(showing(tr.t("tag.delivery")), chat=group)
    await supplier.press(tr.t("tag.delivery"), chat=group)
    await buyer.wait_for(lambda e: "E3" in e.text and "装箱单" in e.text, chat=group)

    ship_by = (clock.now() + timedelta(days=10)).date().isoformat()
    await _propose_replacement_and_discount(supplier, tr, ship_by)
    proposal = await buyer.wait_for(showing(tr.t("button.accept")))

    # One round of blind bidding, too far apart: nothing is revealed.
    await buyer.send("/blindbid")
    offer = await supplier.wait_for(showing(tr.t("button.bids_join")))
    await supplier.press(tr.t("button.bids_join"), message=offer.message_id)
    paid = tr.money(Decimal("3600"), "EUR")
    await buyer.wait_for(saying(tr.t("bids.ask_buyer", round=1, currency="EUR", paid=paid)))
    await supplier.wait_for(saying(tr.t("bids.ask_supplier", round=1, currency="EUR", paid=paid)))
    for user, figure in ((buyer, "3000"), (supplier, "500")):
        await user.send(figure)
        await user.wait_for(saying(tr.t("bids.recorded", round=1)))
    await buyer.wait_for(saying(tr.t("bids.no_overlap", round=1, left=2)))

    await accept_proposal(buyer, tr, "P1", message=proposal.message_id)
    await supplier.wait_for(showing(tr.t("button.mark_done", number="O2")))
    case = max(await bot.services.db.cases.list_for_user(buyer.id), key=lambda c: c.id)
    assert case.state is CaseState.SETTLED
    duties = await bot.services.db.obligations.list(case.id)
    assert {d.kind for d in duties} == {"ship_replacement", "grant_discount"}

    shown = _shown(sandbox)
    assert len(shown) > 60
    assert not _problems(shown), "\n".join(str(p) for p in _problems(shown))
    # The tag question never calls a tag a 标签: the reader has just typed one.
    tags = {tr.t(key) for key in TAG_KEYS}
    tag_questions = [text for text, labels in shown if tags <= set(labels)]
    assert len(tag_questions) >= 3  # two in the claim form, one in the chat
    assert all(TAG in text and LABEL not in text for text in tag_questions), tag_questions
