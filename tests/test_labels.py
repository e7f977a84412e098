from pathlib import Path

import pytest

from training.errors import UserError
from training.labels import DEFAULT_CLASSES, UCF101_CLASSES, read_label_map, select_classes
from tests.conftest import shared_file


def test_label_map_in_code_matches_the_reference_file() -> None:
    reference = read_label_map(shared_file("skeletons/mmaction2_ucf101_label_map.txt"))
    assert reference == UCF101_CLASSES and len(UCF101_CLASSES) == 101


def test_default_classes_are_the_webcam_five() -> None:
    assert select_classes(",".join(DEFAULT_CLASSES), UCF101_CLASSES) == [46, 14, 51, 47, 16]


@pytest.mark.parametrize("spec, expected", [
    ("JumpingJack,PushUps", [46, 71]),
    ("pushups, jumpingjack", [71, 46]),
    ("46,14", [46, 14]),
    (["Lunges", "3"], [51, 3]),
])
def test_select_by_name_or_id_in_the_given_order(spec, expected) -> None:
    assert select_classes(spec, UCF101_CLASSES) == expected


def test_all_keeps_only_the_labels_present() -> None:
    assert select_classes("all", UCF101_CLASSES, {5, 2, 99}) == [2, 5, 99]


@pytest.mark.parametrize("spec, pattern", [
    ("JumpingJacks", "Did you mean JumpingJack"),
    ("Nothing", "Unknown class 'Nothing'"),
    ("101", "out of range"),
    ("Lunges,51", "selected twice"),
    (" , ", "No classes selected"),
])
def test_bad_selections(spec, pattern) -> None:
    with pytest.raises(UserError, match=pattern):
        select_classes(spec, UCF101_CLASSES)


def test_read_label_map_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not found"):
        read_label_map(tmp_path / "none.txt")
    (tmp_path / "dup.txt").write_text("a\nb\na\n")
    with pytest.raises(UserError, match="twice: a"):
        read_label_map(tmp_path / "dup.txt")
    (tmp_path / "ok.txt").write_text("\nwalk\nrun\n\n\n")           # empty lines around the names
    assert read_label_map(tmp_path / "ok.txt") == ("walk", "run")


@pytest.mark.parametrize("text", ["walk\n\nrun\n", "walk\n  \nrun\njump\n"])
def test_an_empty_line_between_names_is_refused_not_skipped(tmp_path: Path, text: str) -> None:
    """Skipped, it made 'run' label 1 where MMAction2 (which reads every line) and the line numbers
    make it label 2: every class after the gap was named one id off, without a word."""
    (tmp_path / "gap.txt").write_text(text)
    with pytest.raises(UserError, match=r"empty line between class names \(line 2\).*one id off"):
        read_label_map(tmp_path / "gap.txt")


def test_numbered_lines_may_have_empty_lines_between(tmp_path: Path) -> None:
    (tmp_path / "numbered.txt").write_text("0 walk\n\n1 run\n")           # the ids are written out
    assert read_label_map(tmp_path / "numbered.txt") == ("walk", "run")


def test_a_utf16_label_map_is_named_as_such(tmp_path: Path) -> None:
    (tmp_path / "u16.txt").write_bytes("squat\npushup\n".encode("utf-16"))   # Notepad's "Unicode"
    with pytest.raises(UserError, match="is UTF-16 text.*iconv -f utf-16 -t utf-8"):
        read_label_map(tmp_path / "u16.txt")


def test_a_label_map_saved_by_a_windows_editor_reads_the_same(tmp_path: Path) -> None:
    path = tmp_path / "labels.txt"
    path.write_bytes("\ufeffsquat\r\npushup\r\n".encode("utf-8"))   # byte-order mark and CRLF
    assert read_label_map(path) == ("squat", "pushup")
    assert select_classes("squat", read_label_map(path)) == [0]


def test_a_label_map_in_another_encoding_says_how_to_fix_it(tmp_path: Path) -> None:
    path = tmp_path / "labels.txt"
    path.write_bytes("sentadilla_ñ\nflexión\n".encode("latin-1"))
    with pytest.raises(UserError, match="not UTF-8 text.*save it as UTF-8"):
        read_label_map(path)


@pytest.mark.parametrize("text", ["1 ApplyEyeMakeup\n2 ApplyLipstick\n3 Archery\n",   # UCF101's own classInd.txt
                                  "0 ApplyEyeMakeup\n1 ApplyLipstick\n2 Archery\n",
                                  "0: ApplyEyeMakeup\n1:ApplyLipstick\n2,Archery\n"])
def test_a_label_map_that_numbers_its_lines_reads_as_names(tmp_path: Path, text: str) -> None:
    # Before: the numbers became part of every class name ("1 ApplyEyeMakeup" on the overlay),
    # and --classes ApplyEyeMakeup was "unknown".
    path = tmp_path / "classInd.txt"
    path.write_text(text)
    assert read_label_map(path) == ("ApplyEyeMakeup", "ApplyLipstick", "Archery")


@pytest.mark.parametrize("text", ["0 a\n0 b\n", "2 a\n1 b\n", "1 a\n1 b\n", "0 a\n2 b\n"])
def test_a_label_map_numbered_out_of_order_is_refused(tmp_path: Path, text: str) -> None:
    # Before: "0 a / 0 b" trained a model whose classes were '0 a' and '0 b'.
    path = tmp_path / "labels.txt"
    path.write_text(text)
    with pytest.raises(UserError, match="numbers its lines .* but not 0, 1, 2, ... or 1, 2, 3, ... in order"):
        read_label_map(path)


def test_names_that_only_start_with_a_number_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "labels.txt"
    path.write_text("3d_jump\n1 squat\nwave\n")
    assert read_label_map(path) == ("3d_jump", "1 squat", "wave")
    path.write_text("10 pushups\n20 squats\n")
    assert read_label_map(path) == ("10 pushups", "20 squats")


@pytest.mark.parametrize("text, pattern", [
    ('["squat", "pushup"]', "is JSON"),
    ('{"0": "squat", "1": "pushup"}', "is JSON"),
    ("- squat\n- pushup\n", "looks like a YAML list"),
    ("id,name\n0,squat\n1,pushup\n", "first line 'id,name' looks like a header above numbered lines"),
])
def test_a_label_map_in_another_format_is_refused_not_misread(tmp_path, text: str, pattern: str) -> None:
    """They became class names such as '- squat', or with a CSV header 'id,name' was class 0 and
    every class one label off."""
    path = tmp_path / "labels.txt"
    path.write_text(text)
    with pytest.raises(UserError, match=pattern):
        read_label_map(path)


def test_names_that_only_start_like_another_format_still_read(tmp_path) -> None:
    path = tmp_path / "labels.txt"
    path.write_text("[2024] squat\n{warm-up} jumps\n- dash\n")
    assert read_label_map(path) == ("[2024] squat", "{warm-up} jumps", "- dash")
