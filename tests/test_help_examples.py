"""Every command's --help ends with examples, and each example runs: it uses only options the
command has (an example naming a removed option fails with "unrecognized arguments")."""
import importlib
import re

import pytest

COMMANDS = {"realtime.cam": "realtime.cam", "realtime.video": "realtime.video", "realtime.extract": "realtime.extract",
            "realtime.demo": "realtime.demo", "training.train": "training.train",
            "training.evaluate": "training.evaluate", "training.predict": "training.predict",
            "training.download": "training.download", "training.model_card": "training.model_card",
            "training.make_unknowns": "training.make_unknowns", "bench": "bench.run", "bench.trust": "bench.trust",
            "bench.switches": "bench.switches", "bench.soak": "bench.soak", "bench.penn_ablation": "bench.penn_ablation",
            "bench.pose_check": "bench.pose_check", "bench.multi_pose_check": "bench.multi_pose_check",
            "bench.second_opinion": "bench.second_opinion", "bench.mirror": "bench.mirror"}


def help_text(module: str, capsys: pytest.CaptureFixture) -> str:
    with pytest.raises(SystemExit) as done:
        importlib.import_module(module).main(["--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_examples_use_only_the_commands_own_options(command: str, capsys: pytest.CaptureFixture) -> None:
    text = help_text(COMMANDS[command], capsys)
    head, found, examples = text.partition("\nexample")
    assert found, f"{command} --help shows no example"
    options = set(re.findall(r"--[a-z][a-z0-9-]*", head))
    runs = [line.split("#")[0] for line in examples.splitlines() if f"python -m {command} " in line + " "]
    assert runs, f"{command} --help has no example of itself"
    for run in runs:
        unknown = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", run)) - options
        assert not unknown, f"{command} example '{run.strip()}' uses {unknown}"
