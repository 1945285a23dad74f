"""Draw the countries whose closing forms are hand-linked to the learning plans they close.

Linking is done country by country (a closing form closes a plan of its own
lab), so the draw is of countries: those with at least one closing form and
one learning plan in ``../shared/corpus`` (by their ``[[country:...]]`` tag),
sorted, shuffled with ``random.Random(SEED)``, and given to the splits in
order until each holds its quota of closing forms. Every closing form of a
drawn country is annotated; the learning plans of the country are the
candidates. Each round's draw was fixed and committed before anyone linked
its forms; a round draws only countries no earlier round drew (read from
``roundN.tsv`` beside this script).

Round 1's test split was read once (its first measure is in docs/links.md)
and moved to ``train/`` when round 2 began; so did rounds 2, 3 and 4's when the
next round began.

Run from the repository root:
    python tests/gold/links/draw.py 5 ../shared/corpus > tests/gold/links/round5.tsv
"""

from __future__ import annotations

import random
import sys
from collections import defaultdict
from pathlib import Path

from kg.extract import template_family
from kg.forms import read_form

HERE = Path(__file__).resolve().parent
ROUNDS = {
    1: {"seed": 20261205, "quotas": (("test", 40), ("dev", 20), ("train", 40))},
    2: {"seed": 20261206, "quotas": (("test", 40), ("train", 40))},
    3: {"seed": 20261207, "quotas": (("test", 50), ("train", 30))},
    4: {"seed": 20261208, "quotas": (("test", 60),)},
    5: {"seed": 20261209, "quotas": (("test", 35),)},
}
"""Each round's seed and quotas (closing forms per split, at least)."""
CLOSING = ("closing_form_2021", "closing_form_2023")


def main(round_number: int, corpus: Path) -> None:
    """Print every form of the round's countries: split, country, role (closing or plan), family, year, file, title."""
    seed, quotas = ROUNDS[round_number]["seed"], ROUNDS[round_number]["quotas"]
    earlier = {row.split("\t")[1] for n in range(1, round_number)
               for row in (HERE / f"round{n}.tsv").read_text(encoding="utf-8").splitlines()[1:]}
    forms: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)
    for path in sorted(corpus.glob("*.md")):
        form = read_form(path, path.name)
        family, country, year = template_family(form), form.first_tag("country"), form.first_tag("year")
        if country is None or family not in (*CLOSING, "learning_plan"):
            continue
        forms[country.value.strip()].append((family, year.value.strip() if year else "", path.name, form.title))
    countries = sorted(
        c for c, rows in forms.items() if _closing(rows) and len(rows) > len(_closing(rows)) and c not in earlier
    )
    random.Random(seed).shuffle(countries)
    print("split\tcountry\trole\tfamily\tyear\tfile\ttitle")
    drawn = iter(countries)
    for split, quota in quotas:
        count = 0
        while count < quota:
            country = next(drawn)
            count += len(_closing(forms[country]))
            for family, year, name, title in sorted(forms[country], key=lambda row: (row[1], row[2])):
                role = "closing" if family in CLOSING else "plan"
                print(f"{split}\t{country}\t{role}\t{family}\t{year}\t{name}\t{' '.join(title.split())}")


def _closing(rows: list[tuple[str, str, str, str]]) -> list:
    return [row for row in rows if row[0] in CLOSING]


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]))
