"""The length-of-stay model: train, save, load and predict.

Point estimate: a histogram gradient-boosting model trained on absolute error (MAE is minimised
by the median, and stays are right-skewed), rounded to whole days because the conditional median
of a whole-day stay is a whole day.

Distribution and interval: a Mondrian split-conformal predictive distribution. Calibration
patients, never seen in fitting, are sorted into bins by the point model's raw prediction; the
stays observed in a bin are the predicted distribution of every admission that falls in it.
P(LOS > d) comes from that distribution (plus a geometric tail past the longest stay seen), and
the 80 % interval is the bin's shortest whole-day range at one level picked so that 80 % of the
calibration stays fall inside. See docs/decisions/hospital-los-model.md.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import GroupKFold, GroupShuffleSplit

from . import features as F

FORMAT = 1
SURVIVAL_DAYS = 30  # survival is reported for d = 0..30
MAX_TARGET = SURVIVAL_DAYS  # longer stays are modelled as 30 days
COVERAGE = 0.80
MIN_TRAINING_ROWS = 200  # below this the fit / calibration / test parts mean nothing
ARTEFACT_NAME = "los_model.skops"
ATTRIBUTION = (
    "Diabetes 130-US hospitals for years 1999-2008, UCI Machine Learning Repository; "
    "Strack et al. (2014), BioMed Research International, doi:10.1155/2014/781670. CC BY 4.0."
)
# What the point model is; chosen on a patient split of the training part only (docs).
POINT_PARAMS = {
    "loss": "absolute_error",
    "learning_rate": 0.1,
    "max_iter": 150,
    "max_leaf_nodes": 31,
    "min_samples_leaf": 40,
    "early_stopping": False,
    "random_state": 0,
}
# Types inside the artefact beyond skops' defaults; loading refuses anything else.
TRUSTED_TYPES = [
    "functools.partial",
    "sklearn.utils.validation.check_array",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn._loss.link.IdentityLink",
    "sklearn._loss.loss.AbsoluteError",
    "sklearn._loss.link.Interval",
]


@dataclass(frozen=True, slots=True)
class StayPrediction:
    """Predicted stay in days: point (median), 80 % interval, and P(LOS > d) for d = 0..30."""

    days: float
    low: float
    high: float
    survival: list[float]


@dataclass(frozen=True)
class Predictions:
    days: np.ndarray
    low: np.ndarray
    high: np.ndarray
    survival: np.ndarray  # rows × (SURVIVAL_DAYS + 1)

    def __getitem__(self, i: int) -> StayPrediction:
        return StayPrediction(
            days=float(self.days[i]),
            low=float(self.low[i]),
            high=float(self.high[i]),
            survival=[float(s) for s in self.survival[i]],
        )


class Forest:
    """The point model's trees as flat arrays, walked with numpy.

    scikit-learn's own predict goes through a ColumnTransformer, joblib and one OpenMP region
    per tree: tens of milliseconds for one admission, far worse on a busy machine. Walking all
    trees at once in numpy gives the same numbers (tested) in well under a millisecond.
    """

    def __init__(self, model: HistGradientBoostingRegressor) -> None:
        predictors = [p[0] for p in model._predictors]
        width = max(len(p.nodes) for p in predictors)
        size = len(predictors) * width
        self.baseline = float(np.ravel(model._baseline_prediction)[0])
        self.roots = np.arange(len(predictors)) * width
        self.value = np.zeros(size)
        self.feature = np.zeros(size, dtype=np.intp)
        self.threshold = np.full(size, np.inf)
        self.missing_left = np.ones(size, dtype=bool)
        # A leaf points at itself, so walking every tree a fixed number of steps is safe.
        self.left = np.arange(size)
        self.right = np.arange(size)
        self.is_categorical = np.zeros(size, dtype=bool)
        self.left_categories = np.zeros((size, 256), dtype=bool)
        self.depth = 0
        bits = np.arange(256)
        for root, predictor in zip(self.roots, predictors, strict=True):
            nodes, ids = predictor.nodes, root + np.arange(len(predictor.nodes))
            split = ~nodes["is_leaf"].astype(bool)
            self.value[ids] = nodes["value"]
            self.feature[ids[split]] = nodes["feature_idx"][split]
            self.threshold[ids[split]] = nodes["num_threshold"][split]
            self.missing_left[ids] = nodes["missing_go_to_left"].astype(bool)
            self.left[ids[split]] = root + nodes["left"][split]
            self.right[ids[split]] = root + nodes["right"][split]
            self.is_categorical[ids] = nodes["is_categorical"].astype(bool) & split
            for i in np.flatnonzero(nodes["is_categorical"].astype(bool) & split):
                bitset = predictor.raw_left_cat_bitsets[nodes["bitset_idx"][i]]
                self.left_categories[root + i] = (bitset[bits // 32] >> (bits % 32)) & 1
            self.depth = max(self.depth, int(nodes["depth"].max()))
        # Categorical columns come first after scikit-learn's preprocessing, as category codes.
        mask = (
            np.asarray(model.is_categorical_, dtype=bool)
            if model.is_categorical_ is not None
            else None
        )
        if mask is None:
            self.order, self.categories = None, []
        else:
            self.order = np.concatenate([np.flatnonzero(mask), np.flatnonzero(~mask)])
            encoder = model._preprocessor.named_transformers_["encoder"]
            self.categories = [np.asarray(c, dtype=float) for c in encoder.categories_]

    def _prepare(self, x: np.ndarray) -> np.ndarray:
        if self.order is None:
            return x
        x = x[:, self.order].copy()
        for j, known in enumerate(self.categories):
            values = x[:, j]
            if not len(known):
                x[:, j] = np.nan
                continue
            where = np.clip(np.searchsorted(known, values), 0, len(known) - 1)
            x[:, j] = np.where(known[where] == values, where, np.nan)
        return x

    def predict(self, x: np.ndarray, *, chunk: int = 2048) -> np.ndarray:
        x = self._prepare(np.asarray(x, dtype=float))
        out = np.empty(len(x))
        for start in range(0, len(x), chunk):
            part = x[start : start + chunk]
            flat = part.ravel()
            row_offsets = (np.arange(len(part)) * part.shape[1])[:, None]
            node = np.broadcast_to(self.roots, (len(part), len(self.roots)))
            for _ in range(self.depth):
                v = flat[row_offsets + self.feature[node]]
                go_left = v <= self.threshold[node]  # False when v is missing
                categorical = self.is_categorical[node]
                if categorical.any():
                    code = np.where(categorical & (v == v), v, 0).astype(np.intp)
                    go_left = np.where(categorical, self.left_categories[node, code], go_left)
                go_left = np.where(v != v, self.missing_left[node], go_left)
                node = np.where(go_left, self.left[node], self.right[node])
            out[start : start + chunk] = self.baseline + self.value[node].sum(axis=1)
        return out


@dataclass
class LosModel:
    point: HistGradientBoostingRegressor
    encodings: dict[str, dict[str, float]]
    vocabularies: dict[str, list[str]]
    bin_edges: np.ndarray  # raw-prediction thresholds between bins
    bin_survival: np.ndarray  # bins × (SURVIVAL_DAYS + 1)
    bin_interval: np.ndarray  # bins × 2 (low, high) in whole days
    max_target: int
    training_median: float
    card: dict = field(default_factory=dict)
    forest: Forest | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.forest = Forest(self.point)

    def predict(self, data: Mapping[str, Sequence[object]] | pd.DataFrame) -> Predictions:
        """Predict every row of a frame (or column mapping); only admission columns are read."""
        if not isinstance(data, pd.DataFrame):
            F.reject_leakage(data)
        cols = F.read_columns(data)
        x = F.encode(cols, encodings=self.encodings, vocabularies=self.vocabularies)
        raw = self._raw(x)
        days = np.clip(np.round(raw), 1, self.max_target)
        b = np.searchsorted(self.bin_edges, raw, side="right")
        low = np.minimum(self.bin_interval[b, 0], days)
        high = np.maximum(self.bin_interval[b, 1], days)
        return Predictions(days=days, low=low, high=high, survival=self.bin_survival[b])

    def _raw(self, x: np.ndarray) -> np.ndarray:
        if len(x) < 256:
            return self.forest.predict(x)
        from threadpoolctl import threadpool_limits

        # Batches: scikit-learn's compiled walk, on one thread (robust on a busy machine).
        with threadpool_limits(limits=1, user_api="openmp"):
            return self.point.predict(x)

    def predict_one(self, features: F.AdmissionFeatures | Mapping[str, object]) -> StayPrediction:
        if not isinstance(features, F.AdmissionFeatures):
            features = F.AdmissionFeatures.from_mapping(features)
        return self.predict(features.as_columns())[0]


# ---------------------------------------------------------------- the product's entry point


def shipped_model_path() -> Path:
    return Path(str(resources.files(__package__).joinpath(ARTEFACT_NAME)))


@cache
def _load_cached(path: str) -> LosModel:
    return load(Path(path))


def default_model() -> LosModel:
    """The model the product uses: settings.HOSPITAL_LOS_MODEL if set, else the shipped one."""
    from django.conf import settings

    path = getattr(settings, "HOSPITAL_LOS_MODEL", None) or shipped_model_path()
    return _load_cached(str(path))


def predict_stay(
    features: F.AdmissionFeatures | Mapping[str, object] | None = None,
    *,
    model: LosModel | None = None,
    **fields: object,
) -> StayPrediction:
    """Predicted length of stay of one admission, from what is known at admission only.

    Pass `AdmissionFeatures`, a dict of data-set columns, or the product's fields as keywords
    (see `features.features_from_fields`: age, sex, admission_type, diagnoses, reason, …).
    """
    if features is None:
        features = F.features_from_fields(**fields)
    elif fields:
        raise TypeError("pass either features or keyword fields, not both")
    return (model or default_model()).predict_one(features)


def shipped_card() -> dict:
    """The model card of the shipped artefact (data, attribution, held-out figures)."""
    return json.loads(card_path(shipped_model_path()).read_text())


# ---------------------------------------------------------------------------- persistence


def card_path(path: Path) -> Path:
    """The model card beside an artefact: los_model.skops -> los_model_card.json."""
    return path.with_name(f"{path.stem}_card.json")


def save(model: LosModel, path: Path) -> None:
    import skops.io as sio

    state = {
        "format": FORMAT,
        "point": model.point,
        "encodings": model.encodings,
        "vocabularies": model.vocabularies,
        "bin_edges": model.bin_edges,
        "bin_survival": model.bin_survival,
        "bin_interval": model.bin_interval,
        "max_target": int(model.max_target),
        "training_median": float(model.training_median),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    sio.dump(state, path, compression=8)  # zipfile.ZIP_DEFLATED
    card_path(path).write_text(json.dumps(model.card, indent=2) + "\n")


def load(path: Path) -> LosModel:
    """Load an artefact written by `save`; refuses files holding any unexpected type."""
    import skops.io as sio

    data = Path(path).read_bytes()
    untrusted = set(sio.get_untrusted_types(data=data)) - set(TRUSTED_TYPES)
    if untrusted:
        raise ValueError(f"refusing model file with unexpected types: {sorted(untrusted)}")
    state = sio.loads(data, trusted=TRUSTED_TYPES)
    if state.get("format") != FORMAT:
        raise ValueError(f"unsupported model format {state.get('format')!r}")
    card_file = card_path(Path(path))
    card = json.loads(card_file.read_text()) if card_file.exists() else {}
    return LosModel(
        point=state["point"],
        encodings=state["encodings"],
        vocabularies=state["vocabularies"],
        bin_edges=np.asarray(state["bin_edges"], dtype=float),
        bin_survival=np.asarray(state["bin_survival"], dtype=float),
        bin_interval=np.asarray(state["bin_interval"], dtype=float),
        max_target=int(state["max_target"]),
        training_median=float(state["training_median"]),
        card=card,
    )


# -------------------------------------------------------------------------------- training


def read_stays(paths: Iterable[Path | str | io.IOBase]) -> pd.DataFrame:
    """Concatenate CSVs in the data set's format; `?` and blanks are missing values.

    Patient numbers are prefixed by the file's position so that two files' patients never merge.
    """
    return read_stays_counted(paths)[0]


def read_stays_counted(
    paths: Iterable[Path | str | io.IOBase],
) -> tuple[pd.DataFrame, list[int]]:
    """`read_stays`, plus the number of rows each file held."""
    frames = []
    for i, path in enumerate(paths):
        frame = pd.read_csv(path, na_values=["?"], keep_default_na=True, low_memory=False)
        if F.GROUP in frame:
            frame[F.GROUP] = f"{i}:" + frame[F.GROUP].astype(str)
        frames.append(frame)
    counts = [len(f) for f in frames]
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()), counts


def clean_target(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows with a usable stay (whole days ≥ 1), target capped at MAX_TARGET."""
    if F.TARGET not in frame:
        raise ValueError(f"training data needs a {F.TARGET!r} column")
    y = pd.to_numeric(frame[F.TARGET], errors="coerce")
    kept = frame.loc[y.notna() & (y >= 1)].copy()
    kept[F.TARGET] = np.minimum(np.round(y[kept.index]), MAX_TARGET).astype(int)
    return kept.reset_index(drop=True)


