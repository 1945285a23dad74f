"""Pseudonymise personal data before it reaches any output.

Focal-point e-mails, e-mail addresses anywhere in answers, and the answers to
questions that name people (experimenters, innovators, solution holders and
their contacts) are replaced by stable pseudonyms: ``person-`` and the first
12 hex digits of an HMAC-SHA256 of the folded value under a key. The same
person gets the same pseudonym in every form and every build with the same
key; the key comes from ``--pseudonym-key`` or ``KG_PSEUDONYM_KEY``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re

__all__ = ["Pseudonymiser", "DEFAULT_KEY", "is_personal_question"]

DEFAULT_KEY = "portfolio-kg"

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_PERSONAL_QUESTION = re.compile(
    r"name of the experimenter|prepared by|name of the innovator|who lead the solution|who led the solution|"
    r"name of the solution holder|contact the solution holder|contact person|phone|e-?mail address|"
    r"name of the (focal point|applicant|participant|team lead)",
    re.I,
)


def is_personal_question(question: str) -> bool:
    """True when the answer to ``question`` names or reaches a person."""
    return bool(_PERSONAL_QUESTION.search(question))


class Pseudonymiser:
    """Replace personal values by keyed, stable pseudonyms (or keep them, if disabled)."""

    def __init__(self, key: str | None = None, enabled: bool = True) -> None:
        self.key = (key or os.environ.get("KG_PSEUDONYM_KEY") or DEFAULT_KEY).encode("utf-8")
        self.enabled = enabled

    def person(self, value: str) -> str:
        """The pseudonym of a person's name, e-mail or contact."""
        if not self.enabled or not value.strip():
            return value
        folded = " ".join(value.casefold().split())
        digest = hmac.new(self.key, folded.encode("utf-8"), hashlib.sha256).hexdigest()
        return f"person-{digest[:12]}"

    def text(self, value: str) -> str:
        """``value`` with every e-mail address replaced by its pseudonym."""
        if not self.enabled or "@" not in value:
            return value
        return _EMAIL.sub(lambda m: self.person(m.group(0)), value)

    def answer(self, question: str, value: str, known: tuple[str, ...] = ()) -> str:
        """An answer as it may be published: pseudonymised whole if the question is personal.

        ``known`` lists the form's personal values (see :meth:`personal_values`);
        where one of them recurs in other answers it is replaced there too.
        """
        if self.enabled and value.strip() and is_personal_question(question):
            return self.person(value)
        text = self.text(value)
        if self.enabled:
            for name in known:
                if name in text:
                    text = text.replace(name, self.person(name))
        return text

    def personal_values(self, items) -> tuple[str, ...]:
        """The names and contacts a form's personal questions give, longest first."""
        if not self.enabled:
            return ()
        values = {
            line.text.strip()
            for item in items
            if is_personal_question(item.question)
            for line in item.content_lines()
            if len(line.text.strip()) >= 4
        }
        return tuple(sorted(values, key=lambda v: (-len(v), v)))
