"""What the content files held when they were last looked at, and which process looks.

The content watcher reports a file as changed when its SHA-256 differs from the one kept here.
Embedded: a dict of this process, which always looks. With Redis: a hash every replica shares,
changed only under a lock (a replica's own write and another's look never interleave), and a
lead: only the replica holding it looks at the files, so a change made on disk is acted on
once, not once per replica. The lead is renewed at every look and expires ``ttl`` seconds after
its holder's last renewal (SIGKILL, machine gone); another replica takes it at its next look. A
replica that stops cleanly gives it up at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from reader.backends._redis import unavailable
from reader.backends.locks import KeyLocks
from reader.errors import Busy

if TYPE_CHECKING:
    from redis import Redis
    from redis.lock import Lock as RedisLock

logger = logging.getLogger(__name__)

LEAD_LOOKS = 3
"""The lead outlives its holder's last renewal by this many looks (and twice the time a Redis
call may take), so one slow look does not hand it over."""

HOLD_WAIT = 10.0
"""Seconds a write of a content file waits for a look in progress on another replica."""


@dataclass
class Known:
    """The digests by name (``page:<file>``, ``lexicon``) as a holder sees and changes them."""

    digests: dict[str, str] = field(default_factory=dict)
    lost: bool = False
    """None are kept (Redis restarted empty): the files as they are now are the starting
    point again, or every file would count as added."""


def lead_ttl(interval: float, timeout: float) -> float:
    """Seconds the lead lives after its holder's last look at the files."""
    return max(LEAD_LOOKS * interval, 2 * timeout)


class ContentBaseline(Protocol):
    """The files' digests, and the lead."""

    def leads(self) -> bool:
        """Whether this process is the one that looks (taking or renewing the lead)."""
        ...

    def hold(self) -> AbstractContextManager[Known]:
        """The digests, for this process alone until the block ends; what the block changes in
        them is kept. ``BackendUnavailable`` when they cannot be read."""
        ...

    def close(self) -> None: ...


class LocalBaseline:
    """This process's own digests; it always leads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known = Known()

    def leads(self) -> bool:
        return True

    @contextmanager
    def hold(self) -> Iterator[Known]:
        with self._lock:
            yield self._known

    def close(self) -> None:
        pass


class RedisBaseline:
    """The digests in a Redis hash under a ``KeyLocks`` lock; the lead is a Redis lock of its
    own, renewed by each look rather than by a thread, so it lives exactly as long as looks
    keep happening."""

    def __init__(
        self, client: Redis, locks: KeyLocks, *, ttl: float, prefix: str = "reader:content:"
    ) -> None:
        self.client = client
        self.locks = locks
        self.ttl = ttl
        self._digests = prefix + "digests"
        self._lead_name = prefix + "lead"
        self._lead: RedisLock | None = None
        self._guard = threading.Lock()

    def leads(self) -> bool:
        from redis.exceptions import LockError, RedisError

        with self._guard:
            try:
                if self._lead is not None:
                    try:
                        self._lead.reacquire()
                        return True
                    except LockError:
                        logger.warning("the lead of the content watch expired: taken over?")
                        self._lead = None
                lead = self.client.lock(
                    self._lead_name, timeout=self.ttl, blocking=False, thread_local=False
                )
                if not lead.acquire():
                    return False
                self._lead = lead
                logger.info("this replica now looks at the content files")
                return True
            except RedisError as error:
                # Nobody looks while Redis is away; the first look after it holds the lead.
                logger.warning("cannot take the lead of the content watch: %s", error)
                return False

    @contextmanager
    def hold(self) -> Iterator[Known]:
        from redis.exceptions import RedisError

        held = self.locks.acquire("content-files", wait=HOLD_WAIT)
        if held is None:
            raise Busy("Indholdet bliver gennemset lige nu. Prøv igen om lidt.", retry_after=5)
        try:
            try:
                raw = self.client.hgetall(self._digests)
            except RedisError as error:
                raise unavailable(error) from None
            before = {_text(name): _text(digest) for name, digest in raw.items()}
            lost = _MARK not in before  # never kept, or Redis restarted empty
            known = Known({name: d for name, d in before.items() if name != _MARK}, lost)
            try:
                yield known
            finally:
                self._keep(before, {_MARK: "", **known.digests})
        finally:
            held.release()

    def _keep(self, before: dict[str, str], after: dict[str, str]) -> None:
        from redis.exceptions import RedisError

        changed = {name: digest for name, digest in after.items() if before.get(name) != digest}
        gone = [name for name in before if name not in after]
        if not changed and not gone:
            return
        try:
            with self.client.pipeline() as pipe:
                for name, digest in changed.items():
                    pipe.hset(self._digests, name, digest)
                if gone:
                    pipe.hdel(self._digests, *gone)
                pipe.execute()
        except RedisError as error:
            raise unavailable(error) from None

    def close(self) -> None:
        """Give the lead up, so another replica looks from its next look on."""
        from redis.exceptions import LockError, RedisError

        with self._guard:
            lead, self._lead = self._lead, None
        if lead is not None:
            try:
                lead.release()
            except (LockError, RedisError) as error:
                logger.warning("could not give up the lead of the content watch: %s", error)


_MARK = "~kept"
"""Always in the hash once digests were kept: its absence means they were lost."""


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw
