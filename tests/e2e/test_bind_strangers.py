"""A group with someone in it who is not a party is never bound: nothing of the case is said there.

The bot cannot list a group's members, so someone already in the group when the bot is added is
never seen joining. Binding counts the members instead; with others in the group it says nothing
of the case there, tells the buyer privately, and leaves; once the others are out, the same
button binds the group and pins the claim.
"""

from __future__ import annotations

import pytest

from bot.demo import SCRIPTS, file_claim
from bot.demo_dispute import button_url
from bot.sandbox import Sandbox
from flows.clock import FrozenClock
from locales.i18n import Catalogs
from storage import ChatStatus
from tests.e2e.conftest import BotHarness, translator
from tests.e2e.dispute_steps import containing, last_bot_entry


@pytest.mark.parametrize(("language", "as_admin"), [("en", False), ("zh_Hans", True)])
async def test_a_stranger_already_in_the_group_sees_nothing_of_the_case(
    bot: BotHarness,
    sandbox: Sandbox,
    catalogs: Catalogs,
    clock: FrozenClock,
    language: str,
    as_admin: bool,
) -> None:
    buyer = sandbox.user("Anna" if language == "en" else "李伟", language_code=language)
    stranger = sandbox.user("Mallory", language_code="en")
    tr = translator(catalogs, buyer)
    script = SCRIPTS[language]
    await file_claim(buyer, tr, script, clock)
    [case] = await bot.services.db.cases.list_for_user(buyer.id)
    number = f"#{case.id}"
    group = sandbox.group("PO-2026-1142", creator=buyer, members=[stranger])
    if as_admin:  # an administrator the bot can name but not remove
        group.member_states[stranger.id].status = "administrator"
    create = button_url(last_bot_entry(buyer), tr.t("button.create_chat"))

    await buyer.open_link(create, group=group)
    held = await buyer.wait_for(
        containing(tr.t("group.held_private", number=number, title="PO-2026-1142", others=1))
    )
    assert tr.t("group.held_private", number=number, title="PO-2026-1142", others=1) in held.text
    admins = tr.t("group.held_admins", names="Mallory")
    assert (admins in held.text) is as_admin
    await sandbox.wait_until(lambda: not group.bot_member.present)
    # What the stranger saw in the group: that the group cannot be used (and the greeting any
    # group gets that the bot is added to), nothing of the case.
    seen = [e.text for e in stranger.transcript(group) if e.from_bot]
    assert tr.t("group.bind.held") in seen
    assert set(seen) <= {tr.t("group.bind.held"), tr.t("group.not_linked")}
    assert not any(number in text or script.product in text for text in seen)
    assert group.pinned_ids == []
    assert await bot.services.db.chats.for_case(case.id) is None

    await stranger.leave(group)
    await buyer.open_link(button_url(held, tr.t("button.create_chat")), group=group)
    await buyer.wait_for(containing(tr.t("group.bound", number=number)), chat=group, timeout=10)
    chat = await bot.services.db.chats.for_case(case.id)
    assert chat is not None and chat.status == ChatStatus.BOUND and chat.chat_id == group.id
    await sandbox.wait_until(lambda: group.pinned_ids)
