"""The decision layer: steady labels on synthetic probability streams, every rejection rule, clip labels."""
import numpy as np
import pytest

from training.decision import NO_ACTION, DecisionSpec, SteadyDecider, clip_decision

CLASSES = ["squat", "pushup", "situp"]


def stream(probabilities: list[np.ndarray], rate_hz: float, spec: DecisionSpec = DecisionSpec(), **extra) -> list:
    decider = SteadyDecider(CLASSES, spec)
    return [decider.update(i / rate_hz, p, **extra) for i, p in enumerate(probabilities)]


def noisy(best: int, n: int, rng: np.random.Generator, strength: float = 1.6) -> list[np.ndarray]:
    """n probability vectors that favour ``best`` on average (strength 1.6: it is the arg-max about
    half the time, so the raw label flickers several times a second)."""
    alpha = np.ones(len(CLASSES))
    alpha[best] = strength
    return list(rng.dirichlet(alpha, size=n))


def changes(labels: list[str]) -> int:
    return sum(a != b for a, b in zip(labels, labels[1:]))


@pytest.mark.parametrize("rate_hz", [5.0, 30.0, 60.0])
def test_a_flickering_model_gives_a_steady_label_at_any_prediction_rate(rate_hz: float) -> None:
    rng = np.random.default_rng(0)
    probs = noisy(0, int(20 * rate_hz), rng)                       # 20 s of one action
    raw = [CLASSES[int(np.argmax(p))] for p in probs]
    assert changes(raw) > 20 * 2                                     # the raw arg-max flickers
    labels = [d.label for d in stream(probs, rate_hz)]
    settled = labels[int(3 * rate_hz):]                             # after 3 s: one label, the right one
    assert set(settled) == {"squat"} and changes(labels) <= 1


@pytest.mark.parametrize("rate_hz", [5.0, 30.0, 60.0])
def test_a_real_change_of_action_is_followed_within_seconds_at_any_rate(rate_hz: float) -> None:
    rng = np.random.default_rng(1)
    probs = noisy(0, int(8 * rate_hz), rng, 3.0) + noisy(1, int(8 * rate_hz), rng, 3.0)
    decisions = stream(probs, rate_hz)
    times = np.arange(len(probs)) / rate_hz
    switched = next(t for t, d in zip(times, decisions) if t >= 8.0 and d.label == "pushup")
    assert 8.0 < switched < 8.0 + 4.0
    late = [d.label for t, d in zip(times, decisions) if t >= 3.0]
    assert late[0] == "squat" and late[-1] == "pushup" and changes(late) == 1


def test_switch_time_does_not_depend_on_the_prediction_rate() -> None:
    def switch_time(rate_hz: float) -> float:
        a, b = np.array([0.8, 0.1, 0.1]), np.array([0.1, 0.8, 0.1])
        probs = [a] * int(6 * rate_hz) + [b] * int(6 * rate_hz)
        decisions = stream(probs, rate_hz)
        return next(i / rate_hz for i, d in enumerate(decisions) if d.label == "pushup") - 6.0
    times = [switch_time(r) for r in (5.0, 15.0, 30.0, 60.0)]
    assert max(times) - min(times) < 0.35, times


def test_background_output_rejects() -> None:
    d = stream([np.array([0.2, 0.1, 0.1])] * 5, 5.0, background=0.6)[-1]
    assert d.label == NO_ACTION and d.reason == "background" and d.raw_label == "squat"
    off = stream([np.array([0.2, 0.1, 0.1])] * 5, 5.0, DecisionSpec(use_background=False), background=0.6)[-1]
    assert off.label == "squat"


def test_low_probability_rejects_only_below_the_threshold() -> None:
    flat = [np.array([0.4, 0.3, 0.3])] * 10
    assert stream(flat, 5.0, DecisionSpec(min_probability=0.5))[-1].reason == "low probability"
    assert stream(flat, 5.0, DecisionSpec(min_probability=0.3))[-1].label == "squat"


