from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


# Rejects fields it does not know, so a typo is a 400 and not a silent no-op. (A comment,
# not a docstring: the schema would show it as the description of every request body.)
class StrictSerializer(serializers.Serializer):

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
        return super().to_internal_value(data)


class MessageSerializer(serializers.Serializer):
    """Documentation only: an answer that carries nothing but its message."""

    detail = serializers.CharField(required=False)
