"""A fake of Google Translate's TTS endpoint on 127.0.0.1, with injectable faults.

It answers the ``batchexecute`` RPC the way Google does (the ``jQ1olc`` line carrying base64 MP3),
so the real gTTS request bodies and answer format are exercised. Each request takes the next
behaviour from a queued script, or ``default`` once the script is used up::

    with FakeGoogle() as google:
        google.script(Status(429, retry_after="1"), Reply())
        settings = Settings(gtts_url=google.url)
"""

from __future__ import annotations

import base64
import functools
import json
import socket
import struct
import subprocess
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs

from reader.audio.codec import iter_frames

PATH = "/_/TranslateWebserverUi/data/batchexecute"


@dataclass(frozen=True)
class Reply:
    """Answer with the MP3 of the requested text, after ``latency`` seconds."""

    latency: float = 0.0


@dataclass(frozen=True)
class Status:
    """Answer with an HTTP error status (429, 500, 503 …), optionally with Retry-After."""

    code: int
    retry_after: str | None = None


@dataclass(frozen=True)
class Hang:
    """Hold the connection without answering (longer than the client's timeout), then close."""

    seconds: float = 30.0


@dataclass(frozen=True)
class Reset:
    """Read the request, then reset the TCP connection."""


@dataclass(frozen=True)
class Garbage:
    """Answer 200 with a body gTTS cannot decode."""

    body: bytes = b")]}'\n\n<html><body>Our systems have detected unusual traffic</body></html>"


@dataclass(frozen=True)
class Truncated:
    """Answer 200 with well-formed MP3 that holds only the first ``fraction`` of the speech."""

    fraction: float = 1 / 3


@dataclass(frozen=True)
class Silent:
    """Answer 200 with well-formed MP3 of digital silence, as long as the speech would be."""


Behaviour = Reply | Status | Hang | Reset | Garbage | Truncated | Silent


def truncated_mp3(mp3: bytes, fraction: float) -> bytes:
    """The first ``fraction`` of the frames of ``mp3``, cut at a frame boundary."""
    frames = list(iter_frames(mp3))
    kept = frames[: max(1, int(len(frames) * fraction))]
    return mp3[: kept[-1].end]


@functools.lru_cache(maxsize=64)
def silent_mp3(seconds: float) -> bytes:
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi"]
    command += ["-i", "anullsrc=r=24000:cl=mono", "-t", f"{seconds:.2f}", "-b:a", "32k"]
    command += ["-id3v2_version", "0", "-write_xing", "0", "-f", "mp3", "pipe:1"]
    return subprocess.run(command, capture_output=True, check=True).stdout


@functools.lru_cache(maxsize=256)
def espeak_mp3(text: str) -> bytes:
    """Danish MP3 of ``text`` made with espeak-ng and ffmpeg, shaped like Google's (24 kHz mono,
    no ID3 tag, no Xing frame)."""
    wav = subprocess.run(
        ["espeak-ng", "-v", "da", "-b", "1", "--stdin", "--stdout"],
        input=text.encode("utf-8"),
        capture_output=True,
        check=True,
    ).stdout
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "wav", "-i", "pipe:0"]
    command += ["-ac", "1", "-ar", "24000", "-b:a", "32k", "-id3v2_version", "0"]
    command += ["-write_xing", "0", "-f", "mp3", "pipe:1"]
    return subprocess.run(command, input=wav, capture_output=True, check=True).stdout


def answer_body(mp3: bytes) -> bytes:
    """A ``batchexecute`` answer as Google sends it, carrying ``mp3``."""
    payload = json.dumps([base64.b64encode(mp3).decode("ascii")])
    envelope = ["wrb.fr", "jQ1olc", payload, None, None, None, "generic"]
    first = json.dumps([envelope, ["di", 42], ["af.httprm", 41, "-1", 7]], separators=(",", ":"))
    last = json.dumps([["e", 4, None, None, len(first) + 50]], separators=(",", ":"))
    return f")]}}'\n\n{len(first)}\n{first}\n{len(last)}\n{last}\n".encode()


class FakeGoogle:
    """The fake endpoint; a context manager that runs it in a background thread."""

    def __init__(
        self,
        speech: Callable[[str], bytes] = espeak_mp3,
        default: Behaviour = Reply(),
    ) -> None:
        self.speech = speech
        self.default: Behaviour = default
        self.texts: list[str] = []
        """The text of every request, in arrival order."""
        self.langs: list[str] = []
        self.requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._script: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{PATH}"

    def script(self, *behaviours: Behaviour) -> None:
        """Queue behaviours for the next requests, one each."""
        with self._lock:
            self._script.extend(behaviours)

    def __enter__(self) -> FakeGoogle:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _arrive(self, text: str, lang: str) -> Behaviour:
        with self._lock:
            self.requests += 1
            self.texts.append(text)
            self.langs.append(lang)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            return self._script.popleft() if self._script else self.default

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeGoogle) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode("utf-8"))
        try:
            rpc = json.loads(form["f.req"][0])
            rpc_id, parameters = rpc[0][0][0], json.loads(rpc[0][0][1])
            text, lang = str(parameters[0]), str(parameters[1])
        except (KeyError, IndexError, ValueError):
            self.send_error(400, "not a batchexecute request")
            return
        if self.path.split("?")[0] != PATH or rpc_id != "jQ1olc":
            self.send_error(404)
            return
        fake = self.server.fake
        behaviour = fake._arrive(text, lang)
        left = False

        def leave() -> None:
            # Counted out before the answer is written: once it is on the wire the client may
            # already send its next request, which must not look like one too many in flight.
            nonlocal left
            if not left:
                left = True
                fake._leave()

        try:
            self._behave(behaviour, text, leave)
        finally:
            leave()

    def _behave(self, behaviour: Behaviour, text: str, leave: Callable[[], None]) -> None:
        fake = self.server.fake
        if isinstance(behaviour, Reply):
            fake._stopping.wait(behaviour.latency)
            body = answer_body(fake.speech(text))
            leave()
            self._send(200, body)
        elif isinstance(behaviour, Truncated):
            self._send(200, answer_body(truncated_mp3(fake.speech(text), behaviour.fraction)))
        elif isinstance(behaviour, Silent):
            seconds = sum(1 for frame in iter_frames(fake.speech(text))) * 0.024
            self._send(200, answer_body(silent_mp3(round(seconds, 1))))
        elif isinstance(behaviour, Status):
            headers = {"Retry-After": behaviour.retry_after} if behaviour.retry_after else {}
            self._send(behaviour.code, b"error", headers)
        elif isinstance(behaviour, Hang):
            fake._stopping.wait(behaviour.seconds)
            self.close_connection = True
        elif isinstance(behaviour, Reset):
            # Linger on with a zero timeout: close() sends RST instead of FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
        else:
            self._send(200, behaviour.body)

    def _send(self, code: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up (timeout) before the answer came

    def finish(self) -> None:
        try:
            super().finish()
        except (OSError, ValueError):
            pass  # the connection was reset on purpose
