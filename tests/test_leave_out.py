"""--leave-out: ensemble members that learn some real classes as unknown actions, and the decision
that asks each member only about the classes it knows."""
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.conftest import write_pickle
from training.checkpoint import load_checkpoint
from training.config import RECIPES, TrainConfig, check_config
from training.decision import NO_ACTION, DecisionSpec, SteadyDecider, enough_members
from training.errors import UserError
from training.loop import UNKNOWN_LABEL, UNKNOWN_WEIGHT, summed_loss
from training.model import ModelConfig
from training.synthetic import make_synthetic_dataset
from training.train import train

CLASSES = ["squat", "pushup", "situp"]


def test_each_class_is_known_to_every_member_but_one() -> None:
    known = ModelConfig(ensemble=3, leave_out=True).known_classes(7)
    assert known.shape == (3, 7)
    assert (known.sum(axis=0) == 2).all()                       # every class: all members but one
    assert [np.flatnonzero(~row).tolist() for row in known] == [[0, 3, 6], [1, 4], [2, 5]]
    assert ModelConfig(ensemble=3).known_classes(7).all()        # without leave-out every member knows all
    with pytest.raises(ValueError, match="leave_out"):
        ModelConfig(ensemble=1, leave_out=True).check()


def test_unknown_samples_are_pushed_towards_equal_probabilities() -> None:
    logits = torch.tensor([[4.0, 0.0, 0.0], [4.0, 0.0, 0.0], [0.0, 0.0, 0.0]], requires_grad=True)
    target = torch.tensor([0, UNKNOWN_LABEL, UNKNOWN_LABEL])
    loss = summed_loss(logits, target)
    log_p = torch.log_softmax(logits.detach(), dim=1)
    expected = -log_p[0, 0] + UNKNOWN_WEIGHT * (-log_p[1].mean() - log_p[2].mean())
    torch.testing.assert_close(loss, expected)
    loss.backward()
    assert logits.grad[1, 0] > 0 and logits.grad[1, 1] < 0        # a confident unknown sample: flatten it
    torch.testing.assert_close(logits.grad[2], torch.zeros(3))    # already equal: nothing to learn
    plain = torch.nn.functional.cross_entropy(logits.detach()[:1], target[:1], reduction="sum")
    torch.testing.assert_close(summed_loss(logits.detach()[:1], target[:1]), plain)   # no unknown: plain CE


def test_a_member_learns_to_be_unsure_of_the_classes_it_left_out() -> None:
    """Three separable classes; one model learns class 2 as unknown, a control learns it as a class."""
    from training.loop import make_batches, predict_probabilities, train_epoch
    from training.model import ActionLSTM
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 40)
    features = (rng.normal(0.0, 1.0, (120, 12, 8)) + 2.0 * np.eye(3, 8)[labels][:, None, :]).astype(np.float32)
    lengths = np.full(120, 12)
    top = {}
    for name, targets in (("left out", np.where(labels == 2, UNKNOWN_LABEL, labels)), ("control", labels)):
        torch.manual_seed(0)
        model = ActionLSTM(ModelConfig(input_size=8, hidden_size=16, num_classes=3))
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        for _ in range(30):
            train_epoch(model, optimizer, features, lengths, targets, make_batches(lengths, 16, rng))
        probabilities = predict_probabilities(model, features, lengths)
        assert np.mean(probabilities[labels < 2].argmax(axis=1) == labels[labels < 2]) > 0.95
        top[name] = np.median(probabilities[labels == 2].max(axis=1))
    assert top["control"] > 0.9 and top["left out"] < 0.5              # about 1/3 each: "I do not know this"


def test_training_with_leave_out_records_what_each_member_knows(tmp_path: Path) -> None:
    data = write_pickle(tmp_path / "d.pkl", make_synthetic_dataset(clips_per_class=6, lengths=(20, 40), seed=3))
    config = TrainConfig(data=str(data), out=str(tmp_path / "run"), epochs=2, max_frames=48, ensemble=3,
                         bagging=True, leave_out=True)
    result = train(config, echo=lambda *a: None, progress=False)
    ckpt = load_checkpoint(result.run_dir / "model.pt")
    assert ckpt.model.config.leave_out and ckpt.train_config["leave_out"] is True
    assert ckpt.member_known.shape == (3, 5) and (ckpt.member_known.sum(axis=0) == 2).all()
    assert all(np.isfinite(row["val_loss"]) for row in result.epochs)   # each member validated on what it knows
    from realtime.recognizer import Recognizer
    np.testing.assert_array_equal(Recognizer(ckpt).decider.member_known, ckpt.member_known)   # the live path asks it


def test_leave_out_needs_an_ensemble_and_enough_classes(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="--leave-out needs an ensemble"):
        check_config(TrainConfig(leave_out=True))
    data = write_pickle(tmp_path / "d.pkl", make_synthetic_dataset(clips_per_class=4, lengths=(20, 40), seed=1))
    config = TrainConfig(data=str(data), classes="JumpingJack,BodyWeightSquats", out=str(tmp_path / "run"), epochs=1,
                         max_frames=32, ensemble=3, leave_out=True)
    with pytest.raises(UserError, match="at least as many classes as ensemble members"):
        train(config, echo=lambda *a: None, progress=False)
    assert not (tmp_path / "run").exists()
    assert RECIPES["trust"]["leave_out"] is True


def test_a_majority_is_more_than_half_of_the_members_that_know_the_class() -> None:
    assert [enough_members(0.5, n) for n in (1, 2, 3, 4, 5)] == [1, 2, 2, 3, 3]
    assert [enough_members(1.0, n) for n in (1, 2, 3)] == [1, 2, 3]
    assert enough_members(0.0, 3) == 0


def test_members_are_asked_only_about_classes_they_know() -> None:
    """Member 2 left squat out (it says 'situp' on squats): the two members that know squat agree."""
    sure_squat, unsure = np.array([0.9, 0.05, 0.05]), np.array([0.3, 0.3, 0.4])
    members = np.stack([sure_squat, sure_squat, unsure])
    known = np.array([[True, True, True], [True, True, True], [False, True, True]])

    def last(member_known: np.ndarray | None) -> tuple[str, str]:
        decider = SteadyDecider(CLASSES, DecisionSpec(), member_known)
        out = [decider.update(i / 5, members.mean(axis=0), members=members) for i in range(20)]
        return out[-1].label, out[-1].reason

    assert last(known) == ("squat", "")
    disagree = members.copy()
    disagree[1] = np.array([0.05, 0.9, 0.05])                     # one of the two that know squat says pushup
    decider = SteadyDecider(CLASSES, DecisionSpec(), known)
    out = [decider.update(i / 5, np.array([0.6, 0.3, 0.1]), members=disagree) for i in range(20)]
    assert (out[-1].label, out[-1].reason) == (NO_ACTION, "members disagree")
