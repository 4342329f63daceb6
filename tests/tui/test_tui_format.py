"""Numbers on screen stay short and consistent, whatever a diverging run throws at them."""

from __future__ import annotations

from normtui.tui.widgets.format import fmt_num


def test_numbers_are_short_with_one_minus_sign_and_plain_exponents() -> None:
    assert fmt_num(-1330.4) == "−1,330"  # was "−1.33e+03"
    assert fmt_num(1390.0) == "1,390"
    assert fmt_num(-8.87e10) == "−8.87e10"  # was "-8.87e+10" with an ASCII hyphen
    assert fmt_num(2.5e-4) == "2.50e−4"
    assert fmt_num(0.791) == "0.791" and fmt_num(-2.35) == "−2.35"
    assert fmt_num(float("nan")) == "—" and fmt_num(float("-inf")) == "−∞"


def test_constant_features_are_left_out_of_the_scale_spread() -> None:
    from normtui.tui.widgets.inputs import varying_features

    # digits: blank border pixels have std 0 before scaling and ~1e-13 after a quantile scaler
    assert varying_features([0.0, 4.2, 1e-14, 6.0, 0.5]) == [1, 3, 4]
    assert varying_features([]) == []
