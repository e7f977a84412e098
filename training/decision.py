"""What the user is told: the one decision layer between model output and every display.

The model gives class probabilities for the newest window; the user wants one steady answer,
including "nothing I know is happening". :class:`SteadyDecider` turns the stream of model
outputs into that answer, and :func:`clip_decision` sums a whole clip up. Every driver
(``realtime.cam``, ``realtime.video``, ``training.evaluate``/``predict``, the benchmarks) uses
these with the :class:`DecisionSpec` stored in the checkpoint, so they all decide alike.

When: the first label waits until the window holds ``first_label_s`` seconds of poses (a
clip shorter than that is labelled at its end): an action half seen is guessed wrong more often
than right, and a wrong first label costs a later change.

Per model run (:meth:`SteadyDecider.update`), with every time in seconds so that 5, 30 or 60
predictions per second behave alike:
  1. **which class**: a hidden-Markov filter over the classes. Each run is evidence weighted by
     the time since the previous one (``evidence_s`` seconds of predictions count as one
     observation, since consecutive windows overlap), and between runs the class may change at
     ``switch_rate`` changes per second. The first run shows the filter's leader; after that the
     shown class changes only when another class reaches ``switch_probability`` in the filter:
     a short run of doubtful windows cannot flip it, a clear change of action does within a
     few seconds (measured: README, "Trust on real footage");
  2. **whether to name it**: the model's own probabilities, averaged over ``smoothing_s``
     seconds, must make the class at least ``min_probability`` likely and, with a background
     output, more likely than "nothing known"; the window must show as much of the body as the
     class's training clips did (``min_visible``, per class: a face close-up is no squat), and
     more than a share of the ensemble's members that know the class (``members_share``; by
     default a majority), each running its own class filter, must show it too; else
     :data:`NO_ACTION`. The model's doubt (the probability below ``min_probability``, or the
     members not agreeing) changes what is shown only once it has held for ``evidence_s``
     seconds, either way, so a probability or a member wavering for a moment cannot make the
     label flicker. With a second model of another kind in the checkpoint (``--second-model``,
     ``training.second_opinion``), the class is named only when that model gives it at least
     ``second_opinion`` (smoothed like the probabilities), a doubt held in the same way;
  3. **stillness**: a person whose joints moved less than ``still_motion`` over the newest
     ``still_s`` seconds is :data:`NO_ACTION` at once, whatever the window still holds; so is
     one whose body travelled more than ``max_travel`` body sizes across the picture over the
     newest ``travel_s`` seconds (walking or running past: no training clip travels that far).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from training.cli_types import fraction, non_negative, number
from training.errors import UserError

NO_ACTION = "no action"   # the rejection outcome; training refuses a class of this name
NO_PERSON = "no person"   # nobody in view: no prediction (a clip, a segment, the overlay)
RESERVED_LABELS = (NO_ACTION, NO_PERSON)   # outcomes shown in place of a class: never a class name
# --members-agree: more than this share of the members that know the class must show it ("any": one)
MEMBER_SHARES = {"all": 1.0, "majority": 0.5, "any": 1e-6, "off": 0.0}
MAX_DECISION_S = 60.0     # --steadiness, --smoothing, --first-label: longer than any action a live label follows


def reserved_name(names) -> str | None:
    """The first of ``names`` that reads as a reserved outcome (case and outer spaces ignored), or None."""
    return next((n for n in names if n.strip().lower() in RESERVED_LABELS), None)


def why_reserved(name: str) -> str:
    """The message's core for a class called ``name`` (one :func:`reserved_name` found)."""
    return (f"'{name}', which is reserved (the recogniser shows it in place of a class: "
            f"{' / '.join(RESERVED_LABELS)})")


