"""``import_kcdb --fetch``: KCDB API pages fetched from a local stand-in (127.0.0.1, no network),
saved to a file, imported in one transaction; failures write nothing to the database."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command
from tests.core.test_traceability_kcdb_fetch import FakeKCDB, fake_kcdb, kcdb_doc, search_page

from jiliang.platform.audit.models import AuditEntry
from jiliang.platform.registry import models as m


@pytest.fixture
def kcdb() -> Iterator[FakeKCDB]:
    with fake_kcdb() as fake:
        yield fake


def fetch(kcdb: FakeKCDB, provider: str, *extra: str, **options):
    args = ["--fetch", "--area", "EM", "--country", "CN", "--page-size", "2", *extra]
    call_command("import_kcdb", *args, provider=provider, base_url=kcdb.url, **options)


def test_fetch_saves_pages_then_imports_audited(world, kcdb, tmp_path, capsys):
    nmi = world.orgs["nmi"]
    docs = [kcdb_doc(n) for n in range(3)]
    kcdb.serve_docs(docs)
    saved = tmp_path / "kcdb" / "em.json"
    fetch(kcdb, nmi.code, "--timeout", "5", save=saved)
    out = capsys.readouterr().out
    assert f"saved the KCDB pages to {saved}" in out and "3 created, 0 updated" in out
    assert [b["countries"] for _, b in kcdb.requests] == [["CN"], ["CN"]]  # two pages of 2
    assert len(json.loads(saved.read_text())["pages"]) == 2
    cmcs = m.CMC.objects.filter(kcdb_id__in=[d["kcdbCode"] for d in docs])
    assert cmcs.count() == 3
    assert set(cmcs.values_list("provider_id", "quantity", "unit")) == {
        (nmi.pk, "voltage", r"\volt")
    }
    reason = f"KCDB import (3 CMCs from {kcdb.url}/cmc/searchData/physics)"
    entries = AuditEntry.objects.filter(reason=reason)
    assert sorted(entries.values_list("object_id", flat=True)) == sorted(str(c.pk) for c in cmcs)
    # the same search again updates in place
    fetch(kcdb, nmi.code, save=tmp_path / "again.json")
    assert "0 created, 3 updated" in capsys.readouterr().out
    assert m.CMC.objects.filter(kcdb_id__startswith="APMP-EM-CN-").count() == 3


def test_default_save_path_is_in_the_data_dir(world, kcdb, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    kcdb.serve_docs([kcdb_doc(0)])
    fetch(kcdb, world.orgs["nmi"].code)
    (saved,) = (tmp_path / "kcdb").iterdir()
    assert saved.name.startswith("kcdb-physics-EM-CN-") and saved.suffix == ".json"


def test_several_nmis_need_a_choice(world, kcdb, tmp_path):
    nmi = world.orgs["nmi"]
    kcdb.serve_docs([kcdb_doc(0), kcdb_doc(1, nmi="NIMX")])
    before = m.CMC.objects.count()
    with pytest.raises(CommandError, match=r"nmi: the file holds CMCs of NIM, NIMX"):
        fetch(kcdb, nmi.code, save=tmp_path / "a.json")
    assert m.CMC.objects.count() == before
    fetch(kcdb, nmi.code, "--nmi", "NIMX", save=tmp_path / "b.json")
    assert m.CMC.objects.count() == before + 1
    assert m.CMC.objects.filter(kcdb_id=kcdb_doc(1)["kcdbCode"]).exists()


@pytest.mark.parametrize(
    "answer, words",
    [
        (lambda body: (503, b"<html>Apologies for the inconvenience</html>"), "HTTP 503"),
        (lambda body: (200, b"<html>maintenance</html>"), "not JSON"),
        # a page of documents the parser rejects: fetched and saved, but nothing imported
        (
            lambda body: (200, json.dumps(search_page([{"kcdbCode": "X-1"}], 0, 2, 1)).encode()),
            "X-1",
        ),
    ],
)
def test_fetch_failure_imports_nothing(world, kcdb, tmp_path, answer, words):
    kcdb.answer = lambda path, body: answer(body)
    before = m.CMC.objects.count(), AuditEntry.objects.count()
    with pytest.raises(CommandError) as err:
        fetch(kcdb, world.orgs["nmi"].code, save=tmp_path / "k.json")
    assert words in str(err.value) and "nothing imported" in str(err.value)
    assert (m.CMC.objects.count(), AuditEntry.objects.count()) == before


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--fetch"], "area: required"),
        (["--fetch", "--area", "EM", "--country", "China"], "country:"),
        (["--fetch", "--area", "EM", "--base-url", "file:///etc"], "base_url:"),
        (["some.json", "--fetch", "--area", "EM"], "either a FILE or --fetch"),
        ([], "either a FILE or --fetch"),
    ],
)
def test_bad_arguments_name_the_field(world, argv, words):
    with pytest.raises(CommandError, match=words):
        call_command("import_kcdb", *argv, provider=world.orgs["nmi"].code)


def test_unknown_provider_checked_before_any_request(world, kcdb):
    kcdb.serve_docs([kcdb_doc(0)])
    with pytest.raises(CommandError, match="provider"):
        fetch(kcdb, "NOPE")
    assert kcdb.requests == []
