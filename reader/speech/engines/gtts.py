"""gTTS: Google Translate's Danish voice, the service's primary engine.

The gTTS library builds the ``batchexecute`` request bodies; this module sends them itself, because
the library sends with TLS verification off, without a timeout, strictly one after another and
without retries. Here every request has a timeout and verified TLS, goes to ``settings.gtts_url``,
is retried with backoff on 429, 5xx and connection errors, and waits for one of
``settings.gtts_concurrency`` slots shared by every thread using the engine.

The library's default text handling is not used: its English abbreviation rule deletes the full
stop after Danish words such as "mest", and its tokenizer cuts at every comma. A sentence is sent
whole, or in a few pieces cut at clause boundaries when it is longer than Google's 100 characters.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import logging
import random
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests
from gtts import gTTS
from requests.adapters import HTTPAdapter

from reader.config import Settings
from reader.errors import EngineError
from reader.speech.engines import RawAudio
from reader.speech.engines._split import split_sentence

logger = logging.getLogger(__name__)

LANG = "da"
BACKOFF_BASE = 0.5
"""Seconds before the first retry (before jitter); doubled for each further retry."""
BACKOFF_CAP = 8.0
"""Longest backoff between two attempts, unless the server's Retry-After asks for more."""
RETRY_AFTER_CAP = 30.0
"""A Retry-After longer than this gives up at once, so the fallback engine can take over."""

LETTERS_PER_SECOND = 14.0
"""Google's Danish voice at normal speed, about; checks allow twice as fast, thrice as slow."""
SAMPLE_RATES = (24000,)
"""Google answers with MPEG-2 Layer III at 24 kHz, mono."""

# How gTTS finds the audio in Google's answer: the line of the "jQ1olc" RPC, base64 inside.
_RPC_ID = "jQ1olc"
_AUDIO_IN_LINE = re.compile(r'jQ1olc","\[\\"(.*)\\"]')


