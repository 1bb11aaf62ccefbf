from __future__ import annotations

import json
import struct
import subprocess
from datetime import date
from pathlib import Path

import eyed3
import numpy as np
import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3, BitrateMode

from reader.audio.clips import ClipCache
from reader.audio.codec import (
    FRAME_MS,
    SAMPLES_PER_FRAME,
    TARGET_LUFS,
    Mp3FormatError,
    count_frames,
    decoded_true_peak_dbtp,
    iter_frames,
    silence_frames,
)
from reader.audio.tracks import (
    HEADING_PAUSE,
    SECTION_PAUSE,
    SENTENCE_PAUSE,
    Pause,
    TrackItem,
    TrackStore,
    TrackTags,
    assemble,
)
from reader.config import Settings
from reader.speech.engines import Engine
from reader.speech.engines.espeak import EspeakEngine
from reader.speech.engines.gtts import GttsEngine
from tests.audio.media import (
    decode,
    decode_errors,
    ebur128,
    probe,
    probe_duration_ms,
    probe_stream,
)
from tests.fakes.engines import ToneEngine
from tests.fakes.google import FakeGoogle
from tests.web.server import run_reader

PAGE = [
    ["Politik for grønne områder"],
    ["Kommunen passer på naturen.", "Alle kan være med.", "Læs mere her."],
    ["Kontakt"],
    ["Ring til borgerservice.", "Vi svarer hverdage."],
]
TAGS = TrackTags(
    title="Politik for grønne områder",
    url="https://www.htk.dk/politikker/groenne-omraader",
    date=date(2024, 5, 1),
)


def page_items(cache: ClipCache) -> list[TrackItem]:
    """Heading, pause, sentences with pauses, a section pause, the next heading ..."""
    items: list[TrackItem] = []
    for index, block in enumerate(PAGE):
        heading = index % 2 == 0
        if heading and items:
            items.append(SECTION_PAUSE)
        for number, text in enumerate(block):
            if number:
                items.append(SENTENCE_PAUSE)
            items.append(cache.get_or_make(text))
        if heading:
            items.append(HEADING_PAUSE)
    return items


def write(tmp_path: Path, data: bytes, name: str = "track.mp3") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_pauses_are_whole_frames_of_the_intended_length() -> None:
    for pause, ms in [(SENTENCE_PAUSE, 350), (HEADING_PAUSE, 700), (SECTION_PAUSE, 1000)]:
        assert abs(pause.duration_ms - ms) <= FRAME_MS / 2
    assert SENTENCE_PAUSE.duration_ms < HEADING_PAUSE.duration_ms < SECTION_PAUSE.duration_ms


@pytest.mark.slow
def test_a_track_decodes_cleanly_and_lasts_the_sum_of_its_timings(tmp_path: Path) -> None:
    items = page_items(ClipCache(tmp_path, [ToneEngine()]))

    track = assemble(items, TAGS)
    path = write(tmp_path, track.data)

    assert decode_errors(path) == ""
    assert track.spans[0].start_ms == 0
    assert all(a.end_ms == b.start_ms for a, b in zip(track.spans, track.spans[1:], strict=False))
    assert track.spans[-1].end_ms == track.duration_ms
    assert abs(probe_duration_ms(path) - track.duration_ms) <= FRAME_MS
    assert count_frames(track.data) == track.frames == sum(item.frames for item in items)


