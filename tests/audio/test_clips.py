from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from reader._atomic import write_atomic
from reader.audio.clips import ClipCache, clip_key
from reader.audio.codec import count_frames, frames_to_ms, iter_frames
from reader.errors import BuildStopped, EngineUnavailable
from reader.speech.engines import Engine, RawAudio
from reader.speech.engines.breaker import CircuitBreaker
from tests.audio.media import decode_errors, probe_duration_ms
from tests.fakes.engines import ToneEngine

TEXT = "Kommunen holder åbent hver dag."


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def files_under(root: Path) -> list[str]:
    return sorted(path.name for path in root.rglob("*") if path.is_file())


def test_the_fake_engine_implements_the_engine_protocol() -> None:
    assert isinstance(ToneEngine(), Engine)


def test_a_clip_is_made_once_and_then_served_from_the_cache(tmp_path: Path) -> None:
    engine = ToneEngine()
    cache = ClipCache(tmp_path, [engine])

    made = cache.get_or_make(TEXT)
    again = cache.get_or_make(TEXT)

    assert engine.calls == 1
    assert made.synthesized and not again.synthesized
    assert (again.key, again.path, again.frames) == (made.key, made.path, made.frames)
    assert made.path == tmp_path / "clips" / made.key[:2] / f"{made.key}.mp3"
    assert made.key == clip_key(engine, TEXT)
    assert count_frames(made.path.read_bytes()) == made.frames
    stats = cache.stats.snapshot()
    assert (stats.hits, stats.misses, stats.joined, stats.engine_calls) == (1, 1, 0, {"fake": 1})


def test_the_sidecar_describes_the_clip(tmp_path: Path) -> None:
    clip = ClipCache(tmp_path, [ToneEngine()]).get_or_make(TEXT)
    sidecar = json.loads(clip.path.with_suffix(".json").read_text())

    assert sidecar["engine"] == "fake" and sidecar["voice"] == "tone"
    assert sidecar["degraded"] is False
    assert sidecar["frames"] == clip.frames
    assert sidecar["duration_ms"] == pytest.approx(frames_to_ms(clip.frames), abs=0.001)
    assert len(sidecar["text_sha"]) == 64


@pytest.mark.slow
def test_a_clip_decodes_cleanly_and_lasts_its_frame_count(tmp_path: Path) -> None:
    clip = ClipCache(tmp_path, [ToneEngine(audio_format="mp3")]).get_or_make(TEXT)

    assert decode_errors(clip.path) == ""
    assert probe_duration_ms(clip.path) == pytest.approx(clip.duration_ms, abs=1)
    assert all(frame.in_clip_format for frame in iter_frames(clip.path.read_bytes()))


def test_the_key_changes_with_text_voice_settings_and_engine() -> None:
    base = clip_key(ToneEngine(), TEXT)

    assert clip_key(ToneEngine(), TEXT) == base
    assert clip_key(ToneEngine(), TEXT + " ") != base
    assert clip_key(ToneEngine(amplitude=0.5), TEXT) != base
    assert clip_key(ToneEngine(name="other"), TEXT) != base


def test_the_same_sentence_on_two_pages_is_synthesised_once(tmp_path: Path) -> None:
    engine = ToneEngine()
    first_page = ClipCache(tmp_path, [engine])
    second_page = ClipCache(tmp_path, [engine])  # another process sharing the data dir

    for text in ["Velkommen.", TEXT]:
        first_page.get_or_make(text)
    second = [second_page.get_or_make(text) for text in [TEXT, "Farvel."]]

    assert engine.texts == ["Velkommen.", TEXT, "Farvel."]
    assert not second[0].synthesized


def test_fifty_threads_asking_together_cause_one_engine_call(tmp_path: Path) -> None:
    gate = threading.Event()
    engine = ToneEngine(gate=gate)
    cache = ClipCache(tmp_path, [engine])

    with ThreadPoolExecutor(max_workers=50) as pool:
        futures = [pool.submit(cache.get_or_make, TEXT) for _ in range(50)]
        while cache.stats.snapshot().joined < 49:
            gate.wait(0.01)
        gate.set()
        clips = [future.result() for future in futures]

    assert engine.calls == 1
    assert {clip.key for clip in clips} == {clip_key(engine, TEXT)}


def test_threads_waiting_on_a_failing_synthesis_get_its_exception(tmp_path: Path) -> None:
    gate = threading.Event()
    engine = ToneEngine(gate=gate)
    engine.fail = True
    cache = ClipCache(tmp_path, [engine])

    with ThreadPoolExecutor(max_workers=50) as pool:
        futures = [pool.submit(cache.get_or_make, TEXT) for _ in range(50)]
        while cache.stats.snapshot().joined < 49:
            gate.wait(0.01)
        gate.set()
        errors = [future.exception() for future in futures]

    assert engine.calls == 1
    assert all(isinstance(error, EngineUnavailable) for error in errors)
    assert cache.stats.snapshot().engine_failures == {"fake": 1}
    # Nothing is remembered about the failure: the next call tries again.
    engine.fail = False
    assert cache.get_or_make(TEXT).synthesized


