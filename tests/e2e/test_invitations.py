"""Supplier invitations that say what became of them: one live invitation per case, "not my
order" ends the one that was opened, an invitation of a case that has its supplier says so, and
the buyer replaces a wrong supplier before they answer.

An English buyer and Chinese suppliers (and an English stranger), each reading in their own
language.
"""

from __future__ import annotations

from bot.demo import SCRIPTS, file_claim
from bot.demo_dispute import LINK, invite_supplier, supplier_accepts_invitation
from bot.sandbox import Sandbox, SandboxUser
from flows.clock import FrozenClock
from flows.rules.lifecycle import CaseState
from locales.i18n import Catalogs
from storage import RevokeReason
from tests.e2e.conftest import BotHarness, press_data, translator
from tests.e2e.dispute_steps import contest, open_case, saying, showing


async def _filed(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> tuple[SandboxUser, int]:
    """The English buyer's filed claim (no dispute chat yet) and its case id."""
    buyer = sandbox.user("Anna", language_code="en")
    await file_claim(buyer, translator(catalogs, buyer), SCRIPTS["en"], clock)
    [case] = await bot.services.db.cases.list_for_user(buyer.id)
    return buyer, case.id


async def _opens(user: SandboxUser, link: str) -> str:
    """`user` opens an invitation link; the bot's one answer (the claim, or a refusal)."""
    user.skip_messages()
    await user.open_link(link)
    return (await user.next_message()).text


def _sent_links(user: SandboxUser) -> list[str]:
    """Every t.me link the bot sent `user`, oldest first."""
    found = (LINK.search(e.text) for e in user.transcript() if e.from_bot)
    return [match.group(0) for match in found if match is not None]


async def _invite(buyer: SandboxUser, catalogs: Catalogs) -> str:
    """The buyer presses the newest "Invite the supplier" button; the link to forward."""
    buyer.skip_messages()
    return await invite_supplier(buyer, translator(catalogs, buyer))


async def test_a_new_invitation_replaces_the_old_one(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    buyer, case_id = await _filed(bot, sandbox, catalogs, clock)
    first = await _invite(buyer, catalogs)
    second = await _invite(buyer, catalogs)
    supplier = sandbox.user("王芳", language_code="zh-hans")
    str_ = translator(catalogs, supplier)

    # The old invitation says plainly, in the opener's language, that it was replaced.
    assert await _opens(supplier, first) == str_.t("invite.replaced")
    db = bot.services.db
    tokens = [await db.tokens.get(link.rsplit("=", 1)[1]) for link in (first, second)]
    assert tokens[0] is not None and tokens[0].revoked_reason == RevokeReason.REPLACED
    assert tokens[1] is not None and tokens[1].revoked_at is None

    # The new one works.
    await supplier_accepts_invitation(supplier, str_, second, None)
    await supplier.wait_for(showing(str_.t("button.contest")))
    case = await db.cases.get(case_id)
    assert case is not None and case.supplier_id == supplier.id


async def test_not_my_order_ends_the_invitation_and_the_buyer_may_make_another(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    buyer, case_id = await _filed(bot, sandbox, catalogs, clock)
    btr = translator(catalogs, buyer)
    invitation = await _invite(buyer, catalogs)
    wrong = sandbox.user("王芳", language_code="zh-hans")
    wtr = translator(catalogs, wrong)
    # Opened twice (say, on two devices): two questions with buttons.
    await wrong.open_link(invitation)
    first = await wrong.wait_for(showing(wtr.t("button.i_am_supplier")))
    await wrong.open_link(invitation)
    second = await wrong.wait_for(lambda e: e.message_id > first.message_id and bool(e.buttons))

    await wrong.press(wtr.t("button.not_me"), message=second.message_id)
    await wrong.wait_for(saying(wtr.t("invite.declined")))
    number = f"#{case_id}"
    told = await buyer.wait_for(saying(btr.t("invite.declined_buyer", number=number)))
    assert told.button_texts == [btr.t("button.invite_supplier")]

    # "Yes" afterwards, on the other copy of the question, does nothing but say so.
    answer = await wrong.press(wtr.t("button.i_am_supplier"), message=first.message_id)
    assert answer.text == wtr.t("invite.was_declined") and answer.show_alert
    assert await _opens(wrong, invitation) == wtr.t("invite.was_declined")
    case = await bot.services.db.cases.get(case_id)
    assert case is not None and case.supplier_id is None
    assert not [e for e in wrong.transcript() if e.text == wtr.t("supplier.welcome")]
    events = [e.kind for e in await bot.services.db.history.list(case_id)]
    assert "invitation.declined" in events and "case.supplier_joined" not in events

    # The buyer makes a new invitation from that message; the right supplier joins with it.
    right = sandbox.user("李伟", language_code="zh-hans")
    rtr = translator(catalogs, right)
    await supplier_accepts_invitation(right, rtr, await _invite(buyer, catalogs), None)
    await right.wait_for(showing(rtr.t("button.contest")))
    case = await bot.services.db.cases.get(case_id)
    assert case is not None and case.supplier_id == right.id


async def test_an_invitation_opened_after_the_case_has_its_supplier_says_so(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    buyer, case_id = await _filed(bot, sandbox, catalogs, clock)
    old = await _invite(buyer, catalogs)
    new = await _invite(buyer, catalogs)
    supplier = sandbox.user("李伟", language_code="zh-hans")
    str_ = translator(catalogs, supplier)
    eve = sandbox.user("Eve", language_code="en")
    etr = translator(catalogs, eve)
    # Eve opens the new invitation too, but the supplier confirms first.
    await eve.open_link(new)
    question = await eve.wait_for(showing(etr.t("button.i_am_supplier")))
    await supplier_accepts_invitation(supplier, str_, new, None)
    await supplier.wait_for(showing(str_.t("button.contest")))

    supplier_set = etr.t("invite.supplier_set", number=f"#{case_id}")
    answer = await eve.press(etr.t("button.i_am_supplier"), message=question.message_id)
    assert answer.text == supplier_set and answer.show_alert
    assert await _opens(eve, old) == supplier_set
    assert await _opens(eve, new) == supplier_set

    case = await bot.services.db.cases.get(case_id)
    assert case is not None and case.supplier_id == supplier.id
    assert case.state is CaseState.AWAITING_SUPPLIER
    events = [e.kind for e in await bot.services.db.history.list(case_id)]
    assert events.count("case.supplier_joined") == 1
    assert [e for e in eve.transcript() if e.from_bot][-1].text == supplier_set


async def test_the_buyer_replaces_a_wrong_supplier_who_is_removed_and_told(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)  # 王芳 joined, but is the wrong one
    btr, wtr, wrong = case.btr, case.str_, case.supplier
    number = case.number
    await case.buyer.send(f"/case {case.case_id}")
    shown = await case.buyer.wait_for(showing(btr.t("button.replace_supplier")))

    # A confirmation that states the consequence; "No" changes nothing.
    await case.buyer.press(btr.t("button.replace_supplier"), message=shown.message_id)
    confirm = btr.t("supplier.replace_confirm", name=wrong.first_name, number=number)
    await case.buyer.wait_for(saying(confirm))
    kept = await case.buyer.press(btr.t("button.replace_no"))
    assert kept.text == btr.t("supplier.replace_kept")
    assert wrong.id in case.group.members
    await case.buyer.press(btr.t("button.replace_supplier"), message=shown.message_id)
    await case.buyer.wait_for(lambda e: e.text == confirm and bool(e.buttons))
    await case.buyer.press(btr.t("button.replace_yes"))

    # The wrong supplier is out of the chat and told privately, in Chinese.
    await wrong.wait_for(saying(wtr.t("supplier.removed", number=number)))
    await case.buyer.wait_for(
        lambda e: (
            btr.t("supplier.removed_chat", name=wrong.first_name, number=number) in e.text
            and wtr.t("supplier.removed_chat", name=wrong.first_name, number=number) in e.text
        ),
        chat=case.group,
    )
    assert wrong.id not in case.group.members and case.group.status_of(wrong) == "left"
    stored = await bot.services.db.cases.get(case.case_id)
    assert stored is not None and stored.supplier_id is None
    assert stored.state is CaseState.AWAITING_SUPPLIER
    # Their old buttons and commands no longer reach the case.
    refused = await wrong.press(wtr.t("button.contest"))
    assert refused.text == wtr.t("callback.unavailable")
    await wrong.send(f"/case {case.case_id}")
    await wrong.wait_for(saying(wtr.t("case.not_found", number=number)))
    invitation = next(link for link in _sent_links(case.buyer) if "?start=" in link)
    assert await _opens(wrong, invitation) == wtr.t("invite.removed", number=number)

    # The buyer invites the right supplier, who joins the chat and answers the claim.
    replaced = btr.t("supplier.replaced", name=wrong.first_name, number=number)
    await case.buyer.wait_for(lambda e: e.text == replaced and bool(e.buttons))
    right = sandbox.user("李伟", language_code="zh-hans")
    rtr = translator(catalogs, right)
    await supplier_accepts_invitation(right, rtr, await _invite(case.buyer, catalogs), case.group)
    assert right.id in case.group.members
    case.supplier = right
    await contest(case)
    assert await case.state() is CaseState.NEGOTIATION
    events = [e.kind for e in await bot.services.db.history.list(case.case_id)]
    assert events.count("case.supplier_removed") == 1
    assert events.count("case.supplier_joined") == 2
    # A forged press of the old confirmation cannot remove the new supplier.
    stale = f"rs:{case.case_id}:{wrong.id}:y"
    answer = await press_data(
        case.buyer, case.buyer.private_chat.bot_messages()[-1].message_id, stale
    )
    assert answer.text == btr.t("supplier.replace_not_now", number=number)
    assert right.id in case.group.members
