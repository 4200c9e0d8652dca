"""The length-of-stay model: admission-time inputs only, honest training, safe shipped artefact."""

import io
import json

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from concierge.hospital.los import features as F
from concierge.hospital.los import model as M
from concierge.hospital.los import predict_stay

# Columns of the data set that are neither inputs nor leakage: identifiers, and two fields the
# issue does not list as admission inputs (race, weight — weight is 97 % missing anyway).
NOT_USED = {"encounter_id", "patient_nbr", "race", "weight"}

_cache: dict[str, object] = {}


@pytest.fixture
def stays(shared_data) -> pd.DataFrame:
    key = f"stays:{shared_data}"
    if key not in _cache:
        frame = M.read_stays([shared_data / "los" / "diabetes130_train.csv.gz"])
        _cache[key] = frame.sample(3000, random_state=7).reset_index(drop=True)
    return _cache[key].copy()


@pytest.fixture
def small_model(stays) -> M.TrainingResult:
    if "model" not in _cache:
        _cache["model"] = M.train(stays, with_reference=False)
    return _cache["model"]


def test_every_data_set_column_is_an_input_refused_or_named_unused(stays):
    assert not set(F.ADMISSION_COLUMNS) & F.LEAKAGE_COLUMNS
    unclassified = set(stays.columns) - set(F.ADMISSION_COLUMNS) - F.LEAKAGE_COLUMNS - NOT_USED
    assert unclassified == set()
    for late in ["num_lab_procedures", "num_procedures", "num_medications", "A1Cresult",
                 "max_glu_serum", "discharge_disposition_id", "readmitted", "change", "insulin",
                 "time_in_hospital"]:  # fmt: skip
        assert late in F.LEAKAGE_COLUMNS


def test_shuffling_leakage_columns_does_not_change_predictions(small_model, stays):
    before = small_model.model.predict(stays)
    shuffled = stays.copy()
    rng = np.random.default_rng(0)
    for column in F.LEAKAGE_COLUMNS & set(stays.columns) | NOT_USED & set(stays.columns):
        shuffled[column] = rng.permutation(shuffled[column].to_numpy())
    after = small_model.model.predict(shuffled)
    np.testing.assert_array_equal(before.days, after.days)
    np.testing.assert_array_equal(before.survival, after.survival)


def test_shuffling_an_admission_column_does_change_predictions(small_model, stays):
    """The check above would pass for a model that ignores everything; this one would not."""
    before = small_model.model.predict(stays).days
    shuffled = stays.copy()
    shuffled["diag_1"] = np.random.default_rng(0).permutation(shuffled["diag_1"].to_numpy())
    assert (small_model.model.predict(shuffled).days != before).mean() > 0.1


def test_a_leakage_field_is_refused_by_the_api(small_model):
    with pytest.raises(F.LeakageError, match="num_lab_procedures"):
        predict_stay({"age": "[70-80)", "num_lab_procedures": 40}, model=small_model.model)
    with pytest.raises(F.LeakageError):
        small_model.model.predict({"age": ["[70-80)"], "readmitted": ["NO"]})
    with pytest.raises(F.LeakageError):
        predict_stay(age=70, sex="F", num_medications=12, model=small_model.model)


def test_training_splits_by_patient_and_beats_the_median(small_model, stays):
    clean = M.clean_target(stays)
    fit, cal, test = M.split_patients(clean, test_size=0.1, calibration_size=0.1)
    patients = [set(clean[F.GROUP].iloc[rows]) for rows in (fit, cal, test)]
    assert not patients[0] & patients[1] and not patients[0] & patients[2]
    assert not patients[1] & patients[2]
    figures = small_model.test
    assert figures.rows > 200
    assert figures.mae < figures.median_baseline_mae
    assert 0.6 <= figures.coverage_80 <= 0.97
    card = small_model.model.card
    assert card["rows"]["fit"] + card["rows"]["calibration"] + card["rows"]["test"] == 3000
    assert card["data"] == "public only"
    assert set(card["inputs"]) <= set(F.ADMISSION_COLUMNS)


def test_unknown_categories_and_missing_values_never_fail(small_model):
    odd = pd.DataFrame(
        {
            "age": ["[70-80)", "[200-210)", None, "?"],
            "gender": ["Female", "Unknown/Invalid", None, "Martian"],
            "admission_type_id": [1, 999, None, "x"],
            "admission_source_id": [7, -3, None, "?"],
            "payer_code": ["MC", "ZZZ", None, "?"],
            "medical_specialty": ["Cardiology", "Underwater Basketry", None, "?"],
            "diag_1": ["428", "XYZ.9", None, "V99"],
            "diag_2": ["250.01", "", None, "E999"],
            "number_outpatient": [0, -5, None, "many"],
        }
    )  # no diag_3 nor number_emergency/inpatient columns at all
    predicted = small_model.model.predict(odd)
    assert np.isfinite(predicted.days).all()
    assert ((predicted.low <= predicted.days) & (predicted.days <= predicted.high)).all()
    assert (predicted.days >= 1).all() and (predicted.days <= small_model.model.max_target).all()
    assert np.isfinite(predicted.survival).all()


def test_survival_is_a_distribution_consistent_with_the_interval(small_model, stays):
    predicted = small_model.model.predict(stays.head(50))
    s = predicted.survival
    assert s.shape == (50, M.SURVIVAL_DAYS + 1)
    assert (s[:, 0] == 1).all() and (np.diff(s, axis=1) <= 1e-12).all() and (s >= 0).all()
    assert (s[:, -1] < 0.05).all()
    # P(LOS > high) and P(LOS < low) are both small: the interval sits where the mass is.
    rows = np.arange(50)
    assert (s[rows, predicted.high.astype(int)] < 0.35).all()
    assert (1 - s[rows, predicted.low.astype(int) - 1] < 0.35).all()


