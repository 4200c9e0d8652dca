"""Fixtures shared by every app's tests."""

import os
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parent


def shared_data_dir() -> Path:
    """`../shared/data` beside the repository (CONCIERGE_SHARED_DATA overrides)."""
    return Path(os.environ.get("CONCIERGE_SHARED_DATA", REPO_DIR.parent / "shared" / "data"))


@pytest.fixture
def shared_data() -> Path:
    path = shared_data_dir()
    if not path.is_dir():
        pytest.fail(f"shared data not found at {path}; set CONCIERGE_SHARED_DATA")
    return path


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and cached aggregates must not leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
