"""Hostile input never crashes a handler: numbers that are not ASCII digits or do not fit, and
forged data for every kind of button the bot makes. Every press is answered (the client would
otherwise spin for 15 seconds), and nothing reaches the error handler."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

import bot.app  # noqa: F401  (every flow, so that every button kind is registered)
from bot.sandbox import Sandbox, SandboxUser
from flows.callbacks import DecisionStep, ReconsiderCancel, kinds
from flows.clock import FrozenClock
from flows.stale_buttons import MEDIATOR_PROPOSAL_KINDS
from locales.i18n import Catalogs
from tests.e2e.conftest import BotHarness, press_many, translator
from tests.e2e.dispute_steps import in_negotiation

# Every callback code the bot makes: the codec's registry (flows/callbacks.py), so a new kind
# of button joins the fuzzing below by being registered.
PREFIXES = tuple(
    sorted(code for code, kind in kinds().items() if kind.__module__.startswith("flows."))
)
# Typed buttons (flows/callbacks.py) of a mediator's proposal: codes starting with "p" that a
# modified client might mix up with pp / pb / pe.
TYPED = tuple(kind.CODE for kind in MEDIATOR_PROPOSAL_KINDS)
HUGE = "9" * 23  # past SQLite's 64-bit integers, let alone PostgreSQL's INTEGER ids
ODD_NUMBERS = ("²", "①", "١٢", "1²", HUGE, "-1", "0", "+1", " 1", "1_0", "#1")


def forged(prefix: str, real_id: int, draft_id: int) -> list[str]:
    """Data a modified client could send for buttons of this prefix."""
    tails = [
        "",
        ":",
        "::",
        f":{real_id}",
        f":{real_id}:",
        f":{real_id}:zz",
        f":{real_id}:a:b:c:d",
        f":{real_id}:²:y",
        f":{real_id}:①:n",
        f":{real_id}:{HUGE}:y",
        f":{real_id}:{real_id}:zz",
        f":{real_id}:{real_id}:a:zz",
        f":{draft_id}:category:zz",
        f":{draft_id}:category:²",
        f":{draft_id}:evidence_tag:zz",
        f":{draft_id}:outcome:zz",
        f":{draft_id}:currency:zz",
        f":{draft_id}:zz:back",
    ]
    tails += [f":{odd}" for odd in ODD_NUMBERS] + [f":{odd}:a" for odd in ODD_NUMBERS]
    tails += [f":{odd}:1:y" for odd in ODD_NUMBERS]
    return [(prefix + tail)[:64] for tail in tails]


def test_the_prefixes_are_every_kind_of_button() -> None:
    """The older buttons and the mediators' are all fuzzed (the registry is not empty)."""
    assert {"f", "lang", "ob", "pp", "sj", "tz", "mt", "rt", "rk"} <= set(PREFIXES)


async def _to_category(buyer: SandboxUser, catalogs: Catalogs, clock: FrozenClock) -> None:
    """A claim draft waiting at the category question (a buttons-only step)."""
    today = clock.now().date()
    await buyer.send("/new")
    for answer in (
        "PO-7",
        (today - timedelta(days=20)).isoformat(),
        "Lamps",
        "10",
        "usd",
        "100",
        "Ningbo Light Co.",
        "light@example.com",
    ):
        await buyer.send(answer)
    label = translator(catalogs, buyer).t("category.not_as_described")
    await buyer.wait_for(lambda entry: label in entry.button_texts, timeout=10)


async def test_forged_buttons_are_answered_and_crash_nothing(
    bot: BotHarness,
    sandbox: Sandbox,
    catalogs: Catalogs,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    case = await in_negotiation(bot, sandbox, catalogs, clock)
    drafter = sandbox.user("Mallory", language_code="en")
    await _to_category(drafter, catalogs, clock)
    drafts = await bot.services.db.cases.list_for_user(drafter.id)
    draft_id = drafts[0].id
    caplog.set_level(logging.INFO)
    unavailable = {
        translator(catalogs, user).t("callback.unavailable")
        for user in (case.buyer, case.supplier, drafter)
    }
    stale = {
        translator(catalogs, user).t("callback.stale")
        for user in (case.buyer, case.supplier, drafter)
    }
    not_yours = {
        translator(catalogs, user).t("decision.not_your_case", number=case.number)
        for user in (case.buyer, case.supplier, drafter)
    }
    for presser in (case.buyer, case.supplier, drafter):
        message = presser.private_chat.bot_messages()[-1]
        for prefix in (*PREFIXES, *TYPED, "zz", "x"):
            datas = [data for data in forged(prefix, case.case_id, draft_id) if data.encode()]
            # Pressed in order and each one answered (not left spinning); one prefix's
            # presses reach the bot together rather than one round trip each.
            answers = await press_many(presser, message.message_id, datas)
            for data, answer in zip(datas, answers, strict=True):
                assert answer is not None, data
                if data.startswith(f"{prefix}:{draft_id}:category:") or prefix in (
                    "zz",
                    "x",
                    *TYPED,  # nobody here is a party of a mediator's proposal
                ):
                    assert answer.text in unavailable, (data, answer.text)
                if prefix == DecisionStep.CODE:  # none of them decides anything
                    assert answer.text in unavailable | not_yours, (data, answer.text)
                if prefix == ReconsiderCancel.CODE:  # nobody is writing a request
                    assert answer.text in unavailable | stale, (data, answer.text)
    errors = [r for r in caplog.records if r.name == "bot.errors"]
    assert not errors, [r.getMessage() for r in errors]
    assert await case.state() is not None  # the case is still there and readable


@pytest.mark.parametrize(
    "argument", ["²", "①", "#²", "١٢", HUGE, f"#{HUGE}", "9" * 300, "-1", "0", "1_0"]
)
async def test_odd_case_numbers_in_commands(
    bot: BotHarness,
    sandbox: Sandbox,
    catalogs: Catalogs,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
    argument: str,
) -> None:
    buyer = sandbox.user("Anna", language_code="zh-hans")
    tr = translator(catalogs, buyer)
    caplog.set_level(logging.INFO)
    digits = argument.removeprefix("#")
    a_number = digits.isascii() and digits.isdigit()
    await buyer.send(f"/case {argument}")
    reply = (await buyer.next_message()).text
    if a_number:  # a number no case has: "no such case", with the number as typed (cut short)
        shown = "#" + (digits if len(digits) <= 19 else digits[:19] + "…")
        assert reply == tr.t("case.not_found", number=shown)
    else:
        assert reply == tr.t("case.usage")
    for command in ("withdraw", "blindbid", "mediator", "propose"):
        await buyer.send(f"/{command} {argument}")
        await buyer.next_message()  # answered, whatever it says
    errors = [r for r in caplog.records if r.name == "bot.errors"]
    assert not errors, [r.getMessage() for r in errors]
