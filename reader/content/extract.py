"""Extraction of a page's readable structure from the HTML the CMS publishes.

Only the readable region is read: the element marked ``data-reader-root``, else ``<main>``,
else ``<body>`` without the site's chrome. The breadcrumb is read first, because the listener
needs to hear where the page sits; the footer's metadata (updated, responsible unit, phone)
become fields of the page and a short final section "Om siden".

Ids are stable: a section's id comes from its heading, a sentence's id from its section and its
own text, so editing one sentence or one section leaves every other id unchanged.

A list item's marker is kept on its block (``"1."`` or ``"•"``), never in a sentence: the
spoken script announces an ordered item's number, and the reading view shows it as the list's
own numbering, so a highlighted sentence never carries a number it does not show.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, Tag

from reader.content._html import (
    RawBlock,
    attribute,
    collapse,
    collect_blocks,
    elements,
    parse_html,
    tags,
    text_of,
)
from reader.content.models import Block, Page, Responsible, Section, Sentence
from reader.content.sentences import BULLETS, split_sentences
from reader.content.slugs import slugify
from reader.errors import ContentError, PageTooLarge

ABOUT_ID = "om-siden"
ABOUT_HEADING = "Om siden"
FALLBACK_SECTION_ID = "afsnit"
READ_BUTTON_TEXT = "få siden oplæst"
HOME_LINKS = frozenset({"forside", "hjem", "home"})
RESPONSIBLE_LABEL = "ansvar for denne side"

MONTHS = (
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
)  # fmt: skip
_DANISH_DATE = re.compile(r"(\d{1,2})\.\s*(" + "|".join(MONTHS) + r")\s+(\d{4})", re.IGNORECASE)
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[./-](\d{1,2})[./-](\d{4})\b")
_PHONE = re.compile(r"\b(?:T|Tlf\.?|Telefon)\s*:?\s*((?:\+45\s?)?\d{2}(?: ?\d{2}){3})\b")
_PHONE_LABEL = re.compile(r"(?:t|tlf\.?|telefon)\s*:?", re.IGNORECASE)
_BREADCRUMB_LABEL = re.compile(r"brødkrumme|breadcrumb", re.IGNORECASE)
_TRAIL_SEPARATORS = "/›»>|·"


def extract_page(
    data: bytes,
    *,
    slug: str,
    source: str,
    max_bytes: int,
    region: str = "",
    skip_classes: Collection[str] = (),
) -> Page:
    """Extract the page in ``data``; ``source`` names the file in every error message.

    ``region`` (a CSS selector) and ``skip_classes`` are the markup a site already has for a
    hosted reader: the element to read, and the class names of what is not read aloud.
    """
    if len(data) > max_bytes:
        raise PageTooLarge(f"{source}: {len(data)} bytes is over the limit of {max_bytes} bytes")
    soup = parse_html(data, source)
    root = _readable_root(soup, region)
    about = _about(soup)
    skip = frozenset(_read_buttons(root) | about.elements | _classed(root, skip_classes))
    raw = collect_blocks(root, skip)
    if not raw:
        raise ContentError(f"{source}: the page has no readable text")
    title = next((b.text for b in raw if b.kind == "heading" and b.level == 1), None)
    title = title or _document_title(soup)
    if not title:
        raise ContentError(f"{source}: the page has no title (no <h1> and no <title>)")
    html = soup.find("html")
    lang = attribute(html, "lang") if isinstance(html, Tag) else None
    breadcrumb = _breadcrumb(soup, title)
    return Page(
        slug=slug,
        title=title,
        lang=(lang or "").strip() or "da",
        breadcrumb=breadcrumb,
        updated=about.updated,
        responsible=Responsible(unit=about.unit, phone=about.phone) if about.unit else None,
        sections=_sections(title, breadcrumb, raw, about),
    )


def _readable_root(soup: BeautifulSoup, region: str) -> Tag:
    chosen = soup.select_one(region) if region else None
    marked = next((tag for tag in elements(soup) if tag.has_attr("data-reader-root")), None)
    for candidate in (chosen, marked, soup.find("main"), soup.body):
        if isinstance(candidate, Tag):
            return candidate
    return soup


def _classed(root: Tag, names: Collection[str]) -> set[int]:
    if not names:
        return set()
    wanted = set(names)
    return {
        id(tag) for tag in elements(root) if wanted.intersection(tag.get_attribute_list("class"))
    }


def _read_buttons(root: Tag) -> set[int]:
    """The "Få siden oplæst" links (and the list items holding them): chrome, not content."""
    found: set[int] = set()
    for tag in elements(root):
        marked = tag.has_attr("data-reader-button")
        if not marked and tag.name not in ("a", "button"):
            continue
        text = _button_text(tag)
        if not marked and text != READ_BUTTON_TEXT:
            continue
        item = tag.find_parent("li")
        found.add(id(item) if item is not None and _button_text(item) == text else id(tag))
    return found


def _button_text(tag: Tag) -> str:
    return collapse(tag.get_text(" ").translate(dict.fromkeys(map(ord, BULLETS)))).casefold()


def _document_title(soup: BeautifulSoup) -> str:
    title = soup.find("title")
    text = collapse(title.get_text()) if isinstance(title, Tag) else ""
    # "Politikker og Råd | Høje-Taastrup Kommune": the site's name is not the page's title.
    return text.rsplit(" | ", 1)[0].strip() if " | " in text else text


def _breadcrumb(soup: BeautifulSoup, title: str) -> list[str]:
    """The trail of ancestors, without the home link and without the page itself."""
    trail = _trail(soup)
    if trail is None:
        return []
    items = tags(trail.find_all("li")) or tags(trail.find_all("a"))
    texts: list[str] = []
    for item in items:
        link = item if item.name == "a" else item.find("a")
        current = item.has_attr("aria-current") or (
            isinstance(link, Tag) and link.has_attr("aria-current")
        )
        home = isinstance(link, Tag) and attribute(link, "href") == "/"
        text = text_of(item).strip(_TRAIL_SEPARATORS).strip()
        if text and not current and not home and text.casefold() not in HOME_LINKS:
            texts.append(text)
    if texts and texts[-1].casefold() == title.casefold():
        texts.pop()
    return texts


def _trail(soup: BeautifulSoup) -> Tag | None:
    """The breadcrumb: labelled "Brødkrumme" (or "breadcrumb"), else a list classed so."""
    candidates = list(elements(soup))
    for tag in candidates:
        if _BREADCRUMB_LABEL.search(attribute(tag, "aria-label") or ""):
            return tag
    for tag in candidates:
        if tag.name in ("nav", "ol", "ul") and _BREADCRUMB_LABEL.search(
            attribute(tag, "class") or ""
        ):
            return tag
    return None


@dataclass
class _About:
    """The page's metadata, found in the footer (or in elements marked ``data-reader-*``)."""

    updated: dt.date | None = None
    unit: str | None = None
    phone: str | None = None
    phone_href: str | None = None
    elements: set[int] = field(default_factory=set)
    """The elements the metadata was read from; they are not read again as content."""


