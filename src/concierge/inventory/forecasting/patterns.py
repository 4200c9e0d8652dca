"""Syntetos–Boylan demand classes from the average demand interval (ADI) and CV²."""

from __future__ import annotations

from enum import StrEnum

import numpy as np

ADI_CUTOFF = 1.32  # Syntetos, Boylan & Croston (2005)
CV2_CUTOFF = 0.49


class DemandPattern(StrEnum):
    SMOOTH = "smooth"  # regular timing, regular size
    ERRATIC = "erratic"  # regular timing, sizes vary a lot
    INTERMITTENT = "intermittent"  # many empty periods, sizes steady
    LUMPY = "lumpy"  # many empty periods, sizes vary a lot
    NO_DEMAND = "no_demand"  # nothing sold in the history looked at

    @property
    def is_regular(self) -> bool:
        return self in (DemandPattern.SMOOTH, DemandPattern.ERRATIC)


def adi_cv2(history: np.ndarray) -> tuple[float, float]:
    """ADI = known periods per period with demand; CV² of the non-zero demand sizes.

    Unknown periods (NaN: stock-outs, before the item was listed) are left out.
    """
    y = np.asarray(history, dtype=float)
    y = y[~np.isnan(y)]
    sizes = y[y > 0]
    if sizes.size == 0:
        return float("inf"), float("nan")
    adi = y.size / sizes.size
    mean = sizes.mean()
    cv2 = float(sizes.var() / mean**2) if sizes.size > 1 else 0.0
    return float(adi), cv2


def classify(history: np.ndarray) -> DemandPattern:
    adi, cv2 = adi_cv2(history)
    if not np.isfinite(adi):
        return DemandPattern.NO_DEMAND
    if adi < ADI_CUTOFF:
        return DemandPattern.SMOOTH if cv2 < CV2_CUTOFF else DemandPattern.ERRATIC
    return DemandPattern.INTERMITTENT if cv2 < CV2_CUTOFF else DemandPattern.LUMPY
