from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _

from meschain.api.envelope import error_response
from meschain.errors import ErrorCode


def api_not_found(request: HttpRequest, *args: object, **kwargs: object) -> JsonResponse:
    """Any /api/ path that matches no endpoint."""
    return error_response(ErrorCode.NOT_FOUND, _("No API endpoint at this path."))
