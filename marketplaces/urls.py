from django.urls import path

from marketplaces.api import (
    ListingViewSet,
    MarketplaceAccountViewSet,
    MarketplaceOverviewViewSet,
    SyncJobViewSet,
)
from marketplaces.api_categories import MarketplaceCategoryViewSet

urlpatterns = [
    path(
        "marketplaces", MarketplaceOverviewViewSet.as_view({"get": "overview"}), name="marketplace-overview"
    ),
    path(
        "marketplaces/accounts/<int:pk>/categories",
        MarketplaceCategoryViewSet.as_view({"get": "search"}),
        name="marketplace-category-search",
    ),
    path(
        "marketplaces/accounts/<int:pk>/categories/<str:category_id>/attributes",
        MarketplaceCategoryViewSet.as_view({"get": "attributes"}),
        name="marketplace-category-attributes",
    ),
    path(
        "marketplace-accounts",
        MarketplaceAccountViewSet.as_view({"get": "list", "post": "create"}),
        name="marketplace-account-list",
    ),
    path(
        "marketplace-accounts/<int:pk>",
        MarketplaceAccountViewSet.as_view(
            {"get": "retrieve", "put": "update", "patch": "update", "delete": "destroy"}
        ),
        name="marketplace-account-detail",
    ),
    path("sync/status", SyncJobViewSet.as_view({"get": "list"}), name="sync-job-list"),
    path("sync/status/<int:pk>", SyncJobViewSet.as_view({"get": "retrieve"}), name="sync-job-detail"),
    path("sync/<str:marketplace>", SyncJobViewSet.as_view({"post": "create"}), name="sync-request"),
    path("listings", ListingViewSet.as_view({"get": "list"}), name="listing-list"),
    path("listings/<int:pk>", ListingViewSet.as_view({"get": "retrieve"}), name="listing-detail"),
]
