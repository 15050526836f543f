"""Product images through the API and the admin: real files, validated with Pillow,
with a generated thumbnail, stored under MEDIA_ROOT; refused uploads store nothing."""

import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog.models import ProductImage
from catalog.services import images, products
from meschain.errors import ValidationFailed
from meschain.models import AuditLog, Event
from tests.catalog.conftest import image_bytes, stored_files

pytestmark = pytest.mark.django_db


def _upload(name: str, data: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def _post_image(client, product_id, data: bytes, name: str = "photo.png", **fields):
    return client.post(
        f"/api/products/{product_id}/images",
        {"image": _upload(name, data), **fields},
        format="multipart",
    )


class TestApiUpload:
    def test_png_is_stored_with_a_webp_thumbnail(
        self, client_for, operator, tenant_a, make_product, media_root
    ):
        product = make_product(tenant_a)

        response = _post_image(client_for(operator), product.pk, image_bytes(1200, 800), alt_text="Front")

        assert response.status_code == 201, response.content
        body = response.json()
        assert body["message"] == "Image added."
        image = ProductImage.objects.get()
        assert body["data"]["id"] == image.pk
        assert body["data"]["alt_text"] == "Front"
        assert body["data"]["position"] == 0
        assert body["data"]["image"] == f"http://testserver/media/{image.image.name}"
        assert body["data"]["thumbnail"] == f"http://testserver/media/{image.thumbnail.name}"
        assert image.image.name.startswith(f"products/{tenant_a.pk}/{product.pk}/")
        assert image.image.name.endswith(".png") and image.thumbnail.name.endswith("-thumb.webp")
        assert stored_files(media_root) == sorted([image.image.name, image.thumbnail.name])
        with Image.open(media_root / image.image.name) as original:
            assert (original.format, original.size) == ("PNG", (1200, 800))
        with Image.open(media_root / image.thumbnail.name) as thumb:
            assert (thumb.format, thumb.size) == ("WEBP", (320, 213))
        assert AuditLog.objects.filter(action="product.image_added", object_id=str(product.pk)).count() == 1

    def test_jpeg_and_webp_are_accepted_and_positions_follow(
        self, client_for, operator, tenant_a, make_product, media_root
    ):
        product = make_product(tenant_a)
        client = client_for(operator)

        first = _post_image(client, product.pk, image_bytes(50, 40, "JPEG"), name="a.jpg")
        second = _post_image(client, product.pk, image_bytes(40, 50, "WEBP"), name="b.webp")

        assert (first.status_code, second.status_code) == (201, 201)
        assert [(i.position, i.image.name.rsplit(".", 1)[1]) for i in product.images.order_by("id")] == [
            (0, "jpg"),
            (1, "webp"),
        ]
        thumb = product.images.order_by("id").last().thumbnail
        with Image.open(media_root / thumb.name) as small:
            assert small.size == (40, 50)  # never enlarged

    def test_stored_name_follows_the_detected_format_not_the_clients(
        self, client_for, operator, tenant_a, make_product, media_root
    ):
        product = make_product(tenant_a)

        response = _post_image(
            client_for(operator), product.pk, image_bytes(20, 20, "JPEG"), name="evil.html"
        )

        assert response.status_code == 201
        assert ProductImage.objects.get().image.name.endswith(".jpg")

    @pytest.mark.parametrize(
        "data, name, message",
        [
            (b"this is only text, renamed to look like a picture\n" * 20, "fake.png",
             "Upload a valid image: JPEG, PNG, WEBP."),
            (image_bytes(30, 30, "GIF"), "anim.gif", "Upload a valid image: JPEG, PNG, WEBP."),
            (image_bytes(300, 300)[:200], "cut.png", "Upload a valid image: JPEG, PNG, WEBP."),
            (b"", "empty.png", "The submitted file is empty."),
        ],
        ids=["text-renamed-png", "gif", "truncated-png", "empty"],
    )  # fmt: skip
    def test_not_an_allowed_image_is_rejected_and_nothing_stored(
        self, client_for, operator, tenant_a, make_product, media_root, data, name, message
    ):
        product = make_product(tenant_a)

        response = _post_image(client_for(operator), product.pk, data, name=name)

        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "VALIDATION_ERROR"
        assert error["details"]["image"] == [message]
        assert not ProductImage.objects.exists()
        assert stored_files(media_root) == []
        assert not AuditLog.objects.filter(action="product.image_added").exists()

    def test_oversized_image_is_rejected(self, client_for, operator, tenant_a, make_product, media_root):
        product = make_product(tenant_a)
        noise = Image.frombytes("RGB", (1400, 1400), os.urandom(1400 * 1400 * 3))
        out = io.BytesIO()
        noise.save(out, format="PNG")
        assert 5 * 1024 * 1024 < len(out.getvalue()) < 10 * 1024 * 1024  # over the cap, under the body limit

        response = _post_image(client_for(operator), product.pk, out.getvalue(), name="huge.png")

        assert response.status_code == 400
        assert response.json()["error"]["details"]["image"] == ["The image is larger than 5.0 MB."]
        assert not ProductImage.objects.exists()
        assert stored_files(media_root) == []

    def test_decompression_bomb_is_rejected_before_decoding(
        self, client_for, operator, tenant_a, make_product, media_root
    ):
        product = make_product(tenant_a)
        out = io.BytesIO()
        Image.new("1", (8000, 6000)).save(out, format="PNG")  # 48 million pixels in a few kB
        assert len(out.getvalue()) < 100_000

        response = _post_image(client_for(operator), product.pk, out.getvalue(), name="bomb.png")

        assert response.status_code == 400
        assert response.json()["error"]["details"]["image"] == [
            "The image has 48,000,000 pixels; at most 40,000,000 are allowed."
        ]
        assert stored_files(media_root) == []

    def test_missing_file_and_unknown_fields_are_400(
        self, client_for, operator, tenant_a, make_product, media_root
    ):
        product = make_product(tenant_a)
        client = client_for(operator)

        missing = client.post(f"/api/products/{product.pk}/images", {"alt_text": "x"}, format="multipart")
        unknown = client.post(
            f"/api/products/{product.pk}/images",
            {"image": _upload("a.png", image_bytes(10, 10)), "colour": "red"},
            format="multipart",
        )
        as_json = client.post(f"/api/products/{product.pk}/images", {"image": "x"}, format="json")

        assert missing.status_code == 400 and set(missing.json()["error"]["details"]) == {"image"}
        assert unknown.status_code == 400 and unknown.json()["error"]["details"] == {
            "colour": ["Unknown field."]
        }
        assert as_json.status_code == 415
        assert stored_files(media_root) == [] and not ProductImage.objects.exists()

    def test_other_tenants_product_is_404_and_viewer_is_403(
        self, client_for, operator, viewer, tenant_b, make_product, media_root, tenant_a
    ):
        theirs = make_product(tenant_b)
        ours = make_product(tenant_a)

        foreign = _post_image(client_for(operator), theirs.pk, image_bytes(10, 10))
        as_viewer = _post_image(client_for(viewer), ours.pk, image_bytes(10, 10))

        assert foreign.status_code == 404 and foreign.json()["error"]["code"] == "NOT_FOUND"
        assert as_viewer.status_code == 403
        assert stored_files(media_root) == [] and not ProductImage.objects.exists()

    def test_api_key_needs_catalog_write(self, make_api_key, key_client, tenant_a, make_product, media_root):
        product = make_product(tenant_a)
        _key, reader = make_api_key(tenant_a, ["catalog:read"])
        _key, writer = make_api_key(tenant_a, ["catalog:write"], name="Writer")

        assert _post_image(key_client(reader), product.pk, image_bytes(10, 10)).status_code == 403
        assert _post_image(key_client(writer), product.pk, image_bytes(10, 10)).status_code == 201

    def test_product_shows_its_images(self, client_for, operator, tenant_a, make_product, media_root):
        product = make_product(tenant_a)
        client = client_for(operator)
        _post_image(client, product.pk, image_bytes(10, 10), alt_text="Side")

        data = client.get(f"/api/products/{product.pk}").json()["data"]

        assert [(i["alt_text"], i["position"]) for i in data["images"]] == [("Side", 0)]

    def test_published_product_announces_a_new_image(
        self, client_for, operator, tenant_a, make_product, media_root
    ):
        product = make_product(tenant_a)
        products.change_status(product, "published")
        Event.objects.all().delete()

        _post_image(client_for(operator), product.pk, image_bytes(10, 10))

        assert list(Event.objects.values_list("type", flat=True)) == ["product.updated"]


class TestApiDelete:
    def test_delete_removes_row_and_files(
        self, client_for, operator, tenant_a, make_product, media_root, django_capture_on_commit_callbacks
    ):
        product = make_product(tenant_a)
        client = client_for(operator)
        image_id = _post_image(client, product.pk, image_bytes(10, 10)).json()["data"]["id"]
        assert len(stored_files(media_root)) == 2

        with django_capture_on_commit_callbacks(execute=True):
            response = client.delete(f"/api/products/{product.pk}/images/{image_id}")

        assert response.status_code == 204
        assert not ProductImage.objects.exists()
        assert stored_files(media_root) == []
        assert AuditLog.objects.filter(action="product.image_deleted").count() == 1

    def test_files_stay_until_the_transaction_commits(
        self, operator, tenant_a, make_product, media_root, django_capture_on_commit_callbacks
    ):
        product = make_product(tenant_a)
        image = images.add_image(product, _upload("a.png", image_bytes(10, 10)), actor=operator)

        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            images.delete_image(image, actor=operator)
        assert len(stored_files(media_root)) == 2  # a rollback would still find them
        for callback in callbacks:
            callback()

        assert stored_files(media_root) == []

    def test_deleting_a_product_removes_its_image_files(
        self, operator, tenant_a, make_product, media_root, django_capture_on_commit_callbacks
    ):
        product = make_product(tenant_a)
        images.add_image(product, _upload("a.png", image_bytes(10, 10)), actor=operator)

        with django_capture_on_commit_callbacks(execute=True):
            products.delete_product(product, actor=operator)

        assert stored_files(media_root) == []

    def test_image_of_another_product_or_tenant_is_404(
        self, client_for, operator, other_owner, tenant_a, tenant_b, make_product, media_root
    ):
        ours, other = make_product(tenant_a), make_product(tenant_a)
        theirs = make_product(tenant_b)
        mine = images.add_image(ours, _upload("a.png", image_bytes(10, 10)))
        foreign = images.add_image(theirs, _upload("b.png", image_bytes(10, 10)))
        client = client_for(operator)

        wrong_product = client.delete(f"/api/products/{other.pk}/images/{mine.pk}")
        wrong_tenant = client.delete(f"/api/products/{theirs.pk}/images/{foreign.pk}")

        assert (wrong_product.status_code, wrong_tenant.status_code) == (404, 404)
        assert ProductImage.objects.count() == 2
        assert len(stored_files(media_root)) == 4


class TestServiceLimits:
    def test_caps_come_from_settings(self, settings, tenant_a, make_product, media_root):
        settings.PRODUCT_IMAGE_MAX_BYTES = 1000
        settings.PRODUCT_IMAGE_MAX_PIXELS = 100
        product = make_product(tenant_a)

        with pytest.raises(ValidationFailed) as too_big:
            images.add_image(product, _upload("a.png", image_bytes(200, 200, "JPEG")))
        with pytest.raises(ValidationFailed) as too_many:
            images.add_image(product, _upload("b.png", image_bytes(11, 10)))

        assert too_big.value.details == {"image": ["The image is larger than 1000 bytes."]}
        assert too_many.value.details == {"image": ["The image has 110 pixels; at most 100 are allowed."]}
        assert stored_files(media_root) == []

    def test_transparent_png_keeps_its_alpha_in_the_thumbnail(self, tenant_a, make_product, media_root):
        product = make_product(tenant_a)
        out = io.BytesIO()
        Image.new("RGBA", (500, 500), (255, 0, 0, 0)).save(out, format="PNG")

        image = images.add_image(product, _upload("a.png", out.getvalue()))

        with Image.open(media_root / image.thumbnail.name) as thumb:
            assert (thumb.mode, thumb.size) == ("RGBA", (320, 320))
