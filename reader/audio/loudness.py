"""Loudness as ITU-R BS.1770 measures it (LUFS), and true peaks, for mono clips in numpy.

BS.1770 weights the signal with the K filter (a high shelf for the head, a high pass for the
low end), takes the mean square over 400 ms blocks that overlap by 75 %, and averages the
blocks that pass two gates: an absolute one at -70 LUFS and one 10 LU below the loudness of
the blocks above that. Players and loudness meters (ffmpeg's ``ebur128``, EBU R 128) measure
the same way, so a clip set to a loudness here sounds that loud there.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Final

import numpy as np
import numpy.typing as npt

Signal = npt.NDArray[np.float64]

BLOCK_SECONDS: Final = 0.4
STEP_SECONDS: Final = 0.1
ABSOLUTE_GATE_LUFS: Final = -70.0
RELATIVE_GATE_LU: Final = -10.0
TRUE_PEAK_OVERSAMPLING: Final = 4

_OFFSET: Final = -0.691  # makes a 997 Hz sine at 0 dBFS read -3.01 LUFS, as BS.1770 defines
_TAIL_SECONDS: Final = 0.5
_HALF_TAPS: Final = 24  # zero padding that the K filter's impulse response dies out in


def _k_filter_coefficients(rate: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The two K-weighting biquads as (b0, b1, b2, a1, a2) for ``rate``.

    BS.1770 lists coefficients for 48 kHz only; these are the analogue prototypes it was made
    from (as libebur128 derives them), bilinear-transformed for any rate.
    """
    gain_db, shelf_hz, shelf_q = 3.999843853973347, 1681.974450955533, 0.7071752369554196
    k = math.tan(math.pi * shelf_hz / rate)
    vh = 10 ** (gain_db / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / shelf_q + k * k
    shelf = (
        (vh + vb * k / shelf_q + k * k) / a0,
        2 * (k * k - vh) / a0,
        (vh - vb * k / shelf_q + k * k) / a0,
        2 * (k * k - 1) / a0,
        (1 - k / shelf_q + k * k) / a0,
    )
    pass_hz, pass_q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * pass_hz / rate)
    a0 = 1 + k / pass_q + k * k
    high_pass = (1.0, -2.0, 1.0, 2 * (k * k - 1) / a0, (1 - k / pass_q + k * k) / a0)
    return shelf, high_pass


def _fast_size(samples: int) -> int:
    return 1 << max(1, math.ceil(math.log2(samples)))


@lru_cache(maxsize=8)
def _k_response(size: int, rate: int) -> npt.NDArray[np.complex128]:
    z1 = np.exp(-2j * np.pi * np.fft.rfftfreq(size))
    response = np.ones(z1.size, dtype=np.complex128)
    for b0, b1, b2, a1, a2 in _k_filter_coefficients(rate):
        response *= (b0 + b1 * z1 + b2 * z1**2) / (1 + a1 * z1 + a2 * z1**2)
    return response


def k_weighted(signal: Signal, rate: int) -> Signal:
    """``signal`` through the K filter, applied as its exact frequency response.

    Filtering in the frequency domain (zero-padded so the response's tail does not wrap round)
    gives what the two recursive biquads give, without a Python loop over samples.
    """
    size = _fast_size(signal.size + int(_TAIL_SECONDS * rate))
    spectrum = np.fft.rfft(signal, size) * _k_response(size, rate)
    filtered: Signal = np.fft.irfft(spectrum, size)[: signal.size]
    return filtered


def _lufs(mean_square: float) -> float:
    return _OFFSET + 10 * math.log10(mean_square) if mean_square > 0 else -math.inf


def integrated_loudness(signal: Signal, rate: int) -> float:
    """Gated loudness in LUFS (``-inf`` for silence)."""
    return gated_loudness(k_weighted(signal, rate) ** 2, rate)


def gated_loudness(power: Signal, rate: int) -> float:
    """Gated loudness in LUFS of a K-weighted, squared signal (``-inf`` for silence).

    A signal shorter than one 400 ms block is measured as one block of its own length: a
    one-word clip is as loud as its word, not as the silence a longer block would add.
    """
    if power.size == 0:
        return -math.inf
    block, step = round(BLOCK_SECONDS * rate), round(STEP_SECONDS * rate)
    if power.size < block:
        return _lufs(float(power.mean()))
    sums = np.concatenate([[0.0], np.cumsum(power)])
    starts = np.arange(0, power.size - block + 1, step)
    powers = (sums[starts + block] - sums[starts]) / block
    loud = powers[powers > 10 ** ((ABSOLUTE_GATE_LUFS - _OFFSET) / 10)]
    if loud.size == 0:
        return -math.inf
    relative_gate = _lufs(float(loud.mean())) + RELATIVE_GATE_LU
    gated = loud[loud > 10 ** ((relative_gate - _OFFSET) / 10)]
    return _lufs(float(gated.mean()))


@lru_cache(maxsize=4)
def _interpolators(factor: int) -> tuple[Signal, ...]:
    """Kaiser-windowed sinc filters that give the samples ``1/factor, 2/factor ...`` of the way
    to the next sample (the design BS.1770 suggests for true-peak meters, 48 taps a phase)."""
    taps = np.arange(-_HALF_TAPS + 1, _HALF_TAPS + 1, dtype=np.float64)
    window = np.kaiser(taps.size, 8.0)
    return tuple(np.sinc(taps - phase / factor) * window for phase in range(1, factor))


def oversampled(signal: Signal, factor: int = TRUE_PEAK_OVERSAMPLING) -> Signal:
    """``signal`` at ``factor`` times its rate, interpolated between its samples."""
    result = np.zeros(signal.size * factor)
    result[::factor] = signal
    for phase, taps in enumerate(_interpolators(factor), start=1):
        # Output n of a full convolution with the reversed taps lines up sample n with tap 0.
        full = np.convolve(signal, taps[::-1])
        result[phase::factor] = full[_HALF_TAPS : _HALF_TAPS + signal.size]
    return result


def true_peak(signal: Signal) -> float:
    """The largest absolute value between samples, from a 4x oversampled signal (linear)."""
    return float(np.abs(oversampled(signal)).max()) if signal.size else 0.0
