"""/api/products/{id}/images: upload (multipart) and remove product images."""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.api import CATALOG_SCOPES
from catalog.models import Product, ProductImage
from catalog.serializers import ProductImageSerializer
from catalog.services import images
from meschain.api.permissions import ScopeOrModelPermissions
from meschain.api.serializers import StrictSerializer
from meschain.api.viewsets import TenantScopedViewSet
from meschain.errors import NotFound
from meschain.tenancy import scope


class ImageUploadSerializer(StrictSerializer):
    image = serializers.FileField(
        help_text=gettext_lazy("A JPEG, PNG or WebP image of at most 5 MB and 40 million pixels.")
    )
    alt_text = serializers.CharField(max_length=300, required=False, allow_blank=True)
    position = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False)


@extend_schema(tags=["products"])
class ProductImageViewSet(TenantScopedViewSet):
    queryset = ProductImage.objects.all()
    serializer_class = ProductImageSerializer
    parser_classes = [MultiPartParser, FormParser]
    permission_classes = [IsAuthenticated, ScopeOrModelPermissions]
    required_scopes = CATALOG_SCOPES

    def _product(self, pk: Any) -> Product:
        product = scope(Product.objects.all(), self.request.user).filter(pk=pk).first()
        if product is None:
            raise NotFound(_("No product with this id."))
        return product

    @extend_schema(
        request={"multipart/form-data": ImageUploadSerializer}, responses={201: ProductImageSerializer}
    )
    def create(self, request: Request, pk: int) -> Response:
        product = self._product(pk)
        form = ImageUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        image = images.add_image(
            product,
            data["image"],
            alt_text=data.get("alt_text", ""),
            position=data.get("position"),
            actor=request.user,
        )
        response = Response(
            ProductImageSerializer(image, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )
        response.message = _("Image added.")
        return response

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: int, image_id: int) -> Response:
        product = self._product(pk)
        image = self.get_queryset().filter(product=product, pk=image_id).first()
        if image is None:
            raise NotFound(_("No image with this id on this product."))
        images.delete_image(image, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