def test_forest_walk_matches_scikit_learn(small_model, stays):
    model = small_model.model
    x = F.encode(F.read_columns(stays), encodings=model.encodings, vocabularies=model.vocabularies)
    x[::5, 2] = 77.0  # an admission type never seen
    x[::3, 4] = np.nan
    np.testing.assert_allclose(model.forest.predict(x), model.point.predict(x), atol=1e-9)


def test_saved_model_round_trips(small_model, stays, tmp_path):
    path = tmp_path / "model.skops"
    M.save(small_model.model, path)
    assert (tmp_path / "model_card.json").exists()
    loaded = M.load(path)
    np.testing.assert_array_equal(
        loaded.predict(stays.head(100)).days, small_model.model.predict(stays.head(100)).days
    )


def test_admission_features_from_the_products_fields():
    features = F.admission_features(
        age_years=73,
        sex="F",
        admission_type="emergency",
        admission_source="Emergency Room",
        diagnoses=["428.0", "250.01", "401", "786"],
        specialty="Internal Medicine",
        payer="MC",
        prior_inpatient=2,
    )
    assert features.age == "[70-80)"
    assert features.gender == "Female"
    assert (features.admission_type_id, features.admission_source_id) == (1, 7)
    assert (features.diag_1, features.diag_2, features.diag_3) == ("428", "250.01", "401")
    assert features.number_inpatient == 2
    from_text = F.features_from_fields(age=4, sex="M", reason="428.0 heart failure, 250.01",
                                       ward_kind="paediatric")  # fmt: skip
    assert (from_text.age, from_text.diag_1, from_text.diag_2) == ("[0-10)", "428", "250.01")
    assert from_text.medical_specialty == "Pediatrics"
    assert F.diagnosis_group("250.83") == "diabetes"
    assert F.diagnosis_group("786") == "respiratory"
    assert F.diagnosis_group("V57") == "supplementary"


def test_shipped_artefact_loads_and_predicts_in_range():
    model = M.load(M.shipped_model_path())
    card = M.shipped_card()
    assert "Strack" in card["attribution"] and card["licence_of_public_data"] == "CC BY 4.0"
    assert card["test_figures"]["mae"] < card["test_figures"]["median_baseline_mae"]
    heart = predict_stay(
        F.admission_features(age_years=78, sex="male", admission_type="Emergency",
                             admission_source="Emergency Room", diagnoses=["428", "427", "250"]),
        model=model,
    )  # fmt: skip
    assert 1 <= heart.low <= heart.days <= heart.high <= 30
    assert len(heart.survival) == 31 and heart.survival[0] == 1.0
    assert all(a >= b for a, b in zip(heart.survival, heart.survival[1:], strict=False))
    # Knowing nothing still gives an answer, and the hospital app's keyword call works.
    assert 1 <= predict_stay({}, model=model).days <= 14
    assert predict_stay(age=40, sex="F", reason="chest pain", ward_kind="general").days >= 1


def _csv(frame: pd.DataFrame, path) -> str:
    frame.to_csv(path, index=False)
    return str(path)


def test_train_and_evaluate_commands_print_json_last(stays, tmp_path):
    data = _csv(stays, tmp_path / "stays.csv")
    extra = _csv(
        stays.head(300).assign(patient_nbr=lambda f: "org" + f.patient_nbr), tmp_path / "x.csv"
    )
    out = io.StringIO()
    call_command("los", "train", "--data", data, "--extra-stays", extra,
                 "--out", str(tmp_path / "m.skops"), stdout=out)  # fmt: skip
    trained = json.loads(out.getvalue().strip().splitlines()[-1])
    assert trained["mae"] < trained["median_baseline_mae"]
    assert trained["reference_gbm_mae"] > 0 and trained["data"] == "public + organisation history"
    assert trained["fit_rows"] + trained["calibration_rows"] + trained["test_rows"] == 3300

    out = io.StringIO()
    call_command("los", "evaluate", "--data", data, "--model", str(tmp_path / "m.skops"),
                 "--predictions", str(tmp_path / "p.csv"), stdout=out)  # fmt: skip
    scored = json.loads(out.getvalue().strip().splitlines()[-1])
    assert set(scored) >= {"rows", "mae", "rmse", "r2", "coverage_80", "median_baseline_mae"}
    assert scored["rows"] == 3000
    assert len(pd.read_csv(tmp_path / "p.csv")) == 3000


def test_evaluate_without_the_target_still_predicts(stays, tmp_path):
    data = _csv(stays.drop(columns=[F.TARGET]).head(40), tmp_path / "new.csv")
    out = io.StringIO()
    call_command("los", "evaluate", "--data", data, stdout=out)
    assert json.loads(out.getvalue().strip().splitlines()[-1]) == {"rows": 40}


def test_training_on_too_few_stays_is_a_clear_error(stays, tmp_path):
    data = _csv(stays.head(50), tmp_path / "few.csv")
    with pytest.raises(CommandError, match="at least 200"):
        call_command("los", "train", "--data", data, "--out", str(tmp_path / "m.skops"))


def test_a_setting_can_point_the_product_at_a_retrained_model(small_model, settings, tmp_path):
    path = tmp_path / "ours.skops"
    M.save(small_model.model, path)
    settings.HOSPITAL_LOS_MODEL = str(path)
    assert M.default_model().card["rows"] == small_model.model.card["rows"]
