"""Read one SDG Commons Markdown export into a plain :class:`Form`.

The archive writes a title (``# ...``), ``[[key:value]]`` tag lines, then
``## Section`` headings with an optional ``**lead**`` line, ``> question``
lines, free-text answers, ``- option`` lines for checked boxes, image links
and ``<div class="group">`` blocks that repeat a question (once per partner,
say). The reader keeps all of it with line numbers, decodes HTML entities,
strips stray formatting HTML and never raises on odd input: every problem
becomes a :class:`Message` naming the line.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Message",
    "Tag",
    "AnswerLine",
    "Item",
    "Section",
    "Form",
    "read_form",
    "parse_form",
    "decode_bytes",
]


@dataclass(frozen=True)
class Message:
    """A warning or error about an input file, with its line (0 = whole file)."""

    level: str
    code: str
    text: str
    line: int = 0

    def format(self, path: str) -> str:
        """Return ``path:line: level: text [code]`` for people and logs."""
        where = f"{path}:{self.line}" if self.line else path
        return f"{where}: {self.level}: {self.text} [{self.code}]"


@dataclass(frozen=True)
class Tag:
    """One ``[[key:value]]`` tag line."""

    key: str
    value: str
    line: int


@dataclass(frozen=True)
class AnswerLine:
    """One line of an answer: ``text``, ``option`` (checked box), ``image``, ``link`` or ``blank``."""

    kind: str
    text: str
    line: int
    url: str = ""


@dataclass
class Item:
    """A question (``> ...``; empty for free text) and the lines that answer it.

    ``group`` numbers the ``<div class="group">`` block holding the item (None
    outside groups); ``repeat`` counts earlier items of the same section with
    the same question, so the n-th partner of a repeated group has repeat n.
    """

    question: str
    line: int
    section: int
    group: int | None = None
    repeat: int = 0
    lines: list[AnswerLine] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The answer's text and link lines, blank lines kept as paragraph breaks."""
        kept = [ln.text if ln.kind != "blank" else "" for ln in self.lines if ln.kind in ("text", "link", "blank")]
        return "\n".join(kept).strip()

    @property
    def options(self) -> list[str]:
        """The checked options (``- option`` lines) in order."""
        return [ln.text for ln in self.lines if ln.kind == "option"]

    @property
    def images(self) -> list[AnswerLine]:
        """The image lines (``![alt](url)``)."""
        return [ln for ln in self.lines if ln.kind == "image"]

    @property
    def urls(self) -> list[str]:
        """Every URL in the answer, images included, in order and without repeats."""
        seen: dict[str, None] = {}
        for ln in self.lines:
            if ln.url:
                seen.setdefault(ln.url, None)
            for url in _URL.findall(ln.text):
                seen.setdefault(url.rstrip(".,;)"), None)
        return list(seen)

    @property
    def is_empty(self) -> bool:
        """True when the question has no answer of any kind."""
        return all(ln.kind == "blank" for ln in self.lines)

    def content_lines(self) -> list[AnswerLine]:
        """The non-blank lines of the answer."""
        return [ln for ln in self.lines if ln.kind != "blank"]


@dataclass
class Section:
    """A ``## heading`` with its optional ``**lead**`` line; index 0 is the preamble."""

    index: int
    title: str
    line: int
    lead: str = ""


@dataclass
class Form:
    """Everything read from one form file."""

    path: str
    title: str = ""
    title_line: int = 0
    tags: list[Tag] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    encoding: str = "utf-8"
    sha256: str = ""
    n_lines: int = 0

    def tag_values(self, key: str) -> list[Tag]:
        """The tags named ``key``, in order."""
        return [tag for tag in self.tags if tag.key == key]

    def first_tag(self, key: str) -> Tag | None:
        """The first tag named ``key``, or None."""
        return next((tag for tag in self.tags if tag.key == key), None)

    def section_of(self, item: Item) -> Section:
        """The section that holds ``item``."""
        return self.sections[item.section]

    def warn(self, code: str, text: str, line: int = 0) -> None:
        """Record a warning about this form."""
        self.messages.append(Message("warning", code, text, line))

    def error(self, code: str, text: str, line: int = 0) -> None:
        """Record an error about this form (the rest of the build goes on)."""
        self.messages.append(Message("error", code, text, line))