def _about(soup: BeautifulSoup) -> _About:
    about = _About()
    everything = list(elements(soup))
    marked = {
        name: [tag for tag in everything if tag.has_attr(f"data-reader-{name}")]
        for name in ("meta", "updated", "responsible", "unit", "phone")
    }
    footers = [tag for tag in everything if tag.name == "footer" and _holds_metadata(tag)]
    marked_updated = {id(tag) for tag in marked["updated"]}
    for tag in marked["updated"] + footers:
        about.updated = about.updated or _updated(tag, marked=id(tag) in marked_updated)
    for tag in marked["unit"]:
        about.unit = about.unit or text_of(tag) or None
    for tag in marked["responsible"]:
        about.unit = about.unit or _unit(tag, marked=True)
    for tag in footers:
        about.unit = about.unit or _unit(tag, marked=False)
    for tag in marked["phone"] + marked["responsible"] + marked["meta"] + footers:
        if about.phone is None:
            about.phone, about.phone_href = _phone(tag)
    about.elements = {id(tag) for group in marked.values() for tag in group}
    about.elements |= {id(tag) for tag in footers}
    return about


def _holds_metadata(footer: Tag) -> bool:
    text = text_of(footer).casefold()
    return "opdateret" in text or RESPONSIBLE_LABEL in text


def _updated(tag: Tag, *, marked: bool) -> dt.date | None:
    text = text_of(tag)
    if not marked:
        # In a footer, only a date after the word "Opdateret" is the page's date.
        start = text.casefold().find("opdateret")
        if start < 0:
            return None
        text = text[start:]
    time = tag if tag.name == "time" else tag.find("time")
    if isinstance(time, Tag) and (value := attribute(time, "datetime")):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    return _parse_date(text)


