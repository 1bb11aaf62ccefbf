"""Content for the benchmarks: copies of ``content/``, a one-sentence edit, a synthetic corpus."""

from __future__ import annotations

import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from bench._proc import ROOT, BenchError
from reader.config import Settings
from reader.content.models import Page
from reader.content.store import ContentStore

CONTENT = ROOT / "content"
TEMPLATE_PAGE = "politikker-og-raad"
"""The real page whose chrome (head, header, navigation, footer) every synthetic page copies."""


def copy_content(target: Path, source: Path = CONTENT) -> Path:
    """A copy of ``source`` (pages and lexicon) at ``target``; returns ``target``."""
    shutil.copytree(source, target)
    return target


def load_pages(content_dir: Path) -> list[Page]:
    settings = Settings(content_dir=content_dir)
    return ContentStore(settings.pages_dir, max_bytes=settings.max_page_bytes).pages()


def written_text(page: Page) -> str:
    """The page's sentences as written, joined: what a naive integration would send."""
    return " ".join(sentence.text for sentence in page.sentences())


@dataclass(frozen=True)
class Edit:
    slug: str
    before: str
    after: str


def edit_one_sentence(content_dir: Path) -> Edit:
    """Change one sentence of one page in place, the way an editor would fix a wording.

    The sentence is one that ends in a full stop and appears exactly once in its page's HTML, so
    that the edit changes that sentence and nothing else.
    """
    for page in load_pages(content_dir):
        path = content_dir / "pages" / f"{page.slug}.html"
        html = path.read_text(encoding="utf-8")
        for sentence in page.sentences():
            text = sentence.text
            if text.endswith(".") and len(text) > 40 and html.count(text) == 1:
                changed = f"{text[:-1]} i dag."
                path.write_text(html.replace(text, changed), encoding="utf-8")
                return Edit(page.slug, text, changed)
    raise BenchError(f"no sentence in {content_dir} can be edited on its own")


# --- the synthetic corpus --------------------------------------------------------------------

_TAILS = (
    "i plan nummer {n}",
    "som beskrevet i afsnit {n}",
    "ifølge aftale {n} med byrådet",
    "frem mod år {year}",
    "i område {n} af kommunen",
    "jævnfør beslutning {n} fra {year}",
    "for {k} borgere i distrikt {n}",
    "efter høring nummer {n}",
)
_TOPICS = (
    "Trivsel",
    "Sundhed",
    "Skole og dagtilbud",
    "Fritid",
    "Beskæftigelse",
    "Klima",
    "Ældre",
    "Kultur",
    "Trafik",
    "Boliger",
)
_MONTHS = (
    "januar februar marts april maj juni juli august september oktober november december"
).split()

_MAIN = re.compile(r'(<div class="rich-text">).*?(</div>\s*</main>)', re.DOTALL)
_FOOTER_DATE = re.compile(r"<time datetime=\"[^\"]*\">[^<]*</time>")


def _seed_sentences() -> list[str]:
    """Sentences of the real pages, without their final punctuation."""
    seeds = []
    for page in load_pages(CONTENT):
        for sentence in page.sentences():
            text = sentence.text.rstrip(" .:;!?")
            if len(text.split()) >= 8:
                seeds.append(text)
    if not seeds:
        raise BenchError(f"no sentences in {CONTENT} to build a corpus from")
    return seeds


def _sentence(seed: str, number: int, rng: random.Random) -> str:
    tail = rng.choice(_TAILS).format(
        n=number, year=rng.randint(2015, 2035), k=rng.randint(20, 900) * 10
    )
    return f"{seed} {tail}."