def read_form(path: str | Path, display_path: str | None = None) -> Form:
    """Read and parse the form at ``path``; never raises for bad content.

    ``display_path`` names the file in messages and outputs (a path relative
    to the build's source folder, so outputs do not depend on where it lies).
    An unreadable file gives a form with one error message.
    """
    shown = display_path or str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        form = Form(path=shown)
        form.error("unreadable", f"cannot read file: {exc.strerror or exc}")
        return form
    return parse_bytes(data, shown)


def parse_bytes(data: bytes, path: str) -> Form:
    """Decode ``data`` and parse it as the form named ``path``."""
    digest = hashlib.sha256(data).hexdigest()
    text, encoding, messages = decode_bytes(data)
    if text is None:
        form = Form(path=path, sha256=digest, encoding=encoding)
        form.messages.extend(messages)
        return form
    form = parse_form(text, path)
    form.sha256 = digest
    form.encoding = encoding
    form.messages[:0] = messages
    return form


def decode_bytes(data: bytes) -> tuple[str | None, str, list[Message]]:
    """Decode a form's bytes: UTF-8 (BOM allowed), else cp1252, else latin-1.

    Returns the text (None for binary data), the encoding used and messages.
    """
    if b"\x00" in data[:65536]:
        return None, "binary", [Message("error", "binary", "binary file (NUL bytes), not a text form")]
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        for encoding in ("cp1252", "latin-1"):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            note = f"not valid UTF-8 (first bad byte on this line); decoded as {encoding}"
            return text, encoding, [Message("warning", "legacy-encoding", note, line)]
    raise AssertionError("latin-1 decodes every byte string")  # pragma: no cover


def parse_form(text: str, path: str = "<string>") -> Form:
    """Parse the text of one form into a :class:`Form`.

    Text is NFC-normalised (some exports decompose accents: ``e`` + U+0301).
    Lines end in LF or CRLF; a file with only CRs (old Mac) is split on CR,
    while a lone CR inside a LF file is a line break within an answer and
    becomes a space.
    """
    form = Form(path=path)
    parser = _Parser(form)
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n"))
    if "\r" in text and "\n" not in text:
        text = text.replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    form.n_lines = len(lines)
    for number, raw in enumerate(lines, start=1):
        parser.feed(raw, number)
    parser.finish()
    _dedupe_tags(form)
    _number_repeats(form)
    if not text.strip():
        form.warn("empty", "empty file: no title, tags or answers")
    elif not form.title:
        form.warn("no-title", "no '# title' line")
    return form


_TAG_LINE = re.compile(r"^\s*(?:\[\[[^\[\]]*\]\]\s*)+$")
_TAG = re.compile(r"\[\[([^\[\]:]*):?([^\[\]]*)\]\]")
_TAG_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
_GROUP_OPEN = re.compile(r"^\s*<div\s+class=[\"']group[\"']\s*>\s*$", re.I)
_DIV_OPEN = re.compile(r"<div\b[^>]*>", re.I)
_DIV_CLOSE = re.compile(r"</div\s*>", re.I)
_FORMAT_TAGS = (
    "div|br|p|span|font|b|i|u|em|strong|small|sup|sub|a|ul|ol|li|table|tbody|thead|tr|td|th|"
    "h[1-6]|o:p|hr|section|article|blockquote|code|pre|mark|s|strike|del|ins|center|label|img"
)
_STRAY_HTML = re.compile(rf"</?(?:{_FORMAT_TAGS})(?:\s[^<>]*)?/?>", re.I)
_BR = re.compile(r"<br\s*/?>", re.I)
_HEADING = re.compile(r"^(#{1,6})(?:\s+(.*?))?\s*$")
_LEAD = re.compile(r"^\*\*(.*)\*\*$")
_OPTION = re.compile(r"^\s*[-*]\s+(.*\S)\s*$")
_IMAGE = re.compile(r"^\s*!\[([^\]]*)\]\(([^)\s]*)[^)]*\)\s*$")
_LINK_ONLY = re.compile(r"^\s*(?:\[([^\]]*)\]\((\S+?)\)|<?(https?://\S+?)>?)\s*$")
_BREAK = "\ue000"  # a line break inside one exported line (a private-use character no form holds)
# The export writes some answers' line breaks as a no-break space beside other spaces ("Acme –
# seeds\xa0 Beta Ltd – tools"): such a run is a break, a lone no-break space ("10\xa0km") is not.
# The break is taken only before what starts a line: a capital, a digit or an opening quote, never a dash
# or a lower-case word ("Ministry of ICT\xa0 - made use of ..." is one line).
_LOST_BREAK = re.compile(r"(?:[ \t]*\xa0[ \t\xa0]+|[ \t]+\xa0[ \t\xa0]*)(?=[^\W\d_a-zß-ÿ]|\d|[\"«“„‘(])")
_CONTROL = re.compile(r"[\x0b-\x0d\x1c-\x1f\x85\u2028\u2029]")  # line and field separators: spaces
_INVISIBLE = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")  # stray controls (PDF soft hyphens as \x02): dropped
_URL = re.compile(r"https?://[^\s<>\"')\]]+")


