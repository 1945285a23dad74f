"""Determinism: the same forms give byte-identical outputs, and outputs hold no paths or times.

Two builds of the same 71 forms differ in everything that should not matter:
the input folder's path, the order the files were created in and their
mtimes, ``--jobs`` (1 against 2; the pool starts at 64 files), the output
folder and ``PYTHONHASHSEED`` (each build runs in its own process). Every
output file but ``manifest.json`` and ``store/`` is compared byte for byte,
so files added to the build later (analysis, HTML, report) are covered too.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from kg.namespaces import PREFIXES

pytestmark = pytest.mark.slow  # whole builds run as `python -m kg build` child processes, with worker pools

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"
UNCOMPARED = {"manifest.json", "store"}


def form_files() -> dict[str, bytes]:
    """Relative path -> bytes: the examples, the hostile corpus and 42 renamed variants of the examples."""
    files = {p.name: p.read_bytes() for p in sorted(EXAMPLES.glob("*.md"))}
    files |= {p.relative_to(HOSTILE).as_posix(): p.read_bytes() for p in sorted(HOSTILE.rglob("*")) if p.is_file()}
    for number in range(7):
        for path in sorted(EXAMPLES.glob("*.md")):
            text = path.read_text(encoding="utf-8").replace("\n", f" variant {number}\n", 1)
            files[f"variants/{path.stem}_{number}.md"] = text.encode("utf-8")
    return files


def write_inputs(folder: Path, files: dict[str, bytes], order: list[str], seed: int) -> None:
    """Create ``files`` under ``folder`` in ``order``, with mtimes shuffled by ``seed``."""
    rng = random.Random(seed)
    for name in order:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[name])
        stamp = 1_500_000_000 + rng.randrange(200_000_000)
        os.utime(path, (stamp, stamp))


def run_build(inputs: Path, out: Path, jobs: int, hash_seed: str, cwd: Path) -> None:
    env = dict(os.environ, PYTHONHASHSEED=hash_seed)
    command = [sys.executable, "-m", "kg", "build", str(inputs), "-o", str(out), "--jobs", str(jobs)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory) -> tuple[Path, Path, list[Path]]:
    files = form_files()
    names = sorted(files)
    first_in = tmp_path_factory.mktemp("first") / "in"
    second_in = tmp_path_factory.mktemp("second") / "a deeper" / "folder with spaces" / "forms"
    write_inputs(first_in, files, names, seed=1)
    write_inputs(second_in, files, names[::-1], seed=2)
    first_out = tmp_path_factory.mktemp("first_out") / "out"
    second_out = tmp_path_factory.mktemp("second_out") / "elsewhere" / "out"
    run_build(first_in, first_out, jobs=1, hash_seed="0", cwd=ROOT)
    run_build(second_in, second_out, jobs=2, hash_seed="4242", cwd=second_in.parent)
    return first_out, second_out, [first_in, second_in, first_out, second_out]


def compared_files(out: Path) -> dict[str, Path]:
    return {
        p.relative_to(out).as_posix(): p
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.relative_to(out).parts[0] not in UNCOMPARED
    }


def test_enough_forms_to_start_the_worker_pool():
    assert len(form_files()) >= 64


def test_outputs_are_byte_identical(two_builds):
    first, second, _ = two_builds
    files = compared_files(first)
    assert {"graph.ttl", "graph.trig"} <= set(files)
    assert set(compared_files(second)) == set(files)
    different = [name for name, path in files.items() if path.read_bytes() != (second / name).read_bytes()]
    assert different == []


def test_manifests_agree_but_for_build_time_and_timings(two_builds):
    first, second = (json.loads((out / "manifest.json").read_text(encoding="utf-8")) for out in two_builds[:2])
    for manifest in (first, second):
        datetime.fromisoformat(manifest.pop("built_at"))
        manifest["summary"].pop("seconds")
    assert first == second


def test_prefix_block_is_stable_and_in_project_order(two_builds):
    first, second, _ = two_builds
    for name in ("graph.ttl", "graph.trig"):
        heads = []
        for out in (first, second):
            lines = (out / name).read_text(encoding="utf-8").splitlines()
            heads.append([line for line in lines[: len(PREFIXES) + 1] if line.startswith("@prefix ")])
        assert heads[0] == heads[1]
        assert [line.split()[1].rstrip(":") for line in heads[0]] == list(PREFIXES)


def test_outputs_hold_no_absolute_paths(two_builds):
    first, second, folders = two_builds
    needles = {str(folder) for folder in folders} | {str(ROOT), str(Path.home())}
    for out in (first, second):
        for name, path in compared_files(out).items():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not [n for n in needles if n in text], name
        manifest = (out / "manifest.json").read_text(encoding="utf-8")
        assert not [n for n in needles if n in manifest]


def test_outputs_hold_no_build_date_or_time(two_builds):
    now = datetime.now(timezone.utc)
    local = datetime.now()
    dates = {f"{d:%Y-%m-%d}" for d in (now, local)} | {f"{d:%d/%m/%Y}" for d in (now, local)}
    dates |= {f"{d:%B} {d.day}, {d.year}" for d in (now, local)} | {f"{d.day} {d:%B} {d.year}" for d in (now, local)}
    clock = re.compile(rf"\b(?:{now:%H}|{local:%H}):[0-5]\d:[0-5]\d\b")
    first, second, _ = two_builds
    for out in (first, second):
        for name, path in compared_files(out).items():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not [d for d in dates if d in text], name
            assert clock.search(text) is None, name


def test_a_rebuild_in_place_gives_the_same_bytes(two_builds, tmp_path):
    first, _, folders = two_builds
    again = tmp_path / "again"
    shutil.copytree(first, again)
    run_build(folders[0], again, jobs=1, hash_seed="7", cwd=ROOT)
    assert all(path.read_bytes() == (again / name).read_bytes() for name, path in compared_files(first).items())
