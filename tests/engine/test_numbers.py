"""One way to write a number (issue 25 item 11): the six ways the issue found, each now one."""

from __future__ import annotations

from normtui.engine.numbers import count, epoch, fixed, interval, num, plus_minus
from normtui.engine.statistics import compare_paired


def test_a_mean_and_its_spread_share_two_significant_digits_of_the_spread() -> None:
    assert plus_minus(3118, 219.0243) == "3,120 ± 220"  # was "3,118 ± 219.0243"
    assert plus_minus(0.9056, 0.0182) == "0.906 ± 0.018"
    assert plus_minus(-1.6676, 2.2317) == "−1.7 ± 2.2"
    assert plus_minus(6.46e10, 5.71e10) == "6.5e10 ± 5.7e10"


def test_an_interval_and_its_mean_are_written_to_its_width() -> None:
    low, high, step = interval(-16712, -712)  # was "−8692 (95% CI −1.67e4 to −712)"
    assert (fixed(-8692, step, plus=True), low, high) == ("−9,000", "−17,000", "−1,000")
    assert interval(-741, 46.8)[:2] == ("−740", "+50")  # was "(−741 to 46.8 ep)"
    assert interval(1.2, 3.1)[:2] == ("+1.2", "+3.1")


def test_a_verdict_writes_its_mean_and_interval_alike() -> None:
    verdict = compare_paired(
        [-100.0, -9000.0, -300.0, -20000.0, -5000.0], [0.0] * 5, metric="val_loss",
        higher_is_better=False,
    ).verdict  # fmt: skip
    assert "e4" not in verdict and "," in verdict, verdict


def test_plain_numbers_counts_and_epochs() -> None:
    assert num(1020.0) == "1,020"  # `normtui datasets` printed "1.02e+03"
    assert num(-8.87e10) == "−8.87e10" and num(2.5e-4) == "2.50e−4"
    assert epoch(349.5) == "350"  # was "e349.5": epochs are whole
    assert count(240000) == "240,000"  # was "240000+60000 rows"
