"""Working days: Monday to Friday, less a country's public holidays.

The mediators' assignment deadline counts working days (PRODUCT.md: "within 2 working days"),
and a mediator team in China does not work on the Spring Festival or National Day holidays.
The calendar comes from the `holidays` package (maintained, yearly releases that follow each
government's announcements, CN included), so the project keeps no list of dates of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property

import holidays


def supported_countries() -> set[str]:
    """The ISO 3166-1 alpha-2 codes the holidays package knows (for checking the setting)."""
    return set(holidays.list_supported_countries())


@dataclass(frozen=True)
class WorkingDays:
    """A working-day calendar: weekends, plus `country`'s public holidays when one is set."""

    country: str | None = None

    @cached_property
    def _calendar(self) -> holidays.HolidayBase | None:
        if self.country is None:
            return None
        return holidays.country_holidays(self.country)

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday unless a public holiday; in China also the make-up Saturdays and
        Sundays (调休) the government declares, which the holidays package knows."""
        calendar = self._calendar
        if calendar is None:
            return day.weekday() < 5
        return bool(calendar.is_working_day(day))

    def add(self, start: datetime, days: int) -> datetime:
        """`start` plus `days` working days, keeping the time of day. The day is `start`'s
        date in its own time zone."""
        current = start
        remaining = days
        while remaining > 0:
            current += timedelta(days=1)
            if self.is_working_day(current.date()):
                remaining -= 1
        return current
