from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplaces.models import Listing, Marketplace, MarketplaceAccount, SyncJob, SyncKind
from meschain.api.serializers import StrictSerializer


class LastJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=SyncKind.choices)
    state = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class AccountHealthSerializer(serializers.Serializer):
    listings = serializers.IntegerField()
    listings_in_error = serializers.IntegerField()
    sync_active = serializers.BooleanField(help_text=_("A sync is queued or running."))
    last_job = LastJobSerializer(allow_null=True)


class MarketplaceAccountSerializer(serializers.ModelSerializer):
    """An account as every response shows it: credentials only as a configured flag."""

    credentials_configured = serializers.BooleanField(read_only=True)
    health = serializers.SerializerMethodField()

    class Meta:
        model = MarketplaceAccount
        fields = [
            "id", "marketplace", "name", "seller_id", "base_url", "settings", "is_active",
            "credentials_configured", "last_catalog_sync_at", "last_stock_price_sync_at",
            "last_orders_sync_at", "created_at", "updated_at", "health",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(AccountHealthSerializer)
    def get_health(self, account: MarketplaceAccount) -> dict[str, Any] | None:
        from marketplaces import services

        health = self.context.get("health")
        if health is None:
            health = services.account_health([account])
        return AccountHealthSerializer(health[account.pk]).data


class CredentialsField(serializers.DictField):
    """Write-only: accepted on input, never part of any response."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            child=serializers.CharField(max_length=1000, trim_whitespace=True),
            write_only=True,
            help_text=_(
                "Credential keys and values (see GET /api/marketplaces for each marketplace's keys). "
                "Write-only: never returned."
            ),
            **kwargs,
        )


class MarketplaceAccountInputSerializer(StrictSerializer):
    marketplace = serializers.ChoiceField(choices=Marketplace.choices)
    name = serializers.CharField(max_length=100)
    seller_id = serializers.CharField(max_length=100, required=False)
    base_url = serializers.URLField(
        max_length=300, required=False, help_text=_("Empty or absent: the marketplace's production address.")
    )
    credentials = CredentialsField()
    settings = serializers.DictField(
        required=False, help_text=_('e.g. {"markup_percent": 10, "stock_buffer": 2}')
    )


class MarketplaceAccountUpdateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100, required=False)
    seller_id = serializers.CharField(max_length=100, required=False)
    base_url = serializers.URLField(max_length=300, required=False, allow_blank=True)
    credentials = CredentialsField(required=False)
    settings = serializers.DictField(required=False)
    is_active = serializers.BooleanField(required=False)


class MarketplaceInfoSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=Marketplace.choices)
    name = serializers.CharField()
    credential_fields = serializers.ListField(child=serializers.CharField())
    optional_credential_fields = serializers.ListField(child=serializers.CharField())
    default_base_url = serializers.CharField()
    notes = serializers.CharField()
    sync_kinds = serializers.ListField(child=serializers.ChoiceField(choices=SyncKind.choices))


class MarketplacesOverviewSerializer(serializers.Serializer):
    marketplaces = MarketplaceInfoSerializer(many=True)
    accounts = MarketplaceAccountSerializer(many=True)


class SyncRequestSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=SyncKind.choices)
    account = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class SyncJobSerializer(serializers.ModelSerializer):
    marketplace = serializers.CharField(source="account.marketplace", read_only=True)
    percent = serializers.IntegerField(read_only=True, help_text=_("Processed of total, 0–100."))
    errors = serializers.ListField(child=serializers.DictField(), read_only=True)

    class Meta:
        model = SyncJob
        fields = [
            "id", "account", "marketplace", "kind", "state", "stage", "message", "total", "done", "failed",
            "percent", "requests", "runs", "started_by", "created_at", "started_at", "finished_at",
            "heartbeat_at", "errors",
        ]  # fmt: skip
        read_only_fields = fields


class ListingSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="variant.sku", read_only=True)
    has_error = serializers.SerializerMethodField()

    class Meta:
        model = Listing
        fields = [
            "id", "account", "variant", "sku", "external_product_id", "external_barcode",
            "external_content_id", "status", "has_error", "last_error", "last_synced_at", "next_attempt_at",
            "pushed_quantity", "pushed_price", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_has_error(self, listing: Listing) -> bool:
        return bool(listing.last_error)
