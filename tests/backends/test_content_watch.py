"""Watchers of one content directory sharing a real Redis, as replicas do: one looks at a time,
a change made on disk is reported once, a replica's own write by none, and the lead passes to
another watcher when its holder dies."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from pydantic import SecretStr

from reader.backends._redis import connect
from reader.backends.baseline import RedisBaseline
from reader.backends.locks import RedisLocks
from reader.config import Settings
from reader.editor.watch import ContentWatcher, DiskChange
from reader.errors import BackendUnavailable
from reader.services import build_services
from tests.backends.servers import RedisServer
from tests.editor.apps import POLITIK, editor_settings, engines, fast_engine, running_editor

pytestmark = pytest.mark.slow

PAGE = "politikker-og-raad.html"
POLLS = 400
POLL = 0.05
LEAD_TTL = 1.0


class Replica:
    """One replica's watcher, with its own Redis client and locks, and what it reported."""

    def __init__(self, settings: Settings, redis: RedisServer) -> None:
        self.client = client = connect(redis.url, 2)
        self.locks = RedisLocks(client)
        self.baseline = RedisBaseline(client, self.locks, ttl=LEAD_TTL)
        self.reported: list[DiskChange] = []
        self.watcher = ContentWatcher(
            settings.pages_dir,
            settings.lexicon_path,
            self.reported.extend,
            interval=0,
            baseline=self.baseline,
        )

    def close(self) -> None:
        self.baseline.close()
        self.locks.close()
        self.client.close()


@pytest.fixture
def three(settings: Settings, redis_server: RedisServer) -> Iterator[list[Replica]]:
    with ExitStack() as stack:
        replicas = []
        for _ in range(3):
            replica = Replica(settings, redis_server)
            stack.callback(replica.close)
            replica.watcher.prime()
            replicas.append(replica)
        yield replicas


def edit(path: Path, words: str) -> None:
    path.write_text(path.read_text().replace("</main>", f"<p>{words}</p></main>"))


def look(replicas: list[Replica]) -> list[DiskChange]:
    found = []
    for replica in replicas:
        found += replica.watcher.scan_once()
    return found


def test_a_change_on_disk_is_reported_by_one_replica_once(
    three: list[Replica], settings: Settings
) -> None:
    assert look(three) == []
    edit(settings.pages_dir / PAGE, "Nyt afsnit.")
    for _ in range(3):
        look(three)
    reports = [(replica, change) for replica in three for change in replica.reported]
    assert [(c.event, c.slug) for _, c in reports] == [("changed", PAGE.removesuffix(".html"))]
    assert reports[0][0] is three[0]  # the first to look took the lead and kept it


def test_a_replicas_own_write_is_no_change_on_disk_for_the_one_that_looks(
    three: list[Replica], settings: Settings
) -> None:
    leader, writer, _ = three
    assert leader.watcher.scan_once() == []
    path = settings.pages_dir / PAGE
    with writer.watcher.writing(path):
        edit(path, "Udgivet af en redaktør.")
    assert look(three) == []
    edit(path, "Og så ændret på disken.")
    assert [c.event for c in look(three)] == ["changed"]


def test_the_lead_passes_to_another_replica_when_its_holder_dies(
    three: list[Replica], settings: Settings
) -> None:
    dying, *others = three
    assert dying.watcher.scan_once() == []
    assert not any(other.baseline.leads() for other in others)
    # SIGKILL: nothing renews the lead and nothing gives it up.
    edit(settings.pages_dir / PAGE, "Ændret, mens ingen kiggede.")
    found: list[DiskChange] = []
    for _ in range(POLLS):
        found = look(others)
        if found:
            break
        threading.Event().wait(POLL)
    assert [c.event for c in found] == ["changed"]
    assert [c.event for c in look(others)] == []
    assert dying.baseline.leads() is False  # it came back: the lead is another's now


def test_a_replica_that_stops_hands_the_lead_over_at_once(three: list[Replica]) -> None:
    first, second, _ = three
    assert first.baseline.leads() and not second.baseline.leads()
    first.close()
    assert second.baseline.leads()


def test_without_redis_nobody_looks_and_a_write_asks_to_wait(
    three: list[Replica], settings: Settings, redis_server: RedisServer
) -> None:
    redis_server.stop()
    edit(settings.pages_dir / PAGE, "Ændret, mens Redis var væk.")
    assert look(three) == []
    with pytest.raises(BackendUnavailable):
        with three[0].watcher.writing(settings.pages_dir / PAGE):
            pass
    three[1].watcher.prime()  # a replica starting meanwhile still starts
    redis_server.start()
    # It came back empty (it keeps nothing on disk): the files as they are are the start.
    assert look(three) == []
    edit(settings.pages_dir / PAGE, "Ændret, da Redis var tilbage.")
    assert [c.event for c in look(three)] == ["changed"]


def test_a_replica_starting_while_another_leads_leaves_it_the_changes_to_see(
    three: list[Replica], settings: Settings, redis_server: RedisServer
) -> None:
    leader = three[0]
    assert leader.watcher.scan_once() == []
    edit(settings.pages_dir / PAGE, "Ændret lige før en replika startede.")
    starting = Replica(settings, redis_server)
    try:
        starting.watcher.prime()
        assert starting.watcher.scan_once() == []  # it does not lead
    finally:
        starting.close()
    assert [c.event for c in leader.watcher.scan_once()] == ["changed"]


def test_pages_changed_while_every_replica_was_stopped_are_noted_once(
    settings: Settings, redis_server: RedisServer
) -> None:
    shared = editor_settings(settings, redis_url=SecretStr(redis_server.url), auto_regenerate=False)
    engine = fast_engine()
    services = build_services(shared, engines(engine))
    try:
        services.builder.build(POLITIK)
    finally:
        services.close()
    edit(shared.pages_dir / f"{POLITIK}.html", "Ændret, mens tjenesten var stoppet.")
    # Two replicas on one data directory (an NFS mount) and one content directory.
    with running_editor(shared, engine) as one, running_editor(shared, engine) as other:
        noted = one.audit_entries(100, POLITIK)
        assert [entry.action for entry in noted] == ["audio.stale_on_start"]
        assert other.audit_entries(100, POLITIK) == noted