def _page_body(number: int, seeds: list[str], rng: random.Random) -> str:
    """The rich-text part of a page: a title, four sections of paragraphs, a list and a contact
    (about 20 sentences, nearly all of them different from every other page's)."""
    topic = _TOPICS[number % len(_TOPICS)]
    parts = [f"<h1>{topic}spolitik {number}</h1>"]
    parts.append(f"<p>{_sentence(rng.choice(seeds), number, rng)}</p>")
    for index, heading_topic in enumerate(rng.sample(_TOPICS, 4)):
        parts.append(f"<h2>{heading_topic} i plan {number}, del {index + 1}</h2>")
        parts.append(
            f"<p>{_sentence(rng.choice(seeds), number, rng)} "
            f"{_sentence(rng.choice(seeds), number, rng)}</p>"
        )
        if index % 2 == 0:
            items = "".join(
                f"<li>{_sentence(rng.choice(seeds), number, rng)}</li>" for _ in range(2)
            )
            parts.append(f"<ul>{items}</ul>")
        else:
            phone = f"43 59 {rng.randint(10, 99)} {rng.randint(10, 99)}"
            parts.append(
                f'<address>Kontakt: Center {number}, telefon <a href="tel:+45'
                f'{phone.replace(" ", "")}">{phone}</a>.</address>'
            )
    return "\n      ".join(parts)


def synthetic_corpus(target: Path, pages: int, *, seed: int = 2015) -> Path:
    """``pages`` pages shaped like the CMS's (the chrome of a real page around generated
    content), with the real lexicon, under ``target``; returns ``target``."""
    template = (CONTENT / "pages" / f"{TEMPLATE_PAGE}.html").read_text(encoding="utf-8")
    if not _MAIN.search(template):
        raise BenchError(f'{TEMPLATE_PAGE}.html has no <div class="rich-text"> in <main>')
    seeds = _seed_sentences()
    rng = random.Random(seed)
    pages_dir = target / "pages"
    pages_dir.mkdir(parents=True)
    shutil.copy(CONTENT / "lexicon.txt", target / "lexicon.txt")
    for number in range(1, pages + 1):
        slug = f"politik-{number:03d}"
        body = _page_body(number, seeds, rng)
        html = _MAIN.sub(lambda match: f"{match[1]}\n      {body}\n    {match[2]}", template)
        html = html.replace(f"/pages/{TEMPLATE_PAGE}", f"/pages/{slug}")
        day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(2015, 2024)
        html = _FOOTER_DATE.sub(
            f'<time datetime="{year}-{month:02d}-{day:02d}">{day}. {_MONTHS[month - 1]} {year}'
            "</time>",
            html,
        )
        (pages_dir / f"{slug}.html").write_text(html, encoding="utf-8")
    return target


# --- one very large page ---------------------------------------------------------------------

LARGE_SLUG = "tusind-afsnit"


def large_page(content_dir: Path, sections: int = 999, *, seed: int = 1001) -> str:
    """Add a page to ``content_dir``: ``sections`` sections between its title's and the
    chrome's "about the page" (1,001 in all by default), in the CMS's chrome, about 1.5 KB of
    HTML a section (1.5 MB in all by default); returns its slug."""
    template = (CONTENT / "pages" / f"{TEMPLATE_PAGE}.html").read_text(encoding="utf-8")
    if not _MAIN.search(template):
        raise BenchError(f'{TEMPLATE_PAGE}.html has no <div class="rich-text"> in <main>')
    seeds = _seed_sentences()
    rng = random.Random(seed)
    parts = ["<h1>Politikker samlet på én side</h1>"]
    parts.append(f"<p>{_sentence(rng.choice(seeds), 0, rng)}</p>")
    for number in range(1, sections + 1):
        parts.append(f"<h2>{rng.choice(_TOPICS)}, afsnit {number}</h2>")
        for count in (3, 3, 4):
            text = " ".join(_sentence(rng.choice(seeds), number, rng) for _ in range(count))
            parts.append(f"<p>{text}</p>")
    body = "\n      ".join(parts)
    html = _MAIN.sub(lambda match: f"{match[1]}\n      {body}\n    {match[2]}", template)
    html = html.replace(f"/pages/{TEMPLATE_PAGE}", f"/pages/{LARGE_SLUG}")
    (content_dir / "pages" / f"{LARGE_SLUG}.html").write_text(html, encoding="utf-8")
    return LARGE_SLUG
