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
