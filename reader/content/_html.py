"""From page bytes to a flat list of readable blocks, in reading order.

The walk over the tree is iterative (an explicit stack), so a page nested thousands of levels
deep is read like any other: no recursion limit, and no depth below which structure is lost.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from bs4 import BeautifulSoup, ParserRejectedMarkup, Tag
from bs4.element import NavigableString, PageElement, PreformattedString

from reader.content.models import BlockKind
from reader.errors import ContentError

SKIPPED_TAGS = frozenset(
    {
        "aside", "audio", "button", "canvas", "datalist", "dialog", "embed", "head", "iframe",
        "img", "input", "label", "link", "map", "math", "meta", "meter", "nav", "noscript",
        "object", "option", "optgroup", "output", "picture", "progress", "script", "select",
        "style", "svg", "template", "textarea", "title", "video",
    }
)  # fmt: skip
"""Never read: navigation, scripts, form controls, embedded media."""

LANDMARK_TAGS = frozenset({"header", "footer"})
"""Site chrome when they belong to the page as a whole (not to an article or section)."""

_SCOPING_TAGS = frozenset({"article", "aside", "main", "nav", "section"})

BLOCK_TAGS = frozenset(
    {
        "address", "article", "blockquote", "body", "caption", "center", "dd", "details", "div",
        "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
        "h5", "h6", "header", "hgroup", "hr", "html", "legend", "li", "main", "menu", "ol", "p",
        "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
"""Elements that start a new block; everything else is running text."""

HEADING_LEVELS = {f"h{level}": level for level in range(1, 7)}
LIST_TAGS = frozenset({"ol", "ul", "menu"})
BULLET = "•"

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# What XML 1.0 cannot carry (C0 controls but tab, newline and carriage return; surrogates;
# U+FFFE/U+FFFF), and the C1 controls and noncharacters no reader means: removed from all page
# text, so the feed, the captions, the JSON, the ID3 tags and the logs never meet them.
_UNSAFE_CHARS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
)
_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([a-zA-Z0-9_.:-]+)", re.IGNORECASE)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# As browsers do (WHATWG Encoding), a page declaring Latin-1 or ASCII is read as windows-1252.
_ENCODING_ALIASES = {"iso8859-1": "cp1252", "ascii": "cp1252"}

_Opened = Literal["inline", "anchor", "block", "context"]
"""What opening an element did, so that closing it undoes exactly that."""


@dataclass
class RawBlock:
    """A block as found in the page, before it is split into sentences."""

    kind: BlockKind
    segments: list[str]
    """The text, split where the page has a line break (``<br>``)."""
    level: int = 0
    marker: str | None = None
    href: str | None = None

    @property
    def text(self) -> str:
        return " ".join(self.segments)


def parse_html(data: bytes, source: str) -> BeautifulSoup:
    text = decode_html(data, source)
    if not text.strip():
        raise ContentError(f"{source}: the page is empty")
    if "<" not in text:
        raise ContentError(f"{source}: the page has no HTML markup")
    try:
        soup = BeautifulSoup(_UNSAFE_CHARS.sub("", text), "html.parser")
    except ParserRejectedMarkup as error:
        raise ContentError(f"{source}: the HTML cannot be parsed ({error})") from None
    # Character references ("&#1;", "&#xFFFF;") are decoded by the parser, after the raw text
    # was cleaned, so every decoded string and attribute is cleaned again.
    for string in soup.find_all(string=_UNSAFE_CHARS):
        string.replace_with(_UNSAFE_CHARS.sub("", string))
    for tag in soup.find_all(True):
        for name, value in tag.attrs.items():
            if isinstance(value, str) and _UNSAFE_CHARS.search(value):
                tag[name] = _UNSAFE_CHARS.sub("", value)
    return soup


def decode_html(data: bytes, source: str) -> str:
    """Decode as a browser would: byte order mark, then ``<meta charset>``, then UTF-8."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _check_text(_decode(data[len(bom) :], encoding, source), source)
    if b"\x00" in data:
        raise ContentError(f"{source}: contains NUL bytes; this is not an HTML text file")
    declared = _declared_encoding(data[:1024])
    if declared:
        return _check_text(_decode(data, declared, source), source)
    try:
        return _check_text(data.decode("utf-8"), source)
    except UnicodeDecodeError:
        # Without a declaration, legacy pages are most likely windows-1252.
        return _check_text(_decode(data, "cp1252", source), source)


