"""The shared API machinery of ``platform/common`` (issue 12): one upload limit with one answer
(413, the field named), one 422 shape, the request user and change reason."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from jiliang.platform.common import uploads
from jiliang.platform.common.errors import FieldErrors
from jiliang.platform.common.paging import page
from jiliang.platform.common.requests import change_reason, current_user

#: a limit small enough to exceed in a test (bytes)
SMALL = 64


@pytest.fixture
def small_limit(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_UPLOAD_BYTES", SMALL)


def _big(name: str = "f.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"x" * (SMALL + 1), content_type="text/csv")


def _too_large(response) -> None:
    assert response.status_code == 413, response.content
    (item,) = response.json()["detail"]
    assert item["loc"] == ["body", "file"] and item["type"] == "too_large"
    assert "file" in item["msg"]


@pytest.mark.parametrize(
    ("path", "role", "extra"),
    [
        ("/api/certificates/verify", "anon", {}),
        ("/api/certificates/import", "lab", {"standard": "x", "laboratory": "y"}),
        ("/api/supervision/filings/import", "enterprise", {}),
    ],
)
def test_every_upload_endpoint_answers_413_over_the_one_limit(
    client, world, small_limit, path, role, extra
):
    _too_large(client.post(path, {"file": _big(), **extra}, **world.auth(role)))


def test_an_app_with_its_own_smaller_limit_answers_the_same_way(client, world, monkeypatch):
    from jiliang.platform.comparisons import api as comparisons_api

    monkeypatch.setattr(comparisons_api, "MAX_IMPORT", SMALL)
    _too_large(client.post("/api/comparisons/import", {"file": _big()}, **world.auth("lab")))


def test_pages_show_the_same_message_and_store_nothing(client, world, small_limit, settings):
    from jiliang.platform.supervision.models import Filing

    before = Filing.objects.count()
    client.force_login(world.users["enterprise"])
    r = client.post("/s/import/", {"file": _big()})
    assert r.status_code == 200
    assert uploads.UploadTooLarge("file", SMALL).message.split("：")[1] in r.content.decode()
    assert Filing.objects.count() == before
    client.logout()
    r = client.post("/verify/", {"file": _big("c.xml")})
    assert "file：文件大于 64 字节" in r.content.decode()


def test_the_limit_message_names_mib_or_kib():
    assert uploads.UploadTooLarge("file", 20 * 1024 * 1024).message == "file：文件大于 20 MiB"
    assert uploads.UploadTooLarge("evidence", 2048).message == "evidence：文件大于 2 KiB"
    uploads.check_upload(None)  # no file: nothing to refuse
    uploads.check_upload(b"x" * 10, limit=10)  # at the limit: accepted
    with pytest.raises(uploads.UploadTooLarge):
        uploads.check_upload(b"x" * 11, limit=10)


def test_field_errors_render_the_one_422_shape(client, world):
    # a registry write with a bad field and a traceability query with a bad parameter: one shape
    r1 = client.get("/api/traceability/verdicts", {"limit": 0}, **world.auth("regulator"))
    r2 = client.get("/api/traceability/chain/gadget/1", **world.auth("regulator"))
    for r, field in ((r1, "limit"), (r2, "kind")):
        assert r.status_code == 422, r.content
        detail = r.json()["detail"]
        assert [d["loc"] for d in detail] == [["body", field]]
    assert FieldErrors.one("x", "bad").detail() == [
        {"loc": ["body", "x"], "msg": "bad", "type": "value_error"}
    ]


def test_request_user_and_reason(world):
    rf = RequestFactory()
    request = rf.get("/", HTTP_X_CHANGE_REASON="r" * 600)
    request.user = world.users["lab"]
    request.auth = None
    assert current_user(request) == world.users["lab"]
    request.auth = world.users["regulator"]  # a bearer token's user wins over the session's
    assert current_user(request) == world.users["regulator"]
    assert change_reason(request) == "r" * 500


def test_page_counts_before_paging():
    assert page(list(range(7)), limit=3, offset=3, item=str) == {
        "count": 7,
        "limit": 3,
        "offset": 3,
        "items": ["3", "4", "5"],
    }
