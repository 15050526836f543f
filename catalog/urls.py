from django.urls import path

from catalog.api import ProductViewSet
from catalog.api_images import ProductImageViewSet
from catalog.api_inventory import InventoryViewSet, MovementViewSet
from catalog.api_taxonomy import BrandViewSet, CategoryViewSet, WarehouseViewSet

LIST = {"get": "list", "post": "create"}
DETAIL = {"get": "retrieve", "put": "update", "patch": "update", "delete": "destroy"}

urlpatterns = [
    path("products", ProductViewSet.as_view(LIST), name="product-list"),
    path("products/bulk", ProductViewSet.as_view({"post": "bulk"}), name="product-bulk"),
    path("products/<int:pk>", ProductViewSet.as_view(DETAIL), name="product-detail"),
    path("products/<int:pk>/status", ProductViewSet.as_view({"post": "set_status"}), name="product-status"),
    path("products/<int:pk>/images", ProductImageViewSet.as_view({"post": "create"}), name="product-images"),
    path(
        "products/<int:pk>/images/<int:image_id>",
        ProductImageViewSet.as_view({"delete": "destroy"}),
        name="product-image-detail",
    ),
    path("categories", CategoryViewSet.as_view(LIST), name="category-list"),
    path("categories/<int:pk>", CategoryViewSet.as_view(DETAIL), name="category-detail"),
    path("brands", BrandViewSet.as_view(LIST), name="brand-list"),
    path("brands/<int:pk>", BrandViewSet.as_view(DETAIL), name="brand-detail"),
    path("warehouses", WarehouseViewSet.as_view(LIST), name="warehouse-list"),
    path("warehouses/<int:pk>", WarehouseViewSet.as_view(DETAIL), name="warehouse-detail"),
    path("inventory", InventoryViewSet.as_view({"get": "list"}), name="inventory-list"),
    path("inventory/adjust", InventoryViewSet.as_view({"post": "adjust"}), name="inventory-adjust"),
    path("inventory/movements", MovementViewSet.as_view({"get": "list"}), name="inventory-movements"),
]
