"""Small talk the assistant recognises before asking the engine: asking for a person, thanks,
greetings, good-byes — in English, Hindi (both scripts) and Tamil."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+", re.UNICODE)

HUMAN = [
    "talk to a person",
    "talk to a human",
    "speak to a person",
    "speak to someone",
    "real person",
    "human agent",
    "talk to agent",
    "customer care",
    "representative",
    "live agent",
    "talk to someone",
    "connect me to an agent",
    "human",
    "agent",
    "इंसान से बात",
    "किसी व्यक्ति से बात",
    "एजेंट से बात",
    "एजेंट",
    "ग्राहक सेवा",
    "insaan se baat",
    "kisi se baat",
    "agent se baat",
    "banda se baat",
    "மனிதரிடம் பேச",
    "முகவரிடம் பேச",
    "ஒருவரிடம் பேச",
    "முகவர்",
    "வாடிக்கையாளர் சேவை",
]
THANKS = [
    "thanks",
    "thank you",
    "thank u",
    "thx",
    "ty",
    "cheers",
    "great thanks",
    "धन्यवाद",
    "शुक्रिया",
    "dhanyavad",
    "dhanyawad",
    "shukriya",
    "நன்றி",
    "nandri",
    "romba nandri",
]
GREETINGS = [
    "hi",
    "hello",
    "hey",
    "good morning",
    "good evening",
    "good afternoon",
    "नमस्ते",
    "नमस्कार",
    "namaste",
    "namaskar",
    "வணக்கம்",
    "vanakkam",
]
BYE = [
    "bye",
    "goodbye",
    "that's all",
    "thats all",
    "no more questions",
    "अलविदा",
    "bas itna hi",
    "போதும்",
    "பை",
]


def _normal(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def _matches(text: str, phrases: list[str], *, whole: bool) -> bool:
    norm = _normal(text)
    if not norm:
        return False
    for phrase in phrases:
        p = _normal(phrase)
        if whole:
            if norm == p:
                return True
        elif re.search(rf"(?<!\w){re.escape(p)}(?!\w)", norm):
            return True
    return False


def wants_person(text: str) -> bool:
    return _matches(text, HUMAN, whole=False) and len(text) < 120


def is_thanks(text: str) -> bool:
    return _matches(text, THANKS, whole=True)


def is_greeting(text: str) -> bool:
    return _matches(text, GREETINGS, whole=True)


def is_bye(text: str) -> bool:
    return _matches(text, BYE, whole=True)
