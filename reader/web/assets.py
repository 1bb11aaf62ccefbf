"""Static files with content-hashed URLs, so browsers may cache them for a year."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"


class Assets:
    """Versions of the files under ``static/``: the first 12 hex digits of their SHA-256.

    ``load()`` hashes the files once (at start-up, in a worker thread); afterwards looking a
    version up touches no file, so it is safe inside the event loop.
    """

    def __init__(self, directory: Path = STATIC_DIR, *, prefix: str = "/static") -> None:
        self.directory = directory
        self.prefix = prefix
        self._versions: dict[str, str] = {}

    def load(self) -> None:
        self._versions = {
            path.relative_to(self.directory).as_posix(): _digest(path)
            for path in sorted(self.directory.rglob("*"))
            if path.is_file()
        }

    def version(self, name: str) -> str | None:
        return self._versions.get(name)

    def url(self, name: str) -> str:
        version = self.version(name)
        if version is None:
            raise LookupError(f"no static file {name!r} in {self.directory}")
        return f"{self.prefix}/{name}?v={version}"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


class VersionedStaticFiles(StaticFiles):
    """Serves ``static/``; a request naming the file's current version may be cached for good."""

    def __init__(self, assets: Assets) -> None:
        super().__init__(directory=assets.directory)
        self.assets = assets

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = (
            IMMUTABLE if self._is_current(full_path, scope) else "no-cache"
        )
        return response

    def _is_current(self, full_path: str | os.PathLike[str], scope: Scope) -> bool:
        try:
            name = Path(full_path).relative_to(self.assets.directory).as_posix()
        except ValueError:
            return False
        version = self.assets.version(name)
        query: bytes = scope.get("query_string", b"")
        return version is not None and f"v={version}".encode() in query.split(b"&")
