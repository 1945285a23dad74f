"""Draw the countries whose closing forms are hand-linked to the learning plans they close.

Linking is done country by country (a closing form closes a plan of its own
lab), so the draw is of countries: those with at least one closing form and
one learning plan in ``../shared/corpus`` (by their ``[[country:...]]`` tag),
sorted, shuffled with ``random.Random(SEED)``, and given to the splits in
order until each holds its quota of closing forms. Every closing form of a
drawn country is annotated; the learning plans of the country are the
candidates. The draw was fixed and committed before anyone linked a form.

Run from the repository root:
    python tests/gold/links/draw.py ../shared/corpus > tests/gold/links/draw.tsv
"""

from __future__ import annotations

import random
import sys
from collections import defaultdict
from pathlib import Path

from kg.extract import template_family
from kg.forms import read_form

SEED = 20261205
QUOTAS = (("test", 40), ("dev", 20), ("train", 40))  # closing forms per split, at least
CLOSING = ("closing_form_2021", "closing_form_2023")


def main(corpus: Path) -> None:
    """Print every form of the drawn countries: split, country, role (closing or plan), family, year, file, title."""
    forms: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)
    for path in sorted(corpus.glob("*.md")):
        form = read_form(path, path.name)
        family, country, year = template_family(form), form.first_tag("country"), form.first_tag("year")
        if country is None or family not in (*CLOSING, "learning_plan"):
            continue
        forms[country.value.strip()].append((family, year.value.strip() if year else "", path.name, form.title))
    countries = sorted(c for c, rows in forms.items() if _closing(rows) and len(rows) > len(_closing(rows)))
    random.Random(SEED).shuffle(countries)
    print("split\tcountry\trole\tfamily\tyear\tfile\ttitle")
    drawn = iter(countries)
    for split, quota in QUOTAS:
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
    main(Path(sys.argv[1]))
