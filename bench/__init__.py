"""Benchmarks and studies; run by hand (``python -m bench``), smoke-tested by CI with --quick."""

from training.errors import quiet_interrupts_while_starting

quiet_interrupts_while_starting()
