"""Business-hours arithmetic for SLA clocks: working days, daily hours and holidays of an
organisation, in the organisation's time zone. Pure functions; `now` is always passed in."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

MAX_DAYS = 3660  # guard: a calendar with no working time at all must not loop forever


@dataclass(frozen=True)
class BusinessCalendar:
    tz: zoneinfo.ZoneInfo
    start: time
    end: time
    weekdays: frozenset[int]
    holidays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def for_organisation(cls, organisation) -> BusinessCalendar:
        from concierge.helpdesk.models import HelpdeskSettings, Holiday

        cfg = HelpdeskSettings.objects.filter(organisation=organisation).first()
        if cfg is None:
            cfg = HelpdeskSettings(organisation=organisation)
        start = (
            cfg.work_start
            if isinstance(cfg.work_start, time)
            else time.fromisoformat(str(cfg.work_start))
        )
        end = (
            cfg.work_end
            if isinstance(cfg.work_end, time)
            else time.fromisoformat(str(cfg.work_end))
        )
        days = frozenset(
            Holiday.objects.filter(organisation=organisation).values_list("day", flat=True)
        )
        return cls(
            tz=zoneinfo.ZoneInfo(organisation.timezone),
            start=start,
            end=end,
            weekdays=frozenset(cfg.working_weekdays),
            holidays=days,
        )

    def _works_on(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def _window(self, day: date) -> tuple[datetime, datetime]:
        return (
            datetime.combine(day, self.start, self.tz),
            datetime.combine(day, self.end, self.tz),
        )

    def add(self, moment: datetime, minutes: float) -> datetime:
        """The moment `minutes` of business time after `moment`."""
        if not self.weekdays or self.start >= self.end:
            return moment + timedelta(minutes=minutes)
        local = moment.astimezone(self.tz)
        left = timedelta(minutes=minutes)
        day = local.date()
        for _ in range(MAX_DAYS):
            if self._works_on(day):
                opens, closes = self._window(day)
                begin = max(local, opens)
                if begin < closes:
                    available = closes - begin
                    if left <= available:
                        return begin + left
                    left -= available
            day += timedelta(days=1)
            local = datetime.combine(day, time.min, self.tz)
        return moment + timedelta(minutes=minutes)

    def between(self, start: datetime, end: datetime) -> float:
        """Business minutes from `start` to `end` (negative when end is before start)."""
        if end < start:
            return -self.between(end, start)
        if not self.weekdays or self.start >= self.end:
            return (end - start).total_seconds() / 60
        a, b = start.astimezone(self.tz), end.astimezone(self.tz)
        total = timedelta()
        day = a.date()
        for _ in range(MAX_DAYS):
            if day > b.date():
                break
            if self._works_on(day):
                opens, closes = self._window(day)
                lo, hi = max(a, opens), min(b, closes)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total.total_seconds() / 60