@pytest.mark.slow
def test_the_timings_match_where_the_sound_is(tmp_path: Path) -> None:
    items = page_items(ClipCache(tmp_path, [ToneEngine()]))
    track = assemble(items, TAGS)
    audio = decode(write(tmp_path, track.data))
    assert audio.size == track.frames * SAMPLES_PER_FRAME

    for item, span in zip(items, track.spans, strict=True):
        part = audio[span.start_ms * 22050 // 1000 : span.end_ms * 22050 // 1000]
        if isinstance(item, Pause):
            assert np.abs(part).max() < 1e-3  # silence where the timings say a pause is
        else:
            # The tone fills the clip, apart from its silent edges and the encoder's delay.
            loud = np.flatnonzero(np.abs(part) > 0.05)
            assert loud[0] < 0.12 * 22050
            assert part.size - loud[-1] < 0.12 * 22050


def test_the_id3_tag_carries_title_publisher_url_date_language_and_genre(
    tmp_path: Path,
) -> None:
    track = assemble(page_items(ClipCache(tmp_path, [ToneEngine()])), TAGS)
    # As written: mutagen would otherwise turn the v2.3 date frames into v2.4's TDRC on reading.
    tag = ID3(write(tmp_path, track.data), translate=False)

    assert tag.version == (2, 3, 0)
    assert str(tag["TIT2"]) == "Politik for grønne områder"
    assert str(tag["TPE1"]) == str(tag["TPUB"]) == "Høje-Taastrup Kommune"
    assert tag["WOAS"].url == TAGS.url
    assert str(tag["TYER"]) == "2024" and str(tag["TDAT"]) == "0105"
    assert "TDRC" not in tag and "TIME" not in tag  # TDRC is v2.4 only; there is no time
    assert str(tag["TLAN"]) == "dan"
    assert str(tag["TCON"]) == "Speech"


@pytest.mark.parametrize("day", [date(2024, 5, 1), date(1999, 12, 31), date(2031, 1, 19)])
def test_independent_id3_readers_find_the_date(tmp_path: Path, day: date) -> None:
    clip = ClipCache(tmp_path, [ToneEngine()]).get_or_make("Kort.")
    tags = TrackTags(title="Kort", url=TAGS.url, date=day)
    path = write(tmp_path, assemble([clip], tags).data)

    audio = eyed3.load(path)
    format_tags = probe(path)["format"]

    assert isinstance(format_tags, dict)
    assert format_tags["tags"]["date"] == day.isoformat()  # ffmpeg joins TYER and TDAT
    assert audio is not None and audio.tag is not None
    assert audio.tag.version == (2, 3, 0)
    best = str(audio.tag.getBestDate())
    if day.day < 10:
        # eyeD3 0.9.9 checks every date frame as an ISO date, so a TDAT of "0105" (1 May)
        # reads as the year 105 and is dropped: it still finds the year.
        assert best in (day.isoformat(), str(day.year))
    else:
        assert best == day.isoformat()


def test_a_track_without_tags_is_an_info_frame_then_the_frames(tmp_path: Path) -> None:
    clip = ClipCache(tmp_path, [ToneEngine()]).get_or_make("Kort.")
    track = assemble([clip, SENTENCE_PAUSE, clip])

    frames = clip.path.read_bytes()
    audio = frames + silence_frames(SENTENCE_PAUSE.frames) + frames
    first = next(iter_frames(track.data))
    assert first.offset == 0 and first.info_tag and first.in_clip_format
    assert track.data[first.end :] == audio
    assert track.frames == 2 * clip.frames + SENTENCE_PAUSE.frames


# --- the Info frame -------------------------------------------------------------------------


def xing_fields(data: bytes) -> tuple[bytes, int, int, int]:
    """Mark, flags, frames and bytes of the Xing header in the first frame after the ID3 tag,
    read by the layout of the Xing header (MPEG-2 mono: after 4 header and 9 side-info bytes)."""
    size = 10 + sum((data[6 + i] & 0x7F) << (7 * (3 - i)) for i in range(4))
    mark = data[size + 13 : size + 17]
    flags, frames, stream_bytes = struct.unpack(">III", data[size + 17 : size + 29])
    return mark, flags, frames, stream_bytes


@pytest.mark.slow
def test_players_read_the_exact_duration_from_the_info_frame(tmp_path: Path) -> None:
    track = assemble(page_items(ClipCache(tmp_path, [ToneEngine()])), TAGS)
    path = write(tmp_path, track.data)
    exact_s = track.frames * SAMPLES_PER_FRAME / 22050

    info = MP3(path).info
    probed = subprocess.run(
        ["ffprobe", "-v", "info", "-show_entries", "format=duration", "-of", "csv=p=0"]
        + [str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    # mutagen calls a file CBR only when an Info header says so; without one it guesses the
    # length from the file size.
    assert info.bitrate_mode == BitrateMode.CBR
    assert info.length == pytest.approx(exact_s, abs=1e-9)
    assert float(probed.stdout) == pytest.approx(exact_s, abs=1e-6)
    assert "Estimating duration from bitrate" not in probed.stderr


def test_the_info_frame_counts_the_audio_frames_and_bytes(tmp_path: Path) -> None:
    track = assemble(page_items(ClipCache(tmp_path, [ToneEngine()])), TAGS)
    path = write(tmp_path, track.data)
    id3_size = len(track.data) - sum(frame.length for frame in iter_frames(track.data))

    mark, flags, frames, stream_bytes = xing_fields(track.data)
    packets = probe_stream(path)["nb_read_packets"]

    assert mark == b"Info" and flags & 0b11 == 0b11  # frame and byte counts present
    assert frames == track.frames == int(str(packets))  # the audio frames ffmpeg decodes
    assert stream_bytes == len(track.data) - id3_size  # every frame, the Info frame too


@pytest.mark.slow
def test_the_info_frame_moves_no_sound_and_no_cue(tmp_path: Path) -> None:
    items = page_items(ClipCache(tmp_path, [ToneEngine()]))
    track = assemble(items, TAGS)
    info = next(frame for frame in iter_frames(track.data) if frame.info_tag)
    with_info = write(tmp_path, track.data)
    without = write(tmp_path, track.data[: info.offset] + track.data[info.end :], "bare.mp3")

    # Played as if it were not there: no frame of silence, no encoder delay cut (there is no
    # LAME tag), so every sample, and so every cue, is where the frame counts put it.
    assert np.array_equal(decode(with_info), decode(without))
    assert probe_stream(with_info)["start_time"] == probe_stream(without)["start_time"]
    assert [span.start_ms for span in track.spans] == [
        round(sum(item.frames for item in items[:index]) * FRAME_MS) for index in range(len(items))
    ]


@pytest.mark.slow
def test_mp3val_finds_no_problem_in_a_track(tmp_path: Path) -> None:
    espeak = EspeakEngine(Settings())
    track = assemble(page_items(ClipCache(tmp_path, [espeak])), TAGS)
    path = write(tmp_path, track.data)

    done = subprocess.run(
        ["mp3val", str(path)], capture_output=True, text=True, timeout=60, check=True
    )

    assert "WARNING" not in done.stdout and "PROBLEM" not in done.stdout, done.stdout
    # It checks the Info frame's byte and frame counts, and counts it as a frame.
    assert f"{track.frames + 1} MPEG frames (MPEG 2 Layer III), +ID3v2, CBR" in done.stdout


def test_assembling_from_cached_clips_calls_no_engine_and_is_deterministic(
    tmp_path: Path,
) -> None:
    engine = ToneEngine()
    first = assemble(page_items(ClipCache(tmp_path, [engine])), TAGS)
    calls = engine.calls

    second = assemble(page_items(ClipCache(tmp_path, [engine])), TAGS)

    assert engine.calls == calls == len({text for block in PAGE for text in block})
    assert second.data == first.data and second.sha256 == first.sha256


def test_a_damaged_clip_file_is_refused(tmp_path: Path) -> None:
    clip = ClipCache(tmp_path, [ToneEngine()]).get_or_make("Kort.")
    clip.path.write_bytes(clip.path.read_bytes()[:-400])

    with pytest.raises(Mp3FormatError, match=clip.key):
        assemble([clip])


@pytest.mark.slow
def test_a_track_of_real_espeak_ng_speech(tmp_path: Path) -> None:
    espeak = pytest.importorskip("reader.speech.engines.espeak")
    engine: Engine = espeak.EspeakEngine(Settings())
    cache = ClipCache(tmp_path, [engine])

    track = assemble(page_items(cache), TAGS)
    path = write(tmp_path, track.data)

    assert decode_errors(path) == ""
    assert abs(probe_duration_ms(path) - track.spans[-1].end_ms) <= FRAME_MS
    assert decode(path).size == track.frames * SAMPLES_PER_FRAME


@pytest.mark.slow
@pytest.mark.parametrize("voice", ["espeak", "gtts"])
def test_tracks_of_either_engine_have_the_target_loudness_under_the_peak_ceiling(
    tmp_path: Path, voice: str
) -> None:
    with FakeGoogle() as google:
        settings = Settings(gtts_url=google.url)
        engine: Engine = EspeakEngine(settings) if voice == "espeak" else GttsEngine(settings)
        track = assemble(page_items(ClipCache(tmp_path, [engine])), TAGS)
    path = write(tmp_path, track.data)

    measured = ebur128(path)

    assert decode_errors(path) == ""
    assert TARGET_LUFS - 1 <= measured.integrated_lufs <= TARGET_LUFS + 1
    assert measured.true_peak_dbtp <= -1.0


@pytest.mark.slow
def test_the_seed_pages_read_by_espeak_ng_keep_true_peaks_under_the_ceiling(
    content_dir: Path, tmp_path: Path
) -> None:
    # Real sentences limited hard by the normaliser are where MP3 encoding lifts peaks most.
    data_dir = tmp_path / "var"
    run_reader(content_dir, data_dir, "build", env={"READER_ENGINE": "espeak"})
    manifests = sorted((data_dir / "manifests").glob("*.json"))
    assert len(manifests) == 2

    for manifest in manifests:
        page = json.loads(manifest.read_text(encoding="utf-8"))["page"]
        measured = ebur128(data_dir / "audio" / f"{page['hash']}.mp3")
        assert measured.true_peak_dbtp <= -1.0, manifest.stem
        assert TARGET_LUFS - 1 <= measured.integrated_lufs <= TARGET_LUFS + 1, manifest.stem


def test_the_decoded_true_peak_is_the_one_ffmpeg_measures(tmp_path: Path) -> None:
    track = assemble(page_items(ClipCache(tmp_path, [ToneEngine()])), TAGS)
    path = write(tmp_path, track.data)

    ours = decoded_true_peak_dbtp(track.data)

    assert ours == pytest.approx(ebur128(path).true_peak_dbtp, abs=0.2)


# --- the store ------------------------------------------------------------------------------


def test_the_store_names_a_track_by_its_content(tmp_path: Path) -> None:
    store = TrackStore(tmp_path)
    track = assemble(page_items(ClipCache(tmp_path, [ToneEngine()])), TAGS)

    digest = store.put(track)

    assert digest == track.sha256[:32]
    assert store.path(digest) == tmp_path / "audio" / f"{digest}.mp3"
    assert store.path(digest).read_bytes() == track.data
    assert store.exists(digest)
    assert store.put(track) == digest
    assert [p.name for p in (tmp_path / "audio").iterdir()] == [f"{digest}.mp3"]


@pytest.mark.parametrize("digest", ["../../etc/passwd", "A" * 32, "0" * 31, "0" * 64, ""])
def test_the_store_refuses_anything_but_a_hash(tmp_path: Path, digest: str) -> None:
    with pytest.raises(ValueError):
        TrackStore(tmp_path).path(digest)