@dataclass(frozen=True)
class DecisionSpec:
    """Parameters of the decision layer (times in seconds); saved in the checkpoint.

    Attributes:
        min_probability: a class is named only when its smoothed probability reaches this.
        use_background: reject when the model's background output beats every known class.
        still_motion: motion (see ``training.features.motion_amount``: mean temporal std of
            the normalised joints) below which the person counts as standing still; 0: off.
        still_s: how many of the newest seconds the stillness check looks at.
        smoothing_s: time constant of the moving average behind the rejection rules and the
            probability shown (0: none).
        evidence_s: seconds of predictions that count as one observation in the class filter
            (larger: steadier, slower).
        switch_rate: how many label changes per second the class filter expects (smaller: steadier).
        switch_probability: the filter probability at which another class replaces the shown one.
        clip_reject_share: a clip is :data:`NO_ACTION` when more than this share of its
            decisions were.
        min_visible: per class, the share of visible joints below which that class is not
            named (empty: no such check).
        steady: False shows each run's own arg-max (no filter, no rejection): the raw model.
        first_label_s: seconds of poses the window must hold before the first label.
        members_share: with an ensemble, name a class only when more than this share of the
            members that know the class show it in their own class filters (0.5, the default: a
            majority; 1: all; 0: off); a change of the members' verdict is shown once it has held
            for ``evidence_s``.
        second_opinion: name a class only when the checkpoint's second model gives it at least
            this smoothed probability (0: off; no effect on a checkpoint without one).
        max_travel: travel (see ``training.features.travel_amount``: how far the body's centre
            moved across the picture, in body sizes) over the newest ``travel_s`` seconds above
            which the person counts as walking or running past, no action of the classes; 0: off.
        travel_s: how many of the newest seconds the travel check looks at.
    """

    min_probability: float = 0.0
    use_background: bool = True
    still_motion: float = 0.0
    still_s: float = 1.0
    smoothing_s: float = 1.0
    evidence_s: float = 1.0
    switch_rate: float = 0.2
    switch_probability: float = 0.8
    clip_reject_share: float = 0.5
    min_visible: tuple[float, ...] = ()
    steady: bool = True
    first_label_s: float = 1.0
    members_share: float = 0.5
    second_opinion: float = 0.0
    max_travel: float = 0.0
    travel_s: float = 4.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "min_visible", tuple(float(v) for v in self.min_visible))
        checks = {"min_probability": 0.0 <= self.min_probability <= 1.0, "still_motion": self.still_motion >= 0,
                  "still_s": self.still_s > 0, "smoothing_s": self.smoothing_s >= 0, "evidence_s": self.evidence_s > 0,
                  "switch_rate": self.switch_rate > 0, "switch_probability": 0.0 <= self.switch_probability <= 1.0,
                  "clip_reject_share": 0.0 <= self.clip_reject_share <= 1.0, "first_label_s": self.first_label_s > 0,
                  "members_share": 0.0 <= self.members_share <= 1.0,
                  "second_opinion": 0.0 <= self.second_opinion <= 1.0, "max_travel": self.max_travel >= 0,
                  "travel_s": self.travel_s > 0}
        bad = [name for name, ok in checks.items() if not ok or not math.isfinite(float(getattr(self, name)))]
        if any(not 0.0 <= v <= 1.0 for v in self.min_visible):
            bad.append("min_visible")
        if bad:
            raise ValueError(f"invalid decision parameter(s): {', '.join(f'{n}={getattr(self, n)!r}' for n in bad)}")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["min_visible"] = list(self.min_visible)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "DecisionSpec":
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown decision parameter(s): {', '.join(sorted(unknown))}")
        return cls(**d)


@dataclass
class Decision:
    """What is shown after one model run.

    Attributes:
        label: the steady label: a class name or :data:`NO_ACTION`.
        probability: the smoothed probability of ``label`` (for NO_ACTION: 1 - the best class's).
        raw_label: the arg-max class of this run's own probabilities (no smoothing, no rejection).
        raw_probability: its probability.
        reason: why NO_ACTION ("background", "low probability", "not in view", "members disagree",
            "second opinion", "still"), else "".
        smoothed: (C,) smoothed class probabilities.
        belief: (C,) the class filter's probabilities.
        support: the second model's smoothed probability of the class shown (of ``raw_label``
            with ``steady`` off; None without a second model).
    """

    label: str
    probability: float
    raw_label: str
    raw_probability: float
    reason: str = ""
    smoothed: np.ndarray = field(default_factory=lambda: np.zeros(0))
    belief: np.ndarray = field(default_factory=lambda: np.zeros(0))
    support: float | None = None

    @property
    def rejected(self) -> bool:
        return self.label == NO_ACTION


