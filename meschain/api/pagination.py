from typing import Any

from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response


class EnvelopePagination(PageNumberPagination):
    """`?page=&per_page=` (default 50, at most 200), reported in the envelope's
    `pagination` block."""

    page_size = 50
    page_size_query_param = "per_page"
    max_page_size = 200

    def get_paginated_response(self, data: Any) -> Response:
        response = Response(data)
        paginator = self.page.paginator
        response.pagination = {
            "page": self.page.number,
            "per_page": paginator.per_page,
            "total": paginator.count,
            "pages": paginator.num_pages,
        }
        return response

    def get_paginated_response_schema(self, schema: dict) -> dict:
        from meschain.api.schema import envelope_schema

        return envelope_schema(schema, paginated=True)
