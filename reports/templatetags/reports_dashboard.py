from typing import Any

from django import template

from reports.services.dashboard import dashboard

register = template.Library()


@register.inclusion_tag("admin/reports/dashboard.html", takes_context=True)
def reports_dashboard(context: Any) -> dict:
    """The tenant's dashboard on the admin home page, for users who may read reports."""
    request = context.get("request")
    user = getattr(request, "user", None)
    tenant_id = getattr(user, "tenant_id", None)
    if tenant_id is None or not user.has_perm("reports.view_dailysales"):
        return {"dashboard": None}
    return {"dashboard": dashboard(tenant_id)}
