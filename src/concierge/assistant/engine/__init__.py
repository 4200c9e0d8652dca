"""The assistant's answer engine: pure Python, no database (see docs/assistant-engine.md)."""

from concierge.assistant.engine.encoders import ENCODERS, EncoderUnavailable, get_encoder
from concierge.assistant.engine.langid import detect_language
from concierge.assistant.engine.model import Engine, Prediction, ThresholdChoice, choose_threshold

__all__ = [
    "ENCODERS",
    "Engine",
    "EncoderUnavailable",
    "Prediction",
    "ThresholdChoice",
    "choose_threshold",
    "detect_language",
    "get_encoder",
]
