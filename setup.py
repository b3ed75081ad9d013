"""Build the optional C accelerator of the transparency log; everything else is in pyproject.toml.

``jiliang.core.ledger._hashbatch`` hashes whole batches of RFC 9162 leaves and tree levels (SHA-256
with a run-time choice of SHA-NI or portable C). It is ``optional``: when no C compiler or Python
headers are available the build goes on without it and the ledger uses hashlib (same results,
slower appends). ``JILIANG_LEDGER_PURE=1`` forces the pure-Python path at run time.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "jiliang.core.ledger._hashbatch",
            sources=["src/jiliang/core/ledger/_hashbatch.c"],
            extra_compile_args=["-O3", "-std=c99", "-Wall", "-Wextra"],
            optional=True,
        )
    ]
)
