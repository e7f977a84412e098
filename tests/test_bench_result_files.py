"""Every bench command that writes results checks the file before its work (minutes to hours) and
never replaces a file silently."""
import json
import math
from pathlib import Path

import pytest

from bench.result_files import check_result_file, write_result_file
from tests.conftest import assert_clean_error, run_main_here

# (module, its result option, options that let it start)
COMMANDS = [
    ("bench.pose_check", "--json", []),
    ("bench.multi_pose_check", "--json", []),
    ("bench.penn_ablation", "--out", []),
    ("bench.second_opinion", "--json", []),
    ("bench.soak", "--json", ["--minutes", "0.01"]),
    ("bench.trust", "--json", ["--checkpoint", "default", "--auroc-seeds"]),
    ("bench", "--out", ["--quick"]),
]


@pytest.mark.parametrize("module, flag, start", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_a_result_file_that_exists_or_cannot_be_written_is_refused_before_the_work(tmp_path: Path, module, flag,
                                                                                     start) -> None:
    mine = tmp_path / "mine.json"
    mine.write_text("my earlier results")
    proc = run_main_here(module, *start, flag, str(mine))
    assert_clean_error(proc, f"{flag} '.*mine.json' exists; choose another name or add --overwrite")
    assert mine.read_text() == "my earlier results"
    missing = run_main_here(module, *start, flag, str(tmp_path / "no" / "r.json"))
    assert_clean_error(missing, "folder .* does not exist")
    text = run_main_here(module, *start, flag, str(tmp_path / "r.txt"))
    assert_clean_error(text, "use a file name ending in .json")


def test_results_are_strict_json_and_another_run_s_file_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    assert write_result_file(out, {"auroc": math.nan, "rows": [1.5, math.inf]}, overwrite=False) == out
    assert json.loads(out.read_text()) == {"auroc": None, "rows": [1.5, None]}
    again = write_result_file(out, {"second": 1}, overwrite=False)        # made meanwhile by another run
    assert again == tmp_path / "r-2.json" and json.loads(out.read_text())["auroc"] is None
    assert write_result_file(out, {"third": 1}, overwrite=True) == out and json.loads(out.read_text()) == {"third": 1}


def test_a_study_s_results_that_cannot_be_written_at_the_end_are_rescued(tmp_path: Path) -> None:
    """bench.penn_ablation's 40 minutes were lost when its --out folder was removed during the study."""
    import json
    import shutil

    from training.errors import UserError
    folder = tmp_path / "results"
    folder.mkdir()
    check_result_file(folder / "study.json", "--out", False)
    shutil.rmtree(folder)                                   # removed while the study ran
    with pytest.raises(UserError, match=r"Cannot write .*study\.json.*results were saved to '(.+)' instead") as err:
        write_result_file(folder / "study.json", {"accuracy": 0.9}, False)
    rescued = Path(str(err.value).split("saved to '")[1].split("'")[0])
    try:
        assert json.loads((rescued / "study.json").read_text()) == {"accuracy": 0.9}
    finally:
        shutil.rmtree(rescued)
