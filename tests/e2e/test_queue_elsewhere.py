"""/queue is the staff chat's: in a private chat (or a dispute chat) it says so, in the
asker's language, instead of "I didn't understand"."""

from __future__ import annotations

from bot.sandbox import Sandbox
from flows.clock import FrozenClock
from locales.i18n import Catalogs
from tests.e2e.conftest import BotHarness, translator
from tests.e2e.dispute_steps import open_case, saying
from tests.e2e.test_mediator_pool import _mediator
from tests.e2e.test_mediator_pool import settings as settings  # the staff chat and mediators


async def test_queue_in_a_private_chat_says_it_works_only_in_the_staff_chat(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    for name in ("Maria", "Li"):  # English, Chinese
        mediator = _mediator(sandbox, name)
        tr = translator(catalogs, mediator)
        await mediator.send("/queue")
        answer = await mediator.wait_for(lambda e: e.from_bot, timeout=10)
        assert answer.text == tr.t("pool.queue_staff_only")
        assert answer.text != tr.t("private.unknown")
    # A party in the dispute chat hears the same, nothing of the pool.
    case = await open_case(bot, sandbox, catalogs, clock)
    await case.supplier.send("/queue", chat=case.group)
    await case.supplier.wait_for(saying(case.str_.t("pool.queue_staff_only")), chat=case.group)
    await case.buyer.send("/queue")
    await case.buyer.wait_for(saying(case.btr.t("pool.queue_staff_only")))
