"""The Piper worker: one long-lived process that holds one voice and speaks on request.

This file runs as its own program (``python _piper_worker.py MODEL``) and is the only code of
reader that imports ``piper`` (GPL-3.0). reader's own process never imports it: it starts this
program and talks to it over a pipe, so reader's MIT code and Piper stay separate programs.
It therefore imports nothing from reader either.

Protocol, one request at a time:
  stdout, once, when the model is loaded: ``{"ready": true, "sample_rate": R}\\n``
  stdin:  ``{"text": "..."}\\n``
  stdout: ``{"ok": true, "samples": N}\\n`` followed by N mono 16-bit little-endian samples,
          or ``{"ok": false, "error": "..."}\\n``.
Each sentence is phonemised with espeak-ng's Danish voice, whatever voice the model names.
"""

import json
import logging
import sys
from typing import BinaryIO

PHONEME_VOICE = "da"


def main() -> int:
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    if len(sys.argv) != 2:
        print("usage: _piper_worker.py MODEL.onnx", file=sys.stderr)
        return 2
    import numpy as np
    from piper import PiperVoice

    voice = PiperVoice.load(sys.argv[1])
    voice.config.espeak_voice = PHONEME_VOICE
    out = sys.stdout.buffer
    _answer(out, {"ready": True, "sample_rate": voice.config.sample_rate})
    for line in sys.stdin.buffer:
        try:
            text = json.loads(line)["text"]
            pieces = [chunk.audio_int16_array for chunk in voice.synthesize(text)]
        except Exception as error:  # any failure is this request's answer, not the worker's end
            _answer(out, {"ok": False, "error": f"{type(error).__name__}: {error}"[:300]})
            continue
        samples = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int16)
        _answer(out, {"ok": True, "samples": int(samples.size)}, samples.astype("<i2").tobytes())
    return 0


def _answer(out: BinaryIO, header: dict[str, object], payload: bytes = b"") -> None:
    out.write(json.dumps(header).encode("utf-8") + b"\n" + payload)
    out.flush()


if __name__ == "__main__":
    sys.exit(main())
