"""Date ranges and periods the reports take, checked once for every entry point."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from meschain.errors import ValidationFailed

GROUPS = ("day", "week", "month")
#: the longest range a report covers
MAX_DAYS = 731
DEFAULT_DAYS = 30
CENT = Decimal("0.01")


def today() -> date:
    return timezone.localtime(timezone.now(), timezone.get_default_timezone()).date()


def cents(value: Any) -> Decimal:
    """Money as stored (SQLite sums come back as floats): two decimal places."""
    return Decimal(str(value or 0)).quantize(CENT)


@dataclass(frozen=True)
class Range:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def parse_day(value: Any, name: str, errors: dict) -> date | None:
    """A YYYY-MM-DD value (None when empty); a bad one adds to `errors`."""
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        parsed = parse_date(str(value))
    except ValueError:
        parsed = None
    if parsed is None:
        errors[name] = [_("Enter a date as YYYY-MM-DD.")]
    return parsed


def parse_range(start: Any = None, end: Any = None, *, default_days: int = DEFAULT_DAYS) -> Range:
    """`from`–`to`, both days included; by default the last `default_days` days to today."""
    errors: dict[str, list[str]] = {}
    first, last = parse_day(start, "from", errors), parse_day(end, "to", errors)
    if errors:
        raise ValidationFailed(details=errors)
    last = last or today()
    first = first or last - timedelta(days=default_days - 1)
    if first > last:
        raise ValidationFailed(details={"from": [_("The start is after the end.")]})
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationFailed(
            details={"to": [_("A report covers at most %(days)d days.") % {"days": MAX_DAYS}]}
        )
    return Range(first, last)


def parse_group(value: Any) -> str:
    value = value or "day"
    if value not in GROUPS:
        raise ValidationFailed(details={"group_by": [_("Choose one of: day, week, month.")]})
    return value


def period_of(day: date, group_by: str) -> date:
    """The first day of the period `day` falls in (weeks start on Monday)."""
    if group_by == "week":
        return day - timedelta(days=day.weekday())
    if group_by == "month":
        return day.replace(day=1)
    return day


def periods(span: Range, group_by: str) -> list[date]:
    """Every period of the range, in order (the first may start before the range)."""
    found, day = [], span.start
    while day <= span.end:
        period = period_of(day, group_by)
        if not found or found[-1] != period:
            found.append(period)
        day += timedelta(days=1)
    return found


def _month_end(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def decompose(span: Range) -> dict[str, list[date]]:
    """The range as whole months, whole weeks and single days (ProductSales grains m, w,
    d), taking the largest period that fits at each step: 90 days are a few of each."""
    parts: dict[str, list[date]] = {"m": [], "w": [], "d": []}

    def whole_month_at(day: date) -> bool:
        return day.day == 1 and _month_end(day) <= span.end

    day = span.start
    while day <= span.end:
        if whole_month_at(day):
            parts["m"].append(day)
            day = _month_end(day) + timedelta(days=1)
        elif (
            day.weekday() == 0
            and day + timedelta(days=6) <= span.end
            and not any(whole_month_at(day + timedelta(days=n)) for n in range(1, 7))
        ):
            parts["w"].append(day)
            day += timedelta(days=7)
        else:
            parts["d"].append(day)
            day += timedelta(days=1)
    return parts
