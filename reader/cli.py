"""The ``reader`` command line: one clear line and a non-zero exit on bad input."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from pydantic import ValidationError

from reader.config import Settings
from reader.content.models import Page
from reader.content.slugs import check_slug
from reader.errors import ReaderError, storage_failure

if TYPE_CHECKING:
    from reader.services import Services

logger = logging.getLogger(__name__)

EXIT_USAGE = 2
EXIT_FAILURE = 1


class CommandError(Exception):
    """A command-line failure: printed as one line, exit code ``EXIT_FAILURE``."""


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise CommandError(f"invalid settings: {problems}") from None


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from reader.web.app import create_app
    from reader.web.serving import server_config

    if args.workers < 1:
        raise CommandError(f"--workers must be 1 or more, not {args.workers}")
    settings = _settings()
    if args.workers > 1:
        if settings.redis_url is None:
            # Each process would synthesise the same sentence again and let a client make the
            # /api/speak limit's worth of requests once per process.
            raise CommandError(
                f"--workers {args.workers} starts {args.workers} processes that must share "
                "their locks and limits: set READER_REDIS_URL (or use --workers 1)"
            )
        return _serve_processes(settings, args)
    app = create_app(settings)
    config = server_config(
        app, settings, host=args.host, port=args.port, access_log=args.access_log
    )
    server = uvicorn.Server(config)
    try:
        server.run()
    except KeyboardInterrupt:  # uvicorn has shut down cleanly, then passes Ctrl-C on
        pass
    if not server.started:
        raise CommandError(f"could not serve on {args.host}:{args.port} (see the messages above)")
    return 0


def _serve_processes(settings: Settings, args: argparse.Namespace) -> int:
    from uvicorn.supervisors import Multiprocess

    from reader.web.serving import workers_config

    config = workers_config(
        settings, host=args.host, port=args.port, workers=args.workers, access_log=args.access_log
    )
    try:
        sock = config.bind_socket()
    except SystemExit:  # uvicorn has logged why it could not bind
        raise CommandError(
            f"could not serve on {args.host}:{args.port} (see the messages above)"
        ) from None
    try:
        Multiprocess(config, sockets=[sock]).run()
    except KeyboardInterrupt:  # the processes have shut down
        pass
    return 0


def _load_page(target: str, settings: Settings) -> Page:
    from reader.content.extract import extract_page
    from reader.content.slugs import slugify
    from reader.content.store import ContentStore

    path = Path(target)
    if target.endswith(".html") or path.is_file():
        if not path.is_file():
            raise CommandError(f"{target}: no such file")
        size = path.stat().st_size
        if size > settings.max_page_bytes:
            raise CommandError(
                f"{target}: {size} bytes is over the limit of {settings.max_page_bytes} bytes"
            )
        return extract_page(
            path.read_bytes(),
            slug=slugify(path.stem) or "side",
            source=str(path),
            max_bytes=settings.max_page_bytes,
        )
    store = ContentStore(settings.pages_dir, max_bytes=settings.max_page_bytes)
    return store.load(target)


def _outline(page: Page) -> str:
    lines = [f"{page.title}  [{page.slug}, lang={page.lang}]"]
    if page.updated or page.responsible:
        meta = []
        if page.updated:
            meta.append(f"opdateret {page.updated.isoformat()}")
        if page.responsible:
            meta.append(page.responsible.unit)
            if page.responsible.phone:
                meta.append(f"tlf. {page.responsible.phone}")
        lines.append("  " + ", ".join(meta))
    for section in page.sections:
        lines.append(f"{'  ' * section.level}# {section.heading}  ({section.id})")
        texts = {s.id: s.text for s in section.sentences}
        for block in section.blocks:
            if block.kind == "heading":
                continue
            prefix = f"{block.marker} " if block.marker else ""
            for index, sentence_id in enumerate(block.sentence_ids):
                lead = f"[{block.kind}] {prefix}" if index == 0 else " " * (len(block.kind) + 3)
                lines.append(f"{'  ' * (section.level + 1)}{lead}{texts[sentence_id]}")
    return "\n".join(lines)


def _cmd_extract(args: argparse.Namespace) -> int:
    page = _load_page(args.target, _settings())
    if args.json:
        print(json.dumps(page.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        print(_outline(page))
    return 0


def _cmd_normalize(args: argparse.Namespace) -> int:
    from reader.speech.lexicon import load_lexicon
    from reader.speech.normalize import normalize

    text = " ".join(args.text).strip()
    if not text:
        raise CommandError("give the text to normalise, e.g. reader normalize 'kl. 10.30'")
    lexicon = load_lexicon(_settings().lexicon_path)
    for problem in lexicon.problems:
        print(f"lexicon line {problem.line}: {problem.message}", file=sys.stderr)
    print(normalize(text, lexicon=lexicon))
    return 0


MAX_SPEAK_CHARS = 5000


class ProgressBar:
    """Sentences done of all, with the time left, on stderr; plain lines when not a terminal."""

    WIDTH = 30

    def __init__(self, label: str, stream: TextIO = sys.stderr, unit: str = "sentences") -> None:
        self.label = label
        self.unit = unit
        self.stream = stream
        self.tty = stream.isatty()
        self.started = time.monotonic()
        self._last_tenth = -1

    def __call__(self, done: int, total: int) -> None:
        fraction = done / total if total else 1.0
        elapsed = time.monotonic() - self.started
        left = elapsed / fraction - elapsed if fraction > 0 else 0.0
        filled = round(self.WIDTH * fraction)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        line = f"{self.label} [{bar}] {done}/{total} {self.unit}, {left:.0f} s left"
        if self.tty:
            end = "\n" if done >= total else ""
            self.stream.write(f"\r{line}{end}")
            self.stream.flush()
        elif int(fraction * 10) > self._last_tenth:
            self._last_tenth = int(fraction * 10)
            print(line, file=self.stream)


def _services() -> Services:
    from reader.services import build_services

    return build_services(_settings())


def _cmd_build(args: argparse.Namespace) -> int:
    services = _services()
    try:
        slugs = args.slugs or services.store.slugs()
        if not slugs:
            raise CommandError(f"no pages in {services.settings.pages_dir}")
        known = set(services.store.slugs())
        for slug in slugs:
            check_slug(slug)  # an invalid slug fails before any work
            if slug not in known:
                raise CommandError(f"no page {slug!r} in {services.settings.pages_dir}")
        totals: Counter[str] = Counter()
        engines: Counter[str] = Counter()
        seconds = 0.0
        failed: list[str] = []
        for slug in slugs:
            try:
                result = services.builder.build(slug, force=args.force, progress=ProgressBar(slug))
            except ReaderError as error:
                print(f"reader build: {slug}: {error.message}", file=sys.stderr)
                failed.append(slug)
                continue
            totals.update(
                sentences=result.sentences, synthesised=result.synthesised, reused=result.reused
            )
            engines.update(result.engines)
            seconds += result.seconds
        used = ", ".join(f"{name} ({count})" for name, count in sorted(engines.items())) or "none"
        print(
            f"{len(slugs) - len(failed)} pages: {totals['sentences']} sentences, "
            f"{totals['synthesised']} clips synthesised, {totals['reused']} clips reused, "
            f"{seconds:.1f} s of audio, engines used: {used}"
        )
        if failed:
            raise CommandError(f"{len(failed)} pages failed: {', '.join(failed)}")
        return 0
    finally:
        services.close()


def _cmd_import(args: argparse.Namespace) -> int:
    from reader.site.crawl import Crawler

    services = _services()
    try:
        if not services.site.enabled:
            raise CommandError("set READER_SITE_ORIGINS to the sites whose pages may be read")
        report = Crawler(services.site).crawl(args.url, ProgressBar("import", unit="pages"))
        for address, why in report.problems:
            print(f"reader import: {address}: {why}", file=sys.stderr)
        print(f"{len(report.slugs)} pages: {report.summary()}")
        if args.build:
            totals: Counter[str] = Counter()
            for slug in report.slugs:
                result = services.builder.build(slug, progress=ProgressBar(slug))
                totals.update(
                    sentences=result.sentences,
                    synthesised=result.synthesised,
                    reused=result.reused,
                )
            print(
                f"{len(report.slugs)} pages built: {totals['sentences']} sentences, "
                f"{totals['synthesised']} clips synthesised, {totals['reused']} clips reused"
            )
        return 0
    finally:
        services.close()


def _cmd_status(args: argparse.Namespace) -> int:
    services = _services()
    try:
        slugs = services.store.slugs()
        if not slugs:
            raise CommandError(f"no pages in {services.settings.pages_dir}")
        width = max(len(slug) for slug in slugs)
        for slug in slugs:
            status = services.builder.status(slug)
            detail = ""
            if status.manifest is not None:
                manifest = status.manifest
                built = manifest.built_at.astimezone().strftime("%Y-%m-%d %H:%M")
                detail = (
                    f"  {manifest.page.duration_ms / 1000:6.1f} s  "
                    f"{', '.join(manifest.voices)}  built {built}"
                )
                if status.state == "degraded":
                    spoken = sum(1 for clip in manifest.clips if clip.degraded)
                    detail += f"  ({spoken} of {len(manifest.clips)} sentences by the fallback)"
            print(f"{slug:<{width}}  {status.state:<8}{detail}".rstrip())
        upgrade = _upgrade_line(services.settings.data_dir)
        if upgrade is not None:
            print(upgrade)
        return 0
    finally:
        services.close()


def _cmd_clean(args: argparse.Namespace) -> int:
    from reader.audio.clean import carry_out, plan_clean

    settings = _settings()
    if not settings.data_dir.is_dir():
        raise CommandError(f"{settings.data_dir}: no such directory (READER_DATA_DIR)")
    plan = plan_clean(settings.data_dir, grace=settings.clean_grace)
    for problem in plan.problems:
        print(f"reader clean: cannot read {problem}; all audio is kept", file=sys.stderr)
    verb = "would remove" if args.dry_run else "removed"
    done = plan.removals if args.dry_run else list(carry_out(plan))
    why = {"temp": "left over from an interrupted write", "unused": "no page uses it"}
    for removal in done:
        path = removal.path.relative_to(settings.data_dir)
        print(f"{verb} {path}  {removal.size} bytes  ({why[removal.reason]})")
    size = sum(removal.size for removal in done)
    print(f"{verb} {len(done)} files, {size} bytes" + (" (dry run)" if args.dry_run else ""))
    return EXIT_FAILURE if plan.problems else 0


_ENGINE_NAMES = {"gtts": "gTTS", "piper": "Piper", "espeak": "espeak-ng"}


def _upgrade_line(data_dir: Path) -> str | None:
    """What ``reader serve`` last said about making degraded audio again (None: never ran)."""
    from reader.audio.upgrade import read_status

    report = read_status(data_dir)
    if report is None:
        return None
    state, at = report.get("state"), report.get("at")
    pending, done = report.get("degraded_pages"), report.get("upgraded_pages")
    engine = str(report.get("engine", "gtts"))  # reports written before the name was kept
    if state == "upgrading":
        now = f", now {report['slug']}" if report.get("slug") else ""
        return f"upgrade of degraded audio: upgrading, {pending} pages left{now} (at {at})"
    if state == "waiting":
        return (
            f"upgrade of degraded audio: waiting for {_ENGINE_NAMES.get(engine, engine)}, "
            f"{pending} pages left, next try in "
            f"{report.get('next_try_s')} s (at {at})"
        )
    return f"upgrade of degraded audio: nothing to do, {done} pages upgraded (at {at})"


def _cmd_speak(args: argparse.Namespace) -> int:
    from reader._atomic import write_atomic
    from reader.audio.build import speak_text

    text = " ".join(args.text).strip()
    if not text:
        raise CommandError("give the text to speak")
    if len(text) > MAX_SPEAK_CHARS:
        raise CommandError(f"the text is {len(text)} characters; the limit is {MAX_SPEAK_CHARS}")
    output = Path(args.output)
    if output.suffix.lower() != ".mp3":
        raise CommandError(f"{output}: the output must be an .mp3 file")
    if not output.parent.is_dir():
        raise CommandError(f"{output.parent}: no such directory")
    services = _services()
    try:
        data, duration_ms = speak_text(services.builder, text)
    finally:
        services.close()
    write_atomic(output, data)
    print(f"{output}: {duration_ms / 1000:.1f} s")
    return 0


def _cmd_voices_list(args: argparse.Namespace) -> int:
    from reader.speech.voices import list_voices

    for voice in list_voices(_settings()):
        state = "installed" if voice.installed else "known"
        rate = f"{voice.sample_rate} Hz" if voice.sample_rate else "? Hz"
        print(
            f"{voice.name}  {state:<9}  {voice.size / 1e6:5.1f} MB  {rate}  "
            f"licence: {voice.licence}"
        )
    return 0


def _cmd_voices_install(args: argparse.Namespace) -> int:
    from reader.speech.voices import install_voice

    source = Path(args.source) if args.source else None
    if source is not None and not source.is_dir():
        raise CommandError(f"{source}: no such directory")
    model = install_voice(_settings(), args.name, source_dir=source)
    print(f"installed {args.name} in {model.parent}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reader", description="Reads Høje-Taastrup Kommune's policy pages aloud in Danish."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the service")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes answering on the port (1); more than 1 needs READER_REDIS_URL",
    )
    serve.set_defaults(handler=_cmd_serve)

    extract = commands.add_parser("extract", help="print the extracted structure of a page")
    extract.add_argument("target", metavar="SLUG-OR-FILE")
    extract.add_argument("--json", action="store_true", help="print JSON instead of an outline")
    extract.set_defaults(handler=_cmd_extract)

    normalize = commands.add_parser("normalize", help="print text as it will be spoken")
    normalize.add_argument("text", nargs="+", metavar="TEXT")
    normalize.set_defaults(handler=_cmd_normalize)

    build = commands.add_parser("build", help="synthesise and cache audio for the pages")
    build.add_argument("slugs", nargs="*", metavar="SLUG", help="pages to build (default: all)")
    build.add_argument("--force", action="store_true", help="make every clip anew")
    build.set_defaults(handler=_cmd_build)

    speak = commands.add_parser("speak", help="speak a text into an MP3 file")
    speak.add_argument("text", nargs="+", metavar="TEXT")
    speak.add_argument("-o", "--output", required=True, metavar="FILE.mp3")
    speak.set_defaults(handler=_cmd_speak)

    imports = commands.add_parser("import", help="bring in the pages of an allowed site")
    imports.add_argument("url", metavar="URL", help="a sitemap, a sitemap index or one page")
    imports.add_argument("--build", action="store_true", help="make their audio too")
    imports.set_defaults(handler=_cmd_import)

    clean = commands.add_parser(
        "clean", help="remove audio no page uses any more and temp files left by a crash"
    )
    clean.add_argument("--dry-run", action="store_true", help="only print what would be removed")
    clean.set_defaults(handler=_cmd_clean)

    status = commands.add_parser("status", help="fresh / stale / missing / degraded per page")
    status.set_defaults(handler=_cmd_status)

    voices = commands.add_parser("voices", help="list or install Piper voices")
    voice_commands = voices.add_subparsers(dest="voices_command", required=True, metavar="ACTION")
    listing = voice_commands.add_parser("list", help="installed and known voices")
    listing.set_defaults(handler=_cmd_voices_list)
    install = voice_commands.add_parser("install", help="download (or copy) a voice, checked")
    install.add_argument("name", metavar="NAME")
    install.add_argument("--from", dest="source", metavar="DIR", help="files copied by hand")
    install.set_defaults(handler=_cmd_voices_install)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if getattr(args, "port", None) is not None and not 0 < args.port < 65536:
        parser.error(f"--port must be between 1 and 65535, not {args.port}")
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except (CommandError, ReaderError) as exc:
        print(f"reader {args.command}: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except BrokenPipeError:  # an OSError too: before the disk problems
        # The reader of our output ("reader extract x --json | head") is gone: nothing is wrong
        # and nothing more can be said. Point stdout at /dev/null so the interpreter's final
        # flush does not raise a second time.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 0
    except OSError as exc:
        failed = storage_failure(exc)
        if failed is None:
            raise
        print(f"reader {args.command}: {failed.message}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
