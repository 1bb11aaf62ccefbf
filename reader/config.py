"""All settings of the service, read from the environment (prefix ``READER_``)."""

from __future__ import annotations

import re
from ipaddress import ip_address
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import soupsieve
from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENGINE_NAMES = ("piper", "gtts", "espeak")
"""The engines ``READER_ENGINE`` may list."""

DEFAULT_EDITOR_LABEL = "redaktion"
"""The name the audit log gives a token that has no label of its own."""

MIN_TOKEN_LENGTH = 16
_LABEL = re.compile(r"[\w .@-]{1,40}")

DEFAULT_PIPER_VOICE = "da_DK-talesyntese-medium"

PIPER_VOICES_URL = "https://huggingface.co/rhasspy/piper-voices/resolve/v1.0.0"
"""Where the Piper voices are published, at a tagged revision: the files under it never change,
so the sums pinned in ``reader.speech.voices`` keep holding."""

GOOGLE_TTS_URL = "https://translate.google.com/_/TranslateWebserverUi/data/batchexecute"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def parse_admin_tokens(value: str) -> list[tuple[str, str]]:
    """``READER_ADMIN_TOKEN`` as (label, token) pairs; ``ValueError`` names what is wrong.

    ``"s3cret…"`` is one token labelled ``redaktion``; ``"anna:s3cret…,bo:other…"`` are two. A
    token on its own may not contain ``:`` (give it a label); no token may contain ``,``.
    """
    pairs: list[tuple[str, str]] = []
    for entry in (part.strip() for part in value.split(",")):
        if not entry:
            continue
        label, colon, token = entry.partition(":")
        if not colon:
            label, token = DEFAULT_EDITOR_LABEL, entry
        label = label.strip()
        if not _LABEL.fullmatch(label):
            raise ValueError(
                f"READER_ADMIN_TOKEN: {label[:40]!r} is not a label (1-40 letters, digits, "
                "spaces or . _ - @)"
            )
        if len(token) < MIN_TOKEN_LENGTH or token != token.strip():
            raise ValueError(
                f"READER_ADMIN_TOKEN must be at least {MIN_TOKEN_LENGTH} characters long, "
                f"without spaces around it (the token of {label!r})"
            )
        if any(label == known for known, _ in pairs):
            raise ValueError(f"READER_ADMIN_TOKEN: the label {label!r} is used twice")
        if any(token == known for _, known in pairs):
            raise ValueError("READER_ADMIN_TOKEN: two labels have the same token")
        pairs.append((label, token))
    if not pairs:
        raise ValueError("READER_ADMIN_TOKEN is set but holds no token: unset it or give one")
    return pairs


