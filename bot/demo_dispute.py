"""The scripted dispute after the claim: the shared chat, the supplier, a negotiated settlement.

Played by `disputebot demo` and reused by the end-to-end tests, so the demo shows what is
tested; steps only the tests take live in `tests/e2e/dispute_steps.py`. Each step acts as a
person would: reading the bot's messages, pressing buttons by their visible
(translated) labels, following links.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from bot.sandbox import CallbackAnswer, Sandbox, SandboxChat, SandboxUser, TranscriptEntry
from locales.i18n import Translator

# A real 16x16 JPEG (a green square), unlike the claim's photo: the case file draws it.
JPEG_RECEIPT = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300100b0c0e0c0a100e0d0e1211101318281a1816"
    "16183123251d283a333d3c3933383740485c4e404457453738506d51575f626768673e4d71797064785c6567"
    "63ffdb0043011112121815182f1a1a2f63423842636363636363636363636363636363636363636363636363"
    "6363636363636363636363636363636363636363636363636363ffc000110800100010030122000211010311"
    "01ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303"
    "020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f024"
    "33627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a63646566"
    "6768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7"
    "b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffc400"
    "1f0100030101010101010101010000000000000102030405060708090a0bffc400b511000201020404030407"
    "05040400010277000102031104052131061241510761711322328108144291a1b1c109233352f0156272d10a"
    "162434e125f11718191a262728292a35363738393a434445464748494a535455565758595a63646566676869"
    "6a737475767778797a82838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9"
    "bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9faffda000c030100"
    "02110311003f00a545145739e51fffd9"
)
LINK = re.compile(r"https://t\.me/\S+")


def showing(label: str) -> Callable[[TranscriptEntry], bool]:
    """A message that shows a button with this label."""
    return lambda entry: label in entry.button_texts


def button_url(entry: TranscriptEntry, label: str) -> str:
    for row in entry.buttons:
        for text, target in row:
            if text == label and target is not None:
                return target
    raise AssertionError(f"no button {label!r} in {entry}")


async def create_dispute_chat(
    sandbox: Sandbox,
    buyer: SandboxUser,
    tr: Translator,
    submitted: TranscriptEntry,
    title: str,
    members: Sequence[SandboxUser] = (),
    *,
    group_type: str = "supergroup",
) -> SandboxChat:
    """The buyer makes a group (a supergroup, or a basic "group"; with `members` already in it,
    whom the bot never sees join) and adds the bot with the startgroup button of the claim."""
    group = sandbox.group(title, creator=buyer, members=list(members), type=group_type)
    await buyer.open_link(button_url(submitted, tr.t("button.create_chat")), group=group)
    await buyer.wait_for(lambda e: "#" in e.text, chat=group, timeout=10)
    return group


async def invite_supplier(buyer: SandboxUser, tr: Translator, timeout: float = 10.0) -> str:  # noqa: ASYNC109
    """The buyer asks for the invitation; returns the link they would forward.

    The bot answers with the supplier's deadline, the instructions, the link and last the QR
    code: everything up to the QR code is taken, whatever the number of texts before it."""
    await buyer.press(tr.t("button.invite_supplier"), timeout=timeout)
    links: list[str] = []
    while (entry := await buyer.next_message(timeout=timeout)).kind != "photo":
        links += LINK.findall(entry.text)
    assert len(links) == 1, links
    return links[0]


async def supplier_accepts_invitation(
    supplier: SandboxUser,
    tr: Translator,
    invitation: str,
    group: SandboxChat | None,
    timeout: float = 10.0,  # noqa: ASYNC109
) -> None:
    """The supplier opens the invitation, confirms, and joins the chat with their one-time link."""
    await supplier.open_link(invitation)
    await supplier.next_message(timeout=timeout)  # the claim, "are you the supplier?"
    await supplier.press(tr.t("button.i_am_supplier"), timeout=timeout)
    if group is None:
        return
    chat_link = await supplier.wait_for(
        lambda e: "t.me/+" in e.text or "joinchat" in e.text, timeout=timeout
    )
    match = LINK.search(chat_link.text)
    assert match is not None
    url = match.group(0)
    await supplier.open_link(url)
    # The bot takes a used one-time link back (it would admit someone again once they leave).
    await supplier.sandbox.wait_until(lambda: group.invite_links[url].is_revoked, timeout)
    await supplier.wait_for(showing(tr.t("button.contest")), timeout=timeout)


async def counter_propose_partial_refund(
    supplier: SandboxUser,
    tr: Translator,
    amount: str,
    timeout: float = 10.0,  # noqa: ASYNC109
) -> None:
    """The supplier answers the claim with a counter-proposal: a partial refund of `amount`."""
    await supplier.press(tr.t("button.counter"), timeout=timeout)
    await supplier.wait_for(showing(tr.t("outcome.partial_refund")), timeout=timeout)
    await supplier.press(tr.t("outcome.partial_refund"), timeout=timeout)
    await supplier.wait_for(lambda e: e.text == tr.t("builder.ask.partial"), timeout=timeout)
    await supplier.send(amount)
    await supplier.wait_for(showing(tr.t("button.send_proposal")), timeout=timeout)
    await supplier.press(tr.t("button.send_proposal"), timeout=timeout)
    await supplier.wait_for(
        lambda e: e.text.startswith(tr.t("builder.sent", number="\x00").split("\x00")[0]),
        timeout=timeout,
    )


async def confirm_privately(user: SandboxUser, yes: str) -> CallbackAnswer:
    """Press `yes` on the confirmation the bot has just asked in the private chat."""
    question = await user.wait_for(showing(yes))
    return await user.press(yes, message=question.message_id)


async def accept_proposal(
    user: SandboxUser,
    tr: Translator,
    number: str,
    *,
    chat: SandboxChat | None = None,
    message: int | None = None,
    label: str | None = None,
) -> CallbackAnswer:
    """Press Accept on proposal `number` (in `chat`, the private chat by default; `label` for
    the shared chat's "Accept / 接受"), then "Yes, accept" on the question that follows
    privately; returns the answer to that confirming press."""
    await user.press(label or tr.t("button.accept"), chat=chat, message=message)
    return await confirm_privately(user, tr.t("button.accept_yes", number=number))


async def fulfil_with_receipt(
    supplier: SandboxUser,
    supplier_tr: Translator,
    buyer: SandboxUser,
    buyer_tr: Translator,
    caption: str,
    timeout: float = 10.0,  # noqa: ASYNC109
) -> None:
    """The supplier marks O1 done with a receipt photo; the buyer confirms."""
    done = supplier_tr.t("button.mark_done", number="O1")
    await supplier.wait_for(lambda e: done in e.button_texts, timeout=timeout)
    await supplier.press(done, timeout=timeout)
    await supplier.wait_for(showing(supplier_tr.t("button.no_proof")), timeout=timeout)
    await supplier.send_photo(JPEG_RECEIPT, caption=caption)
    confirm = buyer_tr.t("button.confirm_done")
    await buyer.wait_for(lambda e: confirm in e.button_texts, timeout=timeout)
    await buyer.press(confirm, timeout=timeout)
