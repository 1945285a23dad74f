"""Draw a round of gold forms: a seeded random draw, stratified by template family.

Each round is fixed before anyone reads the extractor's output on its forms.
Within a round, each family's forms are sorted by file name, shuffled with
``random.Random(f"{seed}:{family}")``, and the first ``quota`` forms not drawn in an
earlier round are taken. Each drawn form is then given a split by a second
seeded shuffle within its family, in the round's shares.

Earlier rounds are read from this folder (``round1.tsv``, ``roundN.tsv``), so a
round's draw stays the same however many forms are annotated later. Round 2
excluded only round 1's gold set, not its holdout (a bug, kept so that round 2
reproduces; docs/accuracy.md tells its consequence); later rounds exclude every
form drawn before.

Run from the repository root:
    python tests/gold/draws/draw.py 3 ../shared/corpus > tests/gold/draws/round3.tsv

Round 4 was drawn and annotated ahead of its round (its annotations waited, unread, until
the round started). Round 5 is train only: more hand-annotated forms for the models to learn
from, weighted to the 2021-23 closing forms whose partners are named in prose. Round 6 was,
like round 4, drawn and annotated ahead of its round; only 22 closing forms 2021-23 were left
undrawn in the archive, so that family has 22.
Round 7 draws no closing form 2021-23 (none is left undrawn) and the last 6 closing forms
2023-25; its test split was annotated, before anyone read the extractor's output on it, by
people who never ran the tool and reported counts only. Round 8 was drawn the same day, after
round 7's test was read: learning plans and experiments, the families left in the archive.
Round 9 adds data only: its train share is annotated to measure, on its test share, what more
training forms alone bring.
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

from kg.extract import template_family
from kg.forms import read_form

HERE = Path(__file__).resolve().parent
ROUNDS = {
    2: {"seed": 20261204,
        "quota": {"closing_form_2021": 32, "closing_form_2023": 30, "learning_plan": 26, "experiment": 26,
                  "solution": 10, "innovation": 6},
        "shares": (("test", 0.45), ("dev", 0.25), ("train", 0.30))},
    3: {"seed": 20261205,
        "quota": {"closing_form_2021": 36, "closing_form_2023": 30, "learning_plan": 30, "experiment": 24,
                  "solution": 8, "innovation": 4},
        "shares": (("test", 0.60), ("train", 0.40))},
    4: {"seed": 20261206,
        "quota": {"closing_form_2021": 44, "closing_form_2023": 24, "learning_plan": 26, "experiment": 20,
                  "solution": 6, "innovation": 2},
        "shares": (("test", 0.50), ("train", 0.50))},
    5: {"seed": 20261207,
        "quota": {"closing_form_2021": 80, "closing_form_2023": 16, "learning_plan": 24, "experiment": 16},
        "shares": (("train", 1.0),)},
    6: {"seed": 20261208,
        "quota": {"closing_form_2021": 40, "closing_form_2023": 24, "learning_plan": 26, "experiment": 24,
                  "solution": 6, "innovation": 2},
        "shares": (("test", 0.50), ("train", 0.50))},
    7: {"seed": 20261210,
        "quota": {"learning_plan": 30, "experiment": 24, "closing_form_2023": 6, "solution": 6, "innovation": 4},
        "shares": (("test", 0.50), ("train", 0.50))},
    8: {"seed": 20261211,
        "quota": {"learning_plan": 40, "experiment": 24, "solution": 4, "innovation": 2},
        "shares": (("test", 0.60), ("train", 0.40))},
    9: {"seed": 20261212,
        "quota": {"learning_plan": 60, "experiment": 30, "solution": 6, "innovation": 4},
        "shares": (("test", 0.40), ("train", 0.60))},
}


def main(round_number: int, corpus: Path) -> None:
    """Print the round's drawn forms as a TSV of file, family and split."""
    spec = ROUNDS[round_number]
    excluded = earlier_rounds(round_number)
    by_family: dict[str, list[str]] = {}
    for path in sorted(corpus.glob("*.md")):
        family = template_family(read_form(path, path.name))
        by_family.setdefault(family, []).append(path.name)
    print("file\tfamily\tsplit")
    for family, quota in spec["quota"].items():
        files = [f for f in by_family.get(family, []) if f not in excluded]
        random.Random(f"{spec['seed']}:{family}").shuffle(files)
        drawn = sorted(files[:quota])
        random.Random(f"{spec['seed']}:{family}:split").shuffle(drawn)
        for split, names in split_shares(drawn, spec["shares"]):
            for name in sorted(names):
                print(f"{name}\t{family}\t{split}")


def earlier_rounds(round_number: int) -> set[str]:
    """File names drawn in rounds before ``round_number`` (round 1 was chosen by hand)."""
    excluded = {row["file"] for row in read_tsv(HERE / "round1.tsv")
                if round_number > 2 or row["set"] == "gold"}
    for earlier in range(2, round_number):
        excluded |= {row["file"] for row in read_tsv(HERE / f"round{earlier}.tsv")}
    return excluded


def read_tsv(path: Path) -> list[dict[str, str]]:
    """The rows of a tab-separated file with a header line."""
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def split_shares(drawn: list[str], shares) -> list[tuple[str, list[str]]]:
    """Cut ``drawn`` into consecutive parts of the given shares; the last part takes the rest."""
    cut, start = [], 0
    for index, (name, share) in enumerate(shares):
        size = round(share * len(drawn)) if index < len(shares) - 1 else len(drawn) - start
        cut.append((name, drawn[start:start + size]))
        start += size
    return cut


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]))
