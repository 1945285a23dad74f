"""spaCy's entities remembered across builds, so spaCy reads a text once.

The model's ORG entities of a text do not depend on the other texts of its
batch, so a memo made by the same model (the cache keeps one per model
version) gives the same spans as running it again. A :class:`NerMemo` is
the :data:`kg.ner.EntityReader` the build's workers pass to the extractor.
"""

from __future__ import annotations

from kg.ner import Offsets, model_entities

__all__ = ["NerMemo"]


class NerMemo:
    """Reads spaCy's entities from the memo, running the model only on texts it does not hold."""

    def __init__(self, known: dict[str, Offsets]) -> None:
        self.known = dict(known)  # the caller's memo stays as it was
        self.added: dict[str, Offsets] = {}  # texts the model read since the last :meth:`take_additions`

    def __call__(self, texts: list[str]) -> list[Offsets] | None:
        """The entities of each text: remembered, or read by the model (None if it is missing and needed)."""
        new = [text for text in texts if text not in self.known]
        if new:
            found = model_entities(new)
            if found is None:
                return None
            self.added.update(zip(new, found, strict=True))
            self.known.update(zip(new, found, strict=True))
        return [self.known[text] for text in texts]

    def take_additions(self) -> dict[str, Offsets]:
        """The texts the model read since the last call, with their entities (then forgotten here)."""
        added, self.added = self.added, {}
        return added
