"""Two runs given one output name: the later never replaces the earlier's results silently."""
import json
from pathlib import Path

import numpy as np

from realtime.video_io import VideoSink
from tests.conftest import run_modules_together, shared_file
from training.outputs import atomic_path, write_text_atomic


def test_a_result_someone_else_wrote_meanwhile_is_kept(tmp_path: Path, capsys) -> None:
    target = tmp_path / "r.json"
    writer = atomic_path(target, replace=False)          # no --overwrite: checked free at the start
    with writer as tmp:
        tmp.write_text("mine")
        target.write_text("theirs")                     # another process finished first
    assert target.read_text() == "theirs" and writer.final == tmp_path / "r-2.json"
    assert writer.final.read_text() == "mine" and sorted(p.name for p in tmp_path.iterdir()) == ["r-2.json", "r.json"]
    assert "created by another process" in capsys.readouterr().err
    assert write_text_atomic(target, "third", replace=False) == tmp_path / "r-3.json"


def test_with_overwrite_the_result_replaces_the_file(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    target.write_text("old")
    assert write_text_atomic(target, "new", replace=True) == target and target.read_text() == "new"


def test_an_annotated_video_someone_else_wrote_meanwhile_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "clip.avi"
    sink = VideoSink(target, fps=10.0)
    for _ in range(3):
        sink.write(np.zeros((48, 64, 3), np.uint8))
    target.write_bytes(b"theirs")
    assert sink.close() == tmp_path / "clip-2.avi" and target.read_bytes() == b"theirs"


def test_two_classifications_into_one_json_keep_both(tmp_path: Path) -> None:
    # Before: both found r.json free at the start, and the one finishing last replaced the other's results.
    runs = run_modules_together([("realtime.video", [str(shared_file(f"videos/{clip}")), "--checkpoint", "default",
                                                     "--json", str(tmp_path / "r.json"), "--no-progress"])
                                 for clip in ("pose_squats.mp4", "pose_1.mp4")])
    assert [proc.returncode for proc in runs] == [0, 0], [proc.stderr for proc in runs]
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["r-2.json", "r.json"]
    videos = sorted(Path(json.loads((tmp_path / name).read_text())["videos"][0]["path"]).name for name in written)
    assert videos == ["pose_1.mp4", "pose_squats.mp4"]
    assert sum("created by another process" in proc.stderr for proc in runs) == 1


def test_extracted_poses_someone_else_wrote_meanwhile_are_kept_with_their_label_map(tmp_path: Path) -> None:
    from realtime.extract import write_extracted
    out = tmp_path / "mine.pkl"
    out.write_bytes(b"theirs")
    (tmp_path / "mine.labels.txt").write_text("theirs\n")
    final = write_extracted(out, tmp_path / "mine.labels.txt", {"split": {}, "annotations": []}, ["squat"],
                            replace=False)
    assert final == (tmp_path / "mine-2.pkl", tmp_path / "mine-2.labels.txt")
    assert (tmp_path / "mine-2.labels.txt").read_text() == "squat\n"
    assert out.read_bytes() == b"theirs" and (tmp_path / "mine.labels.txt").read_text() == "theirs\n"


def test_extract_names_the_label_map_it_wrote_when_only_that_name_was_taken_meanwhile(tmp_path: Path, monkeypatch,
                                                                                       capsys) -> None:
    """Another process wrote mine.labels.txt (only) while this one extracted: its label map is kept, ours goes
    beside it, and the "train with" line names ours (it named theirs: a training with the wrong class names)."""
    from realtime import extract as module
    real_write = module.write_extracted

    def theirs_appears_first(out: Path, labels: Path, *args, **kwargs):
        labels.write_text("theirs\n")
        return real_write(out, labels, *args, **kwargs)
    monkeypatch.setattr(module, "write_extracted", theirs_appears_first)
    code = module.main([str(shared_file("videos/pose_squats.mp4")), "--label", "squat", "--out",
                        str(tmp_path / "mine.pkl")])
    assert code == 0 or code is None
    ours = tmp_path / "mine.labels-2.txt"
    assert ours.read_text() == "squat\n" and (tmp_path / "mine.labels.txt").read_text() == "theirs\n"
    printed = capsys.readouterr().out
    assert f"and {ours}" in printed and f"--label-map {ours} " in printed