def test_a_probability_crossing_the_threshold_for_a_moment_does_not_flicker_the_label() -> None:
    # Before: with --threshold the label flipped to "no action" and back each time the smoothed
    # probability dipped under it (8-10 changes a minute on real clips); now the doubt, like the
    # members' verdict, is shown once it has held for the evidence time (1 s), either way.
    rate_hz, spec = 5.0, DecisionSpec(min_probability=0.5, smoothing_s=0.2)
    sure, unsure = np.array([0.8, 0.1, 0.1]), np.array([0.45, 0.3, 0.25])
    times = [i / rate_hz for i in range(int(20 * rate_hz))]

    def labels(unsure_spans: list[tuple[float, float]]) -> list[tuple[float, str, str]]:
        decider = SteadyDecider(CLASSES, spec)
        out = []
        for t in times:
            d = decider.update(t, unsure if any(a <= t < b for a, b in unsure_spans) else sure)
            out.append((t, d.label, d.reason))
        return out

    moments = labels([(4.0, 4.6), (9.0, 9.6), (14.0, 14.4)])      # dips shorter than a second
    assert {label for _, label, _ in moments} == {"squat"}
    long = labels([(5.0, 12.0)])                                      # seven seconds of doubt
    rejected = [t for t, label, _ in long if label == NO_ACTION]
    assert rejected and 5.0 + spec.evidence_s - 0.3 <= rejected[0] <= 5.0 + spec.evidence_s + 0.5
    assert {reason for t, label, reason in long if label == NO_ACTION} == {"low probability"}
    assert changes([label for _, label, _ in long]) == 2              # rejected once, named again once
    assert stream([unsure] * 10, rate_hz, spec)[0].reason == "low probability", "the first run is shown at once"


def test_a_body_not_in_view_is_not_named_as_a_class_that_needs_it() -> None:
    spec = DecisionSpec(min_visible=(0.8, 0.2, 0.2))
    probs = [np.array([0.9, 0.05, 0.05])] * 5
    assert stream(probs, 5.0, spec, visible=0.5)[-1].reason == "not in view"
    assert stream(probs, 5.0, spec, visible=0.9)[-1].label == "squat"
    assert stream([np.array([0.05, 0.9, 0.05])] * 5, 5.0, spec, visible=0.5)[-1].label == "pushup"


@pytest.mark.parametrize("spec, measure, acting, rejected, reason", [
    (DecisionSpec(still_motion=0.05), "motion", (0.5, 0.4), 0.01, "still"),           # standing still
    (DecisionSpec(max_travel=5.0), "travel", (1.2, 0.8), 7.5, "travelling"),          # walking past
])
def test_an_immediate_rule_is_shown_at_once_and_ends_with_what_it_measures(spec, measure, acting, rejected,
                                                                          reason) -> None:
    decider = SteadyDecider(CLASSES, spec)
    p = np.array([0.9, 0.05, 0.05])
    assert decider.update(0.0, p, **{measure: acting[0]}).label == "squat"
    shown = decider.update(0.2, p, **{measure: rejected})
    assert shown.label == NO_ACTION and shown.reason == reason
    assert decider.update(0.4, p, **{measure: acting[1]}).label == "squat"
    assert decider.update(0.6, p, **{measure: None}).label == "squat"      # unknown never rejects


def test_the_travel_rule_is_off_for_older_checkpoints_and_follows_its_flags() -> None:
    p = np.array([0.9, 0.05, 0.05])
    off = SteadyDecider(CLASSES, DecisionSpec())                      # a checkpoint from before the rule: off
    assert off.update(0.0, p, travel=50.0).label == "squat"
    assert spec_with_flags("--no-reject", fitted=DecisionSpec(max_travel=5.0)).max_travel == 0.0
    assert spec_with_flags("--max-travel", "8", fitted=DecisionSpec(max_travel=5.0)).max_travel == 8.0


def test_raw_labels_show_each_prediction_as_it_is() -> None:
    probs = [np.array([0.6, 0.3, 0.1]), np.array([0.2, 0.7, 0.1]), np.array([0.1, 0.2, 0.7])]
    labels = [d.label for d in stream(probs, 5.0, DecisionSpec(steady=False, still_motion=1.0), background=0.9)]
    assert labels == ["squat", "pushup", "situp"]


def test_the_rejection_label_is_never_a_class() -> None:
    with pytest.raises(ValueError, match="reserved"):
        SteadyDecider(["squat", NO_ACTION], DecisionSpec())
    with pytest.raises(ValueError, match="min_visible has 2 values for 3 classes"):
        SteadyDecider(CLASSES, DecisionSpec(min_visible=(0.1, 0.2)))


@pytest.mark.parametrize("bad", [{"min_probability": 1.5}, {"evidence_s": 0.0}, {"smoothing_s": float("nan")},
                                 {"switch_probability": -0.1}, {"min_visible": (0.5, 2.0)}, {"first_label_s": 0.0},
                                 {"members_share": 1.5}, {"max_travel": -1.0}, {"travel_s": 0.0}])
def test_invalid_parameters_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError, match="invalid decision parameter"):
        DecisionSpec(**bad)


def test_spec_round_trip_and_unknown_keys() -> None:
    spec = DecisionSpec(min_probability=0.3, still_motion=0.02, min_visible=(0.1, 0.2, 0.3), first_label_s=1.9)
    assert DecisionSpec.from_dict(spec.to_dict()) == spec
    older = {k: v for k, v in spec.to_dict().items() if k != "first_label_s"}   # a checkpoint from before the field
    assert DecisionSpec.from_dict(older).first_label_s == 1.0
    with pytest.raises(ValueError, match="unknown decision parameter"):
        DecisionSpec.from_dict({"switch_s": 1.0})


