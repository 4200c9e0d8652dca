"""Admission-time features for the length-of-stay model.

Only what is known when a patient is admitted may reach the model: age band, sex, admission
type and source, diagnoses, specialty, payer and prior visit counts (`ADMISSION_COLUMNS`).
Everything recorded later in the stay (`LEAKAGE_COLUMNS`) is refused: a mapping that carries one
raises `LeakageError`, and a data frame is read through the allow-list only, so its other
columns can hold anything without changing a prediction.

Column names and value vocabularies follow the public "Diabetes 130-US hospitals" data set
(Strack et al., 2014, CC BY 4.0), so a hospital's own completed stays exported in that format can
be appended to the training data.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd

TARGET = "time_in_hospital"
GROUP = "patient_nbr"

# The only columns feature extraction reads.
ADMISSION_COLUMNS: tuple[str, ...] = (
    "age",
    "gender",
    "admission_type_id",
    "admission_source_id",
    "payer_code",
    "medical_specialty",
    "diag_1",
    "diag_2",
    "diag_3",
    "number_outpatient",
    "number_emergency",
    "number_inpatient",
)

MEDICATION_COLUMNS: tuple[str, ...] = (
    "metformin", "repaglinide", "nateglinide", "chlorpropamide", "glimepiride", "acetohexamide",
    "glipizide", "glyburide", "tolbutamide", "pioglitazone", "rosiglitazone", "acarbose",
    "miglitol", "troglitazone", "tolazamide", "examide", "citoglipton", "insulin",
    "glyburide-metformin", "glipizide-metformin", "glimepiride-pioglitazone",
    "metformin-rosiglitazone", "metformin-pioglitazone",
)  # fmt: skip

# Recorded during or after the stay: using any of them would leak the answer.
# number_diagnoses counts the diagnoses entered over the whole encounter, so it is refused too.
LEAKAGE_COLUMNS: frozenset[str] = frozenset(
    {
        TARGET,
        "num_lab_procedures",
        "num_procedures",
        "num_medications",
        "number_diagnoses",
        "max_glu_serum",
        "A1Cresult",
        "change",
        "diabetesMed",
        "discharge_disposition_id",
        "readmitted",
        *MEDICATION_COLUMNS,
    }
)
assert not LEAKAGE_COLUMNS & set(ADMISSION_COLUMNS)

# Admission type and source names, from the data set's IDs_mapping.csv.
ADMISSION_TYPES: dict[int, str] = {
    1: "Emergency", 2: "Urgent", 3: "Elective", 4: "Newborn", 5: "Not Available", 6: "NULL",
    7: "Trauma Center", 8: "Not Mapped",
}  # fmt: skip
ADMISSION_SOURCES: dict[int, str] = {
    1: "Physician Referral", 2: "Clinic Referral", 3: "HMO Referral", 4: "Transfer from a hospital",
    5: "Transfer from a Skilled Nursing Facility (SNF)",
    6: "Transfer from another health care facility", 7: "Emergency Room",
    8: "Court/Law Enforcement", 9: "Not Available", 10: "Transfer from critial access hospital",
    11: "Normal Delivery", 12: "Premature Delivery", 13: "Sick Baby", 14: "Extramural Birth",
    15: "Not Available", 17: "NULL", 18: "Transfer From Another Home Health Agency",
    19: "Readmission to Same Home Health Agency", 20: "Not Mapped", 21: "Unknown/Invalid",
    22: "Transfer from hospital inpt/same fac reslt in a sep claim",
    23: "Born inside this hospital", 24: "Born outside this hospital",
    25: "Transfer from Ambulatory Surgery Center", 26: "Transfer from Hospice",
}  # fmt: skip
_UNKNOWN_IDS = {5, 6, 8, 9, 15, 17, 20, 21}  # "not available", "NULL", "not mapped", ...

# ICD-9 groups: Strack et al.'s nine plus the other ICD-9 chapters they pooled as "other".
DIAGNOSIS_GROUPS: tuple[str, ...] = (
    "circulatory", "respiratory", "digestive", "diabetes", "injury", "musculoskeletal",
    "genitourinary", "neoplasms", "infectious", "endocrine", "blood", "mental", "nervous",
    "sense", "pregnancy", "skin", "congenital", "symptoms", "supplementary", "external",
)  # fmt: skip
_CHAPTERS: tuple[tuple[int, int, str], ...] = (
    (1, 139, "infectious"), (140, 239, "neoplasms"), (240, 279, "endocrine"),
    (280, 289, "blood"), (290, 319, "mental"), (320, 359, "nervous"), (360, 389, "sense"),
    (390, 459, "circulatory"), (460, 519, "respiratory"), (520, 579, "digestive"),
    (580, 629, "genitourinary"), (630, 679, "pregnancy"), (680, 709, "skin"),
    (710, 739, "musculoskeletal"), (740, 759, "congenital"), (760, 779, "congenital"),
    (780, 799, "symptoms"), (800, 999, "injury"),
)  # fmt: skip
# Symptom codes Strack et al. fold into their organ group.
_SYMPTOM_GROUPS = {785: "circulatory", 786: "respiratory", 787: "digestive", 788: "genitourinary"}

AGE_BANDS: tuple[str, ...] = tuple(f"[{a}-{a + 10})" for a in range(0, 100, 10))

# Codes with fewer training stays than this fall back towards the overall figure.
TARGET_ENCODING_SMOOTHING = 10.0
# Target-encoded keys (see `target_keys`) and, for each, the statistics encoded: the mean stay
# and the share of stays longer than 1, 3, 6 and 9 days (a coarse picture of the distribution,
# which helped an absolute-error model more than the mean alone).
ENCODED_KEYS: tuple[str, ...] = (
    "diag_1_code",
    "diag_1_3digit",
    "diag_2_3digit",
    "diag_3_3digit",
    "specialty",
    "diag_pair",
)
ENCODED_STATS: tuple[str, ...] = ("mean", "gt1", "gt3", "gt6", "gt9")
ENCODED_FEATURES: tuple[str, ...] = tuple(f"{k}:{s}" for k in ENCODED_KEYS for s in ENCODED_STATS)
VOCABULARY_KEYS: tuple[str, ...] = ("payer", "specialty")
MAX_VOCABULARY = 60  # HistGradientBoosting takes at most 255 categories; rare ones pool as unknown

# Order of the model's input matrix columns; the categorical ones are marked in CATEGORICAL.
FEATURE_NAMES: tuple[str, ...] = (
    "age_band",
    "male",
    "admission_type",
    "admission_source",
    "payer",
    "specialty",
    "diag_1_group",
    "diag_2_group",
    "diag_3_group",
    "number_outpatient",
    "number_emergency",
    "number_inpatient",
    "prior_visits",
    "diagnoses_known",
    "diabetes_listed",
    "diabetes_complication",
    *(f"te_{name}" for name in ENCODED_FEATURES),
)
CATEGORICAL: tuple[str, ...] = (
    "admission_type",
    "admission_source",
    "payer",
    "specialty",
    "diag_1_group",
    "diag_2_group",
    "diag_3_group",
    "diabetes_complication",
)


class LeakageError(ValueError):
    """A column recorded after admission was offered as a model input."""


def reject_leakage(names: Iterable[str]) -> None:
    leaked = sorted(set(names) & LEAKAGE_COLUMNS)
    if leaked:
        raise LeakageError(f"not known at admission, refused as inputs: {', '.join(leaked)}")


@dataclass(frozen=True, slots=True)
class AdmissionFeatures:
    """One admission in the data set's vocabulary; None means unknown."""

    age: str | None = None  # "[70-80)"
    gender: str | None = None  # "Female" / "Male"
    admission_type_id: int | None = None
    admission_source_id: int | None = None
    payer_code: str | None = None
    medical_specialty: str | None = None
    diag_1: str | None = None
    diag_2: str | None = None
    diag_3: str | None = None
    number_outpatient: int | None = 0
    number_emergency: int | None = 0
    number_inpatient: int | None = 0

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> AdmissionFeatures:
        """Build from a dict of data-set columns; refuses leakage and unknown keys."""
        reject_leakage(data)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown admission fields: {', '.join(unknown)}")
        return cls(**data)  # type: ignore[arg-type]

    def as_columns(self) -> dict[str, list[object]]:
        return {name: [value] for name, value in asdict(self).items()}


