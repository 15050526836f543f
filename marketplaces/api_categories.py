"""/api/marketplaces/accounts/{id}/categories: search an account's marketplace category tree,
and a leaf's attributes (users only; another tenant's account is a 404)."""

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from marketplaces import services
from marketplaces.api import PERMISSIONS, _bool_param
from marketplaces.models import MarketplaceAccount
from meschain.api.viewsets import TenantScopedViewSet


class CategoryLeafSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    path = serializers.CharField(help_text="The names from the root, joined by ›.")


class AttributeValueSerializer(serializers.Serializer):
    value = serializers.JSONField(help_text="What the mapping's attribute_values keeps.")
    label = serializers.CharField()


class CategoryAttributeSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    required = serializers.BooleanField()
    filled_by_sync = serializers.BooleanField(help_text="Taken from the product by the sync.")
    needed = serializers.BooleanField(help_text="Required and not filled by the sync: the mapping gives it.")
    allow_custom = serializers.BooleanField()
    allow_multiple = serializers.BooleanField()
    varianter = serializers.BooleanField()
    values = AttributeValueSerializer(many=True, help_text="Empty: free text.")


class CategorySearchSerializer(serializers.Serializer):
    account = serializers.IntegerField()
    marketplace = serializers.CharField()
    results = CategoryLeafSerializer(many=True)


class CategoryAttributesSerializer(serializers.Serializer):
    account = serializers.IntegerField()
    category = CategoryLeafSerializer()
    attributes = CategoryAttributeSerializer(many=True)


UNAVAILABLE = OpenApiResponse(
    description="SERVICE_UNAVAILABLE: the marketplace did not give its categories (down, or refusing the "
    "account's credentials); the message says what it answered."
)
REFRESH = OpenApiParameter(
    "refresh",
    bool,
    required=False,
    description="Fetch the tree from the marketplace again (else cached 24 h).",
)


@extend_schema(tags=["marketplaces"])
class MarketplaceCategoryViewSet(TenantScopedViewSet):
    queryset = MarketplaceAccount.objects.all()
    permission_classes = PERMISSIONS
    pagination_class = None

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().order_by("pk")

    @extend_schema(
        parameters=[OpenApiParameter("q", str, required=True, description="Words of the category (any case)."),
                    REFRESH],
        responses={200: CategorySearchSerializer, 503: UNAVAILABLE},
    )  # fmt: skip
    def search(self, request: Request, pk: int) -> Response:
        account = self.get_object()
        results = services.search_categories(
            account, request.query_params.get("q", ""), refresh=bool(_bool_param(request, "refresh"))
        )
        return Response({"account": account.pk, "marketplace": account.marketplace, "results": results})

    @extend_schema(
        parameters=[OpenApiParameter("category_id", OpenApiTypes.STR, OpenApiParameter.PATH), REFRESH],
        responses={200: CategoryAttributesSerializer, 503: UNAVAILABLE},
    )  # fmt: skip
    def attributes(self, request: Request, pk: int, category_id: str) -> Response:
        account = self.get_object()
        attributes = services.category_attributes(
            account, category_id, refresh=bool(_bool_param(request, "refresh"))
        )
        leaf = services.find_leaf(account, category_id)
        return Response({"account": account.pk, "category": leaf, "attributes": attributes})
