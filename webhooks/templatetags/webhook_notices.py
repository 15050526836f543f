from typing import Any

from django import template

from webhooks import services

register = template.Library()


@register.inclusion_tag("admin/webhooks/notices.html", takes_context=True)
def webhook_notices(context: Any) -> dict:
    """Tells owners and managers, on the admin dashboard, which endpoints were switched off."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("webhooks.change_webhookendpoint"):
        return {"endpoints": []}
    return {"endpoints": list(services.disabled_endpoints_for(user)[:20])}
