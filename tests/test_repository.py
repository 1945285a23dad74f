"""The repository itself: nothing in it names a path of the machine it was written on."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Roots of this kind of machine's own folders (written in pieces, so this file does not name them).
MACHINE_PATH = re.compile("(?<![\\w.])/(?:" + "|".join(["wo" + "rk", "ro" + "ot", "ho" + "me", "t" + "mp"]) + ")/")


def tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False)
    if listed.returncode:
        pytest.skip("not a git checkout")
    return [ROOT / name for name in listed.stdout.decode().split("\0") if name]


def test_no_tracked_file_names_a_machine_path():
    named = []
    for path in tracked_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # binary files: models, images
        for number, line in enumerate(text.splitlines(), 1):
            if MACHINE_PATH.search(line):
                named.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert named == []


def test_the_check_sees_a_machine_path():
    assert MACHINE_PATH.search("built " + "/t" + "mp/out_final in 60 s")
    assert not MACHINE_PATH.search("see ../shared/corpus and docs/endpoint.md")
