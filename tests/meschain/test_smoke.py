import pytest


@pytest.mark.django_db
def test_login_returns_tokens_and_user_in_envelope(anon_client, owner):
    response = anon_client.post(
        "/api/auth/login", {"username": "alpha-owner", "password": "Correct-Horse-Battery-9"}, format="json"
    )
    body = response.json()
    assert response.status_code == 200
    assert body["success"] is True
    assert body["data"]["user"]["username"] == "alpha-owner"
    assert body["data"]["user"]["tenant"]["slug"] == "alpha"
    assert response["X-Request-ID"] == body["request_id"]
