"""Classes a score can be read against (issue 25): labels with their rows, the majority-class
baseline on the validation rows, labels that differ only in case or spaces, and old logs
without any of it."""

from __future__ import annotations

import json

import numpy as np

from normtui.engine.classes import case_clashes, clash_warning, classes_line, majority_baseline
from normtui.engine.config import SessionConfig
from normtui.engine.events import SessionStarted, event_from_dict
from normtui.engine.trainer import PairTrainer


def test_labels_that_differ_only_in_case_or_spaces_are_warned_of() -> None:
    names = ("No", "Yes", "no", "yes ")
    assert case_clashes(names) == [("No", "no"), ("Yes", "yes ")]
    assert clash_warning(names) == (
        "warning: 4 classes, not 2: labels differ only in case or spaces (No/no, Yes/'yes ')"
    )
    assert clash_warning(("class_0", "class_1", "class_2")) is None


def test_the_baseline_is_the_training_majority_scored_on_the_validation_rows() -> None:
    train = np.array([0, 0, 0, 1, 1, 2])  # class 0 is the largest in training
    val = np.array([0, 1, 1, 1, 2])  # but only 1 of 5 validation rows
    assert majority_baseline([(train, val)], 3) == 0.2
    assert majority_baseline([(train, val), (train, np.array([0, 0]))], 3) == 0.6  # the mean


def test_a_long_class_list_names_the_largest_and_counts_the_rest() -> None:
    line = classes_line([f"c{n}" for n in range(10)], [n + 1 for n in range(10)], limit=3)
    assert line == "10 classes: c9 (10) · c8 (9) · c7 (8) · +7 more"


def test_the_session_start_carries_the_classes_and_a_baseline_over_every_member() -> None:
    config = SessionConfig(dataset="wine", seeds=3, epochs=1)
    started = PairTrainer(config).describe()
    assert started["class_names"] == ("class_0", "class_1", "class_2")
    assert started["class_counts"] == (59, 71, 48)  # wine's 178 rows
    # 71 of 178 is the largest class; stratified validation splits hold its share
    assert abs(started["majority_baseline"] - 71 / 178) < 0.02


def test_a_log_written_before_the_classes_still_reads() -> None:
    event = SessionStarted(
        time_s=0.0, config={}, dataset="wine", n_train=142, n_val=36, n_features=1,
        n_classes=3, feature_names=("a",), raw_feature_std=(1.0,), scaled_feature_std=(1.0,),
        device="cpu", parameters=1, class_names=("x", "y"), class_counts=(3, 4),
        majority_baseline=0.5,
    )  # fmt: skip
    data = json.loads(json.dumps(event.to_dict()))
    assert event_from_dict(data) == event
    for key in ("class_names", "class_counts", "majority_baseline"):
        del data[key]
    old = event_from_dict(data)
    assert old.class_names == () and old.class_counts == () and old.majority_baseline is None
