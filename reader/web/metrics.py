"""``/metrics`` in Prometheus text: requests, engine calls, clip cache, synthesis time, queue."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reader.audio.clips import ClipStats
from reader.audio.queue import AudioQueue
from reader.web.render_cache import RenderCache

SYNTHESIS_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
UNMATCHED = "unmatched"
AUDIO_ROUTE = "/audio/{hash}.mp3"
MAX_REMEMBERED = 512
"""Request counters kept at hand; a client's made-up method names may make more."""


class _StateCollector(Collector):
    """Read at scrape time from the objects that already count, so nothing is counted twice."""

    def __init__(self, stats: ClipStats, queue: AudioQueue, rendered: RenderCache | None) -> None:
        self.stats = stats
        self.queue = queue
        self.rendered = rendered

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        snapshot = self.stats.snapshot()
        cache = CounterMetricFamily(
            "reader_clip_cache", "Clip cache look-ups by result", labels=["result"]
        )
        cache.add_metric(["hit"], snapshot.hits)
        cache.add_metric(["miss"], snapshot.misses)
        cache.add_metric(["joined"], snapshot.joined)
        yield cache
        calls = CounterMetricFamily("reader_engine_calls", "Engine calls", labels=["engine"])
        failures = CounterMetricFamily(
            "reader_engine_failures", "Engine calls that failed", labels=["engine"]
        )
        for engine, count in sorted(snapshot.engine_calls.items()):
            calls.add_metric([engine], count)
            failures.add_metric([engine], snapshot.engine_failures.get(engine, 0))
        yield calls
        yield failures
        rejected = CounterMetricFamily(
            "reader_engine_rejected",
            "Engine answers refused by the checks (truncated, silent, undecodable …)",
            labels=["engine", "reason"],
        )
        for (engine, reason), count in sorted(snapshot.engine_rejections.items()):
            rejected.add_metric([engine, reason], count)
        yield rejected
        yield GaugeMetricFamily(
            "reader_queue_depth", "Section and page builds waiting or running", self.queue.depth
        )
        renders = CounterMetricFamily(
            "reader_render_cache",
            "Rendered answers (reading view, page JSON) by kind and result",
            labels=["kind", "result"],
        )
        kept = GaugeMetricFamily(
            "reader_render_cache_bytes", "Bytes of rendered answers kept", labels=["kind"]
        )
        by_kind = self.rendered.stats_by_kind() if self.rendered is not None else {}
        for kind, stats in sorted(by_kind.items()):
            renders.add_metric([kind, "render"], stats.renders)
            renders.add_metric([kind, "hit"], stats.hits)
            kept.add_metric([kind], stats.bytes)
        yield renders
        yield kept


class Metrics:
    """One registry per app, so several apps in one process (tests) never share counts."""

    def __init__(
        self, stats: ClipStats, queue: AudioQueue, rendered: RenderCache | None = None
    ) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "reader_http_requests",
            "HTTP requests by route template, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.synthesis = Histogram(
            "reader_synthesis_seconds",
            "Time of one engine call",
            ["engine"],
            buckets=SYNTHESIS_BUCKETS,
            registry=self.registry,
        )
        # Looking a labelled child up takes a lock and checks every label each time: the
        # children of the few routes, methods and statuses seen are kept instead.
        self._children: dict[tuple[str, str, int], Counter] = {}
        self.registry.register(_StateCollector(stats, queue, rendered))
        stats.observers.append(self._observe_synthesis)

    def _observe_synthesis(self, engine: str, seconds: float, failed: bool) -> None:
        self.synthesis.labels(engine).observe(seconds)

    def count(self, route: str, method: str, status: int) -> None:
        key = (route, method, status)
        child = self._children.get(key)
        if child is None:
            child = self.requests.labels(route, method, str(status))
            if len(self._children) < MAX_REMEMBERED:
                self._children[key] = child
        child.inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class RequestMetrics:
    """Pure ASGI middleware counting requests by route *template* (never the raw path, whose
    values are unbounded)."""

    def __init__(self, app: ASGIApp, metrics: Metrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            metrics = self.metrics or _metrics_of(scope)
            if metrics is not None:
                route = scope.get("route")
                template = getattr(route, "path", None) or UNMATCHED
                metrics.count(template, scope["method"], status)


def count_audio(scope: Scope, status: int) -> None:
    """What ``AudioFiles`` reports: its requests never reach the middleware above."""
    metrics = _metrics_of(scope)
    if metrics is not None:
        metrics.count(AUDIO_ROUTE, scope["method"], status)


def _metrics_of(scope: Scope) -> Metrics | None:
    state = scope.get("state") or {}
    app_state = state.get("reader")
    metrics = getattr(app_state, "metrics", None)
    return metrics if isinstance(metrics, Metrics) else None
