"""The audit log: append-only JSON lines, read newest first, whole lines even under load."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from reader.editor.audit import AuditLog
from reader.errors import StorageFailed
from tests.disks import fill, full_disk, tmpfs

__all__ = ["full_disk"]  # a fixture used by name


def test_entries_come_back_newest_first_and_can_be_filtered(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record("anna", "page.published", "a", "Udgav a")
    log.record("bo", "lexicon.added", "lexicon", "Tilføjede", {"written": "htk"})
    log.record("anna", "audio.done", "a", "Ny lyd")
    assert [e.summary for e in log.recent()] == ["Ny lyd", "Tilføjede", "Udgav a"]
    assert [e.action for e in log.recent(target="a")] == ["audio.done", "page.published"]
    assert [e.who for e in log.recent(limit=1)] == ["anna"]
    assert log.recent(target="lexicon")[0].details == {"written": "htk"}


def test_the_file_is_one_json_object_per_line_with_a_utc_time(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    AuditLog(path).record("anna", "page.deleted", "a", "Slettede")
    (line,) = path.read_text().splitlines()
    entry = json.loads(line)
    assert entry["who"] == "anna" and entry["action"] == "page.deleted"
    assert dt.datetime.fromisoformat(entry["at"]).utcoffset() == dt.timedelta(0)


def test_a_line_cut_off_by_a_crash_is_skipped_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    log.record("anna", "page.published", "a", "første")
    with path.open("ab") as handle:
        handle.write(b'{"at": "2025-01-01T00:00:00Z", "who": "an')
    assert [e.summary for e in log.recent()] == ["første"]
    log.record("bo", "page.published", "b", "anden")
    assert [e.summary for e in log.recent()] == ["anden", "første"]


def test_many_writers_at_once_leave_every_line_whole(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")

    def write(who: str) -> None:
        for index in range(50):
            log.record(who, "audio.done", f"side-{index}", "x" * 500)

    threads = [threading.Thread(target=write, args=(f"editor-{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()
    assert len(lines) == 400
    assert all(json.loads(line)["summary"] == "x" * 500 for line in lines)
    assert len(log.recent(limit=1000)) == 400  # read back across many 64 KiB chunks


def test_a_missing_log_is_empty(tmp_path: Path) -> None:
    assert AuditLog(tmp_path / "nowhere" / "audit.jsonl").recent() == []


def test_an_entry_the_full_disk_cannot_take_leaves_no_half_line(full_disk: Path) -> None:
    (full_disk / "filler").unlink()
    log = AuditLog(full_disk / "audit.jsonl")
    log.record("redaktør", "page.published", "side", "Første")
    fill(full_disk)
    with pytest.raises(OSError):
        log.record("redaktør", "page.published", "side", "x" * 20_000)
    assert (full_disk / "audit.jsonl").read_bytes().endswith(b"}\n")
    assert [entry.summary for entry in log.recent()] == ["Første"]


def test_a_disk_that_fills_after_the_check_still_takes_the_entry(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", size="2m") as disk:
        log = AuditLog(disk / "audit.jsonl")
        log.check_room()  # before the change is made
        fill(disk)  # the change, or anything else, takes the last byte meanwhile
        log.record("redaktør", "page.published", "side", "x" * 20_000)
        assert [entry.summary for entry in log.recent()] == ["x" * 20_000]
        with pytest.raises(StorageFailed):
            log.check_room()  # the next change is refused before it is made
        (disk / "filler").unlink()
        log.check_room()  # with room again, room is set aside again
        fill(disk)
        log.record("redaktør", "page.deleted", "side", "Slettede")
        assert [entry.summary for entry in log.recent(limit=2)] == ["Slettede", "x" * 20_000]


def test_a_log_that_cannot_be_written_is_the_service_s_failure_not_the_editor_s(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "var"
    blocker.write_text("a file where the data directory should be", encoding="utf-8")
    with pytest.raises(StorageFailed) as raised:
        AuditLog(blocker / "audit.jsonl").check_room()
    assert raised.value.status_code == 503 and raised.value.retry_after
    assert raised.value.message.startswith("Ændringen kan ikke skrives i loggen")


WRITER = """
import sys
from pathlib import Path
from reader.editor.audit import AuditLog

log = AuditLog(Path(sys.argv[1]))
sys.stdin.readline()  # every writer starts at once
for index in range(int(sys.argv[3])):
    log.record(sys.argv[2], "audio.done", f"side-{index}", "x" * 3000)
"""


def test_writers_in_several_processes_leave_every_line_whole(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    count = 60
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), f"replica-{n}", str(count)],
            stdin=subprocess.PIPE,
        )
        for n in range(4)
    ]
    for writer in writers:
        assert writer.stdin is not None
        writer.stdin.write(b"go\n")
        writer.stdin.close()
    for writer in writers:
        assert writer.wait(timeout=300) == 0
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and all(lines[:-1])
    entries = [json.loads(line) for line in lines[:-1]]
    for n in range(4):
        mine = [entry["target"] for entry in entries if entry["who"] == f"replica-{n}"]
        assert mine == [f"side-{index}" for index in range(count)]


HALF_WRITER = """
import fcntl, os, sys

fd = os.open(sys.argv[1], os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
fcntl.lockf(fd, fcntl.LOCK_EX)
line = sys.argv[2].encode() + b"\\n"
os.write(fd, line[:20])  # a write cut in two, as a network file system may deliver it
print("holding", flush=True)
sys.stdin.readline()
os.write(fd, line[20:])
os.close(fd)
"""


def test_an_entry_waits_for_another_process_appending_to_the_log(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    theirs = log.record("bo", "page.published", "b", "fra en anden maskine")
    path.unlink()
    other = subprocess.Popen(
        [sys.executable, "-c", HALF_WRITER, str(path), theirs.model_dump_json()],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert other.stdout is not None and other.stdin is not None
    assert other.stdout.readline() == b"holding\n"
    ours = threading.Thread(target=log.record, args=("anna", "page.published", "a", "herfra"))
    ours.start()
    ours.join(timeout=1)  # gives our entry every chance to cut into theirs
    other.stdin.write(b"done\n")
    other.stdin.close()
    assert other.wait(timeout=60) == 0
    other.stdout.close()
    ours.join(timeout=60)
    assert [entry.summary for entry in log.recent()] == ["herfra", "fra en anden maskine"]
