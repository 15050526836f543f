"""Product images: validated with Pillow, stored through Django's storage API, with a
generated thumbnail.

An upload is accepted only when Pillow recognises it as a JPEG, PNG or WebP image that
decodes completely, is no larger than PRODUCT_IMAGE_MAX_BYTES and has no more than
PRODUCT_IMAGE_MAX_PIXELS pixels (checked from the header, before decoding, against
decompression bombs). Stored names are generated (never the client's file name) and
carry the extension of the detected format.
"""

import io
import uuid
import warnings
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from catalog.models import Product, ProductImage, ProductStatus
from meschain import audit, events
from meschain.errors import ValidationFailed

#: format Pillow detects → extension of the stored file
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
THUMBNAIL_PX = 320
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000


def max_bytes() -> int:
    return int(getattr(settings, "PRODUCT_IMAGE_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_pixels() -> int:
    return int(getattr(settings, "PRODUCT_IMAGE_MAX_PIXELS", DEFAULT_MAX_PIXELS))


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    format: str  # JPEG | PNG | WEBP
    width: int
    height: int

    @property
    def extension(self) -> str:
        return FORMATS[self.format]


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed(message, details={"image": [message]})


def check_image(upload: Any) -> CheckedImage:
    """Read and validate an uploaded file; raises ValidationFailed (details under "image")."""
    if upload is None or not hasattr(upload, "read"):
        raise _invalid(_("Upload an image file."))
    limit = max_bytes()
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise _invalid(_("The image is larger than %(limit)s.") % {"limit": _size(limit)})
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _invalid(_("The image is larger than %(limit)s.") % {"limit": _size(limit)})
    if not data:
        raise _invalid(_("The file is empty."))
    allowed = ", ".join(sorted(FORMATS))
    not_an_image = _("Upload a valid image: %(formats)s.") % {"formats": allowed}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
                width, height = image.size
                detected = image.format
                if width * height > max_pixels():
                    raise _invalid(
                        _("The image has %(pixels)s pixels; at most %(limit)s are allowed.")
                        % {"pixels": f"{width * height:,}", "limit": f"{max_pixels():,}"}
                    )
                image.verify()
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
                image.load()  # decodes every pixel: a truncated file fails here
    except ValidationFailed:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _invalid(_("The image has too many pixels.")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _invalid(not_an_image) from exc
    if detected not in FORMATS or width < 1 or height < 1:
        raise _invalid(not_an_image)
    return CheckedImage(data=data, format=detected, width=width, height=height)


def _size(limit: int) -> str:
    return filesizeformat(limit).replace("\xa0", " ")


def make_thumbnail(checked: CheckedImage) -> bytes:
    """A WebP at most THUMBNAIL_PX on its longer side, upright (EXIF orientation applied)."""
    with Image.open(io.BytesIO(checked.data)) as image:
        image = ImageOps.exif_transpose(image)
        has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
        image = image.convert("RGBA" if has_alpha else "RGB")
        image.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.save(out, format="WEBP", quality=82, method=4)
    return out.getvalue()


def _announce(product: Product) -> None:
    """Images are part of what a storefront shows: a published product announces the change."""
    if product.status == ProductStatus.PUBLISHED:
        from catalog.services.products import _payload

        events.emit(product.tenant_id, "product.updated", _payload(product), obj=product)


def _delete_files_on_commit(names: list[str], storage: Any) -> None:
    def delete() -> None:
        for name in names:
            if name:
                storage.delete(name)

    transaction.on_commit(delete)


def add_image(
    product: Product,
    upload: Any,
    *,
    alt_text: str = "",
    position: int | None = None,
    actor: Any = None,
) -> ProductImage:
    """Validate `upload`, store it and its thumbnail, and attach it to `product`.
    Nothing is stored when the file is refused."""
    checked = upload if isinstance(upload, CheckedImage) else check_image(upload)
    try:
        thumbnail = make_thumbnail(checked)
    except (OSError, ValueError) as exc:  # a mode Pillow cannot turn into a thumbnail
        raise _invalid(_("This image cannot be processed; save it as an RGB JPEG or PNG.")) from exc
    alt_text = str(alt_text or "")[:300]
    stem = uuid.uuid4().hex
    with transaction.atomic():
        product = Product.objects.select_for_update().get(pk=product.pk)
        if position is None:
            last = product.images.aggregate(last=Max("position"))["last"]
            position = 0 if last is None else last + 1
        image = ProductImage(
            tenant_id=product.tenant_id, product=product, alt_text=alt_text, position=position
        )
        storage = image.image.storage
        try:
            image.image.save(f"{stem}.{checked.extension}", ContentFile(checked.data), save=False)
            image.thumbnail.save(f"{stem}-thumb.webp", ContentFile(thumbnail), save=False)
            image.save()
        except BaseException:
            for name in (image.image.name, image.thumbnail.name):
                if name:
                    storage.delete(name)
            raise
        audit.record(
            "product.image_added",
            actor=actor,
            obj=product,
            after={
                "image_id": image.pk,
                "file": image.image.name,
                "format": checked.format,
                "width": checked.width,
                "height": checked.height,
            },
        )
        _announce(product)
    return image


def update_image(
    image: ProductImage, *, alt_text: str | None = None, position: int | None = None, actor: Any = None
) -> ProductImage:
    """Change an image's alt text or position."""
    changes: dict[str, Any] = {}
    if alt_text is not None and alt_text != image.alt_text:
        changes["alt_text"] = str(alt_text)[:300]
    if position is not None and position != image.position:
        if position < 0:
            raise ValidationFailed(details={"position": [_("Enter a whole number of 0 or more.")]})
        changes["position"] = position
    if not changes:
        return image
    with transaction.atomic():
        before = {field: getattr(image, field) for field in changes}
        for field, value in changes.items():
            setattr(image, field, value)
        image.save(update_fields=list(changes))
        audit.record(
            "product.image_updated",
            actor=actor,
            obj=image.product,
            before={"image_id": image.pk, **before},
            after={"image_id": image.pk, **changes},
        )
        _announce(image.product)
    return image


def delete_image(image: ProductImage, *, actor: Any = None) -> None:
    """Remove the image; its files leave the storage once the transaction commits."""
    with transaction.atomic():
        product = image.product
        names = [image.image.name, image.thumbnail.name]
        storage = image.image.storage
        audit.record("product.image_deleted", actor=actor, obj=product,
                     before={"image_id": image.pk, "file": image.image.name})  # fmt: skip
        image.delete()
        _delete_files_on_commit(names, storage)
        _announce(product)


def files_of(product_ids: list[int]) -> list[str]:
    """Stored file names (images and thumbnails) of these products."""
    names: list[str] = []
    for image_name, thumb_name in ProductImage.objects.filter(product_id__in=product_ids).values_list(
        "image", "thumbnail"
    ):
        names.extend(name for name in (image_name, thumb_name) if name)
    return names


def delete_files_on_commit(names: list[str]) -> None:
    """Remove stored files once the surrounding transaction has committed (for deletes of
    whole products, whose image rows go by cascade)."""
    if names:
        _delete_files_on_commit(names, ProductImage._meta.get_field("image").storage)