class Settings(BaseSettings):
    """Settings of one reader instance. Each field is an environment variable ``READER_<NAME>``."""

    # An error never repeats the value it refuses: it may be a token.
    model_config = SettingsConfigDict(
        env_prefix="READER_", extra="ignore", hide_input_in_errors=True
    )

    content_dir: Path = Path("content")
    """Where the pages (``pages/<slug>.html``) and the pronunciation lexicon live."""

    data_dir: Path = Path("var")
    """Where clips, tracks and manifests are cached. Must be writable."""

    engine: str = "auto"
    """Engines in order of preference, comma-separated (``piper,gtts,espeak``); a clip made by
    a later one is degraded. ``auto`` = Piper when its voice is installed, else gTTS, and
    espeak-ng last."""

    piper_voice: str = DEFAULT_PIPER_VOICE
    """The Piper voice: the name of one installed with ``reader voices install``, or the path
    of an ``.onnx`` model (its ``.onnx.json`` beside it); empty means the default."""

    piper_processes: int = Field(default=1, ge=1, le=16)
    """Piper processes, each with the model loaded (about 350 MB each): sentences spoken at
    once."""

    piper_timeout: float = Field(default=30.0, gt=0, le=600)
    """Seconds one Piper sentence may take (loading the model not included); then its process
    is stopped and the next call starts a new one."""

    admin_token: SecretStr | None = None
    """Bearer token(s) for the editor routes; they are disabled while it is unset.

    One token, or comma-separated ``label:token`` pairs: the label names the editor in the
    audit log (a token without a label is logged as ``redaktion``)."""

    auto_regenerate: bool = True
    """Make new audio as soon as a page or the lexicon changes (else an editor starts it)."""

    watch_interval: float = Field(default=3.0, ge=0, le=3600)
    """Seconds between two looks at the content files for changes made on disk; 0 = never."""

    page_versions: int = Field(default=20, ge=1, le=1000)
    """Earlier versions kept of each page, for rolling back."""

    allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Comma-separated origins allowed to fetch the API and audio from a browser (CORS)."""

    base_url: str = "http://127.0.0.1:8000"
    """The public address of the service, used in absolute links (feeds, ID3 tags, oEmbed)."""

    max_page_bytes: int = Field(default=2_000_000, ge=1_000, le=50_000_000)
    """Largest page HTML accepted, in bytes."""

    max_page_sentences: int = Field(default=5000, ge=1, le=1_000_000)
    """Most sentences a page an editor publishes may have."""

    gtts_url: str = GOOGLE_TTS_URL
    """Google's TTS endpoint. Only ``https``, or ``http`` to a loopback address (tests)."""

    gtts_timeout: float = Field(default=10.0, gt=0, le=120)
    """Seconds one gTTS request may take before it is retried or given up."""

    gtts_concurrency: int = Field(default=4, ge=1, le=32)
    """Most gTTS requests in flight at once, across the whole process."""

    gtts_retries: int = Field(default=3, ge=0, le=10)
    """Retries of one gTTS request after 429, 5xx or a connection error."""

    espeak_speed: int = Field(default=160, ge=80, le=450)
    """espeak-ng words per minute."""

    espeak_timeout: float = Field(default=30.0, gt=0, le=600)
    """Seconds one espeak-ng or ffmpeg call may take."""

    synthesis_wait: float = Field(default=30.0, gt=0, le=300)
    """Seconds a listener's request waits for audio being made before it gets 503 + Retry-After."""

    primary_wait: float = Field(default=3.0, gt=0, le=120)
    """Seconds a listener waits for gTTS on a sentence before espeak-ng speaks it (degraded)."""

    breaker_reset: float = Field(default=60.0, gt=0, le=3600)
    """Seconds gTTS is left alone after repeated failures before one trial call goes to it."""

    upgrade_interval: float = Field(default=30.0, ge=0, le=3600)
    """Seconds between looks for degraded audio to make again with gTTS; 0 = never."""

    queue_size: int = Field(default=64, ge=1, le=10_000)
    """Most section and page builds waiting at once; beyond it requests get 503 + Retry-After."""

    queue_workers: int = Field(default=2, ge=1, le=32)
    """Threads taking builds off the queue."""

    job_workers: int = Field(default=2, ge=1, le=16)
    """Threads running editors' regeneration jobs: with more than one, a long page does not
    hold up the jobs of every other page."""

    clean_grace: float = Field(default=86_400.0, ge=0, le=365 * 86_400)
    """Seconds an audio file no manifest points to is kept before ``reader clean`` removes it,
    so an address handed out a moment ago keeps working."""

    clean_interval: float = Field(default=3600.0, ge=0, le=7 * 86_400)
    """Seconds between two clean-ups by ``reader serve``; 0 = never."""

    audio_cache_mb: int = Field(default=128, ge=0, le=16_384)
    """Memory for serving audio files without touching the disk."""

    render_cache_mb: int = Field(default=64, ge=0, le=16_384)
    """Memory for rendered reading views and page JSON (both encodings), kept per page version."""

    min_free_mb: int = Field(default=32, ge=0, le=1_048_576)
    """Free space the data directory needs for ``/readyz`` to say ready."""

    speak_max_chars: int = Field(default=1000, ge=1, le=20_000)
    """Longest text ``POST /api/speak`` reads."""

    speak_per_minute: int = Field(default=10, ge=1, le=10_000)
    """``POST /api/speak`` requests one client may make a minute."""

    max_header_bytes: int = Field(default=32768, ge=1024, le=1_048_576)
    """Largest request line and headers of one request, in bytes; beyond it 431."""

    header_timeout: float = Field(default=10.0, gt=0, le=300)
    """Seconds a connection may take to send a request's headers before it is closed."""

    keep_alive_timeout: int = Field(default=5, ge=1, le=300)
    """Seconds an idle kept-alive connection stays open waiting for the next request."""

    max_connections: int = Field(default=1000, ge=1, le=1_000_000)
    """Most connections (and requests being answered) at once; beyond it new requests get 503."""

    site_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Comma-separated origins whose pages may be read by their address; empty = never."""

    site_allow_private: bool = False
    """Let site addresses resolve to loopback or private networks (a CMS on the intranet)."""

    site_ttl: float = Field(default=3600.0, ge=0, le=30 * 86400)
    """Seconds a fetched site page is used before it is revalidated with the site."""

    site_timeout: float = Field(default=10.0, gt=0, le=120)
    """Seconds one request to a site may take, connecting and reading together."""

    site_concurrency: int = Field(default=2, ge=1, le=16)
    """Most requests in flight to one site at once."""

    site_crawl_delay: float = Field(default=0.5, ge=0, le=60)
    """Seconds between two requests of an import to one site (robots.txt may ask for more)."""

    site_region: str = ""
    """CSS selector of the readable region on site pages (``#content``); empty = the usual rules."""

    site_skip_classes: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["rs_skip", "rsbtn"]
    )
    """Class names of the parts of a site page that are never read aloud."""

    site_keep_query: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Query parameters that make a different page (``id``); every other one is dropped."""

    site_listed: bool = False
    """List site pages on the index, in ``/api/pages`` and in the feed."""

    site_crawl_url: str = ""
    """A sitemap the service crawls by itself every ``site_crawl_interval``; empty = never."""

    site_crawl_interval: float = Field(default=86400.0, gt=0, le=30 * 86400)
    """Seconds between two crawls of ``site_crawl_url``."""

    redis_url: SecretStr | None = None
    """Redis shared by several replicas (``redis://host:6379/0``): locks and the rate limit.

    Unset: everything stays in this process. Secret, since the address may hold a password."""

    storage_url: str | None = None
    """Where clips and tracks live: unset = the data directory (also a shared directory such
    as an NFS mount); ``s3://bucket/prefix`` = an S3-compatible object store."""

    s3_endpoint: str | None = None
    """The object store's address (``https://s3.example.dk``); unset = AWS's own endpoint."""

    s3_region: str = "us-east-1"
    """The object store's region."""

    s3_access_key_id: SecretStr | None = None
    """The object store's access key; unset = boto3's usual sources (environment, role)."""

    s3_secret_access_key: SecretStr | None = None
    """The secret belonging to ``s3_access_key_id``."""

    backend_timeout: float = Field(default=2.0, gt=0, le=60)
    """Seconds one call to Redis or the object store may take before it counts as down."""

    store_cache_mb: int = Field(default=1024, ge=16, le=1_048_576)
    """Disk under the data directory for audio read from the object store (least used goes)."""

    voices_url: str = PIPER_VOICES_URL
    """Where ``reader voices install`` downloads voices from. Only ``https``, or ``http`` to a
    loopback address (tests)."""

    voices_timeout: float = Field(default=30.0, gt=0, le=600)
    """Seconds ``reader voices install`` waits for the server to connect or send more."""

    @field_validator("piper_voice")
    @classmethod
    def _default_voice(cls, value: str) -> str:
        return value.strip() or DEFAULT_PIPER_VOICE

    @field_validator("engine")
    @classmethod
    def _check_engine(cls, value: str) -> str:
        names = [part.strip() for part in value.split(",") if part.strip()]
        if names == ["auto"]:
            return "auto"
        if not names or any(name not in ENGINE_NAMES for name in names):
            raise ValueError(
                "READER_ENGINE must be auto or a comma-separated list of " + ", ".join(ENGINE_NAMES)
            )
        if len(set(names)) != len(names):
            raise ValueError("READER_ENGINE names an engine twice")
        return ",".join(names)

    @property
    def engine_names(self) -> tuple[str, ...]:
        """The engines listed in ``engine`` (empty for ``auto``: that depends on the voices)."""
        return () if self.engine == "auto" else tuple(self.engine.split(","))

    @field_validator("allowed_origins", "site_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
        return value

    @field_validator("allowed_origins", "site_origins")
    @classmethod
    def _check_origins(cls, value: list[str], info: ValidationInfo) -> list[str]:
        name = f"READER_{(info.field_name or '').upper()}"
        for origin in value:
            parts = urlsplit(origin)
            if (
                parts.scheme not in ("http", "https")
                or not parts.hostname
                or parts.path
                or parts.username is not None
            ):
                raise ValueError(f"{name}: {origin!r} is not an origin like https://example.dk")
        if name == "READER_SITE_ORIGINS":
            return [origin.lower() for origin in value]
        return value

    @field_validator("site_skip_classes", "site_keep_query", mode="before")
    @classmethod
    def _split_names(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("site_region")
    @classmethod
    def _check_region(cls, value: str) -> str:
        value = value.strip()
        if value:
            try:
                soupsieve.compile(value)
            except soupsieve.SelectorSyntaxError:
                raise ValueError(
                    f"READER_SITE_REGION: {value[:80]!r} is not a CSS selector (like #content)"
                ) from None
        return value

    @field_validator("gtts_url", "voices_url")
    @classmethod
    def _check_https_url(cls, value: str, info: ValidationInfo) -> str:
        parts = urlsplit(value)
        if parts.scheme == "https" and parts.hostname:
            return value
        if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
            return value
        raise ValueError(
            f"READER_{(info.field_name or '').upper()} must be an https:// address "
            "(plain http only to a loopback address)"
        )

    @field_validator("admin_token")
    @classmethod
    def _check_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_admin_tokens(value.get_secret_value())
        return value

    @model_validator(mode="after")
    def _check_base_url(self) -> Settings:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("READER_BASE_URL must be an absolute http(s) address")
        self.base_url = self.base_url.rstrip("/")
        return self

    @model_validator(mode="after")
    def _check_backends(self) -> Settings:
        if self.redis_url is not None:
            scheme = urlsplit(self.redis_url.get_secret_value()).scheme
            if scheme not in ("redis", "rediss", "unix"):
                raise ValueError(
                    "READER_REDIS_URL must be a redis://, rediss:// or unix:// address"
                )
        s3_named = [
            name
            for name, value in (
                ("READER_S3_ENDPOINT", self.s3_endpoint),
                ("READER_S3_ACCESS_KEY_ID", self.s3_access_key_id),
                ("READER_S3_SECRET_ACCESS_KEY", self.s3_secret_access_key),
            )
            if value is not None
        ]
        if self.storage_url is None:
            if s3_named:
                raise ValueError(
                    f"{s3_named[0]} is set but READER_STORAGE_URL is not: set it to "
                    "s3://bucket/prefix, or unset the READER_S3_ settings"
                )
            return self
        parts = urlsplit(self.storage_url)
        if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
            raise ValueError(
                "READER_STORAGE_URL must be s3://bucket/prefix (unset: the data directory)"
            )
        if (self.s3_access_key_id is None) != (self.s3_secret_access_key is None):
            raise ValueError(
                "READER_S3_ACCESS_KEY_ID and READER_S3_SECRET_ACCESS_KEY go together: set both"
            )
        if self.s3_endpoint is not None:
            endpoint = urlsplit(self.s3_endpoint)
            if endpoint.scheme not in ("http", "https") or not endpoint.hostname:
                raise ValueError("READER_S3_ENDPOINT must be an http(s) address")
        if self.redis_url is None:
            # Replicas sharing the audio without sharing locks would each synthesise the same
            # sentence and split the rate limit.
            raise ValueError(
                "READER_STORAGE_URL is shared by several replicas: set READER_REDIS_URL too"
            )
        return self

    @property
    def s3_bucket(self) -> str:
        """The bucket of ``storage_url`` (empty while it is unset)."""
        return urlsplit(self.storage_url or "").netloc

    @property
    def s3_prefix(self) -> str:
        """The key prefix of ``storage_url``: empty, or ending in ``/``."""
        path = urlsplit(self.storage_url or "").path.strip("/")
        return f"{path}/" if path else ""

    @property
    def voices_dir(self) -> Path:
        return self.data_dir / "voices"

    @property
    def pages_dir(self) -> Path:
        return self.content_dir / "pages"

    @property
    def lexicon_path(self) -> Path:
        return self.content_dir / "lexicon.txt"
