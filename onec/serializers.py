"""The API's view of 1C exchange accounts: the password is write-only (stored hashed,
never returned), everything else as the admin shows it."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from meschain.api.serializers import StrictSerializer
from onec.models import MissingProducts, OneCExchange, ReplyEncoding
from orders.models import OrderStatus

USERNAME = r"^[\w.@+-]+\Z"  # no colon: HTTP Basic splits there


class OneCExchangeSerializer(serializers.ModelSerializer):
    exchange_urls = serializers.SerializerMethodField()

    class Meta:
        model = OneCExchange
        fields = ["id", "name", "username", "is_active", "catalog_enabled", "orders_enabled", "price_type",
                  "warehouse_map", "missing_products", "publish_new_products", "reply_encoding", "status_map",
                  "orders_confirmed_at", "created_at", "exchange_urls"]  # fmt: skip
        read_only_fields = fields

    def get_exchange_urls(self, account: OneCExchange) -> list[str]:
        """Paths 1C may be pointed at (\"Обмен с сайтом\": the site address + one of these)."""
        return ["/bitrix/admin/1c_exchange.php", "/1c/exchange"]


class _Mapping(serializers.DictField):
    def __init__(self, *, values: Any, help_text: str, **kwargs: Any) -> None:
        super().__init__(child=values, help_text=help_text, **kwargs)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        value = super().to_internal_value(data)
        if len(value) > 200:
            raise serializers.ValidationError(_("At most 200 entries."))
        for key in value:
            if not key.strip() or len(key) > 200 or "\x00" in key:
                raise serializers.ValidationError(_("Keys must be 1–200 characters."))
        return value


class OneCExchangeInputSerializer(StrictSerializer):
    """Creating (username and password required) and changing (any subset) an account."""

    name = serializers.CharField(max_length=200, required=False)
    username = serializers.RegexField(USERNAME, max_length=150, min_length=3, required=False,
                                      help_text=_("What 1C logs in with; letters, digits and . @ + - _."))  # fmt: skip
    password = serializers.CharField(min_length=8, max_length=128, write_only=True, required=False,
                                     trim_whitespace=False, help_text=_("Write-only: stored hashed, never returned."))  # fmt: skip
    is_active = serializers.BooleanField(required=False)
    catalog_enabled = serializers.BooleanField(required=False)
    orders_enabled = serializers.BooleanField(required=False)
    price_type = serializers.CharField(max_length=200, required=False, allow_blank=True)
    warehouse_map = _Mapping(values=serializers.CharField(max_length=64), required=False,
                             help_text=_("1C warehouse id → our warehouse code."))  # fmt: skip
    missing_products = serializers.ChoiceField(choices=MissingProducts.choices, required=False)
    publish_new_products = serializers.BooleanField(required=False)
    reply_encoding = serializers.ChoiceField(choices=ReplyEncoding.choices, required=False)
    status_map = _Mapping(values=serializers.ChoiceField(choices=OrderStatus.choices), required=False,
                          help_text=_("1C order status → our status."))  # fmt: skip

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for name in ("name", "price_type", "password"):
            if "\x00" in attrs.get(name, ""):
                raise serializers.ValidationError({name: [_("Not a valid value.")]})
        if self.context.get("creating"):
            missing = {name: [_("This field is required.")] for name in ("username", "password") if name not in attrs}
            if missing:
                raise serializers.ValidationError(missing)
        return attrs
