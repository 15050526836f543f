"""Admin forms of the catalogue: product inlines, the stock adjustment and the import."""

from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from catalog import files
from catalog.models import ProductImage, Variant, Warehouse
from catalog.services import images
from meschain.errors import ValidationFailed

POLICY_CHOICES = [
    ("reject", _("Reject the whole file when any row has an error")),
    ("apply_valid", _("Apply the valid rows and report the others")),
]


class VariantInlineForm(forms.ModelForm):
    """A variant row of the product page. The SKU of a saved variant is its identity
    (marketplaces and orders know it by it) and cannot be edited here."""

    class Meta:
        model = Variant
        fields = [
            "sku", "barcode", "name", "price", "compare_at_price", "cost", "vat_rate", "weight_grams",
            "is_active",
        ]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and "sku" in self.fields:
            self.fields["sku"].disabled = True


class ProductImageInlineForm(forms.ModelForm):
    """An image row of the product page: the upload is checked by the image service."""

    class Meta:
        model = ProductImage
        fields = ["image", "alt_text", "position"]
        widgets = {"image": forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})}

    checked: images.CheckedImage | None = None

    def clean_image(self) -> Any:
        upload = self.cleaned_data.get("image")
        if upload and "image" in self.changed_data:
            try:
                self.checked = images.check_image(upload)
            except ValidationFailed as exc:
                raise forms.ValidationError(str(exc.message)) from None
        return upload


class StockAdjustForm(forms.Form):
    MODES = [("delta", _("Change on hand by")), ("absolute", _("Set on hand to"))]

    mode = forms.ChoiceField(label=_("Adjustment"), choices=MODES, initial="delta", widget=forms.RadioSelect)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=-1_000_000, max_value=1_000_000)
    warehouse = forms.ModelChoiceField(
        label=_("Warehouse"),
        queryset=Warehouse.objects.none(),
        required=False,
        empty_label=_("Default warehouse"),
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args: Any, warehouses: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        quantity = cleaned.get("quantity")
        if quantity is None:
            return cleaned
        if cleaned.get("mode") == "absolute" and quantity < 0:
            self.add_error("quantity", _("Stock cannot be negative."))
        if cleaned.get("mode") == "delta" and quantity == 0:
            self.add_error("quantity", _("A change of 0 changes nothing."))
        return cleaned


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8, with a header row) or XLSX (first worksheet, header row)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    policy = forms.ChoiceField(
        label=_("When a row has errors"), choices=POLICY_CHOICES, initial="reject", widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, tenants: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if tenants is not None:  # a platform superuser names the tenant
            self.fields["tenant"] = forms.ModelChoiceField(label=_("Tenant"), queryset=tenants)
            self.order_fields(["tenant", "file", "policy"])

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_SIZE:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s.")
                % {"limit": filesizeformat(settings.MAX_UPLOAD_SIZE).replace("\xa0", " ")}
            )
        try:
            fmt = files.detect_format(upload.name or "")
        except ValidationFailed:
            fmt = ""
        if fmt not in ("csv", "xlsx"):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        self.format = fmt
        return upload
