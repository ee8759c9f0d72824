"""A dispute chat that Telegram upgrades from a basic group to a supergroup (new chat id).

The case follows the group: whatever the bot was sending goes out again at the new id, the
supplier still gets the claim's buttons and the way into the chat, commands and messages in the
supergroup belong to the case, strangers are still removed, and the case history records the
move once, whether the bot learns of it from Telegram's service messages or only from a
refused request.
"""

from __future__ import annotations

from typing import Any

from bot.sandbox import Sandbox, SandboxChat, SandboxUser
from bot.sandbox.formatting import detect_entities
from flows.clock import FrozenClock
from locales.i18n import Catalogs
from tests.e2e.conftest import BotHarness, translator
from tests.e2e.dispute_steps import (
    STATEMENT,
    Case,
    after_pending_updates,
    bilingual,
    containing,
    contest,
    open_case,
    saying,
)

SAID = "The casings arrived cracked, photos are in E1."


class Upgrade:
    """`open_case`'s `before_supplier` step: Telegram upgrades the new dispute chat to a
    supergroup. With `deliver=False` the bot gets none of the service messages and learns of the
    move only from a refused request. With `setup_done` the upgrade waits until the bot has set
    the chat up (claim pinned, the next step said); without it, it comes right after the claim was
    posted there, before the bot pins it."""

    def __init__(
        self, sandbox: Sandbox, catalogs: Catalogs, *, deliver: bool, setup_done: bool = True
    ) -> None:
        self.sandbox = sandbox
        self.catalogs = catalogs
        self.deliver = deliver
        self.setup_done = setup_done
        self.old_id = 0
        self.new_id = 0
        self.requests_before = 0

    async def __call__(self, buyer: SandboxUser, group: SandboxChat) -> SandboxChat:
        if self.setup_done:
            next_step = translator(self.catalogs, buyer).t("group.next_step_invitation", due="\x00")
            prefix = next_step.split("\x00")[0]
            await buyer.wait_for(lambda e: e.text.startswith(prefix), chat=group)
        return self.now(buyer, group)

    def now(self, buyer: SandboxUser, group: SandboxChat) -> SandboxChat:
        self.old_id = group.id
        self.requests_before = len(self.sandbox.requests)
        supergroup = self.sandbox.upgrade_group(group, by=buyer, deliver=self.deliver)
        self.new_id = supergroup.id
        return supergroup

    def requests_to_old_id(self) -> list[tuple[str, dict[str, Any]]]:
        """Bot API requests about the old group since the upgrade."""
        return [
            (method, params)
            for method, params in self.sandbox.requests[self.requests_before :]
            if params.get("chat_id") == self.old_id
        ]


async def moves_recorded(case: Case) -> list[dict[str, Any]]:
    events = await case.bot.services.db.history.list(case.case_id)
    return [e.payload for e in events if e.kind == "chat.migrated"]


async def assert_case_lives_in(case: Case, upgrade: Upgrade) -> None:
    """The binding, the record of the move (once), and the supplier inside the supergroup."""
    chat = await case.bot.services.db.chats.for_case(case.case_id)
    assert chat is not None and (chat.chat_id, chat.status) == (upgrade.new_id, "bound")
    assert await moves_recorded(case) == [
        {"from_chat_id": upgrade.old_id, "to_chat_id": upgrade.new_id}
    ]
    assert case.group.id == upgrade.new_id and case.supplier.id in case.group.members
    joined = bilingual(
        case, "supplier.joined_chat", name=case.supplier.first_name, number=case.number
    )
    assert await case.buyer.wait_for(joined, chat=case.group)