class _Parser:
    """A line-by-line state machine that fills a :class:`Form`."""

    def __init__(self, form: Form) -> None:
        self.form = form
        self.section = Section(0, "", 0)
        form.sections.append(self.section)
        self.item: Item | None = None
        self.expect_lead = False
        self.group: int | None = None
        self.group_depth = 0
        self.groups_seen = 0
        self.pending_title = False

    def feed(self, raw: str, number: int) -> None:
        raw = raw.replace("\ufeff", "")
        if "\xa0" in raw:
            raw = _LOST_BREAK.sub(_BREAK, raw)
        line = _CONTROL.sub(" ", _INVISIBLE.sub("", raw.replace("\xa0", " "))).rstrip()
        if _BREAK in line and not line.replace(_BREAK, " ").strip():
            line = ""
        if _BREAK in line and line.lstrip().startswith(("[[", "#", ">", "<div", "</div")):
            line = line.replace(_BREAK, " ")
        if self.pending_title and line.strip():
            self.pending_title = False
            if not line.lstrip().startswith(("[[", "#", ">", "<")):
                self.form.title = _clean_text(_clean_html(line).replace(_BREAK, " "))
                self.form.title_line = number
                return
        if _GROUP_OPEN.match(line):
            self._open_group(number)
            return
        if self.group is not None and self._closes_group(line):
            before = _DIV_CLOSE.split(line, maxsplit=1)
            if before[0].strip():
                self._feed_content(before[0], number)
            self._close_group()
            line = before[1] if len(before) > 1 else ""
        self._feed_content(line, number)

    def _feed_content(self, line: str, number: int) -> None:
        if line.lstrip().startswith("[["):
            if self._feed_tags(line, number):
                return
        clean = _clean_html(line)
        plain = clean.replace(_BREAK, " ")
        if not plain.strip():
            self._blank(number, had_markup=bool(line.strip()))
            return
        heading = _HEADING.match(plain) if plain.startswith("#") else None
        if heading:
            self._heading(len(heading.group(1)), heading.group(2) or "", number)
            return
        if self.expect_lead:
            lead = _LEAD.match(plain.strip())
            self.expect_lead = False
            if lead:
                self.section.lead = lead.group(1).strip()
                return
        if plain.startswith(">"):
            self._question(plain[1:].strip(), number)
            return
        self._answer(clean, number)

    def finish(self) -> None:
        if self.group is not None:
            self.form.warn("unclosed-group", 'a <div class="group"> block is never closed', self.group_line)
        self._end_item()

    def _open_group(self, number: int) -> None:
        if self.group is not None:
            self.form.warn("nested-group", "group block opened inside another; closing the first", number)
        self._end_item()
        self.groups_seen += 1
        self.group = self.groups_seen
        self.group_line = number
        self.group_depth = 1

    def _closes_group(self, line: str) -> bool:
        self.group_depth += len(_DIV_OPEN.findall(line)) - len(_DIV_CLOSE.findall(line))
        return self.group_depth <= 0

    def _close_group(self) -> None:
        self._end_item()
        self.group = None
        self.group_depth = 0

    def _feed_tags(self, line: str, number: int) -> bool:
        """Record the tags on a tag line; False if the line is not one."""
        if not _TAG_LINE.match(line):
            if "]]" not in line:
                self.form.warn("unclosed-tag", f"tag line without closing ']]': {line.strip()[:80]!r}", number)
                return True
            return False
        for key, value in _TAG.findall(line):
            key = key.strip()
            if not _TAG_KEY.match(key):
                self.form.warn("bad-tag", f"tag without a valid key: {line.strip()[:80]!r}", number)
                continue
            value = html.unescape(value).strip()
            if not value:
                self.form.warn("empty-tag", f"tag [[{key}:]] has no value", number)
                continue
            self.form.tags.append(Tag(key.lower(), value, number))
        return True

    def _blank(self, number: int, had_markup: bool) -> None:
        if self.item is not None and self.item.lines:
            self.item.lines.append(AnswerLine("blank", "", number))

    def _heading(self, level: int, title: str, number: int) -> None:
        if level == 1 and not self.form.title and self.section.index == 0 and not self.form.items:
            self.form.title = _clean_text(title)
            self.form.title_line = number
            self.pending_title = not self.form.title
            return
        if level == 1:
            self._answer(title, number)
            return
        self._end_item()
        self.section = Section(len(self.form.sections), _clean_text(title), number)
        self.form.sections.append(self.section)
        self.expect_lead = True

    def _question(self, question: str, number: int) -> None:
        self._end_item()
        self.item = Item(_clean_text(question), number, self.section.index, self.group)

    def _answer(self, text: str, number: int) -> None:
        """An answer line; a line whose breaks the export lost (see ``_LOST_BREAK``) gives one answer line per part."""
        if self.item is None:
            self.item = Item("", number, self.section.index, self.group)
        for part in text.split(_BREAK):
            if part.strip():
                self.item.lines.append(_answer_line(part, number))

    def _end_item(self) -> None:
        item = self.item
        if item is None:
            return
        while item.lines and item.lines[-1].kind == "blank":
            item.lines.pop()
        self.form.items.append(item)
        self.item = None


