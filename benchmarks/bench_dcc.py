"""DCC throughput: validation (jiliang/lxml vs plain xmlschema, side by side), build, sign, verify.

Run:  python benchmarks/bench_dcc.py [--quick]
Needs PTB's XSDs: $JILIANG_DCC_SCHEMA_DIR, else $JILIANG_SHARED_DIR/dcc/xsd, else ../shared/dcc/xsd.
PTB's own dcclib is not on PyPI, so the peer here is the plain ``xmlschema`` validator.
Goal (issue 5): >= 200 validations/s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import xmlschema
from lxml import etree

from jiliang.core.dcc.build import build_dcc
from jiliang.core.dcc.example import example_record
from jiliang.core.dcc.schemas import get_schema
from jiliang.core.dcc.sign import make_test_pki, sign_dcc, verify_dcc
from jiliang.core.dcc.validate import validate

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("JILIANG_SHARED_DIR", ROOT.parent / "shared"))
XSD = Path(os.environ.get("JILIANG_DCC_SCHEMA_DIR", SHARED / "dcc" / "xsd"))
PTB_311 = SHARED / "dcc" / "examples" / "dcc_gp_temperature_simplified_v12_dcc3.1.1.xml"


def rate(fn: Callable[[], object], n: int) -> float:
    fn()  # warm caches (compiled schema, unit parses)
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return n / (time.perf_counter() - start)


def documents() -> dict[str, bytes]:
    docs = {"jiliang-built": build_dcc(example_record())}
    if PTB_311.is_file():
        tree = etree.parse(str(PTB_311))
        tree.getroot().set("schemaVersion", "3.1.2")  # the 3.1.1 example is valid against 3.1.2
        docs["PTB 3.1.1 example"] = etree.tostring(tree)
    return docs


def _validate_many(args: tuple[bytes, int]) -> int:
    data, n = args
    return sum(validate(data, schema_dirs=[XSD]).valid for _ in range(n))


def parallel_rate(data: bytes, n: int, workers: int) -> float:
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_validate_many, [(data, 2)] * workers))  # warm up each worker
        start = time.perf_counter()
        valid = sum(pool.map(_validate_many, [(data, n // workers)] * workers))
        elapsed = time.perf_counter() - start
    assert valid == (n // workers) * workers
    return valid / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations (CI smoke run)")
    args = parser.parse_args()
    n = 50 if args.quick else 500
    if not (XSD / "dcc_v3.1.2.xsd").is_file():
        print(f"DCC XSDs not found in {XSD}; set JILIANG_DCC_SCHEMA_DIR", file=sys.stderr)
        return 2
    lxml_schema = get_schema("3.1.2", [XSD])
    peer = xmlschema.XMLSchema(
        str(XSD / "dcc_v3.1.2.xsd"),
        uri_mapper={"https://ptb.de/si/v2.1.0/SI_Format.xsd": str(XSD / "SI_Format_v2.1.0.xsd")},
        allow="local",
    )
    print(f"{'document':<20} {'jiliang validate':>17} {'lxml XSD only':>14} {'xmlschema':>10} "
          f"{'ratio':>6}   (validations/s, 1 core)")  # fmt: skip
    for name, data in documents().items():
        full = rate(lambda d=data: validate(d, schema_dirs=[XSD]), n)
        xsd_only = rate(lambda d=data: lxml_schema.validate(etree.fromstring(d)), n)
        plain = rate(lambda d=data: peer.is_valid(etree.fromstring(d)), max(5, n // 20))
        print(f"{name:<20} {full:>17.0f} {xsd_only:>14.0f} {plain:>10.1f} {full / plain:>5.0f}x")
    built = build_dcc(example_record())
    two = parallel_rate(built, n * 2, 2)
    verdict = "met" if two >= 200 else "NOT met"
    print(f"jiliang validate on 2 cores: {two:.0f}/s (goal >= 200/s: {verdict})")
    record = example_record()
    print(f"build: {rate(lambda: build_dcc(record), n):.0f}/s")
    for alg in ("ec", "rsa"):
        pki = make_test_pki(alg)
        signed = sign_dcc(built, pki.lab_key, pki.lab_cert)
        m = max(10, n // 5)
        sign_rate = rate(lambda p=pki: sign_dcc(built, p.lab_key, p.lab_cert), m)
        verify_rate = rate(lambda s=signed, p=pki: verify_dcc(s, p.ca_cert), m)
        label = "ECDSA P-256" if alg == "ec" else "RSA-2048"
        print(
            f"{label:<12} sign: {sign_rate:.0f}/s   verify (integrity + chain): {verify_rate:.0f}/s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
