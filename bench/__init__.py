"""Benchmarks of the speech pipeline, each against a reference measured in the same run.

Run them with ``scripts/bench`` or ``python -m bench.run`` from the repository root.
"""
