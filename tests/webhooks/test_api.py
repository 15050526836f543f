"""/api/webhooks: who may do what, tenant isolation, and the secret shown only once."""

import json
import logging

import pytest
from django.db import connection

from meschain.models import AuditLog
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def _create(client, url: str, **extra) -> dict:
    response = client.post(
        "/api/webhooks", {"url": url, "event_types": ["order.created"], **extra}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()["data"]


def test_owner_creates_endpoint_and_sees_the_secret_once(client_for, owner, receiver):
    client = client_for(owner)

    created = _create(client, receiver.url, description="Shop front")
    secret = created["secret"]

    assert secret.startswith("whsec_") and len(secret) > 30
    for path in (
        "/api/webhooks",
        f"/api/webhooks/{created['id']}",
        f"/api/webhooks/{created['id']}/deliveries",
    ):
        response = client.get(path)
        assert response.status_code == 200
        assert secret not in response.content.decode()
        assert "secret" not in json.dumps(response.json()["data"])
    updated = client.patch(f"/api/webhooks/{created['id']}", {"description": "Front"}, format="json")
    assert secret not in updated.content.decode()
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM webhooks_webhookendpoint WHERE id = %s", [created["id"]])
        stored = cursor.fetchone()[0]
    assert secret not in stored and stored.startswith("v1:")
    assert not AuditLog.objects.filter(after__icontains=secret).exists()


def test_secret_never_reaches_the_logs(
    client_for, owner, receiver, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    client = client_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        created = _create(client, receiver.url)
        client.post(f"/api/webhooks/{created['id']}/test")
    assert len(receiver.wait_for(1)) == 1
    assert created["secret"] not in caplog.text


def test_test_send_is_delivered_and_logged(client_for, owner, receiver, django_capture_on_commit_callbacks):
    client = client_for(owner)
    created = _create(client, receiver.url)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/webhooks/{created['id']}/test")

    assert response.status_code == 202
    [request] = receiver.wait_for(1)
    assert request.headers["X-MesChain-Event"] == "webhook.test"
    log = client.get(f"/api/webhooks/{created['id']}/deliveries").json()
    assert log["pagination"]["total"] == 1
    [delivery] = log["data"]
    assert delivery["state"] == "succeeded"
    assert delivery["attempts"][0]["status_code"] == 200
    assert (
        client.get(f"/api/webhooks/{created['id']}/deliveries?state=succeeded").json()["pagination"]["total"]
        == 1
    )
    bad = client.get(f"/api/webhooks/{created['id']}/deliveries?state=bogus")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"url": "not a url"}, "url"),
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "https://example.com/x", "event_types": ["order.eaten"]}, "event_types"),
        ({"url": "https://example.com/x", "secret": "mine"}, "secret"),
        ({"url": "https://example.com/x", "event_types": "order.created"}, "event_types"),
    ],
)
def test_bad_input_is_rejected_and_creates_nothing(client_for, owner, body, field):
    response = client_for(owner).post("/api/webhooks", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert field in response.json()["error"]["details"]
    assert WebhookEndpoint.objects.count() == 0


def test_production_refuses_private_and_plain_http_urls(client_for, owner, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    client = client_for(owner)
    for url in ("http://shop.example.com/hook", "https://127.0.0.1/hook", "https://10.0.0.8/hook"):
        response = client.post("/api/webhooks", {"url": url}, format="json")
        assert response.status_code == 400, url
        assert "url" in response.json()["error"]["details"]
    assert WebhookEndpoint.objects.count() == 0


def test_other_tenant_gets_404_and_changes_nothing(client_for, owner, other_owner, receiver):
    created = _create(client_for(owner), receiver.url)
    intruder = client_for(other_owner)
    path = f"/api/webhooks/{created['id']}"

    assert intruder.get(path).status_code == 404
    assert intruder.patch(path, {"url": "https://evil.example.com"}, format="json").status_code == 404
    assert intruder.delete(path).status_code == 404
    assert intruder.post(f"{path}/test").status_code == 404
    assert intruder.get(f"{path}/deliveries").status_code == 404
    assert intruder.get("/api/webhooks").json()["pagination"]["total"] == 0
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.url == receiver.url
    assert WebhookDelivery.objects.count() == 0
    assert intruder.get(path).json()["error"]["code"] == "NOT_FOUND"


def test_roles_and_api_keys(
    client_for, anon_client, owner, manager, operator, viewer, make_api_key, key_client
):
    created = _create(client_for(manager), "https://shop.example.com/hooks")
    path = f"/api/webhooks/{created['id']}"

    assert client_for(viewer).get(path).status_code == 200
    assert client_for(operator).get("/api/webhooks").status_code == 200
    for user in (viewer, operator):
        assert (
            client_for(user)
            .post("/api/webhooks", {"url": "https://x.example.com"}, format="json")
            .status_code
            == 403
        )
        assert client_for(user).delete(path).status_code == 403
    assert anon_client.get("/api/webhooks").status_code == 401
    _key, full_key = make_api_key(owner.tenant, ["orders:write", "catalog:read"])
    assert key_client(full_key).get("/api/webhooks").status_code == 403
    assert client_for(owner).delete(path).status_code == 204
    assert WebhookEndpoint.objects.count() == 0


def test_reenabling_a_disabled_endpoint_resets_its_failures(client_for, owner, tenant_a):
    created = _create(client_for(owner), "https://shop.example.com/hooks")
    WebhookEndpoint.objects.filter(pk=created["id"]).update(
        is_active=False,
        consecutive_failures=10,
        disabled_reason="Disabled after 10 deliveries in a row failed.",
    )

    response = client_for(owner).patch(f"/api/webhooks/{created['id']}", {"is_active": True}, format="json")

    data = response.json()["data"]
    assert data["is_active"] is True
    assert data["consecutive_failures"] == 0
    assert data["disabled_reason"] == ""


def test_admin_resend_makes_a_new_attempt(
    client, owner, receiver, tenant_a, django_capture_on_commit_callbacks
):
    from webhooks import services

    endpoint, _secret = services.create_endpoint(tenant=tenant_a, url=receiver.url, event_types=[])
    with django_capture_on_commit_callbacks(execute=True):
        delivery = services.send_test(endpoint, actor=owner)
    client.force_login(owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/webhooks/webhookdelivery/",
            {"action": "resend_selected", "_selected_action": [delivery.pk]},
            follow=True,
        )

    assert "1 delivery queued again." in response.content.decode()
    assert len(receiver.wait_for(2)) == 2
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 2
