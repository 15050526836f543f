from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from meschain.api.envelope import error_response
from meschain.errors import ErrorCode


@csrf_exempt
def api_not_found(request: HttpRequest, *args: object, **kwargs: object) -> JsonResponse:
    """Any /api/ path that matches no endpoint. CSRF-exempt like every API view (it
    changes nothing), so a write to an unknown path is an enveloped 404, not Django's
    HTML "CSRF cookie not set" page."""
    return error_response(ErrorCode.NOT_FOUND, _("No API endpoint at this path."))
