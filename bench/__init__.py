"""Benchmarks and studies; run by hand (``python -m bench``), smoke-tested by CI with --quick."""
