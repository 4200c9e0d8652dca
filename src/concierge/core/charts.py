"""Plotly charts without inline scripts: the figure travels as JSON, static/core/app.js draws
it, and the same numbers are offered as a table for screen readers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go

PALETTE = [
    "#0d6efd",
    "#20c997",
    "#fd7e14",
    "#6f42c1",
    "#d63384",
    "#198754",
    "#ffc107",
    "#0dcaf0",
    "#6c757d",
    "#dc3545",
]


@dataclass
class Chart:
    """A chart plus its accessible table (headers + rows)."""

    figure: go.Figure
    title: str
    headers: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)

    def figure_json(self) -> str:
        self.figure.update_layout(
            margin={"l": 40, "r": 10, "t": 30, "b": 40},
            height=320,
            paper_bgcolor="rgba(0,0,0,0)",
            plot_bgcolor="rgba(0,0,0,0)",
            colorway=PALETTE,
            font={"family": "system-ui, sans-serif", "size": 12},
            legend={"orientation": "h", "y": -0.2},
        )
        # Long category names (e.g. "Entertainment") must not be clipped by the margin.
        self.figure.update_xaxes(automargin=True)
        self.figure.update_yaxes(automargin=True)
        return json.dumps(self.figure.to_plotly_json(), default=str)