def test_a_failing_engine_leaves_no_file_behind(tmp_path: Path) -> None:
    engine = ToneEngine()
    engine.fail = True
    cache = ClipCache(tmp_path, [engine])

    with pytest.raises(EngineUnavailable):
        cache.get_or_make(TEXT)

    assert cache.lookup(TEXT) is None
    assert files_under(tmp_path) == []


def test_a_crash_between_mp3_and_sidecar_leaves_no_clip_visible(tmp_path: Path) -> None:
    engine = ToneEngine()
    cache = ClipCache(tmp_path, [engine])
    key = clip_key(engine, TEXT)
    blocker = cache.sidecar_path(key)
    blocker.mkdir(parents=True)  # writing the sidecar now fails, after the mp3 is in place

    with pytest.raises(IsADirectoryError):
        cache.get_or_make(TEXT)

    assert cache.mp3_path(key).is_file()
    assert cache.lookup(TEXT) is None
    assert not list(blocker.parent.glob(".*.tmp"))  # the failed write cleaned up after itself
    blocker.rmdir()
    assert cache.get_or_make(TEXT).synthesized
    assert engine.calls == 2


def test_stray_temp_files_and_a_lone_mp3_are_ignored(tmp_path: Path) -> None:
    engine = ToneEngine()
    cache = ClipCache(tmp_path, [engine])
    key = clip_key(engine, TEXT)
    folder = cache.mp3_path(key).parent
    folder.mkdir(parents=True)
    (folder / f".{key}.json.x1y2.tmp").write_text('{"engine": "fake", "frames": 3}')
    (folder / f"{key}.mp3").write_bytes(b"half a clip")

    assert cache.lookup(TEXT) is None
    clip = cache.get_or_make(TEXT)

    assert clip.synthesized and count_frames(clip.path.read_bytes()) == clip.frames


@pytest.mark.parametrize(
    "sidecar", ["{not json", '{"engine": "fake"}', '{"engine": 1, "frames": 9}']
)
def test_an_unusable_sidecar_means_the_clip_is_made_again(tmp_path: Path, sidecar: str) -> None:
    engine = ToneEngine()
    cache = ClipCache(tmp_path, [engine])
    cache.get_or_make(TEXT)
    cache.sidecar_path(clip_key(engine, TEXT)).write_text(sidecar)

    assert cache.lookup(TEXT) is None
    assert cache.get_or_make(TEXT).synthesized
    assert engine.calls == 2


def test_write_atomic_replaces_a_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "file.bin"
    write_atomic(path, b"old")
    write_atomic(path, b"new")
    assert path.read_bytes() == b"new"
    assert files_under(tmp_path) == ["file.bin"]


def test_lookup_never_synthesises(tmp_path: Path) -> None:
    engine = ToneEngine()
    cache = ClipCache(tmp_path, [engine])

    assert cache.lookup(TEXT) is None
    assert engine.calls == 0


# --- engines in order of preference -----------------------------------------------------------


def auto_mode(tmp_path: Path) -> tuple[ToneEngine, ToneEngine, CircuitBreaker, Clock, ClipCache]:
    primary = ToneEngine("gtts")
    fallback = ToneEngine("espeak", amplitude=0.5)
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=2, reset_after=60, clock=clock)
    return primary, fallback, breaker, clock, ClipCache(tmp_path, [primary, fallback], breaker)


def test_the_primary_engine_is_used_while_it_works(tmp_path: Path) -> None:
    primary, fallback, _, _, cache = auto_mode(tmp_path)

    clip = cache.get_or_make(TEXT)

    assert (clip.engine, clip.degraded) == ("gtts", False)
    assert (primary.calls, fallback.calls) == (1, 0)


def test_a_failing_primary_falls_back_and_the_clip_is_degraded(tmp_path: Path) -> None:
    primary, fallback, breaker, _, cache = auto_mode(tmp_path)
    primary.fail = True

    first = cache.get_or_make("En.")
    second = cache.get_or_make("To.")
    third = cache.get_or_make("Tre.")  # the breaker is open now: gtts is not asked

    assert [(c.engine, c.degraded) for c in (first, second, third)] == [("espeak", True)] * 3
    assert (primary.calls, fallback.calls) == (2, 3)
    assert breaker.state == "open"
    sidecar = json.loads(first.path.with_suffix(".json").read_text())
    assert sidecar["engine"] == "espeak" and sidecar["degraded"] is True
    lookup = cache.lookup("En.")
    assert lookup is not None and lookup.degraded
    stats = cache.stats.snapshot()
    assert stats.engine_failures == {"gtts": 2}
    assert stats.engine_calls == {"gtts": 2, "espeak": 3}