class GttsEngine:
    """Danish speech from Google Translate's TTS endpoint; returns MP3.

    Safe to share between threads. The counters are for metrics and tests: ``requests_sent``
    (every HTTP attempt), ``retries``, ``failures`` (``synthesize`` calls that raised) and
    ``in_flight_max`` (the most requests observed in flight at once).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._url = settings.gtts_url
        self._timeout = settings.gtts_timeout
        self._retries = settings.gtts_retries
        self._tld = _tld_of(settings.gtts_url)
        self._sleep = sleep
        self._slots = threading.BoundedSemaphore(settings.gtts_concurrency)
        self._owns_session = session is None
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_maxsize=max(10, settings.gtts_concurrency))
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        self._session = session
        self._headers: dict[str, str] = dict(gTTS.GOOGLE_TTS_HEADERS)
        self._lock = threading.Lock()
        self.requests_sent = 0
        self.retries = 0
        self.failures = 0
        self.in_flight = 0
        self.in_flight_max = 0

    @property
    def name(self) -> str:
        return "gtts"

    @property
    def identity(self) -> dict[str, str]:
        return {"engine": "gtts", "voice": LANG, "tld": self._tld, "slow": "0"}

    @property
    def letters_per_second(self) -> float:
        return LETTERS_PER_SECOND

    @property
    def sample_rates(self) -> tuple[int, ...] | None:
        return SAMPLE_RATES

    def close(self) -> None:
        """Close the HTTP session if the engine created it."""
        if self._owns_session:
            self._session.close()

    def synthesize(self, text: str) -> RawAudio:
        try:
            audio = b"".join(self._fetch(body) for body in self._bodies(text))
        except EngineError:
            with self._lock:
                self.failures += 1
            raise
        # Successive MP3 streams concatenate into one playable stream.
        return RawAudio(data=audio, format="mp3")

    def _bodies(self, text: str) -> list[str]:
        """The request bodies gTTS would send for ``text``: one per piece of the sentence."""
        text = " ".join(text.split())
        if not text:
            raise EngineError("Der er ingen tekst at læse op")
        tts = gTTS(
            text,
            tld=self._tld,
            lang=LANG,
            slow=False,
            lang_check=False,
            pre_processor_funcs=[],
            tokenizer_func=split_sentence,
        )
        try:
            bodies = [str(body) for body in tts.get_bodies()]
        except AssertionError:  # gTTS asserts there is something left to speak
            bodies = []
        if not bodies:
            raise EngineError("Teksten indeholder intet, der kan læses op")
        return bodies

    def _fetch(self, body: str) -> bytes:
        """Send one request, retrying transient failures; the decoded MP3."""
        attempt = 0
        while True:
            retry_after: float | None = None
            try:
                response = self._send(body)
            except requests.exceptions.SSLError as error:
                # A certificate that does not verify will not verify on a retry either.
                logger.warning("gTTS TLS error: %s", error)
                raise EngineError("Google TTS: TLS-forbindelsen kunne ikke verificeres") from None
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as error:
                problem = type(error).__name__
            else:
                status = response.status_code
                if 200 <= status < 300:
                    return decode_answer(response.content)
                if status != 429 and status < 500:
                    raise EngineError(f"Google TTS svarede HTTP {status}")
                problem = f"HTTP {status}"
                retry_after = _retry_after(response.headers.get("Retry-After"))
            if attempt >= self._retries:
                raise EngineError(f"Google TTS fejlede {attempt + 1} gange, senest: {problem}")
            delay = _backoff(attempt, retry_after)
            if delay is None:
                raise EngineError(f"Google TTS beder om en pause på {retry_after:g} s")
            attempt += 1
            with self._lock:
                self.retries += 1
            logger.warning(
                "gTTS %s; retry %d of %d in %.2f s", problem, attempt, self._retries, delay
            )
            self._sleep(delay)

    def _send(self, body: str) -> requests.Response:
        with self._slots:
            with self._lock:
                self.requests_sent += 1
                self.in_flight += 1
                self.in_flight_max = max(self.in_flight_max, self.in_flight)
            try:
                return self._session.post(
                    self._url,
                    data=body,
                    headers=self._headers,
                    timeout=self._timeout,
                    verify=True,
                    allow_redirects=False,
                )
            finally:
                with self._lock:
                    self.in_flight -= 1


def decode_answer(content: bytes) -> bytes:
    """The MP3 in a ``batchexecute`` answer, found as gTTS finds it; ``EngineError`` if none."""
    parts: list[bytes] = []
    for line in content.splitlines():
        decoded = line.decode("utf-8", "replace")
        if _RPC_ID not in decoded:
            continue
        match = _AUDIO_IN_LINE.search(decoded)
        if match is None:
            raise EngineError("Google TTS svarede uden lyd")
        try:
            parts.append(base64.b64decode(match.group(1), validate=True))
        except (binascii.Error, ValueError):
            raise EngineError("Google TTS svarede med lyd, der ikke kan afkodes") from None
    if not parts:
        raise EngineError("Google TTS svarede uden lyd")
    audio = b"".join(parts)
    if not _looks_like_mp3(audio):
        raise EngineError("Google TTS svarede uden brugbar MP3-lyd")
    return audio


def _looks_like_mp3(data: bytes) -> bool:
    if data.startswith(b"ID3"):
        return True
    return len(data) >= 2 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0  # frame sync


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent/bad."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _backoff(attempt: int, retry_after: float | None) -> float | None:
    """Seconds to wait before retry number ``attempt + 1``; None if the server asks too much."""
    if retry_after is not None and retry_after > RETRY_AFTER_CAP:
        return None
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2.0**attempt)
    # Jitter keeps the threads that failed together from retrying together.
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)
    return delay if retry_after is None else max(retry_after, delay)


def _tld_of(url: str) -> str:
    """Google's domain ending ("com", "dk") that picks the accent; the host for other URLs."""
    host = urlsplit(url).hostname or ""
    prefix = "translate.google."
    return host[len(prefix) :] if host.startswith(prefix) else host