def _answer_line(text: str, number: int) -> AnswerLine:
    image = _IMAGE.match(text)
    if image:
        return AnswerLine("image", _clean_text(image.group(1)), number, image.group(2))
    link = _LINK_ONLY.match(text)
    if link:
        url = link.group(2) or link.group(3)
        return AnswerLine("link", _clean_text(link.group(1) or url), number, url)
    option = _OPTION.match(text)
    if option:
        return AnswerLine("option", _clean_text(option.group(1)), number)
    return AnswerLine("text", _clean_text(text), number)


def _clean_html(line: str) -> str:
    """Drop stray formatting HTML (``<div><br></div>``) but keep other text."""
    if "<" not in line:
        return line
    return _STRAY_HTML.sub("", _BR.sub(_BREAK, line))


def _clean_text(text: str) -> str:
    """Decode HTML entities and fold runs of spaces."""
    return re.sub(r"[ \t]{2,}", " ", html.unescape(text).replace("\xa0", " ")).strip()


def _dedupe_tags(form: Form) -> None:
    """Keep each (key, value) tag once: repeated tag blocks count once."""
    seen: set[tuple[str, str]] = set()
    unique: list[Tag] = []
    for tag in form.tags:
        if (tag.key, tag.value) not in seen:
            seen.add((tag.key, tag.value))
            unique.append(tag)
    form.tags = unique


def _number_repeats(form: Form) -> None:
    """Set :attr:`Item.repeat`: how often the question came before in its section."""
    counts: dict[tuple[int, str], int] = {}
    for item in form.items:
        key = (item.section, item.question.casefold())
        item.repeat = counts.get(key, 0)
        counts[key] = item.repeat + 1
