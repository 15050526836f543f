"""One entry point for every report, used by the API, the admin and the command."""

from typing import Any

from django.utils.translation import gettext as _

from meschain.errors import ValidationFailed
from reports.services.inventory import inventory_report
from reports.services.performance import performance_report
from reports.services.periods import parse_group, parse_range
from reports.services.sales import sales_report

KINDS = ("sales", "performance", "inventory")


def build_report(
    kind: str,
    tenant_id: int,
    *,
    start: Any = None,
    end: Any = None,
    group_by: Any = None,
    channel: Any = None,
) -> dict[str, Any]:
    """The report `kind` of one tenant; bad parameters raise VALIDATION_ERROR."""
    if kind == "inventory":
        return inventory_report(tenant_id)
    span = parse_range(start, end)
    if kind == "performance":
        return performance_report(tenant_id, span)
    if kind == "sales":
        channel = str(channel or "").strip()
        if len(channel) > 64:
            raise ValidationFailed(details={"channel": [_("At most 64 characters.")]})
        return sales_report(tenant_id, span, group_by=parse_group(group_by), channel=channel)
    raise ValidationFailed(details={"report": [_("Choose one of: sales, performance, inventory.")]})
