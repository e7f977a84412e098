"""``python -m bench``: see bench/run.py."""
from bench.run import main
from training.errors import run_cli

run_cli(main)
