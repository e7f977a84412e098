"""Class names: the UCF101 label map kept in code, label-map files, and class selection."""
from __future__ import annotations

import difflib
import json
import re
from pathlib import Path

from training.errors import UserError
from training.input_files import check_input_file

# Line i (0-based) is label i in ucf101_2d.pkl (MMAction2 / PYSKL label map order).
UCF101_CLASSES: tuple[str, ...] = (
    "ApplyEyeMakeup", "ApplyLipstick", "Archery", "BabyCrawling", "BalanceBeam", "BandMarching",
    "BaseballPitch", "Basketball", "BasketballDunk", "BenchPress", "Biking", "Billiards",
    "BlowDryHair", "BlowingCandles", "BodyWeightSquats", "Bowling", "BoxingPunchingBag",
    "BoxingSpeedBag", "BreastStroke", "BrushingTeeth", "CleanAndJerk", "CliffDiving",
    "CricketBowling", "CricketShot", "CuttingInKitchen", "Diving", "Drumming", "Fencing",
    "FieldHockeyPenalty", "FloorGymnastics", "FrisbeeCatch", "FrontCrawl", "GolfSwing", "Haircut",
    "Hammering", "HammerThrow", "HandstandPushups", "HandstandWalking", "HeadMassage", "HighJump",
    "HorseRace", "HorseRiding", "HulaHoop", "IceDancing", "JavelinThrow", "JugglingBalls",
    "JumpingJack", "JumpRope", "Kayaking", "Knitting", "LongJump", "Lunges", "MilitaryParade",
    "Mixing", "MoppingFloor", "Nunchucks", "ParallelBars", "PizzaTossing", "PlayingCello",
    "PlayingDaf", "PlayingDhol", "PlayingFlute", "PlayingGuitar", "PlayingPiano", "PlayingSitar",
    "PlayingTabla", "PlayingViolin", "PoleVault", "PommelHorse", "PullUps", "Punch", "PushUps",
    "Rafting", "RockClimbingIndoor", "RopeClimbing", "Rowing", "SalsaSpin", "ShavingBeard",
    "Shotput", "SkateBoarding", "Skiing", "Skijet", "SkyDiving", "SoccerJuggling", "SoccerPenalty",
    "StillRings", "SumoWrestling", "Surfing", "Swing", "TableTennisShot", "TaiChi", "TennisSwing",
    "ThrowDiscus", "TrampolineJumping", "Typing", "UnevenBars", "VolleyballSpiking",
    "WalkingWithDog", "WallPushups", "WritingOnBoard", "YoYo",
)

# Five classes a person can perform in front of a webcam (labels 46, 14, 51, 47, 16).
DEFAULT_CLASSES: tuple[str, ...] = (
    "JumpingJack", "BodyWeightSquats", "Lunges", "JumpRope", "BoxingPunchingBag",
)


NUMBERED_LINE = re.compile(r"^(\d+)[\s,:;]+(\S.*)$")   # "1 ApplyEyeMakeup", "0: squat", "2,pushup"


def without_line_numbers(lines: tuple[str, ...], path: Path) -> tuple[str, ...]:
    """Class names of a label map whose every line starts with its number, such as UCF101's own
    ``classInd.txt`` ("1 ApplyEyeMakeup"): numbered 0, 1, 2, ... or 1, 2, 3, ... in file order,
    the line order is the label order and the numbers are dropped (they would otherwise become
    part of every class name). Numbers that look like label ids in another order or twice
    ("0 a", "0 b") cannot be read without guessing and are refused. Lines not all numbered, or
    numbered beyond the line count ("10 pushups", "20 squats"), are names as they are.
    """
    matches = [NUMBERED_LINE.match(line) for line in lines]
    if not lines or not all(matches):
        return lines
    numbers = [int(m.group(1)) for m in matches]
    if numbers in (list(range(len(lines))), list(range(1, len(lines) + 1))):
        return tuple(m.group(2).strip() for m in matches)
    if max(numbers) > len(lines):        # "10 pushups", "20 squats": names that start with a number
        return lines
    raise UserError(f"Label map '{path}' numbers its lines ({lines[0]!r}, ...) but not 0, 1, 2, ... or 1, 2, 3, "
                    "... in order, so which label each name is cannot be read from it. Write one class name per "
                    "line, in label order (line 1 is label 0).")