class ClassFilter:
    """The hidden-Markov filter over the classes and the class it shows (step 1 of the module docstring)."""

    def __init__(self, n_classes: int, spec: DecisionSpec) -> None:
        self.spec = spec
        self.log_belief = np.full(n_classes, -math.log(n_classes))
        self.shown: int | None = None

    def update(self, dt: float, probabilities: np.ndarray) -> np.ndarray:
        """Advance by ``dt`` seconds with one run's (C,) probabilities; returns the (C,) belief."""
        belief = np.exp(self.log_belief - self.log_belief.max())
        belief /= belief.sum()
        stay = math.exp(-self.spec.switch_rate * dt)
        prior = stay * belief + (1.0 - stay) / len(belief)
        # a class a long gap's evidence ruled out to exactly 0 stays at log(tiny), not -inf (then dt = 0)
        log_belief = (np.log(np.maximum(prior, np.finfo(float).tiny))
                      + (dt / self.spec.evidence_s) * np.log(np.maximum(probabilities, 1e-6)))
        self.log_belief = log_belief - log_belief.max()
        belief = np.exp(self.log_belief)
        belief /= belief.sum()
        leader = int(np.argmax(belief))
        if self.shown is None or (leader != self.shown and belief[leader] >= self.spec.switch_probability):
            self.shown = leader
        return belief


def enough_members(share: float, n_members: int) -> int:
    """How many of ``n_members`` must agree: more than ``share`` of them (a majority for 0.5: 2 of 3,
    2 of 2, 3 of 4), all of them for ``share`` >= 1, none for 0."""
    if share <= 0:
        return 0
    return n_members if share >= 1 else min(n_members, math.floor(share * n_members + 1e-9) + 1)


