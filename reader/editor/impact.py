"""What a lexicon change does before it is saved: the sentences it changes on every page, what
they sound like before and after, and a clip of one of them in the new pronunciation."""

from __future__ import annotations

from pydantic import BaseModel, Field

from reader.audio.build import Builder
from reader.audio.tracks import TrackTags, assemble
from reader.errors import ReaderError
from reader.speech.lexicon import Lexicon
from reader.speech.script import page_script


class AffectedSentence(BaseModel):
    id: str
    section_id: str
    section: str = Field(description="The section's heading")
    text: str = Field(description="As written")
    before: str = Field(description="As spoken now")
    after: str = Field(description="As spoken with the change")
    cached: bool = Field(description="A clip of the new spoken text exists already")


class AffectedPage(BaseModel):
    slug: str
    title: str
    sentences: list[AffectedSentence]


class PreviewClip(BaseModel):
    slug: str
    sentence_id: str
    spoken: str
    audio_url: str = Field(description="An immutable MP3 of the sentence as it will be spoken")
    duration_ms: int
    engine: str


def affected_pages(builder: Builder, before: Lexicon, after: Lexicon) -> list[AffectedPage]:
    """Every sentence, on every page, whose spoken text differs between the two lexicons.

    Pages that cannot be read are left out: they have no audio to change.
    """
    pages: list[AffectedPage] = []
    for slug in builder.store.slugs():
        try:
            page = builder.store.load(slug)
        except ReaderError:
            continue
        headings = {section.id: section.heading for section in page.sections}
        old = page_script(page, before)
        new = page_script(page, after)
        changed = [
            AffectedSentence(
                id=line.sentence_id,
                section_id=line.section_id,
                section=headings.get(line.section_id, ""),
                text=line.text,
                before=was.spoken,
                after=line.spoken,
                cached=builder.clips.lookup(line.spoken) is not None,
            )
            for was, line in zip(old, new, strict=True)
            if was.spoken != line.spoken
        ]
        if changed:
            pages.append(AffectedPage(slug=slug, title=page.title, sentences=changed))
    return pages


def to_synthesise(pages: list[AffectedPage]) -> int:
    """Engine calls the change costs: one per distinct new spoken text not cached yet."""
    return len({s.after for page in pages for s in page.sentences if not s.cached})


def preview_clip(builder: Builder, pages: list[AffectedPage]) -> PreviewClip | None:
    """The first affected sentence, spoken as it will be (through the clip cache, so saving the
    change later does not make it again). Blocking: it may call an engine."""
    if not pages or not pages[0].sentences:
        return None
    page = pages[0]
    sentence = page.sentences[0]
    clip = builder.clips.get_or_make(sentence.after)
    tags = TrackTags(
        title=f"Prøvelytning: {page.title}", url=f"{builder.base_url}/pages/{page.slug}"
    )
    track = assemble([clip], tags)
    digest = builder.tracks.put(track)
    return PreviewClip(
        slug=page.slug,
        sentence_id=sentence.id,
        spoken=sentence.after,
        audio_url=f"{builder.base_url}/audio/{digest}.mp3",
        duration_ms=track.duration_ms,
        engine=clip.engine,
    )
