"""The README documents the whole command line: every command, every option, an example of each command.

The commands and their options are read from the typer app itself (as sqlite-utils' ``test_docs`` does), so a
command or an option added to ``kg/cli.py`` without its line in the README fails here, naming what is missing.
Each command has a section headed ``### `kg NAME` `` with an options table, whose first column names every option
(its long flags, ``--no-...`` forms included) and no option the command lacks; the section names the environment
variables the options read and shows an example line starting with ``kg NAME``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer

from kg.cli import app

README = Path(__file__).resolve().parents[1] / "README.md"
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
COMMAND_HEADING = re.compile(r"^`kg ([\w-]+)`$")
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def _commands() -> dict:
    """The click command of each ``kg`` command, by name."""
    group = typer.main.get_command(app)
    return dict(sorted(group.commands.items()))


COMMANDS = _commands()


def test_the_app_has_the_commands_this_test_expects():
    assert {"build", "query", "serve", "push", "validate", "eval", "train", "viz", "report"} <= set(COMMANDS)


def test_every_command_has_a_readme_section():
    sections = command_sections(README.read_text(encoding="utf-8"))
    missing = [name for name in COMMANDS if name not in sections]
    assert not missing, f"commands with no '### `kg NAME`' section in README.md: {missing}"


def test_every_readme_command_section_is_a_command():
    sections = command_sections(README.read_text(encoding="utf-8"))
    unknown = [name for name in sections if name not in COMMANDS]
    assert not unknown, f"README.md documents commands that kg does not have: {unknown}"


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_option_is_in_its_command_section(name):
    section = command_sections(README.read_text(encoding="utf-8")).get(name)
    assert section is not None, f"README.md has no section for `kg {name}`"
    written = set(table_flags(section))
    missing = [flag for flag in long_flags(COMMANDS[name]) if flag not in written]
    missing += [var for var in envvars(COMMANDS[name]) if not re.search(rf"(?<!\w){re.escape(var)}(?!\w)", section)]
    assert not missing, f"`kg {name}`: options missing from its README section's options table: {missing}"


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_option_in_a_command_table_exists(name):
    """The first cell of each row of a command's options table names only options the command has."""
    section = command_sections(README.read_text(encoding="utf-8")).get(name, "")
    real = set(long_flags(COMMANDS[name])) | {"--help"}
    stale = sorted(set(table_flags(section)) - real)
    assert not stale, f"`kg {name}`: its README table names options it does not have: {stale}"


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_section_shows_an_example(name):
    section = command_sections(README.read_text(encoding="utf-8")).get(name)
    assert section is not None, f"README.md has no section for `kg {name}`"
    example = re.compile(rf"^kg {re.escape(name)}(\s|$)")
    lines = [line.strip() for line in code_lines(section)]
    assert any(example.match(line) for line in lines), f"`kg {name}`: no example line starting with 'kg {name}'"


def test_the_checks_see_a_missing_option_and_a_missing_example():
    """The helpers on a README that lacks ``--jobs`` and shows no example: what the tests above would report."""
    text = "## Commands\n\n### `kg build`\n\nBuilds. `--out OUT`, `--strict`.\n\n```bash\nkgx build x\n```\n\n## Next\n"
    section = command_sections(text)["build"]
    assert table_flags(section) == []
    assert table_flags("| `-o`, `--out OUT` | x | `--jobs` |\n|---|---|---|") == ["--out"]
    assert "--next" not in section and "## Next" not in section
    assert not any(line.startswith("kg build") for line in code_lines(section))
    assert FLAG.findall("--cache-dir and --output") == ["--cache-dir", "--output"]


def command_sections(text: str) -> dict[str, str]:
    """Each ``kg NAME`` heading's section: its text up to the next heading of the same or a higher level."""
    lines = text.splitlines()
    headings = [(number, len(match.group(1)), match.group(2)) for number, match in _headings(lines)]
    sections: dict[str, str] = {}
    for index, (number, level, title) in enumerate(headings):
        command = COMMAND_HEADING.match(title)
        if not command:
            continue
        end = next((later for later, lvl, _ in headings[index + 1 :] if lvl <= level), len(lines))
        assert command.group(1) not in sections, f"two README sections for `kg {command.group(1)}`"
        sections[command.group(1)] = "\n".join(lines[number + 1 : end])
    return sections


def table_flags(section: str) -> list[str]:
    """The long flags named in the first cell of the table rows of a section (its options table)."""
    return [flag for line in section.splitlines() if line.startswith("| ") for flag in FLAG.findall(line.split("|")[1])]


def code_lines(text: str) -> list[str]:
    """The lines inside fenced code blocks."""
    inside, found = False, []
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            inside = not inside
        elif inside:
            found.append(line)
    return found


def long_flags(command) -> list[str]:
    """Every long flag of a command's options (``--no-x`` forms included), ``--help`` left out."""
    flags = []
    for param in command.params:
        if param.param_type_name != "option":
            continue
        flags += [flag for flag in [*param.opts, *param.secondary_opts] if flag.startswith("--") and flag != "--help"]
    return flags


def envvars(command) -> list[str]:
    """The environment variables a command's options read."""
    names = []
    for param in command.params:
        value = getattr(param, "envvar", None)
        names += [value] if isinstance(value, str) else list(value or [])
    return names


def _headings(lines: list[str]):
    """(line number, match) of each Markdown heading outside fenced code blocks."""
    inside = False
    for number, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            inside = not inside
            continue
        match = None if inside else HEADING.match(line)
        if match:
            yield number, match
