from typing import Any

from rest_framework.renderers import JSONRenderer

from meschain.api.envelope import success_body


def is_envelope(data: Any) -> bool:
    return isinstance(data, dict) and "success" in data and "request_id" in data


class EnvelopeJSONRenderer(JSONRenderer):
    """Wraps every DRF answer in the envelope. Views may set `response.message`;
    the paginator sets `response.pagination`. Errors arrive already enveloped."""

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict | None = None,
    ) -> bytes:
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code == 204:
            return b""
        if not is_envelope(data):
            data = success_body(
                data,
                message=getattr(response, "message", ""),
                pagination=getattr(response, "pagination", None),
            )
        return super().render(data, accepted_media_type, renderer_context)