class SteadyDecider:
    """The stream of model outputs -> a steady label (see module docstring)."""

    FIRST_STEP_S = 0.2   # evidence weight of the very first run (no previous run to time it by)

    def __init__(self, classes: list[str], spec: DecisionSpec, member_known: np.ndarray | None = None) -> None:
        """``member_known``: (M, C) bool, which classes each ensemble member was trained to name
        (None: every member knows every class); a member is asked about known classes only."""
        if (reserved := reserved_name(classes)) is not None:
            raise ValueError(f"A class is named {why_reserved(reserved)}.")
        if spec.min_visible and len(spec.min_visible) != len(classes):
            raise ValueError(f"min_visible has {len(spec.min_visible)} values for {len(classes)} classes")
        self.classes = list(classes)
        self.spec = spec
        self.member_known = None if member_known is None else np.asarray(member_known, dtype=bool)
        self.reset()

    def reset(self) -> None:
        """Forget the stream (a new clip, or the person left)."""
        self._smoothed: np.ndarray | None = None
        self._filter = ClassFilter(len(self.classes), self.spec)
        self._member_filters: list[ClassFilter] = []
        self._verdict: str | None = None    # the model's doubt as shown ("": none; see _held)
        self._verdict_changing_since: float | None = None
        self._last_time: float | None = None

    def _members_agree(self, dt: float, members: np.ndarray | None, shown: int) -> bool:
        """Advance one class filter per ensemble member; True when :func:`enough_members` of the
        members that know ``shown`` show it now (always True for a single model or with the rule off)."""
        if self.spec.members_share <= 0 or members is None or len(members) < 2:
            return True
        if not self._member_filters:
            self._member_filters = [ClassFilter(len(self.classes), self.spec) for _ in members]
        for member_filter, member in zip(self._member_filters, members):
            member_filter.update(dt, np.asarray(member, dtype=np.float64))
        knowing = [f for i, f in enumerate(self._member_filters)
                   if self.member_known is None or self.member_known[i, shown]]
        showing = sum(member_filter.shown == shown for member_filter in knowing)
        return showing >= enough_members(self.spec.members_share, len(knowing))

    def _held(self, time_s: float, unsure_now: str) -> str:
        """The model's own doubt as shown: ``unsure_now`` is why the model doubts the shown class in
        this run ("" when it does not). The first run's verdict is shown at once; after that a
        new verdict is shown only once it has held for ``evidence_s`` seconds, so a member
        wavering or a probability crossing ``min_probability`` for a moment does not make the
        label flicker."""
        if self._verdict is None or bool(unsure_now) == bool(self._verdict):
            self._verdict, self._verdict_changing_since = unsure_now, None
        elif self._verdict_changing_since is None:
            self._verdict_changing_since = time_s
        if self._verdict_changing_since is not None and time_s - self._verdict_changing_since >= self.spec.evidence_s:
            self._verdict, self._verdict_changing_since = unsure_now, None
        return self._verdict

    def update(self, time_s: float, probabilities: np.ndarray, background: float = 0.0,
               motion: float | None = None, visible: float | None = None,
               members: np.ndarray | None = None, second_opinion: np.ndarray | None = None,
               travel: float | None = None) -> Decision:
        """One model run.

        Args:
            time_s: stream time of the run (seconds, increasing).
            probabilities: (C,) the model's probabilities of the known classes.
            background: the model's background probability (0 when it has no such output).
            motion: the motion amount over the newest ``still_s`` seconds (None: unknown).
            visible: share of the window's joints scored visible (None: unknown).
            members: (M, C) an ensemble's members' own probabilities (None: a single model).
            second_opinion: (C,) the checkpoint's second model's probabilities (None: it has none).
            travel: how far the body moved across the picture over the newest ``travel_s``
                seconds, in body sizes (None: unknown, e.g. fewer seconds of poses).
        """
        probabilities = np.asarray(probabilities, dtype=np.float64)
        raw = int(np.argmax(probabilities))
        dt = self.FIRST_STEP_S if self._last_time is None else max(0.0, time_s - self._last_time)
        self._last_time = time_s
        values = np.append(probabilities, background)
        if second_opinion is not None:
            values = np.concatenate([values, np.asarray(second_opinion, dtype=np.float64)])
        if self._smoothed is None or self.spec.smoothing_s <= 0 or len(self._smoothed) != len(values):
            self._smoothed = values
        else:
            weight = 1.0 - math.exp(-dt / self.spec.smoothing_s)
            self._smoothed = (1.0 - weight) * self._smoothed + weight * values
        n = len(self.classes)
        support = None if second_opinion is None else self._smoothed[n + 1:]
        known, back = self._smoothed[:n], float(self._smoothed[n])
        belief = self._filter.update(dt, probabilities)
        if not self.spec.steady:
            return Decision(self.classes[raw], float(probabilities[raw]), self.classes[raw], float(probabilities[raw]),
                            "", known.copy(), belief, None if support is None else float(support[raw]))
        shown = self._filter.shown
        agree = self._members_agree(dt, members, shown)   # every run advances the members' filters
        supported = support is None or self.spec.second_opinion <= 0 or support[shown] >= self.spec.second_opinion
        doubt = self._held(time_s, "low probability" if known[shown] < self.spec.min_probability
                           else "members disagree" if not agree else "" if supported else "second opinion")
        reason = ""
        if self.spec.still_motion > 0 and motion is not None and motion < self.spec.still_motion:
            reason = "still"
        elif self.spec.max_travel > 0 and travel is not None and travel > self.spec.max_travel:
            reason = "travelling"
        elif self.spec.use_background and back > known.max():
            reason = "background"
        elif doubt == "low probability":
            reason = doubt
        elif self.spec.min_visible and visible is not None and visible < self.spec.min_visible[shown]:
            reason = "not in view"
        elif doubt:
            reason = doubt
        label = NO_ACTION if reason else self.classes[shown]
        probability = (1.0 - float(known.max())) if reason else float(known[shown])
        return Decision(label, probability, self.classes[raw], float(probabilities[raw]), reason, known.copy(), belief,
                        None if support is None else float(support[shown]))


def clip_decision(decisions: list[Decision], classes: list[str], spec: DecisionSpec) -> tuple[str, float]:
    """One label for a whole clip from its stream of decisions.

    :data:`NO_ACTION` when more than ``clip_reject_share`` of the decisions were; otherwise the
    class shown most often, ties broken by the higher mean smoothed probability.

    Returns:
        (label, probability): the clip label and its mean smoothed probability over the clip
        (for NO_ACTION, the share of rejected decisions).
    """
    if not decisions:
        return NO_ACTION, 0.0
    rejected = [d.rejected for d in decisions]
    share = float(np.mean(rejected))
    if share > spec.clip_reject_share:
        return NO_ACTION, share
    mean = np.mean([d.smoothed for d in decisions], axis=0)
    counts = {c: 0 for c in classes}
    for d in decisions:
        if not d.rejected:
            counts[d.label] += 1
    best = max(classes, key=lambda c: (counts[c], mean[classes.index(c)]))
    return best, float(mean[classes.index(best)])


