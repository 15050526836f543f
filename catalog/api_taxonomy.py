"""/api/categories, /api/brands, /api/warehouses."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.api import CATALOG_SCOPES, require_tenant
from catalog.models import Brand, Category, Warehouse
from catalog.serializers import (
    BrandSerializer,
    CategoryInputSerializer,
    CategorySerializer,
    NamedInputSerializer,
    WarehouseInputSerializer,
    WarehouseSerializer,
)
from catalog.services import taxonomy
from meschain.api.permissions import ScopeOrModelPermissions
from meschain.api.viewsets import TenantScopedViewSet


class _CrudViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    permission_classes = [IsAuthenticated, ScopeOrModelPermissions]
    required_scopes = CATALOG_SCOPES
    input_serializer: Any = None

    def save_row(self, tenant_id: int, data: dict, instance: Any = None) -> Any:
        raise NotImplementedError

    def remove_row(self, instance: Any) -> None:
        raise NotImplementedError

    def create(self, request: Request) -> Response:
        form = self.input_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        instance = self.save_row(require_tenant(request), dict(form.validated_data))
        return Response(self.get_serializer(instance).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str | None = None) -> Response:
        instance = self.get_object()
        form = self.input_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        instance = self.save_row(instance.tenant_id, dict(form.validated_data), instance)
        return Response(self.get_serializer(instance).data)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        self.remove_row(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["catalogue"])
class CategoryViewSet(_CrudViewSet):
    queryset = Category.objects.order_by("path", "position", "name")
    serializer_class = CategorySerializer
    input_serializer = CategoryInputSerializer

    @extend_schema(request=CategoryInputSerializer, responses={201: CategorySerializer})
    def create(self, request: Request) -> Response:
        return super().create(request)

    @extend_schema(request=CategoryInputSerializer, responses={200: CategorySerializer})
    def update(self, request: Request, pk: str | None = None) -> Response:
        return super().update(request, pk)

    def save_row(self, tenant_id: int, data: dict, instance: Any = None) -> Any:
        return taxonomy.save_category(
            tenant_id, name=data["name"], slug=data.get("slug"), parent_id=data.get("parent"),
            position=data.get("position", 0), category=instance, actor=self.request.user,
        )  # fmt: skip

    def remove_row(self, instance: Any) -> None:
        taxonomy.delete_category(instance, actor=self.request.user)


@extend_schema(tags=["catalogue"])
class BrandViewSet(_CrudViewSet):
    queryset = Brand.objects.order_by("name")
    serializer_class = BrandSerializer
    input_serializer = NamedInputSerializer

    @extend_schema(request=NamedInputSerializer, responses={201: BrandSerializer})
    def create(self, request: Request) -> Response:
        return super().create(request)

    @extend_schema(request=NamedInputSerializer, responses={200: BrandSerializer})
    def update(self, request: Request, pk: str | None = None) -> Response:
        return super().update(request, pk)

    def save_row(self, tenant_id: int, data: dict, instance: Any = None) -> Any:
        return taxonomy.save_brand(
            tenant_id, name=data["name"], slug=data.get("slug"), brand=instance, actor=self.request.user
        )

    def remove_row(self, instance: Any) -> None:
        taxonomy.delete_brand(instance, actor=self.request.user)


@extend_schema(tags=["inventory"])
class WarehouseViewSet(_CrudViewSet):
    queryset = Warehouse.objects.order_by("-is_default", "name")
    serializer_class = WarehouseSerializer
    input_serializer = WarehouseInputSerializer
    required_scopes = {"GET": "inventory:read", "HEAD": "inventory:read"}

    @extend_schema(request=WarehouseInputSerializer, responses={201: WarehouseSerializer})
    def create(self, request: Request) -> Response:
        return super().create(request)

    @extend_schema(request=WarehouseInputSerializer, responses={200: WarehouseSerializer})
    def update(self, request: Request, pk: str | None = None) -> Response:
        return super().update(request, pk)

    def save_row(self, tenant_id: int, data: dict, instance: Any = None) -> Any:
        return taxonomy.save_warehouse(tenant_id, warehouse=instance, actor=self.request.user, **data)

    def remove_row(self, instance: Any) -> None:
        taxonomy.delete_warehouse(instance, actor=self.request.user)
