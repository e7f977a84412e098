"""Videos and folders whose names are not UTF-8 (Latin-1 names from old cameras, zip archives,
Windows shares): OpenCV's binding used to end the whole process with a segmentation fault."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from realtime.opencv_paths import is_valid_unicode, opencv_path
from tests.conftest import REPO, shared_file


def latin1(name: str) -> str:
    """The str Python gives for a file named ``name`` in Latin-1 on a UTF-8 system."""
    return os.fsdecode(name.encode("latin-1"))


def run_bytes(module: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    # A strict UTF-8 terminal (en_US.UTF-8 and the like): printing such a name must not fail either.
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONIOENCODING": "utf-8:strict"}
    return subprocess.run([sys.executable, "-m", module, *args], cwd=cwd, env=env, capture_output=True, timeout=600)


def test_valid_names_pass_unchanged_and_others_get_a_plain_link(tmp_path: Path) -> None:
    plain = tmp_path / "café.mp4"
    with opencv_path(plain) as name:
        assert name == str(plain)
    odd = tmp_path / latin1("café.mp4")
    odd.write_bytes(b"video")
    assert not is_valid_unicode(str(odd))
    with opencv_path(odd) as name:
        assert is_valid_unicode(name) and name.endswith(".mp4")
        assert Path(name).read_bytes() == b"video"
        link = Path(name)
    assert not link.exists() and odd.read_bytes() == b"video", "the link goes, the file stays"


def test_a_latin1_named_video_is_classified_with_the_rest(tmp_path: Path) -> None:
    folder = tmp_path / latin1("vidéos")
    folder.mkdir()
    video = folder / latin1("sentadilla_ñ.mp4")
    shutil.copy(shared_file("videos/pose_squats.mp4"), video)
    out = tmp_path / latin1("annotées")
    proc = run_bytes("realtime.video", str(folder), "--checkpoint", "default", "--json", "r.json", "--csv", "r.csv",
                     "--save-dir", str(out), "--no-progress", cwd=tmp_path)
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])   # was -11 (segmentation fault)
    result = json.loads((tmp_path / "r.json").read_text())
    assert [v["path"] for v in result["videos"]] == [str(video)] and result["videos"][0]["label"] == "squat"
    assert (out / latin1("sentadilla_ñ_annotated.mp4")).stat().st_size > 0
    assert "sentadilla_ñ".encode("latin-1") in (tmp_path / "r.csv").read_bytes(), "the file name's own bytes"
    assert b"sentadilla_" in proc.stdout, "the table names it"


def test_a_class_folder_that_is_not_utf8_is_refused_before_any_work(tmp_path: Path) -> None:
    for name in ("squat", latin1("sentadillas_ñ")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "a.mp4").write_bytes(b"not read")
    proc = run_bytes("realtime.extract", str(tmp_path), "--out", "x.pkl", "--labels-from-folders", cwd=tmp_path)
    assert proc.returncode == 2 and b"Traceback" not in proc.stderr
    assert b"not valid UTF-8" in proc.stderr and b"rename that folder" in proc.stderr
    assert not (tmp_path / "x.pkl").exists()


@pytest.mark.parametrize("encoding, name, shown", [
    ("ascii", "café.mp4", b"caf\\xe9.mp4"),                      # PYTHONIOENCODING=ascii, a C-locale pipe
    ("latin-1", "café.mp4", "café.mp4".encode("latin-1")),        # shown as is where it can be
    ("utf-8", os.fsdecode(b"caf\xe9.mp4"), b"caf\xe9.mp4"),      # a Latin-1 name on a UTF-8 terminal: its own bytes
])
def test_a_table_row_naming_a_file_never_stops_the_command(monkeypatch, encoding: str, name: str, shown: bytes) -> None:
    # Before: on an ASCII stdout, realtime.video's table row for café.mp4 raised UnicodeEncodeError
    # after the work and before its --json was written.
    import io

    from training.errors import run_cli

    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding=encoding, errors="strict"))
    assert run_cli(lambda: print(name) or "done") == "done"
    sys.stdout.flush()
    assert raw.getvalue() == shown + b"\n"
