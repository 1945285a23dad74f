"""`kg privacy-check`: a finished build scanned for e-mails, phones and its inputs' people's names."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kg.build import build
from kg.privacy import Pseudonymiser
from kg.privacy_check import check_build

ROOT = Path(__file__).resolve().parents[1]

FORM = """\
# Solar dryers

[[focal_point:amara.okafor@example.org]]

[[year:2024]]

[[type:solution]]

[[country:Nigeria]]

## Solution holder: Chidi Nwosu

> Brief description of the solution

A dryer for cassava, shown to us by Amara Okafor.

> Contact details of the innovator

Tel: 0803 123 4567
"""


def kg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kg", *args], capture_output=True, text=True, cwd=ROOT)


@pytest.fixture(scope="module")
def forms(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("forms")
    (folder / "solar_dryers.md").write_text(FORM, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def private(forms, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("private")
    build([forms], out, jobs=1, pseudonymiser=Pseudonymiser("k"))
    return out


@pytest.fixture(scope="module")
def personal(forms, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("personal")
    build([forms], out, jobs=1, pseudonymiser=Pseudonymiser("k", enabled=False))
    return out


@pytest.mark.slow
def test_a_default_build_is_clean(private, forms):
    result = kg("privacy-check", str(private), str(forms))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("clean:")
    report = check_build(private, [forms])
    assert report.forms_read == 1 and report.files >= 5 and report.store_terms > 0
    # Hunted across the build: the focal point's name and the heading's name.
    assert report.names >= 2


@pytest.mark.slow
def test_a_build_with_personal_data_fails_and_never_prints_the_originals(personal, forms):
    result = kg("privacy-check", str(personal), str(forms), "--pseudonym-key", "k", "--limit", "1000")
    assert result.returncode == 1
    out = result.stdout
    for original in ("Chidi", "Nwosu", "Amara", "Okafor", "amara.okafor", "0803"):
        assert original not in out
    privacy = Pseudonymiser("k")
    assert f"name {privacy.person('Chidi Nwosu')}" in out
    assert f"name {privacy.person('Amara Okafor')}" in out
    assert f"e-mail {privacy.person('amara.okafor@example.org')}" in out
    assert f"phone {privacy.person('0803 123 4567')}" in out


def test_findings_name_the_file_and_line(private, tmp_path):
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(private), str(copy)], check=True)
    report = copy / "report.md"
    lines = report.read_text(encoding="utf-8").splitlines()
    lines.insert(2, "Call +234 803 123 4567 or write to someone@example.org.")
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    found = {(f.where, f.line, f.kind) for f in check_build(copy).findings}
    assert found == {("report.md", 3, "phone"), ("report.md", 3, "e-mail")}


def test_without_inputs_only_emails_and_phones_are_checked(personal):
    report = check_build(personal)
    assert report.forms_read == 0 and report.names == 0
    assert {f.kind for f in report.findings} == {"e-mail", "phone"}


def test_a_minted_identifier_is_no_phone_number(private, tmp_path):
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(private), str(copy)], check=True)
    (copy / "extra.ttl").write_text("id:theme\\/mobile-technology-563455954f a pkg:Theme .\n", encoding="utf-8")
    assert check_build(copy).clean


@pytest.mark.slow
def test_a_folder_without_a_build_exits_2(tmp_path):
    result = kg("privacy-check", str(tmp_path))
    assert result.returncode == 2
    assert "manifest.json" in result.stderr + result.stdout
