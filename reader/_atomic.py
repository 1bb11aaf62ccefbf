"""Atomic file writes: readers see the old file or the new one, never half of either."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

# Like any file the service's user creates: the process umask decides who may read it (0644
# under the usual 022), so a web server in front (nginx as www-data) can serve the audio.
# tempfile.mkstemp would make every file 0600, readable by nobody else.
FILE_MODE = 0o666
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same directory, fsync and os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temp(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _create_temp(path: Path) -> tuple[int, Path]:
    while True:  # a name already taken is a one in 2**64 chance: try another
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        try:
            return os.open(tmp, _FLAGS, FILE_MODE), tmp
        except FileExistsError:
            continue