def test_clip_label_is_the_class_shown_most_or_no_action_when_mostly_rejected() -> None:
    spec = DecisionSpec()
    named = stream([np.array([0.2, 0.7, 0.1])] * 10, 5.0)
    assert clip_decision(named, CLASSES, spec)[0] == "pushup"
    rejected = stream([np.array([0.2, 0.7, 0.1])] * 10, 5.0, background=0.9)
    label, share = clip_decision(rejected + named[:3], CLASSES, spec)
    assert label == NO_ACTION and share == pytest.approx(10 / 13)
    assert clip_decision([], CLASSES, spec) == (NO_ACTION, 0.0)


def test_decision_flags_override_the_checkpoint_and_bad_values_are_refused(capsys) -> None:
    import argparse

    from training.decision import add_decision_arguments, decision_from_arguments
    parser = argparse.ArgumentParser()
    add_decision_arguments(parser)
    fitted = DecisionSpec(still_motion=0.02, first_label_s=1.9)
    assert decision_from_arguments(fitted, parser.parse_args([])) == fitted
    changed = decision_from_arguments(fitted, parser.parse_args(["--first-label", "0.5", "--threshold", "0.4"]))
    assert (changed.first_label_s, changed.min_probability, changed.still_motion) == (0.5, 0.4, 0.02)
    assert decision_from_arguments(fitted, parser.parse_args(["--members-agree", "all"])).members_share == 1.0
    assert decision_from_arguments(fitted, parser.parse_args(["--members-agree", "majority"])).members_share == 0.5
    with pytest.raises(SystemExit):
        parser.parse_args(["--first-label", "0"])
    assert "--first-label" in capsys.readouterr().err


def spec_with_flags(*flags: str, fitted: DecisionSpec = DecisionSpec()) -> DecisionSpec:
    import argparse

    from training.decision import add_decision_arguments, decision_from_arguments
    parser = argparse.ArgumentParser()
    add_decision_arguments(parser)
    return decision_from_arguments(fitted, parser.parse_args(list(flags)))


@pytest.mark.parametrize("rate_hz", [5.0, 30.0])
def test_a_steadier_label_still_follows_a_new_action_only_later(rate_hz: float) -> None:
    """``--steadiness 3`` once weighed the evidence a third against the same expected rate of
    change, which held every class's belief below the switch probability: the first label stayed
    for good (a squat clip named baseball_pitch for 11 s). Now the filter's whole clock is
    stretched: N times steadier follows a new action about N times later, and never flickers."""
    rng = np.random.default_rng(7)
    first = [np.array([0.7, 0.15, 0.15])] * int(2 * rate_hz)                  # a 2 s wrong start
    then = noisy(1, int(60 * rate_hz), rng, 6.0)                              # 60 s of one action
    times = np.arange(len(first) + len(then)) / rate_hz

    def switched_after(steadiness: str) -> float:
        decisions = stream(first + then, rate_hz, spec_with_flags("--steadiness", steadiness))
        labels = [d.label for d in decisions]
        assert labels[0] == "squat" and labels[-1] == "pushup" and changes(labels) == 1, steadiness
        return next(t for t, label in zip(times, labels) if label == "pushup") - 2.0

    delays = [switched_after(s) for s in ("1", "3", "10")]
    assert delays[0] < delays[1] < delays[2] < 60.0, delays
    assert 1.3 < delays[1] / delays[0] < 4.5 and 3 < delays[2] / delays[0] < 15, delays


@pytest.mark.parametrize("flag", ["--steadiness", "--smoothing", "--first-label"])
def test_decision_times_beyond_a_minute_are_refused(flag: str, capsys) -> None:
    with pytest.raises(SystemExit):
        spec_with_flags(flag, "1e9")
    assert f"{flag}: must be between 0 and 60" in capsys.readouterr().err
    assert spec_with_flags(flag, "60") != DecisionSpec()