def admission_features(
    *,
    age_years: float | None,
    sex: str | None,
    admission_type: str | int | None = None,
    admission_source: str | int | None = None,
    diagnoses: Sequence[str] = (),
    specialty: str | None = None,
    payer: str | None = None,
    prior_outpatient: int = 0,
    prior_emergency: int = 0,
    prior_inpatient: int = 0,
) -> AdmissionFeatures:
    """Features from the product's admission fields (age in years, names or ids, ICD-9 codes).

    `diagnoses` lists ICD-9 codes, primary first; only the first three are used. Admission type
    and source accept the data set's ids or names ("Emergency", "Emergency Room"), any case.
    """
    codes = [c for c in (normalise_code(d) for d in diagnoses) if c][:3]
    codes += [None] * (3 - len(codes))
    return AdmissionFeatures(
        age=age_band(age_years),
        gender=_sex(sex),
        admission_type_id=_lookup_id(admission_type, ADMISSION_TYPES),
        admission_source_id=_lookup_id(admission_source, ADMISSION_SOURCES),
        payer_code=(payer or None),
        medical_specialty=(specialty or None),
        diag_1=codes[0],
        diag_2=codes[1],
        diag_3=codes[2],
        number_outpatient=max(0, int(prior_outpatient or 0)),
        number_emergency=max(0, int(prior_emergency or 0)),
        number_inpatient=max(0, int(prior_inpatient or 0)),
    )


