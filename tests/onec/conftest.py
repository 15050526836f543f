"""A 1C client that speaks the exchange the way 1C does: HTTP Basic on checkauth, then
the cookie it was given, plain-text replies."""

import base64
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from onec import services

DATA = Path(__file__).parent / "data"
URL = "/bitrix/admin/1c_exchange.php"
PASSWORD = "1c-Secret-Pass"


class OneC:
    def __init__(self, username: str = "1c-alpha", password: str = PASSWORD, url: str = URL) -> None:
        self.client = Client()
        self.username, self.password, self.url = username, password, url

    def get(self, kind: str, mode: str, **params: Any) -> Any:
        return self.client.get(self.url, {"type": kind, "mode": mode, **params})

    def text(self, response: Any) -> list[str]:
        charset = response.get("Content-Type", "").partition("charset=")[2] or "utf-8"
        return response.content.decode(charset).split("\n")

    def checkauth(self, kind: str = "catalog") -> list[str]:
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        response = self.client.get(self.url, {"type": kind, "mode": "checkauth"}, HTTP_AUTHORIZATION=f"Basic {token}")
        lines = self.text(response)
        if lines[0] == "success":
            self.client.cookies[lines[1]] = lines[2]
        return lines

    def init(self, kind: str = "catalog") -> dict[str, str]:
        return dict(line.split("=", 1) for line in self.text(self.get(kind, "init")) if "=" in line)

    def upload(self, name: str, data: bytes, kind: str = "catalog", chunk: int | None = None) -> list[list[str]]:
        chunk = chunk or len(data) or 1
        replies = []
        for start in range(0, max(len(data), 1), chunk):
            response = self.client.post(
                f"{self.url}?type={kind}&mode=file&filename={name}",
                data=data[start : start + chunk],
                content_type="application/octet-stream",
            )
            replies.append(self.text(response))
        return replies

    def import_until_done(self, name: str, kind: str = "catalog", limit: int = 200) -> list[list[str]]:
        replies = []
        for _attempt in range(limit):
            lines = self.text(self.get(kind, "import", filename=name))
            replies.append(lines)
            if lines[0] != "progress":
                return replies
        raise AssertionError("import never finished")


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.fixture
def account(tenant_a: Any) -> Any:
    return services.create_account(tenant_a, username="1c-alpha", password=PASSWORD)


@pytest.fixture
def onec(account: Any) -> OneC:
    return OneC()
