"""The espeak-ng worker: one long-lived process that speaks with espeak-ng's library.

This file runs as its own program (``python _espeak_worker.py VOICE SPEED``): it loads
``libespeak-ng`` (GPL-3.0) into its own process, never into reader's, and answers over a pipe
(``_pipe.py``). It imports nothing from reader. Unlike the ``espeak-ng`` command, the library
says where each word starts: every answer carries espeak-ng's word and clause-end events as
``"events": [[kind, character, sample], ...]``, ``kind`` 1 for a word (``character`` is where it
starts in the text, counted from 1) and 5 for the end of a clause or sentence.
"""

import ctypes
import ctypes.util
import json
import sys
from typing import Any, BinaryIO

LIBRARY = "libespeak-ng.so.1"
SYNCHRONOUS = 2  # AUDIO_OUTPUT_SYNCHRONOUS: samples come to the callback, nothing is played
POS_CHARACTER = 1
CHARS_UTF8 = 1
RATE = 1  # espeakRATE
WORD, END, TERMINATED = 1, 5, 0
KEPT = (WORD, END)


class Event(ctypes.Structure):
    _fields_ = [  # espeak_EVENT of speak_lib.h
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_void_p),
    ]


Callback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(Event)
)


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: _espeak_worker.py VOICE SPEED", file=sys.stderr)
        return 2
    voice, speed = sys.argv[1].encode("ascii"), int(sys.argv[2])
    library = ctypes.CDLL(ctypes.util.find_library("espeak-ng") or LIBRARY)
    rate = library.espeak_Initialize(SYNCHRONOUS, 0, None, 0)
    if rate <= 0 or library.espeak_SetVoiceByName(voice) != 0:
        print(f"espeak-ng could not load the voice {voice!r}", file=sys.stderr)
        return 1
    library.espeak_SetParameter(RATE, speed, 0)
    samples = bytearray()
    events: list[list[int]] = []

    def heard(wav: Any, count: int, event: Any) -> int:
        if wav and count > 0:
            samples.extend(ctypes.string_at(wav, count * 2))
        index = 0
        while event[index].type != TERMINATED:
            if event[index].type in KEPT:
                events.append([event[index].type, event[index].text_position, event[index].sample])
            index += 1
        return 0

    callback = Callback(heard)  # kept in a name: the library holds only a pointer to it
    library.espeak_SetSynthCallback(callback)
    out = sys.stdout.buffer
    _answer(out, {"ready": True, "sample_rate": rate})
    for line in sys.stdin.buffer:
        samples.clear()
        events.clear()
        try:
            text = json.loads(line)["text"].encode("utf-8")
            status = library.espeak_Synth(
                text, len(text) + 1, 0, POS_CHARACTER, 0, CHARS_UTF8, None, None
            )
            if status != 0 or library.espeak_Synchronize() != 0:
                raise RuntimeError(f"espeak_Synth returned {status}")
        except Exception as error:  # any failure is this request's answer, not the worker's end
            _answer(out, {"ok": False, "error": f"{type(error).__name__}: {error}"[:300]})
            continue
        pcm = bytes(samples[: len(samples) // 2 * 2])
        _answer(out, {"ok": True, "samples": len(pcm) // 2, "events": events}, pcm)
    return 0


def _answer(out: BinaryIO, header: dict[str, object], payload: bytes = b"") -> None:
    out.write(json.dumps(header).encode("utf-8") + b"\n" + payload)
    out.flush()


if __name__ == "__main__":
    sys.exit(main())
