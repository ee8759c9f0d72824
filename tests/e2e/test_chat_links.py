"""Nobody is locked out of the dispute chat, and nobody gets in through a link of a closed case.

A one-time link used by a stranger, expired, or never made (the bot lacked the right to invite
users) is renewed from /case, which revokes the party's previous unused link; a party already in
the chat is told so; the buyer gets the link that makes the dispute chat there too. A withdrawn
case revokes every link it made. An English buyer and a Chinese supplier (and an English
stranger), each reading in their own language.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.demo import SCRIPTS, file_claim
from bot.demo_dispute import LINK, button_url, create_dispute_chat, invite_supplier
from bot.sandbox import ActionRefused, Sandbox, SandboxChat, SandboxUser, TranscriptEntry
from flows.clock import FrozenClock
from flows.rules.lifecycle import CaseState
from locales.i18n import Catalogs, Translator
from storage import ChatLinkStatus, RevokeReason
from tests.e2e.conftest import BotHarness, translator
from tests.e2e.dispute_steps import last_bot_entry, saying, showing

ADMIN = ["change_info", "delete_messages", "restrict_members", "invite_users", "pin_messages"]


class Parties:
    """An English buyer's filed claim with its dispute chat, and a Chinese supplier who
    confirmed the invitation but has not joined the chat yet."""

    def __init__(self, buyer: SandboxUser, supplier: SandboxUser, group: SandboxChat) -> None:
        self.buyer, self.supplier, self.group = buyer, supplier, group
        self.case_id = 0

    @property
    def number(self) -> str:
        return f"#{self.case_id}"


async def _confirmed(
    bot: BotHarness,
    sandbox: Sandbox,
    catalogs: Catalogs,
    clock: FrozenClock,
    bot_rights: list[str] | None = None,
) -> Parties:
    buyer = sandbox.user("Anna", language_code="en")
    supplier = sandbox.user("王芳", language_code="zh-hans")
    btr, str_ = translator(catalogs, buyer), translator(catalogs, supplier)
    await file_claim(buyer, btr, SCRIPTS["en"], clock)
    group = await create_dispute_chat(sandbox, buyer, btr, last_bot_entry(buyer), "PO-2026-1142")
    if bot_rights is not None:
        await buyer.set_bot_rights(group, bot_rights)
    buyer.skip_messages()
    invitation = await invite_supplier(buyer, btr)
    await supplier.open_link(invitation)
    await supplier.wait_for(showing(str_.t("button.i_am_supplier")))
    await supplier.press(str_.t("button.i_am_supplier"))
    await supplier.wait_for(showing(str_.t("button.contest")))
    parties = Parties(buyer, supplier, group)
    [case] = await bot.services.db.cases.list_for_user(buyer.id)
    parties.case_id = case.id
    return parties


def _links(user: SandboxUser) -> list[str]:
    """Every one-time chat link the bot sent `user`, oldest first."""
    found = (LINK.search(e.text) for e in user.transcript() if e.from_bot and "t.me/+" in e.text)
    return [match.group(0) for match in found if match is not None]


async def _case_answer(user: SandboxUser, case_id: int, label: str) -> TranscriptEntry:
    """/case <id>: the answer, with a button labelled `label`."""
    newest = max((e.message_id for e in user.transcript()), default=0)
    await user.send(f"/case {case_id}")
    return await user.wait_for(lambda e: e.message_id > newest and label in e.button_texts)


async def _new_link_from_case(user: SandboxUser, tr: Translator, case_id: int) -> str:
    """/case, then its "Get a link to the dispute chat" button: the new link sent."""
    before = len(_links(user))
    answer = await _case_answer(user, case_id, tr.t("button.chat_link"))
    await user.press(tr.t("button.chat_link"), message=answer.message_id)
    await user.sandbox.wait_until(lambda: len(_links(user)) > before)
    return _links(user)[-1]


async def test_a_stranger_who_used_the_suppliers_link_is_removed_and_the_supplier_gets_a_new_one(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    p = await _confirmed(bot, sandbox, catalogs, clock)
    btr, str_ = translator(catalogs, p.buyer), translator(catalogs, p.supplier)
    [first] = _links(p.supplier)
    eve = sandbox.user("Eve", language_code="en")

    # The link leaked: Eve joins with it and is removed; the supplier is told, in Chinese.
    assert await eve.open_link(first) == "joined"
    await p.buyer.wait_for(
        lambda e: btr.t("group.stranger_removed", name="Eve") in e.text, chat=p.group
    )
    told = str_.t("chatlink.used_by_other", name="Eve", number=p.number, id=p.case_id)
    notice = await p.supplier.wait_for(saying(told))
    assert notice.button_texts == [str_.t("button.chat_link")]
    assert eve.id not in p.group.members
    # The spent link admits nobody again: not the supplier, not Eve coming back.
    for user in (p.supplier, eve):
        with pytest.raises(ActionRefused, match="revoked"):
            await user.open_link(first)

    # /case gives the supplier a new link, and it works.
    second = await _new_link_from_case(p.supplier, str_, p.case_id)
    assert second != first
    assert await p.supplier.open_link(second) == "joined"
    assert p.supplier.id in p.group.members
    await sandbox.wait_until(lambda: p.group.invite_links[second].is_revoked)
    statuses = [link.status for link in await bot.services.db.chat_links.list(p.case_id)]
    assert statuses == [ChatLinkStatus.USED, ChatLinkStatus.USED]


async def test_an_unused_link_is_replaced_an_expired_one_renewed_and_a_member_told_so(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    p = await _confirmed(bot, sandbox, catalogs, clock)
    str_ = translator(catalogs, p.supplier)
    [first] = _links(p.supplier)
    eve = sandbox.user("Eve", language_code="en")

    # A new link revokes the party's previous unused one.
    second = await _new_link_from_case(p.supplier, str_, p.case_id)
    with pytest.raises(ActionRefused, match="revoked"):
        await eve.open_link(first)

    # A day later the new one has expired too; /case makes another, and it works.
    clock.advance(timedelta(hours=24, minutes=1))
    with pytest.raises(ActionRefused, match="expired"):
        await p.supplier.open_link(second)
    third = await _new_link_from_case(p.supplier, str_, p.case_id)
    assert await p.supplier.open_link(third) == "joined"

    # In the chat already: told so, and no link is made.
    answer = await _case_answer(p.supplier, p.case_id, str_.t("button.chat_link"))
    made = len(await bot.services.db.chat_links.list(p.case_id))
    pressed = await p.supplier.press(str_.t("button.chat_link"), message=answer.message_id)
    assert pressed.text == str_.t("chatlink.already_member", number=p.number)
    assert len(await bot.services.db.chat_links.list(p.case_id)) == made == 3


async def test_a_link_that_could_not_be_made_comes_from_case_once_the_bot_may_invite(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    no_invite = [right for right in ADMIN if right != "invite_users"]
    p = await _confirmed(bot, sandbox, catalogs, clock, bot_rights=no_invite)
    btr, str_ = translator(catalogs, p.buyer), translator(catalogs, p.supplier)

    # No link could be made: the supplier is told why and where to get one, the buyer and the
    # chat are asked for the right.
    why = str_.t("chatlink.no_right", number=p.number, id=p.case_id)
    notice = await p.supplier.wait_for(saying(why))
    assert notice.button_texts == [str_.t("button.chat_link")]
    await p.buyer.wait_for(saying(btr.t("group.no_invite_right")))
    await p.buyer.wait_for(lambda e: btr.t("group.no_invite_right") in e.text, chat=p.group)
    assert _links(p.supplier) == []

    await p.buyer.set_bot_rights(p.group, ADMIN)
    link = await _new_link_from_case(p.supplier, str_, p.case_id)
    assert await p.supplier.open_link(link) == "joined"
    assert p.supplier.id in p.group.members


async def test_the_buyer_gets_a_new_dispute_chat_link_from_case(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    buyer = sandbox.user("Anna", language_code="en")
    btr = translator(catalogs, buyer)
    await file_claim(buyer, btr, SCRIPTS["en"], clock)
    [case] = await bot.services.db.cases.list_for_user(buyer.id)
    old = button_url(last_bot_entry(buyer), btr.t("button.create_chat"))

    # The link that makes the dispute chat expired; the message says /case has a new one.
    clock.advance(timedelta(days=8))
    first_group = sandbox.group("Too late", creator=buyer)
    await buyer.open_link(old, group=first_group)
    await buyer.wait_for(saying(btr.t("group.bind.expired")), chat=first_group)

    answer = await _case_answer(buyer, case.id, btr.t("button.create_chat"))
    assert btr.t("button.invite_supplier") in answer.button_texts
    group = sandbox.group("PO-2026-1142", creator=buyer)
    await buyer.open_link(button_url(answer, btr.t("button.create_chat")), group=group)
    await buyer.wait_for(lambda e: btr.t("group.bound", number=f"#{case.id}") in e.text, chat=group)

    # Out of the chat (left by mistake): /case has a one-time link back in.
    await buyer.leave(group)
    link = await _new_link_from_case(buyer, btr, case.id)
    assert await buyer.open_link(link) == "joined"
    assert buyer.id in group.members


async def test_a_withdrawn_case_lets_nobody_in_through_any_link_it_made(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    p = await _confirmed(bot, sandbox, catalogs, clock)
    btr = translator(catalogs, p.buyer)
    [suppliers] = _links(p.supplier)
    await p.buyer.leave(p.group)
    buyers = await _new_link_from_case(p.buyer, btr, p.case_id)
    invitation = await _spare_invitation_of_another_case(bot, sandbox, catalogs, clock)

    await p.buyer.send("/withdraw")
    confirm = await p.buyer.wait_for(saying(btr.t("withdraw.confirm", number=p.number)))
    await p.buyer.press(btr.t("button.withdraw_yes"), message=confirm.message_id)
    await p.buyer.wait_for(saying(btr.t("withdraw.done", number=p.number)))
    stored = await bot.services.db.cases.get(p.case_id)
    assert stored is not None and stored.state is CaseState.CLOSED

    eve = sandbox.user("Eve", language_code="en")
    for link in (suppliers, buyers):
        with pytest.raises(ActionRefused, match="revoked"):
            await eve.open_link(link)
    assert eve.id not in p.group.members
    statuses = {link.status for link in await bot.services.db.chat_links.list(p.case_id)}
    assert statuses == {ChatLinkStatus.REVOKED}
    # Bob's case, withdrawn before anyone opened its invitation: the token is revoked too.
    other, link = invitation
    [bobs] = await bot.services.db.cases.list_for_user(other.id)
    otr = translator(catalogs, other)
    await other.send("/withdraw")
    await other.wait_for(showing(otr.t("button.withdraw_yes")))
    await other.press(otr.t("button.withdraw_yes"))
    await other.wait_for(saying(otr.t("withdraw.done", number=f"#{bobs.id}")))
    token = await bot.services.db.tokens.get(link.rsplit("=", 1)[1])
    assert token is not None and token.revoked_reason == RevokeReason.CLOSED
    await eve.open_link(link)
    await eve.wait_for(saying(translator(catalogs, eve).t("invite.closed")))


async def _spare_invitation_of_another_case(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> tuple[SandboxUser, str]:
    """Another buyer's case with an invitation nobody opened: (that buyer, the invitation)."""
    buyer = sandbox.user("Bob", language_code="en")
    btr = translator(catalogs, buyer)
    await file_claim(buyer, btr, SCRIPTS["en"], clock)
    return buyer, await invite_supplier(buyer, btr)