def _parse_date(text: str) -> dt.date | None:
    """The first date in ``text``, written "5. august 2015" or "05.08.2015"."""
    try:
        if match := _DANISH_DATE.search(text):
            day, month, year = match.groups()
            return dt.date(int(year), MONTHS.index(month.lower()) + 1, int(day))
        if match := _NUMERIC_DATE.search(text):
            day, month, year = match.groups()
            return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None
    return None


def _unit(tag: Tag, *, marked: bool) -> str | None:
    """The unit named after the label "Ansvar for denne side" (not the phone line)."""
    lines = [collapse(line) for line in tag.stripped_strings]
    after_label = marked
    for line in lines:
        if line.casefold().startswith(RESPONSIBLE_LABEL):
            after_label = True
            line = line[len(RESPONSIBLE_LABEL) :].strip(" :")
        if after_label and line and not _is_phone_line(line):
            return line
    return None


def _is_phone_line(line: str) -> bool:
    return bool(
        _PHONE_LABEL.fullmatch(line) or _PHONE.search(line) or re.fullmatch(r"[\d +]+", line)
    )


def _phone(tag: Tag) -> tuple[str | None, str | None]:
    link = next(
        (
            a
            for a in [tag, *elements(tag)]
            if a.name == "a" and (attribute(a, "href") or "").startswith("tel:")
        ),
        None,
    )
    if isinstance(link, Tag) and (text := text_of(link)):
        return text, attribute(link, "href")
    if tag.has_attr("data-reader-phone") and (text := text_of(tag)):
        return text, None
    if match := _PHONE.search(text_of(tag)):
        return match.group(1), None
    return None, None


def _sections(
    title: str, breadcrumb: list[str], raw: list[RawBlock], about: _About
) -> list[Section]:
    """Group the blocks into sections: the title's section, then one per heading."""
    first: list[RawBlock] = [RawBlock("context", [", ".join(breadcrumb)])] if breadcrumb else []
    drafts: list[tuple[str, int, list[RawBlock]]] = [(title, 1, first)]
    has_title_heading = False
    for block in raw:
        if block.kind != "heading":
            drafts[-1][2].append(block)
        elif block.level == 1 and len(drafts) == 1 and not has_title_heading:
            first.append(block)
            has_title_heading = True
        else:
            drafts.append((block.text, block.level, [block]))
    if not has_title_heading:
        # The title comes from <title>: read it after the breadcrumb all the same.
        first.insert(1 if breadcrumb else 0, RawBlock("heading", [title], level=1))

    taken = {ABOUT_ID}
    sections = [
        _section(_unique_id(heading, taken), heading, level, blocks)
        for heading, level, blocks in drafts
    ]
    if about_blocks := _about_blocks(about):
        sections.append(_section(ABOUT_ID, ABOUT_HEADING, 2, about_blocks))
    return sections


def _unique_id(heading: str, taken: set[str]) -> str:

    base = slugify(heading) or FALLBACK_SECTION_ID
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    taken.add(candidate)
    return candidate


def _about_blocks(about: _About) -> list[RawBlock]:
    blocks: list[RawBlock] = []
    if about.updated:
        date = f"{about.updated.day}. {MONTHS[about.updated.month - 1]} {about.updated.year}"
        blocks.append(RawBlock("paragraph", [f"Siden er senest opdateret {date}."]))
    if about.unit:
        blocks.append(RawBlock("paragraph", [f"Ansvar for denne side: {about.unit.rstrip('.')}."]))
    if about.phone:
        blocks.append(RawBlock("contact", [f"T: {about.phone}."], href=about.phone_href))
    if blocks:
        blocks.insert(0, RawBlock("heading", [ABOUT_HEADING], level=2))
    return blocks


def _section(section_id: str, heading: str, level: int, raw: list[RawBlock]) -> Section:
    seen: Counter[str] = Counter()
    blocks: list[Block] = []
    sentences: list[Sentence] = []
    for block in raw:
        ids: list[str] = []
        for text in _spoken(block):
            seen[text] += 1
            digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
            suffix = f"-{seen[text]}" if seen[text] > 1 else ""
            sentences.append(Sentence(id=f"{section_id}.{digest}{suffix}", text=text))
            ids.append(sentences[-1].id)
        if ids:
            blocks.append(
                Block(
                    kind=block.kind,
                    text=block.text,
                    marker=block.marker,
                    href=block.href,
                    sentence_ids=ids,
                )
            )
    return Section(id=section_id, heading=heading, level=level, blocks=blocks, sentences=sentences)


def _spoken(block: RawBlock) -> list[str]:
    return [sentence for segment in block.segments for sentence in split_sentences(segment)]
