"""Draw the second round of gold forms: a seeded random draw, stratified by template family.

The draw is fixed before anyone reads the extractor's output on these forms.
Each family's forms are sorted by file name, shuffled with ``random.Random(SEED)``
and the first ``QUOTA[family]`` not already annotated are taken. Each drawn form
is then given a split (train, dev or test) by a second seeded shuffle within
its family, in the shares ``SPLIT_SHARES``.

Run from the repository root:  python tests/gold/draws/draw.py ../shared/corpus > tests/gold/draws/round2.tsv
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from kg.extract import template_family
from kg.forms import read_form

SEED = 20261204
QUOTA = {"closing_form_2021": 32, "closing_form_2023": 30, "learning_plan": 26, "experiment": 26,
         "solution": 10, "innovation": 6}
SPLIT_SHARES = (("test", 0.45), ("dev", 0.25), ("train", 0.30))


def main(corpus: Path) -> None:
    annotated = {p.stem for p in Path(__file__).resolve().parents[1].rglob("*.json")}
    by_family: dict[str, list[str]] = {}
    for path in sorted(corpus.glob("*.md")):
        family = template_family(read_form(path, path.name))
        by_family.setdefault(family, []).append(path.name)
    print("file\tfamily\tsplit")
    for family, quota in QUOTA.items():
        files = [f for f in by_family.get(family, []) if Path(f).stem not in annotated]
        random.Random(f"{SEED}:{family}").shuffle(files)
        drawn = sorted(files[:quota])
        random.Random(f"{SEED}:{family}:split").shuffle(drawn)
        cut, start = [], 0
        for name, share in SPLIT_SHARES:
            size = round(share * quota) if name != "train" else quota - start
            cut.append((name, drawn[start:start + size]))
            start += size
        for split, names in cut:
            for name in sorted(names):
                print(f"{name}\t{family}\t{split}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
