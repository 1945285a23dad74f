"""Write a synthetic corpus N times the size of the archive, for growth curves.

Copy 0 is the archive itself. Copy k (1..N-1) of each form keeps its title,
tags, sections and questions, and takes each answer either from the form
itself or, with probability ``--mix``, from another form asking the same
question (so answers recombine across forms of a template). Its text is
then made new, deterministically from ``--seed``, k and the form:

* organisation names (runs of capitalised words with an organisation
  keyword, known international organisations, and every line of a
  "name of the partner" answer) get a suffix drawn from a fixed list, the
  same name getting the same suffix across a copy, so copies add
  organisations rather than repeat them;
* every number in an answer is shifted (the same digits count), so a
  copy's narrative is not the original's text (spaCy would otherwise see
  the same sentences again and the build's NER memo skip them).

Tags stay as they are (years, countries, coordinates remain valid). Files
are written as ``kNNN/<original name>``. Usage::

    python benchmarks/scale_corpus.py ../shared/corpus CORPUS10X --times 10 --seed 7
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kg.inputs import collect_inputs  # noqa: E402
from kg.ner import gazetteer_spans  # noqa: E402
from kg.vocab import fold  # noqa: E402

SUFFIXES = (
    "Norte", "Sur", "Andina", "Atlántica", "Pacífico", "Verde", "Global", "Nova", "Unida", "Central",
    "Oriental", "Occidental", "Digital", "Rural", "Urbana", "Social", "Abierta", "Futura", "Solidaria", "Viva",
)
_QUESTION = re.compile(r"^>\s?(.*)$")
_HEADING = re.compile(r"^#{1,6}\s")
_TAG = re.compile(r"^\[\[[^\]]+\]\]\s*$")
_NAME_QUESTION = re.compile(
    r"name of (the|our|your) par\w*er|^name of (the )?partner|list (the )?names? of (the )?partners"
)
_NUMBER = re.compile(r"\d+")
_CONNECTOR = r"(?:of|for|and|de|del|la|las|los|el|y|et|des|du|the)"
_KEYWORD_RUN = re.compile(rf"\b(?:[A-ZÀ-Ý][\w'’.\-]*\s+(?:{_CONNECTOR}\s+){{0,2}}){{1,6}}[A-ZÀ-Ý][\w'’.\-]*")
_ORG_WORD = re.compile(
    r"\b(?:ministry|ministerio|ministère|university|universidad|université|foundation|fundación|fondation|association|"
    r"asociación|agency|agencia|council|consejo|institute|instituto|centre|center|centro|bank|banco|network|red|"
    r"cooperative|cooperativa|municipality|municipalidad|gobierno|government|office|department|authority|lab|hub|"
    r"company|corporation|ltd|inc|s\.a\.|s\.r\.l\.|alliance|alianza|union|unión|federation|federación|society|sociedad)\b",
    re.IGNORECASE,
)


def main() -> None:
    """Parse arguments and write the scaled corpus."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="the archive (a folder of forms)")
    parser.add_argument("out", type=Path, help="the folder to write (replaced)")
    parser.add_argument("--times", type=int, default=10, help="size as a multiple of the archive (default 10)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--mix", type=float, default=0.5, help="chance an answer comes from another form")
    args = parser.parse_args()
    started = time.perf_counter()
    files, size = scale(args.corpus, args.out, args.times, args.seed, args.mix)
    print(f"{files} forms, {size / 1e6:.1f} MB in {args.out} ({time.perf_counter() - started:.1f} s)")


def scale(corpus: Path, out: Path, times: int, seed: int = 7, mix: float = 0.5) -> tuple[int, int]:
    """Write ``times`` copies of ``corpus`` (the first unchanged) into ``out``; return files and bytes written."""
    forms = [(shown, path.read_text(encoding="utf-8", errors="replace")) for path, shown in collect_inputs([corpus])]
    blocks = [_blocks(text) for _, text in forms]
    donors: dict[str, list[list[str]]] = defaultdict(list)
    for form in blocks:
        for question, answer in form[1]:
            donors[question].append(answer)
    if out.exists():
        shutil.rmtree(out)
    written = size = 0
    for copy in range(times):
        folder = out / f"k{copy:03d}"
        folder.mkdir(parents=True)
        renames: dict[str, str] = {}
        for (shown, text), (head, items) in zip(forms, blocks, strict=True):
            if copy:
                rng = random.Random(f"{seed}:{copy}:{shown}")
                text = _synthesise(head, items, donors, rng, mix, _Renamer(seed, copy, renames))
            target = folder / shown
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            written += 1
            size += len(text.encode("utf-8"))
    return written, size


def _blocks(text: str) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """A form's lines before its first question, and each question's key with its block of lines.

    A block is the question line and the answer lines up to the next question
    or heading; headings and tag lines after a block start a new pseudo-block
    (key ``""``) that is always kept as it is.
    """
    head: list[str] = []
    items: list[tuple[str, list[str]]] = []
    for line in text.split("\n"):
        question = _QUESTION.match(line)
        if question:
            items.append((fold(question.group(1)).strip(), [line]))
        elif not items:
            head.append(line)
        elif _HEADING.match(line) or _TAG.match(line):
            items.append(("", [line]))
        else:
            items[-1][1].append(line)
    return head, items


def _synthesise(head, items, donors, rng: random.Random, mix: float, renamer: _Renamer) -> str:
    lines = list(head)
    for question, block in items:
        if not question:
            lines.extend(block)
            continue
        answer = block[1:]
        others = donors.get(question, [])
        if len(others) > 1 and rng.random() < mix:
            answer = rng.choice(others)[1:]
        names = bool(_NAME_QUESTION.search(question))
        lines.append(block[0])
        lines.extend(renamer.line(line, names) for line in answer)
    return "\n".join(lines)


class _Renamer:
    """Deterministic new names for organisations and new numbers, per copy."""

    def __init__(self, seed: int, copy: int, renames: dict[str, str]) -> None:
        self.seed, self.copy, self.renames = seed, copy, renames

    def line(self, line: str, names: bool) -> str:
        if not line.strip() or line.startswith(("!", "<", "[[", "http")):
            return line
        if names and not line.startswith(">"):
            return self._numbers(self._name(line.rstrip()) if len(line.split()) <= 12 else self._orgs(line))
        return self._numbers(self._orgs(line))

    def _orgs(self, text: str) -> str:
        spans = [(m.start(), m.end()) for m in _KEYWORD_RUN.finditer(text) if _ORG_WORD.search(m.group(0))]
        spans += [(s.start, s.end) for s in gazetteer_spans(text)]
        for start, end in sorted(_outermost(spans), reverse=True):
            text = text[:start] + self._name(text[start:end]) + text[end:]
        return text

    def _name(self, name: str) -> str:
        new = self.renames.get(name)
        if new is None:
            digest = hashlib.sha256(f"{self.seed}:{self.copy}:{name}".encode()).digest()
            new = self.renames[name] = f"{name} {SUFFIXES[digest[0] % len(SUFFIXES)]}"
        return new

    def _numbers(self, text: str) -> str:
        def shift(match: re.Match) -> str:
            digits = match.group(0)
            value = (int(digits) + 1 + self.copy * 7) % (10 ** len(digits))
            return f"{value:0{len(digits)}d}"

        return _NUMBER.sub(shift, text)


def _outermost(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    kept: list[tuple[int, int]] = []
    for start, end in sorted(spans, key=lambda s: (s[0], -s[1])):
        if not kept or start >= kept[-1][1]:
            kept.append((start, end))
    return kept


if __name__ == "__main__":
    main()
