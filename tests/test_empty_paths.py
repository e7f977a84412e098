"""An empty path (``--out "$DIR"`` with DIR unset) is refused by argparse before any work: it used
to mean the current folder (--save-dir wrote into it), "not given" (--checkpoint, --label-map
were silently ignored) or crash (extract --out). So is an output file named like a folder."""
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


FOLDER_CASES = [   # an output file named with a trailing slash: `--json results/` wrote a file called `results`
    ("realtime.video", ["clip.mp4", "--json", "results/"], "--json"),
    ("realtime.video", ["clip.mp4", "--csv", "results/"], "--csv"),
    ("training.evaluate", ["--data", "x.pkl", "--json", "metrics/"], "--json"),
    ("realtime.extract", ["clip.mp4", "--label", "squat", "--out", "poses/"], "--out"),
    ("realtime.cam", ["--save", "videos/"], "--save"),
    ("bench.trust", ["--json", "results/"], "--json"),
]
STDOUT_CASES = [   # `--json - | jq` wrote a file called `-`
    ("realtime.video", ["clip.mp4", "--json", "-"], "--json"),
    ("realtime.video", ["clip.mp4", "--csv", "-"], "--csv"),
    ("training.evaluate", ["--data", "x.pkl", "--json", "-"], "--json"),
    ("realtime.extract", ["clip.mp4", "--label", "squat", "--out", "-"], "--out"),
    ("realtime.cam", ["--save", "-"], "--save"),
]
ALL_CASES = ([(m, argv, f, "empty path (an unset shell variable?)") for m, argv, f in CASES]
             + [(m, argv, f, f"'{argv[-1]}' ends with '/', so it names a folder") for m, argv, f in FOLDER_CASES]
             + [(m, argv, f, "'-' would mean standard output, where this command prints its own lines")
                for m, argv, f in STDOUT_CASES])


@pytest.mark.parametrize("module, argv, flag, message", ALL_CASES, ids=[f"{m} {f} {a[-1]!r}" for m, a, f, _ in ALL_CASES])
def test_a_path_that_names_nothing_usable_is_refused_before_any_work(module: str, argv: list[str], flag: str,
                                                                     message: str, capsys, tmp_path,
                                                                     monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        importlib.import_module(module).main(argv)
    assert exit_.value.code == 2
    assert f"argument {flag}: {message}" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [], "nothing written"
