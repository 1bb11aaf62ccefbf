"""Building a page's audio: every sentence spoken, exact timings, incremental, atomic."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from reader.audio.build import Builder, speak_text
from reader.audio.codec import FRAME_MS
from reader.audio.manifest import Manifest
from reader.audio.timings import Cue, to_webvtt
from reader.config import Settings
from reader.errors import EngineUnavailable
from reader.services import Services, build_services
from reader.speech.engines.breaker import CircuitBreaker
from reader.speech.engines.choice import EngineChoice
from tests.audio.media import RATE, decode, decode_errors, probe_duration_ms
from tests.fakes.engines import ToneEngine

SLUG = "politikker-og-raad"


@pytest.fixture
def engine() -> ToneEngine:
    return ToneEngine(ms_per_char=8)


@pytest.fixture
def services(settings: Settings, engine: ToneEngine) -> Services:
    return build_services(settings, EngineChoice((engine,), None))


def track_path(services: Services, digest: str) -> Path:
    return services.tracks.path(digest)


def sound_regions(path: Path, threshold: float = 0.02) -> list[tuple[float, float]]:
    """(start_ms, end_ms) of each run of sound in the decoded file, ~5 ms resolution."""
    signal = decode(path)
    window = RATE // 200
    ms = window * 1000 / RATE
    count = signal.size // window
    loud = np.abs(signal[: count * window].reshape(count, window)).max(axis=1) > threshold
    regions: list[tuple[float, float]] = []
    start = None
    for index, is_loud in enumerate(loud):
        if is_loud and start is None:
            start = index
        elif not is_loud and start is not None:
            regions.append((start * ms, index * ms))
            start = None
    if start is not None:
        regions.append((start * ms, count * ms))
    return regions


def test_a_build_speaks_every_sentence_once_in_page_order(services: Services) -> None:
    result = services.builder.build(SLUG)
    page = services.store.load(SLUG)
    assert [clip.sentence_id for clip in result.manifest.clips] == [s.id for s in page.sentences()]
    assert result.sentences == len(page.sentences())
    assert [cue.id for cue in result.manifest.page.cues] == [s.id for s in page.sentences()]
    assert [section.id for section in result.manifest.sections] == [s.id for s in page.sections]


def test_every_track_decodes_and_lasts_as_long_as_its_timings_say(services: Services) -> None:
    manifest = services.builder.build(SLUG).manifest
    for track in [manifest.page, *manifest.sections]:
        path = track_path(services, track.hash)
        assert decode_errors(path) == ""
        assert abs(probe_duration_ms(path) - track.duration_ms) <= FRAME_MS
        assert track.cues[-1].end_ms <= track.duration_ms
    assert manifest.page.duration_ms == pytest.approx(
        sum(s.duration_ms for s in manifest.sections) + 1000 * (len(manifest.sections) - 1),
        abs=FRAME_MS * len(manifest.sections),
    )


def test_each_cue_covers_the_sound_of_its_sentence(services: Services) -> None:
    manifest = services.builder.build(SLUG).manifest
    regions = sound_regions(track_path(services, manifest.page.hash))
    cues = manifest.page.cues
    assert len(regions) == len(cues)
    for (start, end), cue in zip(regions, cues, strict=True):
        # Within one MP3 frame of the sound as a decoder plays it.
        assert abs(start - cue.start_ms) <= FRAME_MS
        assert abs(end - cue.end_ms) <= FRAME_MS


def test_the_webvtt_of_a_page_has_one_cue_per_sentence(services: Services) -> None:
    manifest = services.builder.build(SLUG).manifest
    page = services.store.load(SLUG)
    texts = {s.id: s.text for s in page.sentences()}
    vtt = to_webvtt([Cue(c.id, c.start_ms, c.end_ms, texts[c.id]) for c in manifest.page.cues])
    assert vtt.startswith("WEBVTT\n")
    ids = re.findall(r"^(\S+)\n\d\d:\d\d:\d\d\.\d{3} --> ", vtt, re.MULTILINE)
    assert ids == [s.id for s in page.sentences()]


def test_a_fresh_page_is_not_built_again(services: Services, engine: ToneEngine) -> None:
    services.builder.build(SLUG)
    calls = engine.calls
    result = services.builder.build(SLUG)
    assert result.skipped and engine.calls == calls
    assert services.builder.status(SLUG).state == "fresh"


def test_editing_one_sentence_costs_exactly_one_engine_call(
    services: Services, engine: ToneEngine, settings: Settings
) -> None:
    first = services.builder.build(SLUG).manifest
    path = settings.pages_dir / f"{SLUG}.html"
    html = path.read_text(encoding="utf-8")
    edited = html.replace(
        "Integrationsrådets hjemmeside er under opbygning", "Rådet har en ny side"
    )
    assert edited != html
    path.write_text(edited, encoding="utf-8")
    assert services.builder.status(SLUG).state == "stale"
    calls = engine.calls
    result = services.builder.build(SLUG)
    assert engine.calls == calls + 1
    assert result.synthesised == 1 and result.reused == result.sentences - 1
    assert services.builder.status(SLUG).state == "fresh"
    changed = [s.id for s in first.sections if s.hash != (result.manifest.section(s.id) or s).hash]
    assert changed == ["integrationsraadet"]
    assert result.manifest.page.hash != first.page.hash


def test_a_lexicon_change_marks_the_page_stale(services: Services, settings: Settings) -> None:
    services.builder.build(SLUG)
    settings.lexicon_path.write_text("integrationsråd = integrations-råd\n", encoding="utf-8")
    assert services.builder.status(SLUG).state == "stale"


def test_force_makes_every_clip_anew(services: Services, engine: ToneEngine) -> None:
    first = services.builder.build(SLUG)
    calls = engine.calls
    again = services.builder.build(SLUG, force=True)
    assert engine.calls - calls == first.synthesised
    assert again.manifest.page.hash == first.manifest.page.hash


def test_a_failed_build_leaves_the_previous_audio_in_place(
    services: Services, engine: ToneEngine, settings: Settings
) -> None:
    before = services.builder.build(SLUG).manifest
    path = settings.pages_dir / f"{SLUG}.html"
    path.write_text(path.read_text().replace("under opbygning", "snart klar"), encoding="utf-8")
    engine.fail = True
    with pytest.raises(EngineUnavailable):
        services.builder.build(SLUG)
    after = services.manifests.load(SLUG)
    assert after == before
    assert services.tracks.path(before.page.hash).is_file()
    assert services.builder.status(SLUG).state == "stale"


def test_fallback_audio_is_degraded_and_made_again_once_the_voice_answers(
    settings: Settings,
) -> None:
    primary, fallback = ToneEngine("primary", ms_per_char=8), ToneEngine("backup", ms_per_char=8)
    clock = [0.0]
    breaker = CircuitBreaker(failure_threshold=2, reset_after=60, clock=lambda: clock[0])
    services = build_services(settings, EngineChoice((primary, fallback), breaker))
    primary.fail = True
    degraded = services.builder.build(SLUG)
    assert degraded.manifest.degraded and degraded.engines == {"backup": degraded.sentences}
    assert primary.calls == 2  # the breaker opened after two failures
    assert services.builder.status(SLUG).state == "degraded"

    primary.fail = False
    clock[0] += 61
    upgraded = services.builder.build(SLUG)
    assert not upgraded.manifest.degraded
    assert set(upgraded.engines) == {"primary"}
    assert services.builder.status(SLUG).state == "fresh"


def test_an_ordered_list_item_announces_its_number(services: Services) -> None:
    _, lines = services.builder.script(SLUG)
    numbered = [line.spoken for line in lines if line.spoken.startswith("Punkt ")]
    assert [text.split(".")[0] for text in numbered] == [
        "Punkt et",
        "Punkt to",
        "Punkt tre",
        "Punkt fire",
        "Punkt fem",
    ]


def test_every_sentence_of_every_page_is_in_its_script(services: Services) -> None:
    for slug in services.store.slugs():
        page, lines = services.builder.script(slug)
        assert [line.sentence_id for line in lines] == [s.id for s in page.sentences()]


def test_manifests_survive_a_round_trip(services: Services) -> None:
    manifest = services.builder.build(SLUG).manifest
    assert Manifest.model_validate_json(manifest.model_dump_json()) == manifest


def test_speak_text_reads_free_text_through_the_clip_cache(
    services: Services, engine: ToneEngine
) -> None:
    data, duration_ms = speak_text(services.builder, "Første sætning. Anden sætning, kl. 10.")
    assert data.startswith(b"ID3") and duration_ms > 0
    assert engine.texts[-2:] == ["Første sætning.", "Anden sætning, klokken ti."]
    speak_text(services.builder, "Første sætning.")
    assert engine.calls == 2


def test_a_builder_is_shared_by_the_services(services: Services) -> None:
    assert isinstance(services.builder, Builder)


def test_ready_sections_finds_each_sections_own_track(services: Services) -> None:
    page = services.store.load(SLUG)
    made = [page.sections[0].id, page.sections[-1].id]
    tracks = {
        section_id: services.builder.section_track(SLUG, section_id, make=True)
        for section_id in made
    }
    ready = services.builder.ready_sections(SLUG)
    assert [section_id for section_id, _ in ready] == [s.id for s in page.sections]
    for section_id, track in ready:
        alone = services.builder.section_track(SLUG, section_id, make=False)
        assert (track and track.hash) == (alone and alone.hash), section_id
        if section_id in made:
            assert track is not None and track.hash == (tracks[section_id] or track).hash
        else:
            assert track is None, section_id


def test_after_a_build_ready_sections_are_the_manifests_tracks(services: Services) -> None:
    manifest = services.builder.build(SLUG).manifest
    ready = services.builder.ready_sections(SLUG)
    assert [(section_id, track and track.hash) for section_id, track in ready] == [
        (section.id, section.hash) for section in manifest.sections
    ]
    assert all(
        track is not None and [cue.id for cue in track.cues] == [cue.id for cue in section.cues]
        for (_, track), section in zip(ready, manifest.sections, strict=True)
    )
