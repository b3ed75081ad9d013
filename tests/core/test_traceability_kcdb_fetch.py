"""Online KCDB fetch against a local stand-in for the KCDB API v3 (127.0.0.1, no network).

The stand-in answers ``POST …/cmc/searchData/<domain>`` with canned pages shaped like the API's
(``pageNumber``, ``pageSize``, ``totalElements``, ``totalPages``, ``data``), or with the failures
a real server shows: HTTP errors with an HTML body, non-JSON, a hang, a page number it ignores.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from jiliang.core.traceability import parse_kcdb
from jiliang.core.traceability.kcdb_fetch import (
    KCDBFetchError,
    KCDBQuery,
    fetch_kcdb,
    fetch_pages,
)


def kcdb_doc(n: int, nmi: str = "NIM") -> dict:
    """A physics CMC document with the API's field names (values invented)."""
    return {
        "id": 1000 + n,
        "kcdbCode": f"APMP-EM-CN-{n:08d}-1",
        "nmiCode": nmi,
        "quantityValue": "DC voltage",
        "cmcBaseUnit": {"lowerLimit": 1.0, "upperLimit": 10.0 * (n + 1), "unit": "V"},
        "cmcUncertaintyBaseUnit": {"lowerLimit": 1e-6 * (n + 1), "upperLimit": 1e-4, "unit": "V"},
        "coverageFactor": 2,
        "uncertaintyMode": "Absolute",
    }


