"""Working days over weekends and China's public holidays, the staff chat's settings, and the
typed callback codec of the mediators' buttons."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest

from bot.config import ConfigError, load_settings
from flows.callbacks import Callback, TakeCase, button, decode, encode, pattern
from flows.rules.deadlines import DeadlinePolicy
from flows.rules.lifecycle import DeadlineKind
from flows.rules.working_days import WorkingDays


def _at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T10:00:00+00:00")


def test_weekends_are_skipped_without_a_country() -> None:
    calendar = WorkingDays()
    assert calendar.add(_at("2026-11-27"), 2) == _at("2026-12-01")  # Friday -> Tuesday
    assert calendar.add(_at("2026-11-29"), 2) == _at("2026-12-01")  # Sunday -> Tuesday
    assert calendar.add(_at("2026-11-30"), 0) == _at("2026-11-30")


def test_chinas_national_day_week_is_skipped() -> None:
    # 1-7 October 2026 are holidays in China: from 30 September, two working days end 9 October.
    assert WorkingDays("CN").add(_at("2026-09-30"), 2) == _at("2026-10-09")
    assert WorkingDays().add(_at("2026-09-30"), 2) == _at("2026-10-02")


def test_chinas_spring_festival_and_its_make_up_saturday() -> None:
    cn = WorkingDays("CN")
    # Saturday 14 February 2026 is a make-up working day (调休); 16-23 February are off.
    assert cn.is_working_day(_at("2026-02-14").date())
    assert not cn.is_working_day(_at("2026-02-17").date())
    assert cn.add(_at("2026-02-13"), 1) == _at("2026-02-14")
    assert cn.add(_at("2026-02-14"), 1) == _at("2026-02-24")


def test_the_assignment_deadline_counts_the_configured_countrys_working_days() -> None:
    start = _at("2026-09-30")
    cn = DeadlinePolicy(working_days=WorkingDays("CN"))
    assert cn.due_at(DeadlineKind.MEDIATOR_ASSIGNMENT, start) == _at("2026-10-09")
    assert DeadlinePolicy().due_at(DeadlineKind.MEDIATOR_ASSIGNMENT, start) == _at("2026-10-02")
    # Half time and 24 hours before, as every deadline.
    due = cn.due_at(DeadlineKind.MEDIATOR_ASSIGNMENT, start)
    assert cn.reminder_times(start, due) == [start + (due - start) / 2, due - timedelta(hours=24)]


def test_staff_chat_settings() -> None:
    settings = load_settings(
        mediator_chat_id=-1001, mediator_ids="11, 22", mediator_holidays_country="cn"
    )
    assert settings.mediator_ids == frozenset({11, 22})
    assert settings.deadline_policy().working_days == WorkingDays("CN")
    assert load_settings().mediator_chat_id is None
    with pytest.raises(ConfigError, match="MEDIATOR_IDS: 'x1' is not a Telegram user id"):
        load_settings(mediator_ids="11,x1")
    with pytest.raises(ConfigError, match="MEDIATOR_HOLIDAYS_COUNTRY: 'XX'"):
        load_settings(mediator_holidays_country="XX")


def test_callback_codec_round_trip_and_refusals() -> None:
    assert encode(TakeCase(42)) == "mt:42"
    assert decode("mt:42", TakeCase) == TakeCase(42)
    assert decode(encode(_Pair(7, 8)), _Pair) == _Pair(7, 8)
    for bad in ("mt:", "mt:x", "mt:²", "mt:-1", "mt:1:2", "zzt:42", "", None, "mt:" + "9" * 30):
        assert decode(bad, TakeCase) is None, bad
    assert decode("mt:42", _Pair) is None  # another kind's data is not this kind's
    assert pattern(TakeCase) == "^mt:"
    with pytest.raises(ValueError, match="duplicate"):
        button("mt")(_Pair)
    with pytest.raises(ValueError, match="64 bytes"):
        encode(_Long(10**70))


@button("zzt")
@dataclasses.dataclass(frozen=True)
class _Pair(Callback):
    first: int
    second: int


@button("zzl")
@dataclasses.dataclass(frozen=True)
class _Long(Callback):
    value: int