def add_decision_arguments(parser) -> None:
    """The flags that override a checkpoint's decision parameters (cam, video, demo, evaluate)."""
    group = parser.add_argument_group("decision (defaults: the checkpoint's own, fitted at training time)")
    group.add_argument("--threshold", type=fraction(), metavar="P",
                       help="name a class only when its smoothed probability is at least P (0-1); below it for "
                            f"--steadiness seconds the label is '{NO_ACTION}'")
    group.add_argument("--smoothing", type=number(float, 0, MAX_DECISION_S), metavar="SECONDS",
                       help="time constant of the moving average behind --threshold and the probability shown")
    group.add_argument("--steadiness", type=number(float, 0, MAX_DECISION_S, low_inclusive=False), metavar="SECONDS",
                       help="the label's time scale (default: the checkpoint's, 1 s): seconds of predictions that "
                            "count as one observation, with the expected changes of action per second scaled to "
                            "match; 2 needs about twice as long a new action to change the label")
    group.add_argument("--first-label", type=number(float, 0, MAX_DECISION_S, low_inclusive=False), metavar="SECONDS",
                       help="seconds of poses to see before naming the first action (shorter: a label sooner, "
                            "more often a wrong first guess)")
    group.add_argument("--still-motion", type=non_negative(), metavar="AMOUNT",
                       help=f"say '{NO_ACTION}' when the person moved less than this (normalised body units; see README) over "
                            "the last seconds (0: off)")
    group.add_argument("--max-travel", type=non_negative(), metavar="BODY_SIZES",
                       help=f"say '{NO_ACTION}' when the person's body moved more than this many body sizes across "
                            "the picture over the last 4 s: walking or running past (default: the checkpoint's, "
                            "fitted above the farthest any training clip travelled; 0: off)")
    group.add_argument("--members-agree", choices=tuple(MEMBER_SHARES),
                       help=f"with an ensemble model (the bundled one is), say '{NO_ACTION}' unless all, more than "
                            "half, or at least one of its members that know the shown class name it too (default: the "
                            "checkpoint's, a majority; for the bundled model, whose class is known to two members, "
                            "'all' and 'majority' are the same)")
    group.add_argument("--second-opinion", type=fraction(), metavar="P",
                       help=f"with a checkpoint that holds a second model of another kind (the bundled one does), say "
                            f"'{NO_ACTION}' unless that model gives the shown class at least P (0-1; default: the "
                            "checkpoint's, 0.1 for the bundled model; 0: off; higher rejects more, real actions too)")
    group.add_argument("--no-reject", action="store_true",
                       help=f"never say '{NO_ACTION}': always name the most likely class")
    group.add_argument("--raw-labels", action="store_true",
                       help="show each prediction's own arg-max: no steadying, no rejection (the model alone)")


def decision_from_arguments(spec: DecisionSpec, args, has_second_opinion: bool = True) -> DecisionSpec:
    """``spec`` with the flags of :func:`add_decision_arguments` applied (argparse checked their ranges).

    Raises:
        UserError: ``--second-opinion`` above 0 for a checkpoint without a second model
            (``has_second_opinion`` False): the rule could not apply.
    """
    if args.second_opinion and not has_second_opinion:
        raise UserError("--second-opinion needs a checkpoint with a second model, and this one has none: use "
                        "--checkpoint default, or retrain with --second-model (part of --recipe trust).")
    flags = (("min_probability", args.threshold), ("smoothing_s", args.smoothing), ("still_motion", args.still_motion),
             ("first_label_s", args.first_label), ("second_opinion", args.second_opinion),
             ("max_travel", args.max_travel))
    changes = {name: value for name, value in flags if value is not None}
    if args.steadiness is not None:
        # The filter's whole clock is stretched: the evidence and the expected rate of change together.
        # Evidence alone, weighed 1/3 against the same switch rate, held every class's belief below
        # switch_probability: from --steadiness 3 on, the first label stayed for good.
        changes |= {"evidence_s": args.steadiness, "switch_rate": spec.switch_rate * spec.evidence_s / args.steadiness}
    if args.members_agree:
        changes |= {"members_share": MEMBER_SHARES[args.members_agree]}
    if args.no_reject:
        changes |= {"min_probability": 0.0, "use_background": False, "still_motion": 0.0, "min_visible": (),
                    "members_share": 0.0, "second_opinion": 0.0, "max_travel": 0.0}
    if args.raw_labels:
        changes |= {"steady": False}
    return replace(spec, **changes)
