"""Data loading, splitting and scaling: what the two runs see, and every way a CSV can be wrong."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import make_classification

from normtui.engine import table as table_module
from normtui.engine.config import DATASETS, SCALERS, ConfigError, SessionConfig
from normtui.engine.data.dataset import Dataset
from normtui.engine.data.load import load_csv, load_dataset
from normtui.engine.data.prepare import prepare
from normtui.engine.data.presets import describe_presets, load_preset
from normtui.engine.data.split import fit_scaler, make_scaler, split_indices
from normtui.engine.table import MIN_ROWS, DataError

EXPECTED_SHAPES = {
    "wine": (178, 13, 3),
    "breast_cancer": (569, 30, 2),
    "digits": (1797, 64, 10),
    "iris": (150, 4, 3),
    "seed": (1000, 20, 2),
    "scales": (1000, 20, 2),
    "moons": (1000, 2, 2),
    "circles": (1000, 2, 2),
    "diabetes": (442, 10, 0),
    "scales_regression": (1000, 20, 0),
}


# --- presets ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DATASETS)
def test_every_preset_loads_with_its_shape_and_classes(name: str) -> None:
    dataset = load_preset(name)
    rows, features, classes = EXPECTED_SHAPES[name]
    assert dataset.name == name
    assert dataset.X.shape == (rows, features) and dataset.X.dtype == np.float64
    assert dataset.y.shape == (rows,)
    assert np.isfinite(dataset.X).all()
    assert len(dataset.feature_names) == features
    assert len(dataset.class_names) == classes
    if classes:
        assert dataset.task == "classification" and dataset.y.dtype == np.int64
        assert sorted(np.unique(dataset.y)) == list(range(classes))
    else:
        assert dataset.task == "regression" and dataset.y.dtype == np.float64


def test_seed_preset_is_exactly_the_origin_posts_data() -> None:
    X, y = make_classification(n_samples=1000, n_features=20, random_state=42)
    dataset = load_preset("seed")
    np.testing.assert_array_equal(dataset.X, X)
    np.testing.assert_array_equal(dataset.y, y)


def test_scales_preset_is_the_posts_data_stretched_over_five_orders_of_magnitude() -> None:
    seed, scales = load_preset("seed"), load_preset("scales")
    np.testing.assert_array_equal(scales.y, seed.y)
    ratio = scales.X.std(axis=0) / seed.X.std(axis=0)
    np.testing.assert_allclose(ratio, np.logspace(-2, 3, 20), rtol=1e-9)
    assert (np.abs(scales.X.mean(axis=0)) > 250).all()


def test_presets_do_not_depend_on_the_session_seed() -> None:
    a = prepare(SessionConfig(dataset="moons", seed=1))
    b = prepare(SessionConfig(dataset="moons", seed=2))
    assert sorted(map(tuple, a.X_train_raw.tolist() + a.X_val_raw.tolist())) == sorted(
        map(tuple, b.X_train_raw.tolist() + b.X_val_raw.tolist())
    )


def test_cached_presets_cannot_be_altered_by_a_caller() -> None:
    dataset = load_preset("iris")
    assert load_preset("iris") is dataset
    with pytest.raises(ValueError):
        dataset.X[0, 0] = 1e9


def test_unknown_preset_is_a_data_error() -> None:
    with pytest.raises(DataError, match="unknown dataset 'nope'"):
        load_preset("nope")


def test_wine_raw_stds_span_three_orders_of_magnitude_and_standard_scaling_evens_them() -> None:
    data = prepare(SessionConfig(dataset="wine", scaler="standard"))
    raw = np.array(data.raw_feature_std)
    assert raw.max() / raw.min() > 1000
    np.testing.assert_allclose(data.scaled_feature_std, 1.0, atol=1e-6)
    np.testing.assert_allclose(data.X_train_scaled.std(axis=0), 1.0, atol=1e-5)


def test_describe_presets_lists_every_preset_with_a_scale_spread() -> None:
    summaries = {s["name"]: s for s in describe_presets()}
    assert tuple(summaries) == DATASETS
    for name, summary in summaries.items():
        rows, features, classes = EXPECTED_SHAPES[name]
        assert (summary["rows"], summary["features"], summary["classes"]) == (
            rows,
            features,
            classes,
        )
        assert 0 < summary["min_feature_std"] <= summary["max_feature_std"]
        assert summary["description"] and "\n" not in summary["description"]
    wine = summaries["wine"]
    assert wine["max_feature_std"] / wine["min_feature_std"] > 1000
    # the training split's: 3 border pixels are 0 everywhere, one more in every training row
    assert summaries["digits"]["constant_features"] == 4


# --- split and scale --------------------------------------------------------------------------


def test_prepared_data_has_the_promised_dtypes_and_sizes() -> None:
    data = prepare(SessionConfig(dataset="wine", val_split=0.2))
    assert data.n_classes == 3 and data.name == "wine"
    assert len(data.y_val) == 36 and len(data.y_train) == 142
    for array in (data.X_train_raw, data.X_val_raw, data.X_train_scaled, data.X_val_scaled):
        assert array.dtype == np.float32
    assert data.y_train.dtype == np.int64 and data.y_val.dtype == np.int64
    assert len(data.raw_feature_std) == len(data.scaled_feature_std) == 13


def test_the_scaler_learns_from_the_training_split_alone() -> None:
    dataset = load_preset("wine")
    train, _ = split_indices(dataset, 0.2, seed=0)
    scaler = fit_scaler("standard", 0, dataset.X[train])
    np.testing.assert_allclose(scaler.mean_, dataset.X[train].mean(axis=0))
    assert not np.allclose(scaler.mean_, dataset.X.mean(axis=0))

    data = prepare(SessionConfig(dataset="wine", seed=0))
    expected = (dataset.X - scaler.mean_) / scaler.scale_
    np.testing.assert_allclose(data.X_train_scaled, expected[train], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(data.X_train_scaled.mean(axis=0), 0.0, atol=1e-5)


def test_changing_only_validation_rows_leaves_the_scaled_training_data_unchanged() -> None:
    wine = load_preset("wine")
    config = SessionConfig(dataset="wine", seed=3)
    _, val = split_indices(wine, config.val_split, config.seed)
    X = wine.X.copy()
    X[val] = X[val] * 1000.0 + 7.0
    altered = Dataset(wine.name, X, wine.y, wine.feature_names, wine.class_names)

    before, after = prepare(config), prepare(config, altered)
    np.testing.assert_array_equal(before.X_train_scaled, after.X_train_scaled)
    np.testing.assert_array_equal(before.X_train_raw, after.X_train_raw)
    assert not np.allclose(before.X_val_scaled, after.X_val_scaled)
    np.testing.assert_array_equal(after.X_val_raw, X[val].astype(np.float32))


def test_the_split_is_stratified() -> None:
    data = prepare(SessionConfig(dataset="wine", val_split=0.25))
    everything = np.bincount(load_preset("wine").y) / 178
    in_val = np.bincount(data.y_val, minlength=3) / len(data.y_val)
    assert np.abs(in_val - everything).max() < 1.5 / len(data.y_val)


def test_the_split_is_reproducible_for_a_seed_and_differs_for_another() -> None:
    first = prepare(SessionConfig(dataset="iris", seed=7))
    again = prepare(SessionConfig(dataset="iris", seed=7))
    other = prepare(SessionConfig(dataset="iris", seed=8))
    np.testing.assert_array_equal(first.X_val_raw, again.X_val_raw)
    np.testing.assert_array_equal(first.y_train, again.y_train)
    assert not np.array_equal(first.X_val_raw, other.X_val_raw)


@pytest.mark.parametrize("scaler", SCALERS)
@pytest.mark.parametrize("name", ["wine", "digits", "scales", "circles"])
def test_every_scaler_gives_finite_output_on_presets(name: str, scaler: str) -> None:
    data = prepare(SessionConfig(dataset=name, scaler=scaler))
    assert np.isfinite(data.X_train_scaled).all() and np.isfinite(data.X_val_scaled).all()
    assert data.X_train_scaled.shape == data.X_train_raw.shape
    assert np.isfinite(data.scaled_feature_std).all()


@pytest.mark.parametrize("scaler", SCALERS)
def test_a_constant_feature_scales_to_finite_values(scaler: str) -> None:
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=60), np.full(60, 5.0), np.zeros(60)])
    dataset = Dataset("const", X, np.arange(60) % 2, ("a", "b", "c"), ("0", "1"))
    data = prepare(SessionConfig(scaler=scaler), dataset)
    assert np.isfinite(data.X_train_scaled).all() and np.isfinite(data.X_val_scaled).all()


def test_quantile_scaler_outputs_a_normal_not_a_uniform_distribution() -> None:
    scaler = make_scaler("quantile", seed=0, n_train=50)
    assert scaler.output_distribution == "normal" and scaler.n_quantiles == 50
    data = prepare(SessionConfig(dataset="seed", scaler="quantile"))
    assert data.X_train_scaled.min() < -1 and abs(float(data.X_train_scaled.mean())) < 0.1


def test_unknown_scaler_is_a_data_error() -> None:
    with pytest.raises(DataError, match="unknown scaler"):
        make_scaler("zscore", 0, 10)


def _tiny(y: list[int]) -> Dataset:
    X = np.arange(len(y), dtype=np.float64).reshape(-1, 1)
    names = tuple(str(c) for c in sorted(set(y)))
    return Dataset("tiny.csv", X, np.array(y, dtype=np.int64), ("x",), names)


@pytest.mark.parametrize(
    ("labels", "reason"),
    [
        ([0] * 11 + [1], "class '1' has 1 row"),
        ([i % 5 for i in range(10)], "2 validation rows cannot hold all 5 classes"),
    ],
)
def test_an_impossible_split_is_a_one_line_data_error(labels: list[int], reason: str) -> None:
    with pytest.raises(DataError) as caught:
        prepare(SessionConfig(), _tiny(labels))
    message = str(caught.value)
    assert "too small for a 20% validation split" in message and reason in message
    assert "\n" not in message


def test_too_few_training_rows_is_a_data_error() -> None:
    with pytest.raises(DataError, match="training rows cannot hold all 5 classes"):
        prepare(SessionConfig(val_split=0.9), _tiny([i % 5 for i in range(10)]))


# --- CSV --------------------------------------------------------------------------------------


def _write(tmp_path: Path, text: str | bytes, name: str = "data.csv") -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def _good_rows(n: int = 12) -> str:
    return "".join(f"{i}.5,{i * 10},{'cat' if i % 2 else 'dog'}\n" for i in range(n))


def _csv_error(path: str, target: str = "label") -> str:
    with pytest.raises(DataError) as caught:
        load_csv(path, target)
    message = str(caught.value)
    assert "\n" not in message and "\r" not in message
    assert isinstance(caught.value, ConfigError)
    return message


def test_a_good_csv_with_string_targets_loads(tmp_path: Path) -> None:
    text = "\ufeffa, b ,label\n" + _good_rows().replace("0.5,", " 1e-3 ,", 1)
    dataset = load_csv(_write(tmp_path, text.encode("utf-8")), "label")
    assert dataset.name == "data.csv"
    assert dataset.feature_names == ("a", "b")
    assert dataset.class_names == ("cat", "dog")
    assert dataset.X.shape == (12, 2) and dataset.X.dtype == np.float64
    assert dataset.X[0, 0] == pytest.approx(1e-3)
    np.testing.assert_array_equal(dataset.y[:4], [1, 0, 1, 0])


def test_numeric_targets_sort_as_numbers(tmp_path: Path) -> None:
    rows = "".join(f"{i},{[10, 2, 1.0][i % 3]}\n" for i in range(12))
    dataset = load_csv(_write(tmp_path, "x,label\n" + rows), "label")
    assert dataset.class_names == ("1", "2", "10")
    np.testing.assert_array_equal(dataset.y[:3], [2, 1, 0])


def test_a_loaded_csv_trains_through_prepare(tmp_path: Path) -> None:
    path = _write(tmp_path, "a,b,label\n" + _good_rows(40))
    data = prepare(SessionConfig(csv_path=path, target="label"))
    assert data.name == "data.csv" and data.n_classes == 2 and len(data.y_val) == 8
    assert load_dataset(SessionConfig(csv_path=path, target="label")).name == "data.csv"


def test_missing_file(tmp_path: Path) -> None:
    assert "not found" in _csv_error(str(tmp_path / "nope.csv"))


def test_a_directory(tmp_path: Path) -> None:
    assert "is a directory" in _csv_error(str(tmp_path))


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads anything")
def test_an_unreadable_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "a,label\n1,x\n")
    os.chmod(path, 0)
    try:
        assert "permission denied" in _csv_error(path)
    finally:
        os.chmod(path, 0o600)


def test_a_permission_error_on_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(table_module, "open", refuse, raising=False)
    assert "permission denied" in _csv_error(_write(tmp_path, "a,label\n1,x\n"))


def test_binary_garbage(tmp_path: Path) -> None:
    assert "binary" in _csv_error(_write(tmp_path, bytes(range(256))))


def test_not_utf8(tmp_path: Path) -> None:
    message = _csv_error(_write(tmp_path, "a,label\n1,caf\xe9\n".encode("latin-1")))
    assert "not UTF-8" in message and "0xe9" in message


@pytest.mark.parametrize("text", ["", "\n\n  \n", "\ufeff"])
def test_an_empty_file(tmp_path: Path, text: str) -> None:
    assert "is empty" in _csv_error(_write(tmp_path, text))


def test_header_only(tmp_path: Path) -> None:
    assert "no data rows" in _csv_error(_write(tmp_path, "a,b,label\n"))


def test_a_row_with_too_many_fields_names_its_line(tmp_path: Path) -> None:
    text = "a,b,label\n1,2,x\n3,4,y\n5,6,x,7\n"
    assert "line 4 has 4 fields; the header has 3" in _csv_error(_write(tmp_path, text))


def test_a_short_row_has_missing_cells_and_an_empty_target_is_named(tmp_path: Path) -> None:
    text = "a,b,label\n" + _good_rows(12) + "5,x\n"
    message = _csv_error(_write(tmp_path, text))
    assert "line 14" in message and "target 'label' is empty" in message


def test_a_missing_target_lists_the_columns(tmp_path: Path) -> None:
    message = _csv_error(_write(tmp_path, "a,b,label\n" + _good_rows()), target="class")
    assert "no column 'class'" in message and "'a', 'b', 'label'" in message


def test_a_missing_target_truncates_a_long_column_list(tmp_path: Path) -> None:
    header = ",".join(f"f{i}" for i in range(200)) + "\n"
    message = _csv_error(_write(tmp_path, header + ",".join(["1"] * 200) + "\n"), target="y")
    assert "(+188 more)" in message and "f199" not in message and len(message) < 400


def test_a_non_numeric_feature_names_line_column_and_value(tmp_path: Path) -> None:
    text = "a,b,label\n1,2,x\n3,4,y\n5,twelve apples and a very long tail,x\n"
    message = _csv_error(_write(tmp_path, text))
    assert "line 4" in message and "column 'b'" in message and "'twelve apples" in message
    assert "very long tail" not in message  # truncated


def test_a_value_with_a_newline_stays_on_one_line(tmp_path: Path) -> None:
    text = 'a,b,label\n1,2,x\n3,"4\nfour",y\n'
    message = _csv_error(_write(tmp_path, text))
    assert "column 'b'" in message and "\\n" in message


@pytest.mark.parametrize("cell", ["inf", "-inf", "1e400"])
def test_infinite_features_name_line_and_column(tmp_path: Path, cell: str) -> None:
    text = "a,b,label\n" + _good_rows(3) + f"1,{cell},x\n"
    message = _csv_error(_write(tmp_path, text))
    assert "line 5" in message and "column 'b'" in message and "not a finite" in message


def test_an_empty_feature_under_missing_error_names_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "a,b,label\n" + _good_rows(12) + " ,3,x\n")
    with pytest.raises(DataError) as caught:
        load_csv(path, "label", missing="error")
    message = str(caught.value)
    assert "line 14" in message and "column 'a'" in message and "empty" in message


def test_a_value_too_large_for_float32(tmp_path: Path) -> None:
    message = _csv_error(_write(tmp_path, "a,label\n1,x\n1e300,y\n"))
    assert "line 3" in message and "float32" in message


def test_an_empty_target_cell(tmp_path: Path) -> None:
    rows = "".join(f"{i},{'xy'[i % 2]}\n" for i in range(12))
    message = _csv_error(_write(tmp_path, "a,label\n1,x\n2, \n" + rows))
    assert "line 3" in message and "target 'label' is empty" in message


def test_a_single_class(tmp_path: Path) -> None:
    rows = "".join(f"{i},only\n" for i in range(20))
    assert "only one class ('only')" in _csv_error(_write(tmp_path, "a,label\n" + rows))


def test_a_continuous_target_as_classes_is_refused(tmp_path: Path) -> None:
    rows = "".join(f"{i},{i * 1.5}\n" for i in range(20))
    with pytest.raises(DataError, match="looks continuous: use --task regression"):
        load_csv(_write(tmp_path, "a,label\n" + rows), "label", task="classification")


def test_too_few_rows(tmp_path: Path) -> None:
    message = _csv_error(_write(tmp_path, "a,b,label\n" + _good_rows(4)))
    assert f"4 data rows; at least {MIN_ROWS}" in message


def test_duplicate_column_names(tmp_path: Path) -> None:
    message = _csv_error(_write(tmp_path, "a,b, a,label\n1,2,3,x\n"))
    assert "duplicate column name 'a'" in message


def test_an_unnamed_column(tmp_path: Path) -> None:
    assert "header column 1 has no name" in _csv_error(_write(tmp_path, ",a,label\n0,1,x\n"))


def test_no_feature_columns(tmp_path: Path) -> None:
    rows = "".join(f"{i % 2}\n" for i in range(20))
    assert "no feature columns" in _csv_error(_write(tmp_path, "label\n" + rows))


def test_a_path_with_a_nul_byte_is_a_data_error() -> None:
    assert "cannot be read" in _csv_error("bad\x00name.csv")


def test_a_csv_without_target_in_config_is_refused() -> None:
    with pytest.raises(ConfigError):
        SessionConfig(csv_path="x.csv")


def test_loading_data_imports_neither_torch_nor_textual() -> None:
    code = (
        "import sys; from normtui.engine.config import SessionConfig;"
        "from normtui.engine.data.prepare import prepare; prepare(SessionConfig());"
        "print(sorted(m for m in ('textual', 'torch') if m in sys.modules))"
    )
    command = [sys.executable, "-c", code]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_a_directory_is_named_once_not_wrapped_in_cannot_be_read(tmp_path: Path) -> None:
    message = _csv_error(str(tmp_path))
    assert "cannot be read" not in message and message.count(repr(str(tmp_path))) == 1


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_separated_files_load(tmp_path: Path, delimiter: str) -> None:
    text = ("a,b,label\n" + _good_rows()).replace(",", delimiter)
    dataset = load_csv(_write(tmp_path, text), "label")
    assert dataset.feature_names == ("a", "b") and dataset.X.shape == (12, 2)


def test_a_decimal_comma_is_named_as_such(tmp_path: Path) -> None:
    text = "a;b;label\n" + _good_rows().replace(",", ";").replace(".", ",")
    message = _csv_error(_write(tmp_path, text))
    assert "line 2, column 'a'" in message and "decimal comma" in message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_utf16_file_with_a_bom_loads(tmp_path: Path, encoding: str) -> None:
    text = "\ufeffa,b,label\n" + _good_rows()  # Excel's "Unicode text" starts with a BOM
    dataset = load_csv(_write(tmp_path, text.encode(encoding)), "label")
    assert dataset.X.shape == (12, 2) and dataset.class_names == ("cat", "dog")


def test_a_model_too_large_for_memory_is_refused_before_anything_is_allocated() -> None:
    with pytest.raises(ConfigError, match=r"4\.3 billion weights per model"):
        SessionConfig(hidden=(65536, 65536))


def test_the_weight_budget_counts_the_csv_features(tmp_path: Path) -> None:
    header = ",".join(f"f{i}" for i in range(800)) + ",label\n"
    rows = "".join(",".join(["1"] * 800) + f",{i % 2}\n" for i in range(20))
    config = SessionConfig(csv_path=_write(tmp_path, header + rows), target="label")
    with pytest.raises(ConfigError, match=r"for 800 features needs 52\.6 million weights"):
        prepare(config.replace(hidden=(65536,)))
    assert prepare(config).X_train_raw.shape == (16, 800)


def test_the_activation_budget_counts_the_rows_of_one_pass(tmp_path: Path) -> None:
    rows = "".join(f"{i},{i % 2}\n" for i in range(5000))
    config = SessionConfig(csv_path=_write(tmp_path, "x,label\n" + rows), target="label")
    wide = config.replace(hidden=(65536,))
    with pytest.raises(ConfigError, match="on 4,000 rows at once needs 262 million activation"):
        prepare(wide)
    assert prepare(wide.replace(batch_size=256, val_split=0.05)).n_classes == 2


def test_a_comma_at_the_end_of_every_line_is_ignored(tmp_path: Path) -> None:
    text = "".join(line + ",\n" for line in ("a,b,label\n" + _good_rows()).splitlines())
    dataset = load_csv(_write(tmp_path, text), "label")
    assert dataset.feature_names == ("a", "b") and dataset.X.shape == (12, 2)


def test_an_unnamed_last_column_with_values_is_still_refused(tmp_path: Path) -> None:
    text = "a,b,label,\n" + "".join(f"{i},{i},{i % 2},{i}\n" for i in range(12))
    assert "header column 4 has no name" in _csv_error(_write(tmp_path, text))


def test_a_constant_numeric_target_is_constant_under_any_task(tmp_path: Path) -> None:
    text = "a,price\n" + "".join(f"{i},250000\n" for i in range(12))
    for task in ("auto", "classification", "regression"):
        with pytest.raises(DataError, match=r"'price' is constant \(250000\); there is nothing"):
            load_csv(_write(tmp_path, text), "price", task=task)


def test_a_price_with_a_stray_text_cell_names_it_instead_of_guessing_classes(
    tmp_path: Path,
) -> None:
    rows = [f"{i},{100000 + i * 517}" for i in range(40)]
    rows[5] = "5,call us"
    message = _csv_error(_write(tmp_path, "a,price\n" + "\n".join(rows) + "\n"), "price")
    assert "'price' holds numbers but 1 cell(s) hold text ('call us')" in message


def test_a_text_target_with_a_level_per_row_is_not_sent_to_regression(tmp_path: Path) -> None:
    text = "a,name\n" + "".join(f"{i},person-{i}\n" for i in range(20))
    message = _csv_error(_write(tmp_path, text), "name")
    assert "20 distinct values in 20 rows" in message and "--task regression" not in message


@pytest.mark.parametrize("kind", ["numeric", "text"])
def test_a_column_empty_in_the_training_split_is_named(tmp_path: Path, kind: str) -> None:
    """Values only in validation rows: the imputer has nothing to learn from (it used to drop the
    column, and the model, built for one more column, failed on a shape mismatch)."""
    values = [str(i % 5) if kind == "numeric" else "xyz"[i % 3] for i in range(40)]
    rows = [f"{i % 7},{values[i]},{'a' if i % 2 else 'b'}" for i in range(40)]
    path = _write(tmp_path, "a,b,label\n" + "\n".join(rows) + "\n")
    config = SessionConfig(csv_path=path, target="label")
    train, _ = split_indices(load_dataset(config), config.val_split, config.seed)
    for index in train:
        rows[index] = rows[index].replace(f",{values[index]},", ",,", 1)
    path = _write(tmp_path, "a,b,label\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataError, match=r"column 'b' has no values in the training split"):
        prepare(config)