def patient_groups(frame: pd.DataFrame) -> np.ndarray:
    if F.GROUP in frame:
        groups = frame[F.GROUP].astype(str).to_numpy()
        missing = frame[F.GROUP].isna().to_numpy()
        groups[missing] = [f"row:{i}" for i in np.flatnonzero(missing)]
        return groups
    return np.array([f"row:{i}" for i in range(len(frame))])


def split_patients(
    frame: pd.DataFrame, *, test_size: float, calibration_size: float, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row indices for fitting, calibration and test; every patient lands in exactly one part."""
    groups = patient_groups(frame)
    rows = np.arange(len(frame))
    if test_size > 0:
        splitter = GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=seed)
        rest, test = next(splitter.split(rows, groups=groups))
    else:
        rest, test = rows, rows[:0]
    share = calibration_size / (1 - test_size)
    splitter = GroupShuffleSplit(n_splits=1, test_size=share, random_state=seed + 1)
    fit, calibration = next(splitter.split(rest, groups=groups[rest]))
    return rest[fit], rest[calibration], test


def fit_point_model(
    frame: pd.DataFrame, *, groups: np.ndarray, params: Mapping[str, object] = POINT_PARAMS
) -> tuple[HistGradientBoostingRegressor, dict, dict]:
    cols = F.read_columns(frame)
    y = frame[F.TARGET].to_numpy(float)
    vocabularies = {key: F.fit_vocabulary(getattr(cols, key)) for key in F.VOCABULARY_KEYS}
    encodings = F.fit_target_encodings(cols, y)
    n_folds = max(2, min(5, len(set(groups))))
    folds = GroupKFold(n_splits=n_folds).split(y, groups=groups)
    out_of_fold = F.out_of_fold_encodings(cols, y, folds)
    x = F.encode(cols, encodings=encodings, vocabularies=vocabularies, encoded_rows=out_of_fold)
    categorical = [name in F.CATEGORICAL for name in F.FEATURE_NAMES]
    model = HistGradientBoostingRegressor(categorical_features=categorical, **params)
    model.fit(x, y)
    return model, encodings, vocabularies


def survival_from_pmf(pmf: np.ndarray, *, tail_ratio: float) -> np.ndarray:
    """P(LOS > d) for d = 0..SURVIVAL_DAYS from P(LOS = d) (index = days).

    The longest stay seen is read as "that long or longer": past it the survival decays
    geometrically by `tail_ratio` a day, so no patient is ever certain to leave on a given day
    (the public data stops at 14 days by selection, not because nobody stays longer).
    """
    top = len(pmf) - 1
    cdf = np.cumsum(pmf)
    survival = np.empty(SURVIVAL_DAYS + 1)
    for d in range(SURVIVAL_DAYS + 1):
        if d < top:
            survival[d] = max(0.0, 1.0 - cdf[d])
        else:
            survival[d] = max(0.0, 1.0 - cdf[top - 1]) * tail_ratio ** (d - top + 1)
    survival[0] = 1.0
    return survival


def tail_ratio(y: np.ndarray) -> float:
    """Mean day-on-day ratio P(LOS = d+1) / P(LOS = d) over the last five observed days."""
    counts = np.bincount(y.astype(int))
    top = len(counts) - 1
    days = range(max(1, top - 5), top)
    ratios = [counts[d + 1] / counts[d] for d in days if counts[d] and counts[d + 1]]
    return float(np.clip(np.mean(ratios), 0.0, 0.95)) if ratios else 0.5


def shortest_interval(pmf: np.ndarray, coverage: float = COVERAGE) -> tuple[int, int]:
    """Shortest whole-day range [a, b] with P(a ≤ LOS ≤ b) ≥ coverage (more mass on ties)."""
    best: tuple[int, float, int, int] | None = None
    days = len(pmf)
    for a in range(1, days):
        mass = 0.0
        for b in range(a, days):
            mass += pmf[b]
            if mass >= coverage - 1e-9:
                candidate = (b - a, -mass, a, b)
                if best is None or candidate < best:
                    best = candidate
                break
    return (best[2], best[3]) if best else (1, days - 1)


def calibrate(
    raw: np.ndarray, y: np.ndarray, *, max_target: int, ratio: float, rows_per_bin: int = 400
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bins on the raw prediction, each with its stays' distribution and 80 % interval.

    Stays are whole days, so a bin's shortest range with 80 % of its mass often holds 85 %.
    The level asked of every bin is therefore the lowest (from 70 % up) at which, over all
    calibration stays, at least 80 % fall inside: one nested family, one level picked on the
    calibration patients (split-conformal over nested sets).
    """
    n_bins = int(np.clip(len(y) // rows_per_bin, 1, 25))
    edges = np.unique(np.quantile(raw, np.linspace(0, 1, n_bins + 1)[1:-1])) if n_bins > 1 else []
    edges = np.asarray(edges, dtype=float)
    which = np.searchsorted(edges, raw, side="right")
    overall = np.bincount(y.astype(int), minlength=max_target + 1)[: max_target + 1].astype(float)
    overall /= overall.sum()
    survival, pmfs = [], []
    for b in range(len(edges) + 1):
        counts = np.bincount(y[which == b].astype(int), minlength=max_target + 1)
        counts = counts[: max_target + 1].astype(float) + 2.0 * overall  # a light prior
        pmfs.append(counts / counts.sum())
        survival.append(survival_from_pmf(pmfs[-1], tail_ratio=ratio))
    for level in np.arange(0.70, COVERAGE + 1e-9, 0.005):
        interval = np.array([shortest_interval(pmf, level) for pmf in pmfs], dtype=float)
        inside = (interval[which, 0] <= y) & (y <= interval[which, 1])
        if inside.mean() >= COVERAGE:
            break
    return edges, np.array(survival), interval


@dataclass(frozen=True)
class Figures:
    rows: int
    mae: float | None = None
    rmse: float | None = None
    r2: float | None = None
    coverage_80: float | None = None
    median_baseline_mae: float | None = None
    mean_interval_width: float | None = None

    def as_dict(self) -> dict[str, float | int | None]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in vars(self).items()}


def score(model: LosModel, frame: pd.DataFrame) -> tuple[Figures, Predictions]:
    """Predict every row; score against the target if the frame has one (it is never an input)."""
    predictions = model.predict(frame)
    n = len(frame)
    if F.TARGET not in frame or n == 0:
        return Figures(rows=n), predictions
    y = pd.to_numeric(frame[F.TARGET], errors="coerce").to_numpy(float)
    known = ~np.isnan(y)
    if not known.any():
        return Figures(rows=n), predictions
    y, days = y[known], predictions.days[known]
    inside = (predictions.low[known] <= y) & (y <= predictions.high[known])
    residual = y - days
    total = float(np.sum((y - y.mean()) ** 2))
    return (
        Figures(
            rows=n,
            mae=float(np.mean(np.abs(residual))),
            rmse=float(np.sqrt(np.mean(residual**2))),
            r2=(1.0 - float(np.sum(residual**2)) / total) if total > 0 else None,
            coverage_80=float(np.mean(inside)),
            median_baseline_mae=float(np.mean(np.abs(y - model.training_median))),
            mean_interval_width=float(
                np.mean(predictions.high[known] - predictions.low[known] + 1)
            ),
        ),
        predictions,
    )


def reference_mae(fit_frame: pd.DataFrame, test_frame: pd.DataFrame) -> float:
    """MAE of a plain gradient-boosting model: sklearn's defaults on the same admission columns.

    Categories are ordinal codes, prior visits as they are: the obvious first model, so the
    figure says what the encodings, loss and rounding above it are worth.
    """
    from sklearn.preprocessing import OrdinalEncoder

    text = ["age", "gender", "payer_code", "medical_specialty", "diag_1", "diag_2", "diag_3"]

    def matrix(frame: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame(index=frame.index)
        for column in F.ADMISSION_COLUMNS:
            values = frame[column] if column in frame else pd.Series(np.nan, index=frame.index)
            out[column] = (
                values.astype(str).where(values.notna(), None)
                if column in text
                else (pd.to_numeric(values, errors="coerce"))
            )
        return out

    fit_x, test_x = matrix(fit_frame), matrix(test_frame)
    encoder = OrdinalEncoder(
        handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=np.nan
    )
    fit_x[text] = encoder.fit_transform(fit_x[text])
    test_x[text] = encoder.transform(test_x[text])
    model = HistGradientBoostingRegressor(random_state=0).fit(fit_x, fit_frame[F.TARGET])
    return float(np.mean(np.abs(model.predict(test_x) - test_frame[F.TARGET].to_numpy(float))))


@dataclass(frozen=True)
class TrainingResult:
    model: LosModel
    test: Figures
    reference_mae: float | None
    seconds: float


def train(
    frame: pd.DataFrame,
    *,
    test_size: float = 0.1,
    calibration_size: float = 0.1,
    seed: int = 0,
    with_reference: bool = True,
    sources: Sequence[Mapping[str, object]] = (),
    threads: int | None = 1,
) -> TrainingResult:
    """Fit on a patient split, calibrate on other patients, score on the rest.

    The returned model is exactly the one scored: its figures are honest held-out figures.
    `threads` caps OpenMP threads (None = all cores): on a busy machine one thread trains
    many times faster than several threads fighting for the same cores.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads, user_api="openmp"):
        return _train(
            frame,
            test_size=test_size,
            calibration_size=calibration_size,
            seed=seed,
            with_reference=with_reference,
            sources=sources,
        )


def _train(
    frame: pd.DataFrame,
    *,
    test_size: float,
    calibration_size: float,
    seed: int,
    with_reference: bool,
    sources: Sequence[Mapping[str, object]],
) -> TrainingResult:
    started = time.perf_counter()
    frame = clean_target(frame)
    if len(frame) < MIN_TRAINING_ROWS:
        raise ValueError(
            f"need at least {MIN_TRAINING_ROWS} stays with a {F.TARGET}; got {len(frame)}"
        )
    fit_rows, cal_rows, test_rows = split_patients(
        frame, test_size=test_size, calibration_size=calibration_size, seed=seed
    )
    fit_frame = frame.iloc[fit_rows].reset_index(drop=True)
    groups = patient_groups(fit_frame)
    point, encodings, vocabularies = fit_point_model(fit_frame, groups=groups)
    y_fit = fit_frame[F.TARGET].to_numpy(int)
    max_target = int(y_fit.max())
    cal_frame = frame.iloc[cal_rows].reset_index(drop=True)
    cal_cols = F.read_columns(cal_frame)
    raw = point.predict(F.encode(cal_cols, encodings=encodings, vocabularies=vocabularies))
    y_cal = np.minimum(cal_frame[F.TARGET].to_numpy(int), max_target)
    edges, survival, interval = calibrate(
        raw, y_cal, max_target=max_target, ratio=tail_ratio(y_fit)
    )
    model = LosModel(
        point=point,
        encodings=encodings,
        vocabularies=vocabularies,
        bin_edges=edges,
        bin_survival=survival,
        bin_interval=interval,
        max_target=max_target,
        training_median=float(np.median(y_fit)),
    )
    seconds = time.perf_counter() - started
    test_frame = frame.iloc[test_rows].reset_index(drop=True)
    figures, _ = score(model, test_frame)
    reference = reference_mae(fit_frame, test_frame) if with_reference and len(test_frame) else None
    model.card = build_card(
        model,
        sources=sources,
        rows={"fit": len(fit_rows), "calibration": len(cal_rows), "test": len(test_rows)},
        figures=figures,
        reference=reference,
        seconds=seconds,
    )
    return TrainingResult(model=model, test=figures, reference_mae=reference, seconds=seconds)


def build_card(
    model: LosModel,
    *,
    sources: Sequence[Mapping[str, object]],
    rows: Mapping[str, int],
    figures: Figures,
    reference: float | None,
    seconds: float,
) -> dict:
    organisation = any(s.get("kind") == "organisation" for s in sources)
    return {
        "model": "hospital length of stay (days) at admission",
        "trained_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "data": "public + organisation history" if organisation else "public only",
        "sources": list(sources),
        "attribution": ATTRIBUTION,
        "licence_of_public_data": "CC BY 4.0",
        "inputs": list(F.ADMISSION_COLUMNS),
        "refused_inputs": sorted(F.LEAKAGE_COLUMNS),
        "features": list(F.FEATURE_NAMES),
        "point_model": {"estimator": "HistGradientBoostingRegressor", **POINT_PARAMS},
        "distribution": "Mondrian split-conformal: stays of calibration patients binned on the "
        "raw point prediction; geometric tail past the longest stay",
        "bins": len(model.bin_edges) + 1,
        "rows": dict(rows),
        "split": "by patient (patient_nbr): fit / calibration / test",
        "test_figures": figures.as_dict(),
        "reference_gbm_mae": None if reference is None else round(reference, 4),
        "training_median_days": model.training_median,
        "training_seconds": round(seconds, 1),
    }


def source_kind(path: str | Path, *, extra: bool) -> dict[str, object]:
    name = Path(str(path)).name
    public = not extra and name.startswith("diabetes130")
    return {"file": name, "kind": "public" if public else "organisation"}