async def test_the_case_follows_its_group_into_the_supergroup(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    upgrade = Upgrade(sandbox, catalogs, deliver=True)

    async def upgrade_and_check(buyer: SandboxUser, group: SandboxChat) -> SandboxChat:
        supergroup = await upgrade(buyer, group)
        # A command in the supergroup finds the case (the buyer is asked privately to confirm
        # /withdraw); it is handled after the supergroup's migrate_from_chat_id message.
        await after_pending_updates(buyer, supergroup)
        buyer.skip_messages()
        return supergroup

    case = await open_case(
        bot, sandbox, catalogs, clock, group_type="group", before_supplier=upgrade_and_check
    )
    # The supplier got the claim, the buttons and a way into the supergroup (open_case waited
    # for them); the bot knew of the move from the service messages before it sent anything.
    await assert_case_lives_in(case, upgrade)
    assert upgrade.requests_to_old_id() == []
    assert sandbox.pinned(case.group)  # Telegram moved the pinned claim along
    # Joining the supergroup (my_chat_member) came after the move was known: no "not linked".
    assert case.btr.t("group.not_linked") not in [e.text for e in case.group.transcript()]

    await case.buyer.send(SAID, chat=case.group)
    await case.supplier.send("/propose", chat=case.group)
    intro = case.str_.t("builder.intro", number=case.number)
    assert await case.supplier.wait_for(lambda e: e.text.startswith(intro))
    eve = sandbox.user("Eve", language_code="en")
    await eve.join(case.group)
    removed = await case.buyer.wait_for(
        bilingual(case, "group.stranger_removed", name="Eve"), chat=case.group
    )
    assert removed and eve.id not in case.group.members
    await after_pending_updates(case.buyer, case.group)
    events = await case.bot.services.db.history.list(case.case_id)
    [recorded] = [e for e in events if e.kind == "chat.message" and e.payload["text"] == SAID]
    assert recorded.payload["chat_id"] == upgrade.new_id and recorded.actor_id == case.buyer.id


async def test_a_refused_post_moves_the_case_and_goes_out_again(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    upgrade = Upgrade(sandbox, catalogs, deliver=False)
    case = await open_case(
        bot, sandbox, catalogs, clock, group_type="group", before_supplier=upgrade
    )
    # The supplier still got the claim's buttons and the link into the supergroup (open_case
    # waited for both), and the news of their joining reached the chat after all.
    await assert_case_lives_in(case, upgrade)
    [(method, refused)] = upgrade.requests_to_old_id()
    assert method == "sendMessage"
    assert refused["text"] in [e.text for e in case.group.transcript() if e.from_bot]


async def test_an_upgrade_between_posting_and_pinning_the_claim(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    upgrade = Upgrade(sandbox, catalogs, deliver=False, setup_done=False)
    case = await open_case(
        bot, sandbox, catalogs, clock, group_type="group", before_supplier=upgrade
    )
    await assert_case_lives_in(case, upgrade)
    assert [method for method, _ in upgrade.requests_to_old_id()] == ["pinChatMessage"]
    # The claim stayed unpinned in the old group: it is posted again in the supergroup, pinned.
    [pinned] = sandbox.pinned(case.group)
    bound = case.btr.t("group.bound", number=case.number)
    assert case.group.messages[pinned].text.startswith(bound)
    assert case.group.messages[pinned].from_bot


async def test_an_upgrade_before_the_supplier_answers(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock, group_type="group")
    upgrade = Upgrade(sandbox, catalogs, deliver=False)
    case.group = upgrade.now(case.buyer, case.group)

    await contest(case)
    assert await case.buyer.wait_for(containing(STATEMENT), chat=case.group)
    assert [method for method, _ in upgrade.requests_to_old_id()] == ["sendMessage"]
    assert await moves_recorded(case) == [
        {"from_chat_id": upgrade.old_id, "to_chat_id": upgrade.new_id}
    ]
    await case.buyer.send("/withdraw", chat=case.group)
    question = case.btr.t("withdraw.confirm", number=case.number)
    assert await case.buyer.wait_for(saying(question))


def said_unseen(chat: SandboxChat, user: SandboxUser, text: str) -> dict[str, Any]:
    """A message `user` wrote in `chat` whose update the bot has not got yet."""
    content: dict[str, Any] = {"text": text}
    entities = detect_entities(text)
    if entities:
        content["entities"] = entities
    return chat.add_message(user.as_user(), from_bot=False, kind="text", content=content).message


async def test_words_from_the_old_group_handled_after_the_move_stay_on_record(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock, group_type="group")
    old = case.group
    # Said just before the upgrade. The bot handles chats concurrently, so it may get to these
    # only after it followed the group; here their updates are held until then.
    late = [said_unseen(old, case.supplier, text) for text in ("最后一句", "/withdraw")]
    upgrade = Upgrade(sandbox, catalogs, deliver=False)
    case.group = upgrade.now(case.buyer, old)
    await contest(case)  # its news to the chat is refused for the old id: the case moves
    for message in late:
        sandbox.emit("message", message)
    # /withdraw from the old group still finds the case: the supplier is told privately that
    # only the buyer may withdraw (updates of one chat are handled in order).
    only_buyer = case.str_.t("withdraw.buyer_only")
    assert await case.supplier.wait_for(saying(only_buyer))

    events = await case.bot.services.db.history.list(case.case_id)
    [recorded] = [e for e in events if e.kind == "chat.message" and e.payload["text"] == "最后一句"]
    assert recorded.payload["chat_id"] == old.id and recorded.actor_id == case.supplier.id
    assert await moves_recorded(case) == [{"from_chat_id": old.id, "to_chat_id": case.group.id}]
