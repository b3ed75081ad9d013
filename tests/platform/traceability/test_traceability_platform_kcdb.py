"""KCDB import (command and staff page): good file, malformed file (nothing written), re-import.

Documents follow the KCDB API v3 search-result field names (values invented for the test).
"""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from tests.core.test_traceability_kcdb import doc as core_doc
from tests.platform.conftest import PASSWORD

from jiliang.platform.audit.models import AuditEntry
from jiliang.platform.registry import models as m


def doc(code="APMP-M-CN-00000001-1", **over):
    """The core tests' KCDB search-result document, numbered ``code``."""
    return core_doc(kcdbCode=code, **over)


def write(tmp_path, *docs, name="kcdb.json"):
    path = tmp_path / name
    path.write_text(json.dumps({"pageNumber": 0, "pageSize": 100, "data": list(docs)}))
    return path


def test_import_command_good_then_idempotent(world, tmp_path, capsys):
    nmi = world.orgs["nmi"]
    second = doc(
        "APMP-EM-CN-00000002-1",
        quantityValue="DC voltage",
        cmcBaseUnit={"lowerLimit": 1.0, "upperLimit": 1000.0, "unit": "V"},
        cmcUncertaintyBaseUnit={"lowerLimit": 2e-6, "upperLimit": 5e-3, "unit": "V"},
    )
    path = write(tmp_path, doc(), second)
    call_command("import_kcdb", str(path), provider=nmi.code)
    assert "2 created, 0 updated" in capsys.readouterr().out
    p = m.CMC.objects.get(kcdb_id="APMP-M-CN-00000001-1")
    assert (p.provider_id, p.quantity, p.unit) == (nmi.pk, "pressure", r"\pascal")
    assert (p.range_low_si, p.range_high_si, p.uncertainty_si, p.k) == (1e3, 7e6, 0.8, 2.0)
    audited = AuditEntry.objects.filter(object_id=str(p.pk), reason__startswith="KCDB import")
    assert audited.count() == 1
    # re-import with a changed U: updated in place, nothing duplicated
    path = write(
        tmp_path,
        doc(cmcUncertaintyBaseUnit={"lowerLimit": 0.5, "upperLimit": 30.0, "unit": "Pa"}),
        second,
    )
    call_command("import_kcdb", str(path), provider=nmi.code)
    assert "0 created, 2 updated" in capsys.readouterr().out
    assert m.CMC.objects.filter(kcdb_id__startswith="APMP-").count() == 2
    assert m.CMC.objects.get(kcdb_id="APMP-M-CN-00000001-1").uncertainty == 0.5


@pytest.mark.parametrize(
    "content, words",
    [
        ("{not json", "not JSON"),
        (json.dumps({"items": []}), "data"),
        (json.dumps({"data": [doc(), {"kcdbCode": "X-2", "nmiCode": "NIM"}]}), "X-2"),
        (json.dumps({"data": [doc(), doc("X-3", quantityValue="Luminous flux")]}), "X-3"),
    ],
)
def test_import_malformed_writes_nothing(world, tmp_path, content, words):
    path = tmp_path / "bad.json"
    path.write_text(content)
    before = m.CMC.objects.count(), AuditEntry.objects.count()
    with pytest.raises(CommandError) as err:
        call_command("import_kcdb", str(path), provider=world.orgs["nmi"].code)
    assert words in str(err.value) and "nothing imported" in str(err.value)
    assert (m.CMC.objects.count(), AuditEntry.objects.count()) == before


def test_import_unknown_provider(world, tmp_path):
    with pytest.raises(CommandError, match="provider"):
        call_command("import_kcdb", str(write(tmp_path, doc())), provider="NOPE")


def test_staff_upload_page(client, world):
    url = "/traceability/kcdb/"
    assert client.get(url).status_code == 302  # to the admin login
    client.login(username="admin", password=PASSWORD)
    assert client.get(url).status_code == 200
    payload = json.dumps({"data": [doc()]}).encode()
    r = client.post(
        url,
        {"provider": world.orgs["nmi"].code, "file": SimpleUploadedFile("k.json", payload)},
        follow=True,
    )
    assert r.status_code == 200
    assert m.CMC.objects.filter(kcdb_id="APMP-M-CN-00000001-1").count() == 1
    r = client.post(
        url,
        {"provider": world.orgs["nmi"].code, "file": SimpleUploadedFile("k.json", b"[1]")},
    )
    assert r.status_code == 200 and "document 0" in r.content.decode()


def test_staff_upload_several_nmis(client, world):
    """A file with two institutes' CMCs: refused until the page says which one to import."""
    client.login(username="admin", password=PASSWORD)
    payload = json.dumps({"data": [doc(), doc("APMP-M-XX-00000009-1", nmiCode="NIMX")]}).encode()
    form = {"provider": world.orgs["nmi"].code}
    r = client.post("/traceability/kcdb/", form | {"file": SimpleUploadedFile("k.json", payload)})
    assert r.status_code == 200 and "NIM, NIMX" in r.content.decode()
    assert not m.CMC.objects.filter(kcdb_id__startswith="APMP-M-").exists()
    r = client.post(
        "/traceability/kcdb/",
        form | {"nmi": "NIMX", "file": SimpleUploadedFile("k.json", payload)},
        follow=True,
    )
    assert list(m.CMC.objects.filter(kcdb_id__startswith="APMP-M-").values_list("kcdb_id")) == [
        ("APMP-M-XX-00000009-1",)
    ]
