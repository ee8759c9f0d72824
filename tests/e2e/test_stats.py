"""Statistics, ratings and similar cases end to end (issue 10, parts 3-5).

/stats in the staff chat answers a mediator with the figures and a PNG chart in their language
(Li reads Chinese, Maria English); a party, or a mediator outside the staff chat, is refused.
After a case closes each party is asked once, privately, for a rating; the first press counts.
The similar-cases hint appears when the case enters negotiation with 20 closed cases like it,
and not with 19. Cases that only the statistics read are written as rows
(tests/storage/stats_data.py); the case under test goes through the bot.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.sandbox import Sandbox, SandboxServer, SandboxUser
from bot.sandbox.state import MemberState, TranscriptEntry
from flows.callbacks import RateProcess, encode
from flows.clock import FrozenClock
from flows.rules.lifecycle import CaseState
from flows.sweep import sweep
from locales.i18n import Catalogs, Translator
from tests.e2e.conftest import STAFF_TITLE, BotHarness, bot_settings, press_data, staff_chat
from tests.e2e.conftest import translator as translator_of
from tests.e2e.dispute_steps import Case, containing, contest, open_case, saying
from tests.storage.stats_data import CaseSpec, insert
from tests.unit.test_stats_chart import png_chunks


@pytest.fixture
def settings(server: SandboxServer, sandbox: Sandbox, tmp_path: Path) -> Settings:
    staff = staff_chat(sandbox)
    for name, language in (("Li", "zh-hans"), ("Maria", "en")):
        user = sandbox.user(name, language_code=language)
        staff.member_states[user.id] = MemberState(user.id, "member")
    return bot_settings(server, tmp_path, mediator_chat_id=staff.id)


def _user(sandbox: Sandbox, name: str) -> SandboxUser:
    return next(u for u in sandbox.users.values() if u.first_name == name)


def _photo(sandbox: Sandbox, entry: TranscriptEntry) -> bytes:
    file_id = entry.message["photo"][-1]["file_id"]
    return bytes(sandbox.files.by_id[file_id].data)


async def test_stats_for_mediators_in_their_language_and_nobody_else(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    start = clock.now() - timedelta(days=60)
    specs = [CaseSpec(days_to_close=d) for d in (2, 4, 6)]
    specs += [CaseSpec(ended_by="blind_bid"), CaseSpec(ended_by=None, closed_reason="withdrawn")]
    await insert(bot.services.db, specs, start)
    staff = next(c for c in sandbox.chats.values() if c.title == STAFF_TITLE)
    for name, title, chart_word in (
        ("Li", "📊 统计数据", "案件结果"),
        ("Maria", "📊 Statistics", "How cases ended"),
    ):
        mediator = _user(sandbox, name)
        tr = translator_of(catalogs, mediator)
        await mediator.send("/stats", staff)
        text = await mediator.wait_for(containing(title), chat=staff)
        assert tr.t("stats.filed", count=5) in text.text
        agreed = tr.t("stats.outcome.agreement")
        assert tr.t("stats.share_line", label=agreed, count=3, share="60%") in text.text
        # Closed after 2, 4, 6, 10 and 10 days.
        median, p90 = tr.t("stats.days", days="6"), tr.t("stats.days", days="10")
        assert tr.t("stats.resolution", median=median, p90=p90) in text.text
        caption = tr.t("stats.chart.caption")
        photo = await mediator.wait_for(
            lambda e, caption=caption: e.kind == "photo" and caption in e.text, chat=staff
        )
        png = _photo(sandbox, photo)
        assert png_chunks(png)[-1] == b"IEND"
        assert chart_word in tr.t("stats.chart.outcomes")

    # A party privately, and a mediator outside the staff chat: refused, no figures.
    buyer = sandbox.user("Anna", language_code="en")
    btr = translator_of(catalogs, buyer)
    await buyer.send("/stats")
    await buyer.wait_for(saying(btr.t("stats.refused")))
    li = _user(sandbox, "Li")
    await li.send("/stats")
    await li.wait_for(saying(translator_of(catalogs, li).t("stats.refused")))
    assert not any(e.kind == "photo" for e in buyer.private_chat.transcript())


async def _withdrawn(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> Case:
    case = await open_case(bot, sandbox, catalogs, clock)
    btr = case.btr
    await case.buyer.send("/withdraw")
    await case.buyer.wait_for(saying(btr.t("withdraw.confirm", number=case.number)))
    await case.buyer.press(btr.t("button.withdraw_yes"))
    await case.supplier.wait_for(containing(case.str_.t("withdraw.done", number=case.number)))
    assert await case.state() is CaseState.CLOSED
    return case


def _asked(user: SandboxUser, tr: Translator, case: Case) -> list[TranscriptEntry]:
    question = tr.t("rating.ask", number=case.number)
    return [e for e in user.private_chat.transcript() if e.from_bot and e.text == question]


async def test_each_party_is_asked_once_after_closing_and_the_first_rating_counts(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await _withdrawn(bot, sandbox, catalogs, clock)
    btr, str_ = case.btr, case.str_
    assert bot.app is not None
    await sweep(bot.services, bot.app.bot)
    stars = [btr.t("button.rating", score=n) for n in range(1, 6)]
    ask = await case.buyer.wait_for(saying(btr.t("rating.ask", number=case.number)))
    assert ask.button_texts == stars
    zh = await case.supplier.wait_for(saying(str_.t("rating.ask", number=case.number)))
    assert zh.button_texts == [str_.t("button.rating", score=n) for n in range(1, 6)]
    clock.advance(timedelta(minutes=5))
    await sweep(bot.services, bot.app.bot)  # asked already: not again
    assert len(_asked(case.buyer, btr, case)) == 1 and len(_asked(case.supplier, str_, case)) == 1

    await case.buyer.press(btr.t("button.rating", score=4), message=ask.message_id)
    await case.buyer.wait_for(saying(btr.t("rating.thanks_ask_comment", score=4)))
    await case.buyer.send("Quick and fair, thank you")
    await case.buyer.wait_for(saying(btr.t("rating.done")))
    # A second press, and a forged one for another score: the first rating stands.
    again = await case.buyer.press(btr.t("button.rating", score=1), message=ask.message_id)
    assert again.text == btr.t("rating.already") and again.show_alert
    data = encode(RateProcess(case.case_id, 5))
    forged = await press_data(case.buyer, ask.message_id, data)
    assert forged.text == btr.t("rating.already")
    # The supplier rates and skips the comment; a stranger's press is refused.
    await case.supplier.press(str_.t("button.rating", score=2), message=zh.message_id)
    await case.supplier.wait_for(saying(str_.t("rating.thanks_ask_comment", score=2)))
    await case.supplier.press(str_.t("button.rating_skip"))
    await case.supplier.wait_for(saying(str_.t("rating.done")))
    stranger = sandbox.user("Sam", language_code="en")
    await stranger.send("/start")
    await stranger.wait_for(lambda e: e.from_bot)
    entry = stranger.private_chat.transcript()[-1]
    refused = await press_data(stranger, entry.message_id, data)
    assert refused.text == translator_of(catalogs, stranger).t("callback.unavailable")
    assert await bot.services.db.ratings.of_case(case.case_id) == {
        "buyer": (4, "Quick and fair, thank you"),
        "supplier": (2, None),
    }
    figures = await bot.services.db.stats.figures()
    assert (figures.ratings_given, figures.rating_average, figures.comments) == (2, 3.0, 1)


async def _seed_similar(bot: BotHarness, case: Case, clock: FrozenClock, count: int) -> None:
    stored = await bot.services.db.cases.get(case.case_id)
    assert stored is not None and stored.category is not None
    paid, currency = stored.filed_claim.amount, stored.filed_claim.currency
    spec = CaseSpec(category=stored.category, amount=paid, currency=currency, refund=paid / 2)
    await insert(bot.services.db, [spec] * count, clock.now() - timedelta(days=90))


@pytest.mark.parametrize("closed", [20, 19])
async def test_the_similar_cases_hint_from_twenty_closed_cases(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock, closed: int
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    await _seed_similar(bot, case, clock, closed)
    await contest(case)
    assert await case.state() is CaseState.NEGOTIATION
    notes = [t.t("similar.note") for t in (case.btr, case.str_)]
    refunds = [t.t("similar.refund", share="50%") for t in (case.btr, case.str_)]
    if closed == 20:
        hint = await case.buyer.wait_for(containing(notes[0]), chat=case.group)
        assert all(n in hint.text for n in notes) and all(r in hint.text for r in refunds)
        agreed = case.btr.t(
            "similar.share", label=case.btr.t("stats.outcome.agreement"), share="100%"
        )
        assert agreed in hint.text and "20" in hint.text
        return
    # The contest's news and the hint would go out together: once the outbox is empty, none.
    await _outbox_empty(bot)
    said = [e.text for e in case.group.transcript() if e.from_bot]
    assert not any(n in text for text in said for n in notes)


async def _outbox_empty(bot: BotHarness) -> None:
    from sqlalchemy import func, select

    from storage.tables import outbox
    from tests.e2e.conftest import eventually

    async def empty() -> bool:
        async with bot.services.db.engine.connect() as conn:
            pending = await conn.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.status != "sent")
            )
        return pending == 0

    await eventually(empty)