def _declared_encoding(head: bytes) -> str | None:
    match = _META_CHARSET.search(head)
    if not match:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii")).name
        b"a".decode(name, "ignore")  # refuses codecs that are not text ("base64", "rot13")
    except LookupError:
        return None
    if name.startswith(("utf-16", "utf-32")):
        # A page that could be read far enough to find its <meta> is not UTF-16.
        return "utf-8"
    return _ENCODING_ALIASES.get(name, name)


def _decode(data: bytes, encoding: str, source: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise ContentError(
            f"{source}: the bytes are not valid {encoding} (at byte {error.start})"
        ) from None


def _check_text(text: str, source: str) -> str:
    if "\x00" in text:
        raise ContentError(f"{source}: contains NUL bytes; this is not an HTML text file")
    if len(_CONTROL_CHARS.findall(text)) > max(8, len(text) // 1000):
        raise ContentError(f"{source}: looks like binary data, not HTML text")
    return text


def attribute(tag: Tag, name: str) -> str | None:
    value = tag.get(name)
    if value is None:
        return None
    return value if isinstance(value, str) else " ".join(value)


def tags(elements: Iterable[object]) -> list[Tag]:
    return [element for element in elements if isinstance(element, Tag)]


def elements(root: Tag) -> Iterator[Tag]:
    """Every element below ``root``, in document order (much faster than a CSS selector)."""
    return (element for element in root.descendants if isinstance(element, Tag))


def collapse(text: str) -> str:
    return " ".join(text.split())


def is_hidden(tag: Tag) -> bool:
    return (
        tag.has_attr("hidden")
        or tag.has_attr("data-reader-skip")
        or (attribute(tag, "aria-hidden") or "").strip().lower() == "true"
        or bool(_HIDDEN_STYLE.search(attribute(tag, "style") or ""))
    )


def is_skipped(tag: Tag) -> bool:
    """Whether ``tag`` and all it holds is left out of what is read."""
    if tag.name in SKIPPED_TAGS or is_hidden(tag):
        return True
    if tag.name in LANDMARK_TAGS:
        # <header>/<footer> are the site's banner and footer unless they belong to an article,
        # a section or the marked region (an <article><header><h1> pattern is content).
        return not any(
            parent.name in _SCOPING_TAGS or parent.has_attr("data-reader-root")
            for parent in tag.parents
        )
    return False


def _is_text(element: PageElement) -> bool:
    return isinstance(element, NavigableString) and not isinstance(element, PreformattedString)


def text_of(root: Tag, skip: frozenset[int] = frozenset()) -> str:
    """The readable text of ``root``, whitespace collapsed, with blocks and lines kept apart."""
    pieces: list[str] = []
    for element in _walk(root, skip):
        if isinstance(element, Tag):
            if element.name in BLOCK_TAGS or element.name == "br":
                pieces.append(" ")
        else:
            pieces.append(str(element))
    return collapse("".join(pieces))


def _walk(root: Tag, skip: frozenset[int]) -> Iterator[PageElement]:
    """Readable descendants of ``root`` in document order, without recursion."""
    stack: list[Iterator[PageElement]] = [iter(root.contents)]
    while stack:
        element = next(stack[-1], None)
        if element is None:
            stack.pop()
        elif isinstance(element, Tag):
            if id(element) not in skip and not is_skipped(element):
                yield element
                stack.append(iter(element.contents))
        elif _is_text(element):
            yield element


@dataclass
class _Context:
    """An open element that decides the kind of the text inside it."""

    kind: BlockKind
    level: int = 0
    marker: str | None = None


@dataclass
class _Buffer:
    segments: list[list[str]] = field(default_factory=lambda: [[]])
    links: list[str] = field(default_factory=list)
    text_outside_links: bool = False


@dataclass
class _ListCounter:
    next: int
    step: int


class _Collector:
    """Turns the events of the walk (open, text, close) into blocks."""

    def __init__(self) -> None:
        self.blocks: list[RawBlock] = []
        self._contexts: list[_Context] = []
        self._anchors: list[str | None] = []
        self._counters: dict[int, _ListCounter] = {}
        self._buffer = _Buffer()

    def text(self, text: str) -> None:
        self._buffer.segments[-1].append(text)
        if not self._anchors and text.strip():
            self._buffer.text_outside_links = True

    def open(self, tag: Tag) -> _Opened:
        name = tag.name
        if name == "br":
            self._buffer.segments.append([])
            return "inline"
        if name == "a":
            href = attribute(tag, "href")
            self._anchors.append(href)
            if href:
                self._buffer.links.append(href)
            return "anchor"
        if name not in BLOCK_TAGS:
            return "inline"
        self.flush()
        if name in HEADING_LEVELS:
            self._contexts.append(_Context("heading", level=HEADING_LEVELS[name]))
        elif name == "li":
            self._contexts.append(_Context("list_item", marker=self._marker(tag)))
        elif name == "address":
            self._contexts.append(_Context("contact"))
        else:
            if name in LIST_TAGS:
                self._counters[id(tag)] = _start_counter(tag)
            return "block"
        return "context"

    def close(self, opened: _Opened) -> None:
        if opened == "anchor":
            self._anchors.pop()
        elif opened in ("block", "context"):
            self.flush()
            if opened == "context":
                self._contexts.pop()

    def table(self, table: Tag, skip: frozenset[int]) -> None:
        self.flush()
        caption = table.find("caption", recursive=False)
        if isinstance(caption, Tag) and (text := text_of(caption, skip)):
            self.blocks.append(RawBlock("paragraph", [text]))
        for row in _table_rows(table, skip):
            self.blocks.append(RawBlock("table_row", [row]))

    def flush(self) -> None:
        buffer, self._buffer = self._buffer, _Buffer()
        if self._anchors and self._anchors[-1]:
            # A block that starts inside a link belongs to that link.
            self._buffer.links.append(self._anchors[-1])
        segments = [text for text in (collapse("".join(s)) for s in buffer.segments) if text]
        if not segments:
            return
        context = self._contexts[-1] if self._contexts else None
        if context is None:
            if len(set(buffer.links)) == 1 and not buffer.text_outside_links:
                self.blocks.append(RawBlock("link", segments, href=buffer.links[0]))
            else:
                self.blocks.append(RawBlock("paragraph", segments))
        elif context.kind == "list_item":
            # Text after a nested list continues the item without repeating its marker.
            kind: BlockKind = "paragraph" if context.marker is None else "list_item"
            self.blocks.append(RawBlock(kind, segments, marker=context.marker))
            context.marker = None
        elif context.kind == "contact":
            href = next((h for h in buffer.links if h.startswith(("mailto:", "tel:"))), None)
            self.blocks.append(RawBlock("contact", segments, href=href))
        else:
            self.blocks.append(RawBlock(context.kind, segments, level=context.level))

    def _marker(self, item: Tag) -> str:
        parent = item.parent
        counter = self._counters.get(id(parent)) if parent is not None else None
        if parent is None or parent.name != "ol" or counter is None:
            return BULLET
        value = _integer(attribute(item, "value"))
        number = counter.next if value is None else value
        counter.next = number + counter.step
        return f"{number}."


def _start_counter(tag: Tag) -> _ListCounter:
    if tag.name != "ol":
        return _ListCounter(1, 1)
    if tag.has_attr("reversed"):
        items = len(tags(tag.find_all("li", recursive=False)))
        start = _integer(attribute(tag, "start"))
        return _ListCounter(items if start is None else start, -1)
    start = _integer(attribute(tag, "start"))
    return _ListCounter(1 if start is None else start, 1)


def _integer(value: str | None) -> int | None:
    try:
        return int((value or "").strip())
    except ValueError:
        return None


def _table_rows(table: Tag, skip: frozenset[int]) -> list[str]:
    """Each row as "header: cell, header: cell"; a row of only header cells names the columns."""
    rows = [row for row in tags(table.find_all("tr")) if row.find_parent("table") is table]
    cells = [tags(row.find_all(["td", "th"], recursive=False)) for row in rows]
    headers: list[str] = []
    if cells and cells[0] and all(cell.name == "th" for cell in cells[0]):
        headers = [text_of(cell, skip) for cell in cells[0]]
        if len(cells) > 1:
            cells = cells[1:]
    texts: list[str] = []
    for row_cells in cells:
        parts: list[str] = []
        for index, cell in enumerate(row_cells):
            text = text_of(cell, skip)
            header = headers[index] if index < len(headers) and cell.name == "td" else ""
            if text:
                parts.append(f"{header}: {text}" if header and header != text else text)
        if parts:
            texts.append(", ".join(parts))
    return texts


def collect_blocks(root: Tag, skip: frozenset[int]) -> list[RawBlock]:
    """The blocks of ``root`` in reading order, leaving out what is skipped."""
    collector = _Collector()
    stack: list[tuple[Iterator[PageElement], _Opened]] = [(iter(root.contents), "block")]
    while stack:
        children, opened = stack[-1]
        element = next(children, None)
        if element is None:
            stack.pop()
            collector.close(opened)
        elif isinstance(element, Tag):
            if id(element) in skip or is_skipped(element):
                continue
            if element.name == "table":
                collector.table(element, skip)
                continue
            stack.append((iter(element.contents), collector.open(element)))
        elif _is_text(element):
            collector.text(str(element))
    collector.flush()
    return collector.blocks
