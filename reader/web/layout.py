"""How an extracted page is laid out in the reading view: headings, lists and sentence spans.

The template only walks these records; every decision (which heading level, where a list starts
and what it counts from, which part of a sentence is a link) is made here, where it is typed and
tested. Every sentence of the page ends up in exactly one ``Span``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from reader.content.extract import ABOUT_ID
from reader.content.models import Block, Page, Section, Sentence
from reader.web.danish import danish_date, numeric_date, tel_href

SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_NUMBER_MARKER = re.compile(r"(-?\d+)\.")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\d+])(?:\+45 ?)?\d{2}(?: \d{2}){3}(?!\d)|(?<![\d+])\+45 ?\d{8}(?!\d)")


@dataclass(frozen=True, slots=True)
class Part:
    """A run of a sentence's text; a link or a date when ``href`` or ``datetime`` is set."""

    text: str
    href: str | None = None
    datetime: str | None = None


@dataclass(frozen=True, slots=True)
class Span:
    """One sentence as shown: ``<span data-sentence-id=id>`` around its parts."""

    id: str
    parts: tuple[Part, ...]


@dataclass(frozen=True, slots=True)
class Item:
    spans: tuple[Span, ...]
    value: int | None = None
    """The number to show, when it is not the previous item's number plus one."""


NodeKind = Literal["paragraph", "kicker", "link", "contact", "list", "rows"]


@dataclass(frozen=True, slots=True)
class Node:
    """A block-level element of the view; which fields matter depends on ``kind``."""

    kind: NodeKind
    spans: tuple[Span, ...] = ()
    href: str | None = None
    ordered: bool = False
    start: int | None = None
    items: tuple[Item, ...] = ()


@dataclass(frozen=True, slots=True)
class SectionView:
    id: str
    tag: str
    """``h2`` … ``h6``."""
    heading: tuple[Span, ...]
    nodes: tuple[Node, ...]
    heading_text: str


@dataclass(frozen=True, slots=True)
class PageView:
    """The page as the ``page.html`` template renders it."""

    title_id: str | None
    title: tuple[Span, ...]
    title_text: str
    kicker: tuple[Node, ...]
    intro: tuple[Node, ...]
    sections: tuple[SectionView, ...]
    about: SectionView | None
    contents: tuple[SectionView, ...] = field(default_factory=tuple)
    """The sections listed in the table of contents (top level only)."""


def layout_page(page: Page) -> PageView:
    sections = list(page.sections)
    about_section = next((s for s in sections if s.id == ABOUT_ID), None)
    if about_section is not None:
        sections.remove(about_section)
    first = sections[0] if sections and sections[0].level <= 1 else None
    if first is not None:
        sections = sections[1:]

    kicker: list[Node] = []
    title: tuple[Span, ...] = ()
    intro: list[Node] = []
    if first is not None:
        spans = _spans_by_id(first.sentences, page.updated)
        rest: list[Block] = []
        for block in first.blocks:
            if block.kind == "context" and not title and not rest:
                kicker.append(Node("kicker", spans=_block_spans(block, spans)))
            elif block.kind == "heading" and not title:
                title = _block_spans(block, spans)
            else:
                rest.append(block)
        intro = _nodes(rest, spans)
        intro.extend(_leftovers(first, spans))

    views = tuple(
        _section_view(section, page.updated, level) for section, level in _levels(sections)
    )
    about = _section_view(about_section, page.updated, 2) if about_section else None
    top = min((view.tag for view in views), default="h2")
    return PageView(
        title_id=first.id if first is not None else None,
        title=title,
        title_text=page.title,
        kicker=tuple(kicker),
        intro=tuple(intro),
        sections=views,
        about=about,
        contents=tuple(view for view in views if view.tag == top) if len(views) > 1 else (),
    )


def _levels(sections: list[Section]) -> list[tuple[Section, int]]:
    """Heading levels from 2 to 6 that never skip a level on the way down."""
    levels: list[tuple[Section, int]] = []
    previous = 1
    for section in sections:
        level = max(2, min(section.level, previous + 1, 6))
        levels.append((section, level))
        previous = level
    return levels


def _section_view(section: Section, updated: dt.date | None, level: int) -> SectionView:
    spans = _spans_by_id(section.sentences, updated)
    heading: tuple[Span, ...] = ()
    rest: list[Block] = []
    for block in section.blocks:
        if block.kind == "heading" and not heading and not rest:
            heading = _block_spans(block, spans)
        else:
            rest.append(block)
    nodes = _nodes(rest, spans)
    nodes.extend(_leftovers(section, spans))
    return SectionView(
        id=section.id,
        tag=f"h{level}",
        heading=heading,
        nodes=tuple(nodes),
        heading_text=section.heading,
    )