_ICD9 = re.compile(r"\b(V\d{2}(?:\.\d{1,2})?|E\d{3}(?:\.\d)?|\d{3}(?:\.\d{1,2})?)\b", re.I)
# The product's ward kinds that say something about the specialty; others say nothing.
WARD_SPECIALTIES = {"paediatric": "Pediatrics", "maternity": "ObstetricsandGynecology"}


def features_from_fields(
    *,
    age: float | None = None,
    age_years: float | None = None,
    sex: str | None = None,
    reason: str | None = None,
    ward_kind: str | None = None,
    diagnoses: Sequence[str] = (),
    specialty: str | None = None,
    **fields: object,
) -> AdmissionFeatures:
    """`admission_features` with the hospital app's names too.

    `age` is an alias of `age_years`; ICD-9 codes written in the free-text `reason` ("428.0
    heart failure") are used when no `diagnoses` are given; `ward_kind` hints the specialty
    for paediatric and maternity wards when no `specialty` is given.
    """
    reject_leakage(fields)
    if not diagnoses and reason:
        diagnoses = _ICD9.findall(reason)
    if not specialty and ward_kind:
        specialty = WARD_SPECIALTIES.get(str(ward_kind).lower())
    return admission_features(
        age_years=age_years if age_years is not None else age,
        sex=sex,
        diagnoses=diagnoses,
        specialty=specialty,
        **fields,  # type: ignore[arg-type]
    )