def test_members_must_agree_by_majority_or_all_when_asked() -> None:
    rng = np.random.default_rng(4)
    n = 50                                                            # 10 s at 5 predictions a second
    agreeing = [np.stack([p, p, p]) for p in noisy(0, n, rng, strength=4.0)]
    two_of_three = [np.stack([a, a, b]) for a, b in zip(noisy(0, n, rng, 4.0), noisy(1, n, rng, 4.0))]
    all_differ = [np.stack([a, b, c]) for a, b, c in zip(noisy(0, n, rng, 6.0), noisy(1, n, rng, 4.0),
                                                           noisy(2, n, rng, 4.0))]

    def labels(members: list[np.ndarray], spec: DecisionSpec, give_members: bool = True) -> set[tuple[str, str]]:
        decider = SteadyDecider(CLASSES, spec)
        out = [decider.update(i / 5, m.mean(axis=0), members=m if give_members else None) for i, m in enumerate(members)]
        return {(d.label, d.reason) for d in out[15:]}                # after 3 s

    majority, everyone, off = DecisionSpec(), DecisionSpec(members_share=1.0), DecisionSpec(members_share=0.0)
    from training.decision import MEMBER_SHARES
    anyone = DecisionSpec(members_share=MEMBER_SHARES["any"])
    assert labels(all_differ, anyone) == {("squat", "")}                       # one member shows it: enough
    decider = SteadyDecider(CLASSES, anyone)                   # the ensemble says squat, no member's filter does
    others = [np.stack([b, c, c]) for b, c in zip(noisy(1, n, rng, 6.0), noisy(2, n, rng, 6.0))]
    out = [decider.update(i / 5, np.array([0.8, 0.1, 0.1]), members=m) for i, m in enumerate(others)]
    assert {(d.label, d.reason) for d in out[15:]} == {(NO_ACTION, "members disagree")}
    assert labels(agreeing, majority) == labels(agreeing, everyone) == {("squat", "")}
    assert labels(two_of_three, majority) == {("squat", "")}                   # the default: a majority is enough
    assert labels(two_of_three, everyone) == {(NO_ACTION, "members disagree")}
    assert labels(all_differ, majority) == {(NO_ACTION, "members disagree")}   # one of three is no majority
    assert labels(all_differ, off) == {("squat", "")}
    assert labels(all_differ, majority, give_members=False) == {("squat", "")}  # a single model: nothing to compare


def test_a_members_verdict_is_shown_only_once_it_has_held_for_the_evidence_time() -> None:
    from training.decision import ClassFilter
    rate_hz, spec = 5.0, DecisionSpec()
    sure, other, third = np.array([0.97, 0.015, 0.015]), np.array([0.05, 0.9, 0.05]), np.array([0.05, 0.05, 0.9])

    def run(dips: list[tuple[float, float]], seconds: float = 16.0) -> tuple[list[tuple[float, bool]], list[tuple[float, str]]]:
        """Member 1 says 'other' during the dips; returns when its own filter disagreed, and the labels."""
        times = [i / rate_hz for i in range(int(seconds * rate_hz))]
        streams = [np.stack([sure, other if any(a <= t < b for a, b in dips) else sure, third]) for t in times]
        member_filter, decider = ClassFilter(3, spec), SteadyDecider(CLASSES, spec)
        disagreeing, labels = [], []
        for i, (t, m) in enumerate(zip(times, streams)):
            member_filter.update(SteadyDecider.FIRST_STEP_S if i == 0 else 1 / rate_hz, m[1])
            disagreeing.append((t, member_filter.shown != 0))
            labels.append((t, decider.update(t, m.mean(axis=0), members=m).label))
        return disagreeing, labels

    def spans(flags: list[tuple[float, bool]]) -> list[float]:
        out, start = [], None
        for t, on in flags + [(flags[-1][0] + 1 / rate_hz, False)]:
            if on and start is None:
                start = t
            elif not on and start is not None:
                out.append(t - start)
                start = None
        return out

    short, labels = run([(4.0, 5.8)])                  # member 1's filter turns for a moment, then back
    assert spans(short) and max(spans(short)) < spec.evidence_s
    assert {label for _, label in labels} == {"squat"}                          # the label never flickered
    lasting, labels = run([(4.0, 16.0)])
    turned = next(t for t, on in lasting if on)
    rejected = next(t for t, label in labels if label == NO_ACTION)
    assert spec.evidence_s <= rejected - turned <= spec.evidence_s + 1 / rate_hz
    assert all(label == NO_ACTION for t, label in labels if t >= rejected)


def test_a_run_at_the_same_time_after_a_long_gap_warns_nothing() -> None:
    # A run a long time after the last one (its evidence weighs dt / evidence_s) drove the other
    # classes' belief to exactly 0; a second run at that same time (dt = 0) then took log(0):
    # numpy's "divide by zero" warning on the user's terminal.
    import warnings

    from training.decision import ClassFilter
    spec = DecisionSpec(smoothing_s=1.0, evidence_s=0.25)
    certain = np.array([1.0, 0.0, 0.0])
    class_filter = ClassFilter(3, spec)
    class_filter.update(0.2, certain)
    class_filter.update(98.0, certain)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        belief = class_filter.update(0.0, certain)
        assert belief[0] == pytest.approx(1.0) and class_filter.shown == 0
        belief = class_filter.update(0.2, np.array([0.0, 1.0, 0.0]))     # and it still follows a change
    assert np.isfinite(belief).all() and class_filter.shown == 1
