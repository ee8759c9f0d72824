"""Pending inputs are registered like every other handler: each flow returns its own
(`pending_inputs()`), and `bot/app.py` hands them all to the one router."""

from __future__ import annotations

import importlib
import pkgutil
from functools import partial

import pytest
from telegram.ext import ApplicationBuilder

import flows
from bot.app import PENDING_INPUT, register_flows
from flows import inputs


def _declared() -> dict[str, str]:
    """Every pending-input kind a flow declares, with the flow that declares it."""
    kinds: dict[str, str] = {}
    for info in pkgutil.iter_modules(flows.__path__):
        module = importlib.import_module(f"flows.{info.name}")
        if hasattr(module, "pending_inputs"):
            kinds.update(dict.fromkeys(module.pending_inputs(), info.name))
    return kinds


def test_every_flows_pending_input_is_routed() -> None:
    application = ApplicationBuilder().token("123456:TEST-TOKEN").build()
    register_flows(application)
    [router] = application.handlers[PENDING_INPUT]
    assert isinstance(router.callback, partial)
    routed = router.callback.args[0]
    declared = _declared()
    assert set(routed) == set(declared), "a flow's pending_inputs() is missing in bot/app.py"
    # the ones the product has today, so a flow that stops returning one is noticed too
    assert {"proposal_builder", "supplier_answer", "settlement", "blind_bidding"} <= set(
        declared.values()
    )


def test_a_kind_claimed_by_two_flows_is_refused_at_start_up() -> None:
    async def handler(*_: object) -> None:
        return None

    with pytest.raises(ValueError, match="claimed twice: bid"):
        inputs.router({"bid": handler}, {"bid": handler, "other": handler})