def _nodes(blocks: list[Block], spans: dict[str, Span]) -> list[Node]:
    nodes: list[Node] = []
    index = 0
    while index < len(blocks):
        block = blocks[index]
        if block.kind == "list_item":
            ordered = _number(block.marker) is not None
            end = index
            while (
                end < len(blocks)
                and blocks[end].kind == "list_item"
                and (_number(blocks[end].marker) is not None) == ordered
            ):
                end += 1
            nodes.append(_list(blocks[index:end], spans, ordered=ordered))
            index = end
        elif block.kind == "table_row":
            end = index
            while end < len(blocks) and blocks[end].kind == "table_row":
                end += 1
            items = tuple(Item(_block_spans(row, spans)) for row in blocks[index:end])
            nodes.append(Node("rows", items=items))
            index = end
        else:
            nodes.append(_single(block, spans))
            index += 1
    return nodes


def _single(block: Block, spans: dict[str, Span]) -> Node:
    block_spans = _block_spans(block, spans)
    if block.kind == "link" and (href := safe_href(block.href)):
        return Node("link", spans=tuple(_unlinked(span) for span in block_spans), href=href)
    if block.kind == "contact":
        return Node("contact", spans=tuple(_with_phone_links(span) for span in block_spans))
    if block.kind == "context":
        return Node("kicker", spans=block_spans)
    return Node("paragraph", spans=block_spans)


def _list(blocks: list[Block], spans: dict[str, Span], *, ordered: bool) -> Node:
    if not ordered:
        return Node("list", items=tuple(Item(_block_spans(b, spans)) for b in blocks))
    items: list[Item] = []
    start: int | None = None
    expected: int | None = None
    for block in blocks:
        number = _number(block.marker)
        block_spans = _block_spans(block, spans)
        if start is None:
            start = number
            items.append(Item(block_spans))
        else:
            items.append(Item(block_spans, value=None if number == expected else number))
        expected = None if number is None else number + 1
    return Node("list", ordered=True, start=None if start == 1 else start, items=tuple(items))


def _number(marker: str | None) -> int | None:
    match = _NUMBER_MARKER.fullmatch(marker or "")
    return int(match.group(1)) if match else None


def _block_spans(block: Block, spans: dict[str, Span]) -> tuple[Span, ...]:
    return tuple(spans.pop(key) for key in block.sentence_ids if key in spans)


def _leftovers(section: Section, spans: dict[str, Span]) -> list[Node]:
    """Sentences no block claimed are still shown (and so still highlighted)."""
    if not spans:
        return []
    node = Node("paragraph", spans=tuple(spans.values()))
    spans.clear()
    return [node]


def _spans_by_id(sentences: list[Sentence], updated: dt.date | None) -> dict[str, Span]:
    return {s.id: Span(s.id, _parts(s.text, updated)) for s in sentences}


def _parts(text: str, updated: dt.date | None) -> tuple[Part, ...]:
    """The sentence's text, with e-mail addresses as links and the page's date as ``<time>``."""
    marks = [
        (m.start(), m.end(), Part(m.group(0), href=f"mailto:{m.group(0)}"))
        for m in _EMAIL.finditer(text)
    ]
    for written in _written_dates(updated) if updated is not None else []:
        start = text.find(written)
        end = start + len(written)
        if start >= 0 and not any(a < end and start < b for a, b, _ in marks):
            marks.append((start, end, Part(written, datetime=_iso(updated))))
            break
    parts: list[Part] = []
    cursor = 0
    for start, end, part in sorted(marks, key=lambda mark: mark[0]):
        if start > cursor:
            parts.append(Part(text[cursor:start]))
        parts.append(part)
        cursor = end
    if cursor < len(text) or not parts:
        parts.append(Part(text[cursor:]))
    return tuple(parts)


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _unlinked(span: Span) -> Span:
    """The span without links of its own, for use inside a link."""
    if not any(part.href for part in span.parts):
        return span
    return Span(span.id, tuple(Part(part.text, datetime=part.datetime) for part in span.parts))


def _with_phone_links(span: Span) -> Span:
    """In a contact line, a Danish phone number ("43 59 10 00") becomes a ``tel:`` link."""
    parts: list[Part] = []
    for part in span.parts:
        if part.href or part.datetime:
            parts.append(part)
            continue
        cursor = 0
        for match in _PHONE.finditer(part.text):
            if match.start() > cursor:
                parts.append(Part(part.text[cursor : match.start()]))
            parts.append(Part(match.group(0), href=tel_href(match.group(0))))
            cursor = match.end()
        if cursor < len(part.text):
            parts.append(Part(part.text[cursor:]))
    return Span(span.id, tuple(parts))


def _written_dates(day: dt.date) -> list[str]:
    return [danish_date(day), numeric_date(day)]


def safe_href(href: str | None) -> str | None:
    """The link target if it is a web, mail or phone address or a relative one; else ``None``."""
    if not href:
        return None
    href = href.strip()
    try:
        scheme = urlsplit(href).scheme.lower()
    except ValueError:
        return None
    if scheme and scheme not in SAFE_SCHEMES:
        return None
    return href
