"""Which files a build reads: every form file is accounted for."""

from pathlib import Path

from kg.build import collect_inputs


def test_collect_inputs_finds_every_form_file_recursively(tmp_path: Path):
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    for name in ("a.md", "b.txt", "C.MD", ".md", "sub/d.md", "sub/deeper/e.txt"):
        (tmp_path / name).write_text("# x\n", encoding="utf-8")
    (tmp_path / "notes.docx").write_text("not a form", encoding="utf-8")
    shown = [display for _, display in collect_inputs([tmp_path])]
    # ".md" (a hidden file the real archive holds) counts; notes.docx does not.
    assert shown == sorted([".md", "C.MD", "a.md", "b.txt", "sub/d.md", "sub/deeper/e.txt"])


def test_a_file_given_directly_is_named_by_its_file_name(tmp_path: Path):
    form = tmp_path / "one.md"
    form.write_text("# x\n", encoding="utf-8")
    assert collect_inputs([form]) == [(form, "one.md")]
