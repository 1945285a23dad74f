"""The engine's small parts, on tiny inputs with hand-computed answers (the whole engine: test_pipeline.py)."""

from __future__ import annotations

import kg.engine.ner_memo
from kg.engine.keys import digest, nquads, parsed_quads
from kg.engine.ner_memo import NerMemo


def test_the_ner_memo_runs_the_model_only_on_texts_it_does_not_hold(monkeypatch) -> None:
    asked: list[list[str]] = []

    def model(texts: list[str]):
        asked.append(texts)
        return [((0, len(text)),) for text in texts]

    monkeypatch.setattr(kg.engine.ner_memo, "model_entities", model)
    known = {"UNICEF helped.": ((0, 6),)}
    memo = NerMemo(known)
    assert memo(["UNICEF helped.", "The Red Cross came."]) == [((0, 6),), ((0, 19),)]
    assert asked == [["The Red Cross came."]]
    assert memo(["The Red Cross came."]) == [((0, 19),)] and len(asked) == 1  # remembered now
    assert memo.take_additions() == {"The Red Cross came.": ((0, 19),)}
    assert memo.take_additions() == {}  # given once
    assert known == {"UNICEF helped.": ((0, 6),)}  # the caller's memo is left as it was


def test_without_the_model_the_memo_says_so_only_when_a_text_is_new(monkeypatch) -> None:
    monkeypatch.setattr(kg.engine.ner_memo, "model_entities", lambda texts: None)
    memo = NerMemo({"Known.": ()})
    assert memo(["Known."]) == [()]
    assert memo(["Known.", "New text."]) is None


def test_quad_keys_round_trip_through_n_quads() -> None:
    key = ("<https://e.org/s>", "<https://e.org/p>", '"Fundación Ñandú"@es', "<https://e.org/g>")
    assert nquads([key]) == ['<https://e.org/s> <https://e.org/p> "Fundación Ñandú"@es <https://e.org/g> .\n']
    [quad] = parsed_quads([key])
    assert (str(quad.subject), str(quad.predicate), str(quad.object), str(quad.graph_name)) == key
    assert digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # sha256 of "abc"
