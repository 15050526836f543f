from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response


class EnvelopePagination(PageNumberPagination):
    """`?page=&per_page=` (default 50, at most 200), reported in the envelope's
    `pagination` block."""

    page_size = 50
    page_size_query_param = "per_page"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int:
        """DRF silently ignores a bad `per_page`; here it is a 400 like any bad input."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        if not raw.isdigit() or int(raw) < 1:
            message = _("Give a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
            raise ValidationError({self.page_size_query_param: [message]})
        return min(int(raw), self.max_page_size)

    def pagination_block(self) -> dict[str, int]:
        paginator = self.page.paginator
        return {
            "page": self.page.number,
            "per_page": paginator.per_page,
            "total": paginator.count,
            "pages": paginator.num_pages,
        }

    def get_paginated_response(self, data: Any) -> Response:
        response = Response(data)
        response.pagination = self.pagination_block()
        return response

    def get_paginated_response_schema(self, schema: dict) -> dict:
        from meschain.api.schema import envelope_schema

        return envelope_schema(schema, paginated=True)