def search_page(docs: list[dict], page: int, page_size: int, total: int) -> dict:
    """One page of a search answer, as the KCDB API v3 shapes it."""
    chunk = docs[page * page_size : (page + 1) * page_size]
    return {
        "versionApiKcdb": "1.0.9",
        "pageNumber": page,
        "pageSize": page_size,
        "numberOfElements": len(chunk),
        "totalElements": total,
        "totalPages": -(-total // page_size),
        "data": chunk,
    }


Reply = tuple[int, bytes]


@dataclass
class FakeKCDB:
    """``answer(path, body) → (status, bytes)``; every request's path and body is recorded."""

    url: str
    answer: Callable[[str, dict], Reply] = lambda path, body: (404, b"")
    requests: list[tuple[str, dict]] = field(default_factory=list)

    def serve_docs(self, docs: list[dict]) -> None:
        def answer(path: str, body: dict) -> Reply:
            page = search_page(docs, body["page"], body["pageSize"], len(docs))
            return 200, json.dumps(page).encode()

        self.answer = answer


@contextmanager
def fake_kcdb() -> Iterator[FakeKCDB]:
    """A :class:`FakeKCDB` listening on 127.0.0.1 (a free port) for the ``with`` block."""
    fake = FakeKCDB("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            fake.requests.append((self.path, body))
            status, payload = fake.answer(self.path, body)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args) -> None:  # keep the test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/api/kcdb"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def kcdb() -> Iterator[FakeKCDB]:
    with fake_kcdb() as fake:
        yield fake


QUERY = KCDBQuery(area="EM", countries=("CN",), keywords="voltage")


def test_pages_walked_and_saved_then_parsed(kcdb, tmp_path):
    docs = [kcdb_doc(n) for n in range(5)]
    kcdb.serve_docs(docs)
    path = fetch_kcdb(QUERY, tmp_path / "out" / "kcdb.json", kcdb.url, page_size=2, timeout=5)
    # three requests, one per page, on the physics endpoint, with the search fields
    assert [p for p, _ in kcdb.requests] == ["/api/kcdb/cmc/searchData/physics"] * 3
    assert [b["page"] for _, b in kcdb.requests] == [0, 1, 2]
    assert kcdb.requests[0][1] == {
        "page": 0,
        "pageSize": 2,
        "showTable": False,
        "metrologyAreaLabel": "EM",
        "countries": ["CN"],
        "keywords": "voltage",
    }
    saved = json.loads(path.read_text())
    assert [len(p["data"]) for p in saved["pages"]] == [2, 2, 1]  # raw pages, verbatim
    assert saved["kcdbFetch"]["url"] == f"{kcdb.url}/cmc/searchData/physics"
    assert saved["kcdbFetch"]["request"]["countries"] == ["CN"]
    assert saved["kcdbFetch"]["documents"] == 5
    assert sorted(p.name for p in path.parent.iterdir()) == ["kcdb.json"]  # no temp file left
    cmcs = parse_kcdb(path.read_bytes())
    assert [c.id for c in cmcs] == [d["kcdbCode"] for d in docs]
    assert cmcs[4].high == 50.0
    assert abs(cmcs[4].U - 5e-6) < 1e-15


def test_chemistry_endpoint_and_empty_result(kcdb):
    kcdb.serve_docs([])
    pages = fetch_pages(KCDBQuery(area="QM", domain="chemistry"), kcdb.url, timeout=5)
    assert [p for p, _ in kcdb.requests] == ["/api/kcdb/cmc/searchData/chemistryAndBiology"]
    assert len(pages) == 1 and pages[0]["data"] == []


def test_short_page_ends_walk_without_paging_fields(kcdb):
    """A server that sends only ``data`` (no counters) is walked until a short page."""
    docs = [kcdb_doc(n) for n in range(3)]

    def answer(path, body):
        chunk = docs[body["page"] * 2 : body["page"] * 2 + 2]
        return 200, json.dumps({"data": chunk}).encode()

    kcdb.answer = answer
    pages = fetch_pages(QUERY, kcdb.url, page_size=2, timeout=5)
    assert [len(p["data"]) for p in pages] == [2, 1]


@pytest.mark.parametrize(
    "status, payload, words",
    [
        (500, b"<html>Apologies for the inconvenience (500)</html>", "HTTP 500"),
        (404, b"", "HTTP 404"),
        (200, b"{not json", "not JSON"),
        (200, b"[1, 2]", "not a JSON object"),
        (200, json.dumps({"items": []}).encode(), "no 'data' list"),
    ],
)
def test_bad_second_page_writes_nothing(kcdb, tmp_path, status, payload, words):
    docs = [kcdb_doc(n) for n in range(4)]

    def answer(path, body):
        if body["page"] == 0:
            return 200, json.dumps(search_page(docs, 0, 2, len(docs))).encode()
        return status, payload

    kcdb.answer = answer
    target = tmp_path / "kcdb.json"
    with pytest.raises(KCDBFetchError) as err:
        fetch_kcdb(QUERY, target, kcdb.url, page_size=2, timeout=5)
    assert "KCDB page 1" in str(err.value) and words in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_timeout(kcdb, tmp_path):
    def answer(path, body):
        time.sleep(1.0)
        return 200, json.dumps(search_page([], 0, 10, 0)).encode()

    kcdb.answer = answer
    start = time.perf_counter()
    with pytest.raises(KCDBFetchError, match=r"no answer within 0.2 s"):
        fetch_kcdb(QUERY, tmp_path / "kcdb.json", kcdb.url, timeout=0.2)
    assert time.perf_counter() - start < 0.9
    assert list(tmp_path.iterdir()) == []


def test_connection_refused(tmp_path):
    with pytest.raises(KCDBFetchError, match="KCDB page 0"):
        fetch_kcdb(QUERY, tmp_path / "k.json", "http://127.0.0.1:9/api/kcdb", timeout=2)


def test_endless_or_ignored_paging_is_bounded(kcdb):
    """A server repeating page 0, or announcing pages forever, cannot keep the fetch looping."""
    docs = [kcdb_doc(n) for n in range(2)]
    kcdb.answer = lambda path, body: (200, json.dumps(search_page(docs, 0, 1, 99)).encode())
    with pytest.raises(KCDBFetchError, match="answered page 0"):
        fetch_pages(QUERY, kcdb.url, page_size=1, timeout=5)

    def endless(path, body):
        page = search_page(docs, 0, 1, 10**6)
        page["pageNumber"] = body["page"]
        return 200, json.dumps(page).encode()

    kcdb.answer = endless
    kcdb.requests.clear()
    with pytest.raises(KCDBFetchError, match="more than 3 pages"):
        fetch_pages(QUERY, kcdb.url, page_size=1, timeout=5, max_pages=3)
    assert len(kcdb.requests) == 3


@pytest.mark.parametrize(
    "kwargs, field_name",
    [
        ({"area": "em"}, "area"),
        ({"area": "EM", "countries": ("China",)}, "country"),
        ({"area": "EM", "domain": "biology"}, "domain"),
        ({"area": "QM", "domain": "chemistry", "branch": "X"}, "branch"),
    ],
)
def test_bad_query_names_the_field(kwargs, field_name):
    with pytest.raises(ValueError, match=f"^{field_name}:"):
        KCDBQuery(**kwargs)


@pytest.mark.parametrize(
    "kwargs, field_name",
    [
        ({"base_url": "file:///etc"}, "base_url"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 10_001}, "page_size"),
        ({"timeout": 0}, "timeout"),
    ],
)
def test_bad_fetch_options_name_the_field(kwargs, field_name):
    with pytest.raises(ValueError, match=f"^{field_name}:"):
        fetch_pages(QUERY, **({"base_url": "http://127.0.0.1:9"} | kwargs))
