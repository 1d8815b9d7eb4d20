"""The repository stands alone: a fresh clone builds, tests and documents
itself, so no tracked file may point at a sibling folder of the checkout or
at an absolute path of one developer's machine."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.peers import REPO

# A sibling folder named "shared" reached from the repository (through a
# parent-relative path, Python's Path.parent or the shell's parent directory)
# and absolute paths under the folder of the developers' checkouts.
OUTSIDE = re.compile(rb"(?:\.\./|\.parent\s*/\s*[\"']|pwd\)/)shared\b|(?<![\w.~-])/work(?=/)")

# The examples are assembled from pieces so that this file passes its own check.
SIBLING = b"../" + b"shared"
PARENT = b'.parent / "' + b"shared"
PWD = b"pwd)/" + b"shared"
WORK = b"/" + b"work"


def outside_references(text: bytes) -> list[bytes]:
    """The pieces of ``text`` that lead outside the repository, as found."""
    return OUTSIDE.findall(text)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (b"bash " + SIBLING + b"/peers/freeradius/start.sh", [SIBLING]),
        (b"see `../" + SIBLING + b"/ARCHITECTURE.md`", [SIBLING]),
        (b"PEER = REPO" + PARENT + b'" / "peers"', [PARENT]),
        (b"SHARED=$(cd .. && " + PWD + b")", [PWD]),
        (b"RUN_DIR=" + WORK + b"/shared/peers", [WORK]),
        (b"python " + WORK + b"/main/bench/billing_run.py", [WORK]),
        (b"from celery import shared_task; bench/work/ ~/work/ ./work/", []),
        (b"https://example.org/work/ and the NAS's shared secret", []),
    ],
)
def test_the_check_finds_paths_outside_the_repository(text, found):
    assert outside_references(text) == found


def test_no_tracked_file_points_outside_the_repository():
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.split(b"\0")
    offenders = []
    for name in filter(None, tracked):
        path = REPO / name.decode()
        if not path.is_file():  # deleted in the working tree, not yet committed
            continue
        for number, line in enumerate(path.read_bytes().splitlines(), 1):
            if outside_references(line):
                offenders.append(f"{name.decode()}:{number}: {line.decode(errors='replace')}")
    assert offenders == []


# A citation of a document the reader cannot open: the planning notes
# ("seed 003", "the seeds", "seed defaults") and tracker numbers ("issue 5",
# "#12"). A rule states itself and its reason, or names a public standard.
# A random generator's seed ("--seed", "fixed seed", "seed_customers") is
# not a citation. Colours in HTML/CSS ("#666") are not issue numbers, so the
# bare "#N" form is looked for outside those files only.
CITATION = re.compile(
    rb"\bseeds?\s+(?:\d|documents?\b|defaults?\b)|\bthe\s+seeds\b"
    rb"|\b(?:issues?|tickets?|bugs?|PRs?|pull requests?)\s+#?\d+",
    re.IGNORECASE,
)
HASH_NUMBER = re.compile(rb"(?<![\w&/#])#\d+\b")
STYLED = (b".html", b".css", b".svg")
# Generated migrations are the schema's history and are not rewritten; the
# text they once carried is current in the models.
HISTORY = b"/migrations/"


def citations(name: bytes, text: bytes) -> list[bytes]:
    """The citations of documents outside the repository in ``text``, as found."""
    found = CITATION.findall(text)
    if not name.endswith(STYLED):
        found += HASH_NUMBER.findall(text)
    return found


@pytest.mark.parametrize(
    ("name", "text", "found"),
    [
        (b"a.py", b"defaults (seed 003)", [b"seed 0"]),
        (b"a.py", b"Defaults follow the seeds: grace 5 days", [b"the seeds"]),
        (b"a.py", b"(seed defaults 5 and 10)", [b"seed defaults"]),
        (b"a.md", b"Rounding (issue 5 item 7).", [b"issue 5"]),
        (b"a.md", b"fixed in Issue #12", [b"Issue #12", b"#12"]),
        (b"a.py", b"see #41 for why", [b"#41"]),
        (b"a.py", b'parser.add_argument("--seed"); rng = random.Random(seed)', []),
        (b"a.py", b"fixed seed, seeded, seed_customers, corpus/seed-one.mt940", []),
        (b"a.html", b"color: #666; issued invoice", []),
        (b"a.py", b"# 15 % VAT, ISO 4217, RFC 5176 section 3", []),
    ],
)
def test_the_check_finds_citations_outside_the_repository(name, text, found):
    assert citations(name, text) == found


def test_no_tracked_file_cites_documents_outside_the_repository():
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.split(b"\0")
    offenders = []
    for name in filter(None, tracked):
        path = REPO / name.decode()
        if HISTORY in b"/" + name or not path.is_file():
            continue
        if name == b"tests/test_self_contained.py":  # its examples are citations on purpose
            continue
        data = path.read_bytes()
        try:
            data.decode()
        except UnicodeDecodeError:  # a binary file (a compressed fixture) cites nothing
            continue
        for number, line in enumerate(data.splitlines(), 1):
            if citations(name, line):
                offenders.append(f"{name.decode()}:{number}: {line.decode(errors='replace')}")
    assert offenders == []


# Settings of the tenant are moving to per-app settings models; their help
# texts are rewritten there.
TENANT_SETTINGS = "core.Tenant"
# A code path in a label ("see billing.tax") means nothing to an operator.
CODE_PATH = re.compile(r"\bsee\s+[a-z_]+\.[a-z_]+", re.IGNORECASE)


@pytest.mark.django_db
def test_no_model_label_or_help_text_cites_documents_or_code():
    """What the back office shows under a field (its label and help text, the
    translated strings of every model) cites no planning document, tracker
    number or module path."""
    from django.apps import apps

    offenders = []
    for model in apps.get_models():
        if not model.__module__.startswith("ispstack.") or model._meta.label == TENANT_SETTINGS:
            continue
        for field in model._meta.get_fields():
            for text in (getattr(field, "help_text", ""), getattr(field, "verbose_name", "")):
                text = str(text or "")
                if citations(b"a.py", text.encode()) or CODE_PATH.search(text):
                    offenders.append(f"{model._meta.label}.{field.name}: {text}")
    assert offenders == []
