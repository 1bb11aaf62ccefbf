"""The extracted structure of a page: what is read aloud, in reading order."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

BlockKind = Literal["context", "heading", "paragraph", "list_item", "link", "contact", "table_row"]


class Sentence(BaseModel):
    """One unit of speech. ``id`` is unique within the page and stable while ``text`` is."""

    id: str
    text: str


class Block(BaseModel):
    """A piece of the page as the reader sees it; its text is spoken as ``sentence_ids``."""

    kind: BlockKind
    text: str
    marker: str | None = Field(
        default=None, description='List number ("1.") or bullet ("•") of a list item'
    )
    href: str | None = Field(default=None, description="Target of a link or contact")
    sentence_ids: list[str] = Field(default_factory=list)


class Section(BaseModel):
    """A heading and what follows it up to the next heading of the same or a higher level."""

    id: str
    heading: str
    level: int
    blocks: list[Block]
    sentences: list[Sentence]


class Responsible(BaseModel):
    unit: str
    phone: str | None = None


class Page(BaseModel):
    """A policy page: metadata and its sections in reading order."""

    slug: str
    title: str
    lang: str = "da"
    breadcrumb: list[str] = Field(default_factory=list)
    updated: dt.date | None = None
    responsible: Responsible | None = None
    sections: list[Section]

    def sentences(self) -> list[Sentence]:
        return [sentence for section in self.sections for sentence in section.sentences]

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)
