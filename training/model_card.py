"""The bundled model's card: its recorded metadata, checked against the file.

``MODEL_CARD.md`` (beside the model) holds one fenced ``json`` block between the markers below:
the file's sha256 and size, its classes, feature and decision parameters and training data.
``python -m training.model_card`` prints that block for a checkpoint; with ``--write`` it
replaces the block in the card, so the card cannot drift from the file unnoticed (a test
compares them).
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from training.checkpoint import BUNDLED_MODEL, load_checkpoint
from training.cli_types import ArgumentParser, path_value
from training.errors import UserError, run_cli
from training.input_files import check_input_file
from training.outputs import sha256, write_text_atomic

CARD = BUNDLED_MODEL.with_name("MODEL_CARD.md")
BEGIN, END = "<!-- metadata:begin -->", "<!-- metadata:end -->"


def card_metadata(path: Path) -> dict:
    """What the card records about a checkpoint file."""
    ckpt = load_checkpoint(path)
    decision = ckpt.decision.to_dict()
    return {
        "file": Path(path).name,
        "sha256": sha256(path),
        "size_bytes": Path(path).stat().st_size,
        "classes": ckpt.classes,
        "class_ids": ckpt.class_ids,
        "features": ckpt.spec.to_dict(),
        "model": {k: v for k, v in ckpt.model.config.to_dict().items()},
        "decision": {k: (round(v, 6) if isinstance(v, float) else
                         [round(x, 6) for x in v] if isinstance(v, list) else v) for k, v in decision.items()},
        "data": {k: ckpt.data.get(k) for k in ("file", "size_bytes", "n_train", "n_val", "split", "val_accuracy",
                                               "val_f1", "kept_epoch")},
        "recipe": ckpt.train_config.get("recipe"),
        "seed": ckpt.train_config.get("seed"),
    }


def read_card_text(card: Path) -> str:
    """A card's text.

    Raises:
        UserError: missing, not a readable file (a device, a pipe, empty), or not UTF-8 text.
    """
    check_input_file(card, "Model card", if_missing="Pass the card beside the model (MODEL_CARD.md) with --card.")
    try:
        return Path(card).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"Model card '{card}' is not UTF-8 text (byte {exc.start}: {exc.reason}).") from None


def read_card_metadata(card: Path) -> dict:
    """The json block of a card.

    Raises:
        UserError: an unreadable card (:func:`read_card_text`), no block between the markers, or
            not valid JSON.
    """
    text = read_card_text(card)
    match = re.search(re.escape(BEGIN) + r"\s*```json\s*(.*?)```\s*" + re.escape(END), text, re.S)
    if not match:
        raise UserError(f"'{card}' has no metadata block between {BEGIN} and {END}.")
    try:
        return json.loads(match.group(1))
    except json.JSONDecodeError as exc:
        raise UserError(f"'{card}': the metadata block is not valid JSON ({exc}).") from None


def write_card_metadata(card: Path, metadata: dict) -> None:
    """Replace the card's metadata block (atomically)."""
    text = read_card_text(card)
    block = f"{BEGIN}\n```json\n{json.dumps(metadata, indent=2)}\n```\n{END}"
    pattern = re.escape(BEGIN) + r".*?" + re.escape(END)
    if not re.search(pattern, text, re.S):
        raise UserError(f"'{card}' has no metadata block between {BEGIN} and {END} to replace.")
    write_text_atomic(Path(card), re.sub(pattern, lambda _: block, text, flags=re.S))


def main(argv: list[str] | None = None) -> dict:
    p = ArgumentParser(prog="python -m training.model_card", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="examples:\n  python -m training.model_card\n"
                                       "  python -m training.model_card --write   # after replacing the bundled model\n")
    p.add_argument("--checkpoint", type=path_value, default=BUNDLED_MODEL, help="model file (default: the bundled one)")
    p.add_argument("--card", type=path_value, default=CARD, help="card to update with --write")
    p.add_argument("--write", action="store_true", help="replace the card's metadata block")
    a = p.parse_args(argv)
    metadata = card_metadata(a.checkpoint)
    if a.write:
        write_card_metadata(a.card, metadata)
        print(f"updated {a.card}")
    else:
        print(json.dumps(metadata, indent=2))
    return metadata


if __name__ == "__main__":
    run_cli(main)
