"""The Piper worker: one long-lived process that holds one voice and speaks on request.

This file runs as its own program (``python _piper_worker.py MODEL``) and is the only code of
reader that imports ``piper`` (GPL-3.0). reader's own process never imports it: it starts this
program and talks to it over a pipe (``_pipe.py``), so reader's MIT code and Piper stay separate
programs. It therefore imports nothing from reader either.

Each answer also says where each word of the text is heard: ``"words": [[start, end], ...]``
in seconds, one pair per word (a run between white space with a letter or digit in it, as
``reader.speech.words`` has it), or null when the phonemes cannot be matched to the words.
Each sentence is phonemised with espeak-ng's Danish voice, whatever voice the model names.
"""

import json
import logging
import sys
from typing import Any, BinaryIO

PHONEME_VOICE = "da"
PUNCTUATION = frozenset(',.;:!?¡¿—…"«»“”()')


def main() -> int:
    logging.basicConfig(stream=sys.stderr, level=logging.ERROR)
    if len(sys.argv) != 2:
        print("usage: _piper_worker.py MODEL.onnx", file=sys.stderr)
        return 2
    import numpy as np
    from piper import PiperVoice

    voice = PiperVoice.load(sys.argv[1], include_alignments=True)
    voice.config.espeak_voice = PHONEME_VOICE
    out = sys.stdout.buffer
    rate = voice.config.sample_rate
    _answer(out, {"ready": True, "sample_rate": rate})
    for line in sys.stdin.buffer:
        try:
            text = json.loads(line)["text"]
            pieces = []
            spans: list[tuple[int, int]] | None = []
            offset = 0
            for chunk in voice.synthesize(text, include_alignments=True):
                audio = chunk.audio_int16_array
                found = _phoneme_words(voice, chunk) if spans is not None else None
                if found is None:
                    spans = None
                elif spans is not None:
                    spans.extend((offset + start, offset + end) for start, end in found)
                pieces.append(audio)
                offset += audio.size
            words = _words(voice, text, spans, rate) if spans is not None else None
        except Exception as error:  # any failure is this request's answer, not the worker's end
            _answer(out, {"ok": False, "error": f"{type(error).__name__}: {error}"[:300]})
            continue
        samples = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int16)
        header: dict[str, object] = {"ok": True, "samples": int(samples.size), "words": words}
        _answer(out, header, samples.astype("<i2").tobytes())
    return 0


def _phoneme_words(voice: Any, chunk: Any) -> list[tuple[int, int]] | None:
    """(first, last) sample of each word of one chunk's phonemes, from the samples the model
    gave each phoneme id. The ids are rebuilt the way piper builds them: BOS, pad, then each
    known phoneme and a pad, then EOS (unknown phonemes are left out)."""
    counts = chunk.phoneme_id_samples
    id_map = voice.config.phoneme_id_map
    if counts is None or len(counts) != len(chunk.phoneme_ids):
        return None
    pad = len(id_map.get("_", []))
    index = len(id_map.get("^", [])) + pad
    position = int(sum(counts[:index]))
    words: list[tuple[int, int]] = []
    start: int | None = None
    end = position
    for phoneme in chunk.phonemes:
        ids = id_map.get(phoneme)
        if ids is None:
            continue
        width = int(sum(counts[index : index + len(ids) + pad]))
        index += len(ids) + pad
        if phoneme == " ":
            if start is not None:
                words.append((start, end))
            start = None
        elif phoneme not in PUNCTUATION:
            if start is None:
                start = position
            end = position + width
        position += width
    if start is not None:
        words.append((start, end))
    return words


def _words(
    voice: Any, text: str, spans: list[tuple[int, int]], rate: int
) -> list[list[float]] | None:
    """Each word's span: the phoneme words it gives when phonemised alone, matched in order
    to those of the sentence; None when the counts do not add up."""
    tokens = [run for run in text.split() if any(char.isalnum() for char in run)]
    counts = []
    for token in tokens:
        phonemes = [p for sentence in voice.phonemize(token) for p in sentence]
        counts.append(
            len([w for w in "".join(phonemes).split(" ") if w.strip("".join(PUNCTUATION))])
        )
    if sum(counts) != len(spans) or 0 in counts:
        return None
    words = []
    at = 0
    for count in counts:
        first, last = spans[at], spans[at + count - 1]
        words.append([first[0] / rate, last[1] / rate])
        at += count
    return words


def _answer(out: BinaryIO, header: dict[str, object], payload: bytes = b"") -> None:
    out.write(json.dumps(header).encode("utf-8") + b"\n" + payload)
    out.flush()


if __name__ == "__main__":
    sys.exit(main())