def _json_or_none(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return None


def refuse_other_formats(lines: tuple[str, ...], path: Path) -> None:
    """A label map written in another format would have become class names such as '- squat',
    '["squat", "pushup"]' or, from a CSV with a header, 'id,name' as class 0 and every class one
    label off. Refused with the format that reads.

    Raises:
        UserError: JSON, a YAML list, or a header line above numbered lines.
    """
    form = "Write one class name per line, in label order (line 1 is label 0); numbered lines such as '0 squat' also read."
    if lines and lines[0][:1] in "[{" and isinstance(_json_or_none("\n".join(lines)), (list, dict)):
        raise UserError(f"Label map '{path}' is JSON ({lines[0][:30]!r}...). " + form)
    if lines and all(line.startswith("- ") for line in lines):
        raise UserError(f"Label map '{path}' looks like a YAML list ({lines[0]!r}, ...). " + form)
    if len(lines) >= 3 and not NUMBERED_LINE.match(lines[0]) and all(NUMBERED_LINE.match(line) for line in lines[1:]):
        raise UserError(f"Label map '{path}': its first line {lines[0]!r} looks like a header above numbered lines; "
                        "remove it. " + form)


def read_label_map(path: str | Path) -> tuple[str, ...]:
    """Read a label map: one class name per line, line i is label i (empty lines before and after
    the names are ignored; one between names is refused, as it would shift every later id).

    UTF-8, with or without the byte-order mark Windows editors put first (it would otherwise
    become part of the first class's name).
    """
    path = check_input_file(path, "Label map", if_missing="Pass a text file with one class name per line.")
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise UserError(f"Label map '{path}' is UTF-16 text (what Windows editors call \"Unicode\"); save it as "
                            "UTF-8 (e.g. iconv -f utf-16 -t utf-8).") from None
        raise UserError(f"Label map '{path}' is not UTF-8 text (byte {exc.start}: {exc.reason}); save it as UTF-8 "
                        "(e.g. iconv -f latin1 -t utf-8).") from None
    except OSError as exc:
        raise UserError(f"Cannot read label map '{path}': {exc}") from None
    all_lines = [line.strip() for line in text.splitlines()]
    filled = [i for i, line in enumerate(all_lines) if line]
    gaps = [i + 1 for i in range(filled[0], filled[-1]) if not all_lines[i]] if filled else []
    numbered = all(NUMBERED_LINE.match(all_lines[i]) for i in filled)     # ids written out: a gap shifts none
    if gaps and not numbered:
        raise UserError(f"Label map '{path}' has an empty line between class names (line {gaps[0]}): class ids "
                        "count the names, so every class after it would be read one id off from what the line "
                        "numbers say. Remove the empty line, or write the missing class's name on it.")
    lines = tuple(line for line in all_lines if line)
    refuse_other_formats(lines, path)
    names = without_line_numbers(lines, path)
    if not names:
        raise UserError(f"Label map '{path}' is empty: it needs one class name per line.")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise UserError(f"Label map '{path}' names a class twice: {', '.join(duplicates)}.")
    return names


def _resolve_one(token: str, label_map: tuple[str, ...]) -> int:
    """One class given by name (case-insensitive) or by label id -> label id."""
    if token.lstrip("-").isdigit():
        label = int(token)
        if not 0 <= label < len(label_map):
            raise UserError(f"Class id {label} is out of range: the label map has ids 0..{len(label_map) - 1}.")
        return label
    by_lower = {name.lower(): i for i, name in enumerate(label_map)}
    if token.lower() in by_lower:
        return by_lower[token.lower()]
    close = difflib.get_close_matches(token, label_map, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(close)}?" if close else " Use names from the label map or label ids."
    raise UserError(f"Unknown class '{token}'.{hint}")


def select_classes(spec: str | list[str] | tuple[str, ...], label_map: tuple[str, ...],
                   present_labels: set[int] | None = None) -> list[int]:
    """Resolve a class selection to original label ids, in the order given.

    Args:
        spec: comma-separated names/ids, a list of them, or ``"all"``.
        label_map: class names, index = label id.
        present_labels: labels that occur in the data; ``"all"`` keeps only these.

    Returns:
        Original label ids; position i becomes training label i.
    """
    if isinstance(spec, str):
        if spec.strip().lower() == "all":
            labels = range(len(label_map))
            return [i for i in labels if present_labels is None or i in present_labels]
        tokens = [t.strip() for t in spec.split(",") if t.strip()]
    else:
        tokens = [str(t).strip() for t in spec]
    if not tokens:
        raise UserError("No classes selected. Pass --classes NAME,NAME,... or --classes all.")
    labels = [_resolve_one(t, label_map) for t in tokens]
    repeated = sorted({label_map[i] for i in labels if labels.count(i) > 1})
    if repeated:
        raise UserError(f"Class selected twice: {', '.join(repeated)}.")
    return labels