def test_a_degraded_clip_is_reused_while_the_breaker_is_open(tmp_path: Path) -> None:
    primary, fallback, _, _, cache = auto_mode(tmp_path)
    primary.fail = True
    for text in ["En.", "To."]:
        cache.get_or_make(text)

    again = cache.get_or_make("En.")

    assert again.degraded and not again.synthesized
    assert (primary.calls, fallback.calls) == (2, 2)


def test_a_degraded_clip_is_upgraded_once_the_primary_answers_again(tmp_path: Path) -> None:
    primary, fallback, breaker, clock, cache = auto_mode(tmp_path)
    primary.fail = True
    for text in ["En.", "To."]:
        cache.get_or_make(text)
    primary.fail = False
    clock.now += 61  # the breaker lets one trial through

    upgraded = cache.get_or_make("En.")

    assert (upgraded.engine, upgraded.degraded, upgraded.synthesized) == ("gtts", False, True)
    assert breaker.state == "closed"
    lookup = cache.lookup("En.")
    assert lookup is not None and lookup.key == upgraded.key and not lookup.degraded
    assert cache.get_or_make("To.").engine == "gtts"
    assert (primary.calls, fallback.calls) == (4, 2)


def test_a_primary_clip_in_the_cache_is_served_even_while_the_primary_fails(
    tmp_path: Path,
) -> None:
    primary, fallback, _, _, cache = auto_mode(tmp_path)
    cache.get_or_make(TEXT)
    primary.fail = True

    clip = cache.get_or_make(TEXT)

    assert (clip.engine, clip.degraded) == ("gtts", False)
    assert (primary.calls, fallback.calls) == (1, 0)


def test_every_engine_failing_is_engine_unavailable(tmp_path: Path) -> None:
    primary, fallback, _, _, cache = auto_mode(tmp_path)
    primary.fail = fallback.fail = True

    with pytest.raises(EngineUnavailable):
        cache.get_or_make(TEXT)
    assert cache.stats.snapshot().engine_failures == {"gtts": 1, "espeak": 1}


def test_one_engine_behind_an_open_breaker_is_not_called(tmp_path: Path) -> None:
    engine = ToneEngine("gtts")
    breaker = CircuitBreaker(failure_threshold=1, reset_after=60, clock=Clock())
    breaker.record_failure()
    cache = ClipCache(tmp_path, [engine], breaker)

    with pytest.raises(EngineUnavailable):
        cache.get_or_make(TEXT)
    assert engine.calls == 0


def test_a_cache_needs_an_engine(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        ClipCache(tmp_path, [])


class BatchToneEngine(ToneEngine):
    """A tone engine that also speaks many texts per call, counting those calls."""

    def __init__(self) -> None:
        super().__init__("batch", ms_per_char=5)
        self.batch_calls = 0

    def synthesize_many(self, texts: Sequence[str]) -> list[RawAudio]:
        self.batch_calls += 1
        return [self.synthesize(text) for text in texts]


def test_a_batching_engine_makes_the_missing_clips_in_one_call(tmp_path: Path) -> None:
    engine = BatchToneEngine()
    cache = ClipCache(tmp_path, [engine])
    assert cache.batches
    cache.get_or_make("Allerede her.")
    texts = ["Allerede her.", "Ny et.", "Ny to.", "Ny et."]
    clips = cache.make_many(texts)
    assert engine.batch_calls == 1
    assert engine.texts == ["Allerede her.", "Ny et.", "Ny to."]
    assert set(clips) == set(texts)
    assert [clips[t].synthesized for t in ("Allerede her.", "Ny et.")] == [False, True]
    assert cache.make_many(texts) and engine.batch_calls == 1


def test_a_halted_cache_encodes_no_clip_and_keeps_those_it_had(tmp_path: Path) -> None:
    engine = BatchToneEngine()
    cache = ClipCache(tmp_path, [engine])
    kept = cache.get_or_make("Allerede her.")
    cache.halt()
    with pytest.raises(BuildStopped):
        cache.make_many(["Allerede her.", "Ny et.", "Ny to."])
    with pytest.raises(BuildStopped):
        cache.get_or_make("Ny tre.")
    assert sorted(tmp_path.rglob("*.mp3")) == [kept.path]
    assert cache.get_or_make("Allerede her.").key == kept.key


def test_a_batch_and_a_single_request_for_the_same_text_make_it_once(tmp_path: Path) -> None:
    gate = threading.Event()
    engine = BatchToneEngine()
    engine.gate = gate
    cache = ClipCache(tmp_path, [engine])
    with ThreadPoolExecutor(4) as pool:
        batch = pool.submit(cache.make_many, ["Delt.", "Kun i bunken."])
        singles = [pool.submit(cache.get_or_make, "Delt.") for _ in range(3)]
        gate.set()
        assert batch.result()["Delt."].key == singles[0].result().key
    assert engine.texts.count("Delt.") == 1
