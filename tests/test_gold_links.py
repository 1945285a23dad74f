"""The hand-made links of tests/gold/links (train and dev): one file per drawn closing form, naming its candidates.

The frozen test split is read only by ``kg eval tests/gold/links --split test``; these checks read train and dev.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

LINKS = Path(__file__).resolve().parent / "gold" / "links"


MOVED = {("1", "test"): "train", ("2", "test"): "train", ("3", "test"): "train", ("4", "test"): "train"}  # test splits read once become train data in the next round


def _draw() -> list[dict]:
    """Every drawn form of every round, with the folder its gold is in now (``split``)."""
    rows = []
    for path in sorted(LINKS.glob("round*.tsv")):
        number = path.stem.removeprefix("round")
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                rows.append({**row, "split": MOVED.get((number, row["split"]), row["split"])})
    return rows


@pytest.mark.parametrize("split", ["train", "dev"])
def test_every_drawn_closing_form_has_one_gold_file_and_links_only_its_country_s_earlier_plans(split: str) -> None:
    rows = [row for row in _draw() if row["split"] == split]
    closing = {row["file"]: row for row in rows if row["role"] == "closing"}
    plans = {row["file"]: row for row in rows if row["role"] == "plan"}
    files = sorted((LINKS / split).glob("*.json"))
    annotated = {path.name.removesuffix(".json") + ".md" for path in files}
    assert annotated <= set(closing)
    if split == "dev":  # train grows while a round's forms are linked
        assert annotated == set(closing)
    for path in files:
        gold = json.loads(path.read_text(encoding="utf-8"))
        form = closing[gold["file"]]
        assert gold["country"] == form["country"] and isinstance(gold["sure"], bool) and gold["evidence"]
        for plan in gold["closes"]:
            assert plans[plan]["country"] == form["country"], plan
            assert int(plans[plan]["year"]) <= int(form["year"]), plan
        assert "@" not in json.dumps(gold)  # no focal point's address


def test_the_draw_gives_each_country_to_one_split() -> None:
    splits: dict[str, set[str]] = {}
    for row in _draw():
        splits.setdefault(row["country"], set()).add(row["split"])
    assert all(len(found) == 1 for found in splits.values())
    assert len(splits) == 27 + 16 + 18 + 16 + 11
