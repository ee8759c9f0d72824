"""How a simulated person moves their case on without knowing the bot was killed.

They press the button the bot showed them; when nothing happens for a while (`patience`), they
ask `/case N` and press the same action on the card it returns (`flows/case_actions.py` offers
every action open to them). A press answered "not available" or left unanswered by a dying
process is fine: they look again. Whether the step went through is read from the case's record
(the referee's view), never assumed from a press.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.sandbox import SandboxUser, TranscriptEntry
from locales.i18n import Translator

Done = Callable[[], Awaitable[bool]]


class Stuck(Exception):
    """A step that did not go through within the step limit: the case cannot finish."""


@dataclass
class Person:
    user: SandboxUser
    tr: Translator
    case_id: int  # the internal id, for the referee's look-ups
    number: int  # the case number people see and type (/case N)
    patience: float  # how long they wait for the bot before looking again
    step_limit: float  # how long before the case is declared stuck

    def mark(self) -> int:
        """How many bot messages the private chat holds now (later ones are "fresh")."""
        return len(self.user.private_chat.bot_messages())

    async def fresh(
        self, since: int, match: Callable[[TranscriptEntry], bool], within: float
    ) -> TranscriptEntry | None:
        """The newest bot message after `since` that `match`es, or None after `within` s."""
        found: list[TranscriptEntry] = []

        def seen() -> bool:
            entries = [e for e in self.user.transcript() if e.from_bot][since:]
            found[:] = [e for e in entries if match(e)]
            return bool(found)

        try:
            await self.user.sandbox.wait_until(seen, within)
        except TimeoutError:
            return None
        return found[-1]

    async def card(self) -> TranscriptEntry | None:
        """Ask `/case N` and return the card with its buttons (None when no answer came)."""
        since = self.mark()
        await self.user.send(f"/case {self.number}")
        return await self.fresh(since, lambda e: bool(e.button_texts), self.patience)

    async def press_on(self, entry: TranscriptEntry, labels: Sequence[str]) -> bool:
        """Press the first of `labels` that `entry` shows; False when it shows none."""
        label = next((x for x in labels if x in entry.button_texts), None)
        if label is None:
            return False
        # Unanswered: the process died first; the press is re-delivered or repeated.
        with contextlib.suppress(TimeoutError):
            await self.user.press(label, message=entry.message_id, timeout=self.patience)
        return True

    async def until(self, done: Done, attempt: Callable[[int], Awaitable[None]]) -> None:
        """Repeat `attempt(n)` until `done()`, each followed by up to `patience` of waiting."""
        loop = asyncio.get_running_loop()
        limit = loop.time() + self.step_limit
        tries = 0
        while not await done():
            if loop.time() > limit:
                seen = [(e.text[:160], e.button_texts) for e in self.user.transcript()[-4:]]
                raise Stuck(f"case #{self.case_id}: {self.user.full_name}, {tries} tries: {seen}")
            await attempt(tries)
            tries += 1
            await wait_done(done, self.patience)

    async def press_until(
        self, labels: Sequence[str], done: Done, confirm: Sequence[str] = ()
    ) -> None:
        """Press one of `labels`: first where the bot showed it, later on the /case card; then,
        for a step that is confirmed first, one of `confirm` on the question that follows."""

        async def attempt(tries: int) -> None:
            since, pressed = self.mark(), False
            if tries == 0:
                shown = await self.fresh(0, lambda e: any(x in e.button_texts for x in labels), 0.5)
                pressed = shown is not None and await self.press_on(shown, labels)
            if not pressed:
                card = await self.card()
                since = self.mark()
                pressed = card is not None and await self.press_on(card, labels)
            if pressed and confirm:
                asked = await self.fresh(
                    since, lambda e: any(x in e.button_texts for x in confirm), self.patience
                )
                if asked is not None:
                    await self.press_on(asked, confirm)

        await self.until(done, attempt)


async def wait_done(done: Done, within: float) -> bool:
    """Poll `done()` (a database read: nothing to wait on) every 100 ms for up to `within` s."""
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    while loop.time() < end:
        if await done():
            return True
        await asyncio.sleep(0.1)
    return await done()
