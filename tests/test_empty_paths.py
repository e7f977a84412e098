"""An empty path (``--out "$DIR"`` with DIR unset) is refused by argparse before any work: it used
to mean the current folder (--save-dir wrote into it), "not given" (--checkpoint, --label-map
were silently ignored) or crash (extract --out)."""
import importlib

import pytest

CASES = [
    ("realtime.video", ["clip.mp4", "--checkpoint", ""], "--checkpoint"),
    ("realtime.video", ["clip.mp4", "--save-dir", ""], "--save-dir"),
    ("realtime.video", ["clip.mp4", "--json", " "], "--json"),
    ("realtime.video", ["clip.mp4", "--csv", ""], "--csv"),
    ("realtime.video", ["clip.mp4", "--pose-model", ""], "--pose-model"),
    ("realtime.extract", ["clip.mp4", "--label", "squat", "--out", ""], "--out"),
    ("realtime.cam", ["--save", ""], "--save"),
    ("realtime.cam", ["--snapshot-dir", ""], "--snapshot-dir"),
    ("realtime.demo", ["--save", ""], "--save"),
    ("realtime.demo", ["--data", ""], "--data"),
    ("training.train", ["--data", "x.pkl", "--label-map", ""], "--label-map"),
    ("training.train", ["--data", "x.pkl", "--out", ""], "--out"),
    ("training.train", ["--data", ""], "--data"),
    ("training.evaluate", ["--data", "", "--checkpoint", "default"], "--data"),
    ("training.evaluate", ["--data", "x.pkl", "--json", ""], "--json"),
    ("training.predict", ["--data", "x.pkl", "--label-map", ""], "--label-map"),
    ("training.download", ["--out", ""], "--out"),
    ("training.train", ["--data", "x.pkl", "--unknown-data", ""], "--unknown-data"),
    ("training.make_unknowns", ["--out", ""], "--out"),
    ("training.make_unknowns", ["--out", "u.pkl", "--motions", ""], "--motions"),
]


@pytest.mark.parametrize("module, argv, flag", CASES, ids=[f"{m} {f}" for m, _, f in CASES])
def test_an_empty_path_is_refused_before_any_work(module: str, argv: list[str], flag: str, capsys, tmp_path,
                                                   monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        importlib.import_module(module).main(argv)
    assert exit_.value.code == 2
    assert f"argument {flag}: empty path (an unset shell variable?)" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [], "nothing written"


FOLDER_CASES = [
    ("realtime.video", ["clip.mp4", "--json", "results/"], "--json"),
    ("realtime.video", ["clip.mp4", "--csv", "results/"], "--csv"),
    ("training.evaluate", ["--data", "x.pkl", "--json", "metrics/"], "--json"),
    ("realtime.extract", ["clip.mp4", "--label", "squat", "--out", "poses/"], "--out"),
    ("realtime.cam", ["--save", "videos/"], "--save"),
    ("bench.trust", ["--json", "results/"], "--json"),
]


@pytest.mark.parametrize("module, argv, flag", FOLDER_CASES, ids=[f"{m} {f}" for m, _, f in FOLDER_CASES])
def test_an_output_file_named_like_a_folder_is_refused(module: str, argv: list[str], flag: str, capsys, tmp_path,
                                                       monkeypatch) -> None:
    # Before: `realtime.video clip.mp4 --json results/` wrote a file called `results`.
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        importlib.import_module(module).main(argv)
    assert exit_.value.code == 2
    assert f"argument {flag}: '{argv[-1]}' ends with '/', so it names a folder" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [], "nothing written"