def age_band(age_years: float | None) -> str | None:
    if age_years is None or _missing(age_years) or age_years < 0:
        return None
    return AGE_BANDS[min(int(age_years) // 10, 9)]


def _sex(sex: str | None) -> str | None:
    s = (sex or "").strip().lower()
    if s in {"f", "female", "woman"}:
        return "Female"
    if s in {"m", "male", "man"}:
        return "Male"
    return None


def _norm(text: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


_TYPE_NAMES = {_norm(name): i for i, name in ADMISSION_TYPES.items()}
_SOURCE_NAMES = {_norm(name): i for i, name in ADMISSION_SOURCES.items()}


def _lookup_id(value: str | int | None, table: dict[int, str]) -> int | None:
    if value is None or _missing(value):
        return None
    names = _TYPE_NAMES if table is ADMISSION_TYPES else _SOURCE_NAMES
    text = str(value).strip()
    if text.isdigit():
        return int(text) if int(text) in table else None
    return names.get(_norm(text))


def _missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and value.strip() in {"", "?"}


def normalise_code(code: object) -> str | None:
    """An ICD-9 code as the data set writes it ("250.83", "V57", "428"), or None."""
    if _missing(code):
        return None
    text = str(code).strip().upper()
    if text.endswith(".0") and text[:-2].isdigit():  # read as a float by a CSV reader
        text = text[:-2]
    return text or None


def three_digit(code: str | None) -> str | None:
    return code.split(".")[0] if code else None


def diagnosis_group(code: str | None) -> str | None:
    """Strack et al.'s ICD-9 group of a code (None when missing or unreadable)."""
    if not code:
        return None
    if code[0] == "V":
        return "supplementary"
    if code[0] == "E":
        return "external"
    try:
        value = float(code)
    except ValueError:
        return None
    major = int(value)
    if major == 250:
        return "diabetes"
    if major in _SYMPTOM_GROUPS:
        return _SYMPTOM_GROUPS[major]
    for low, high, name in _CHAPTERS:
        if low <= major <= high:
            return name
    return None


def _diabetes_complication(codes: Sequence[str | None]) -> float:
    """The fourth digit of the first 250.x code (0 = no complication), NaN if no 250 code."""
    for code in codes:
        if code and code.startswith("250"):
            rest = code[4:5] if len(code) > 4 else "0"
            return float(rest) if rest.isdigit() else 0.0
    return math.nan


@dataclass(frozen=True)
class Columns:
    """Cleaned admission columns, one Python list per field (shared by encode and training)."""

    age: list[float]
    male: list[float]
    admission_type: list[int | None]
    admission_source: list[int | None]
    payer: list[str | None]
    specialty: list[str | None]
    diags: list[tuple[str | None, str | None, str | None]]
    prior: list[tuple[float, float, float]]

    def __len__(self) -> int:
        return len(self.age)


def read_columns(data: Mapping[str, Sequence[object]]) -> Columns:
    """Read the allow-listed columns of a frame or column mapping; any other column is ignored.

    Missing columns and values become unknowns, never errors.
    """
    n = _length(data)

    def col(name: str) -> list[object]:
        if name in data:
            values = data[name]
            return list(values.tolist() if hasattr(values, "tolist") else values)
        return [None] * n

    age = [(float(AGE_BANDS.index(a)) if a in AGE_BANDS else math.nan) for a in col("age")]
    male = [1.0 if g == "Male" else 0.0 if g == "Female" else math.nan for g in col("gender")]
    diags = list(
        zip(
            *(map(normalise_code, col(f"diag_{i}")) for i in (1, 2, 3)),
            strict=True,
        )
    )
    prior = list(
        zip(
            *(map(_count, col(c)) for c in ADMISSION_COLUMNS[-3:]),
            strict=True,
        )
    )
    return Columns(
        age=age,
        male=male,
        admission_type=[_id(v, ADMISSION_TYPES) for v in col("admission_type_id")],
        admission_source=[_id(v, ADMISSION_SOURCES) for v in col("admission_source_id")],
        payer=[None if _missing(v) else _norm(v) for v in col("payer_code")],
        specialty=[None if _missing(v) else _norm(v) for v in col("medical_specialty")],
        diags=diags,
        prior=prior,
    )


def _length(data: Mapping[str, Sequence[object]]) -> int:
    if hasattr(data, "shape"):
        return int(data.shape[0])  # type: ignore[attr-defined]
    for name in ADMISSION_COLUMNS:
        if name in data:
            return len(data[name])
    return 0


def _id(value: object, table: dict[int, str]) -> int | None:
    if _missing(value):
        return None
    try:
        number = int(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if number in _UNKNOWN_IDS or number not in table else number


def _count(value: object) -> float:
    if _missing(value):
        return math.nan
    try:
        return max(0.0, float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def target_keys(cols: Columns) -> dict[str, list[str | None]]:
    """The key of each target-encoded feature, per row."""
    d1 = [d[0] for d in cols.diags]
    return {
        "diag_1_code": d1,
        "diag_1_3digit": [three_digit(c) for c in d1],
        "diag_2_3digit": [three_digit(d[1]) for d in cols.diags],
        "diag_3_3digit": [three_digit(d[2]) for d in cols.diags],
        "specialty": cols.specialty,
        "diag_pair": [
            f"{diagnosis_group(d[0])}|{diagnosis_group(d[1])}" if d[0] else None for d in cols.diags
        ],
    }


def encoded_statistic(stat: str, target: np.ndarray) -> np.ndarray:
    if stat == "mean":
        return target.astype(float)
    return (target > int(stat[2:])).astype(float)


def _factorize(keys: Sequence[str | None]) -> tuple[np.ndarray, list[str]]:
    """Integer code per row (-1 for a missing key) and the distinct keys."""
    codes, uniques = pd.factorize(pd.Series(keys, dtype=object), use_na_sentinel=True)
    return codes, [str(u) for u in uniques]


def _smoothed_means(
    codes: np.ndarray, n_keys: int, values: np.ndarray, smoothing: float
) -> tuple[np.ndarray, np.ndarray, float]:
    prior = float(np.mean(values)) if len(values) else 0.0
    known = codes >= 0
    sums = np.bincount(codes[known], weights=values[known], minlength=n_keys)
    counts = np.bincount(codes[known], minlength=n_keys)
    return (sums + smoothing * prior) / (counts + smoothing), counts, prior


def fit_target_encoding(
    keys: Sequence[str | None], values: np.ndarray, *, smoothing: float = TARGET_ENCODING_SMOOTHING
) -> dict[str, float]:
    """Smoothed mean of `values` per key (m-estimate towards the mean); '' holds the mean."""
    codes, uniques = _factorize(keys)
    means, counts, prior = _smoothed_means(codes, len(uniques), values, smoothing)
    table = {uniques[i]: float(means[i]) for i in np.flatnonzero(counts)}
    table[""] = prior
    return table


def fit_target_encodings(cols: Columns, target: np.ndarray) -> dict[str, dict[str, float]]:
    keys = target_keys(cols)
    return {
        f"{key}:{stat}": fit_target_encoding(keys[key], encoded_statistic(stat, target))
        for key in ENCODED_KEYS
        for stat in ENCODED_STATS
    }


def out_of_fold_encodings(
    cols: Columns, target: np.ndarray, folds: Iterable[tuple[np.ndarray, np.ndarray]]
) -> dict[str, np.ndarray]:
    """Target encodings of each training row from the other folds only.

    Encoding a row with statistics that include its own target would let the model trust the
    encoding far more than it deserves on new admissions.
    """
    keys = target_keys(cols)
    factorized = {key: _factorize(keys[key]) for key in ENCODED_KEYS}
    out = {name: np.zeros(len(target)) for name in ENCODED_FEATURES}
    for fit_rows, encode_rows in folds:
        for key in ENCODED_KEYS:
            codes, uniques = factorized[key]
            for stat in ENCODED_STATS:
                values = encoded_statistic(stat, target[fit_rows])
                means, counts, prior = _smoothed_means(
                    codes[fit_rows], len(uniques), values, TARGET_ENCODING_SMOOTHING
                )
                means = np.append(np.where(counts > 0, means, prior), prior)  # [-1] = missing
                out[f"{key}:{stat}"][encode_rows] = means[codes[encode_rows]]
    return out


def _look_up(table: Mapping[str, float], codes: np.ndarray, uniques: list[str]) -> np.ndarray:
    fallback = table[""]
    values = np.array([table.get(u, fallback) for u in uniques] + [fallback])
    return values[codes]


def fit_vocabulary(values: Sequence[str | None]) -> list[str]:
    """The most frequent categories (at most MAX_VOCABULARY), most frequent first."""
    counts: dict[str, int] = {}
    for v in values:
        if v is not None:
            counts[v] = counts.get(v, 0) + 1
    ranked = sorted(counts, key=lambda k: (-counts[k], k))
    return [k for k in ranked if counts[k] >= 10][:MAX_VOCABULARY]


def encode(
    cols: Columns,
    *,
    encodings: Mapping[str, Mapping[str, float]],
    vocabularies: Mapping[str, Sequence[str]],
    encoded_rows: Mapping[str, np.ndarray] | None = None,
) -> np.ndarray:
    """The model's input matrix (rows × FEATURE_NAMES).

    `encoded_rows` replaces the target encoding lookup with out-of-fold values during training.
    """
    n = len(cols)
    x = np.full((n, len(FEATURE_NAMES)), np.nan)
    x[:, 0] = cols.age
    x[:, 1] = cols.male
    x[:, 2] = [np.nan if v is None else v for v in cols.admission_type]
    x[:, 3] = [np.nan if v is None else v for v in cols.admission_source]
    for j, key, values in ((4, "payer", cols.payer), (5, "specialty", cols.specialty)):
        index = {v: i for i, v in enumerate(vocabularies[key])}
        x[:, j] = [index.get(v, np.nan) if v is not None else np.nan for v in values]
    group_index = {g: i for i, g in enumerate(DIAGNOSIS_GROUPS)}
    for j in range(3):
        x[:, 6 + j] = [group_index.get(diagnosis_group(d[j]), np.nan) for d in cols.diags]
    prior = np.asarray(cols.prior, dtype=float).reshape(n, 3)
    x[:, 9:12] = prior
    x[:, 12] = prior.sum(axis=1)
    x[:, 13] = [sum(c is not None for c in d) for d in cols.diags]
    x[:, 14] = [float(any(c and c.startswith("250") for c in d)) for d in cols.diags]
    x[:, 15] = [_diabetes_complication(d) for d in cols.diags]
    if encoded_rows is not None:
        for j, name in enumerate(ENCODED_FEATURES, start=16):
            x[:, j] = encoded_rows[name]
        return x
    keys = target_keys(cols)
    few = n < 64  # plain lookups beat factorising for a handful of admissions
    factorized = {} if few else {key: _factorize(keys[key]) for key in ENCODED_KEYS}
    for j, name in enumerate(ENCODED_FEATURES, start=16):
        key, table = name.split(":")[0], encodings[name]
        if few:
            x[:, j] = [table.get(k, table[""]) if k is not None else table[""] for k in keys[key]]
        else:
            x[:, j] = _look_up(table, *factorized[key])
    return x
