"""Text clean-up, script detection and romanisation shared by the engine and langid.

Everything here is pure Python (no model, no data) so it is cheap and deterministic:
the same function runs when training and when serving.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

#: Longest message the engine looks at; the rest is ignored (a chat message, not a book).
MAX_CHARS = 1000

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u200e\u200f\ufeff\ufffd]")
_SPACES = re.compile(r"\s+")

DEVANAGARI = "deva"
TAMIL = "taml"
LATIN = "latn"
OTHER = "other"


def clean(text: object) -> str:
    """NFKC, no control characters, collapsed white space, at most MAX_CHARS characters.

    Accepts anything: bytes are decoded as UTF-8 with replacement, other objects are str()-ed.
    Zero-width joiners (used inside Indic words) are kept; other invisible characters go.
    """
    if text is None:
        return ""
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", errors="replace")
    elif not isinstance(text, str):
        text = str(text)
    text = text[: MAX_CHARS * 4]
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub(" ", text)
    # Lone surrogates cannot be encoded anywhere downstream.
    text = text.encode("utf-8", errors="replace").decode("utf-8")
    return _SPACES.sub(" ", text).strip()[:MAX_CHARS]


_DEVANAGARI_RE = re.compile(r"[\u0900-\u097f\ua8e0-\ua8ff]")
_TAMIL_RE = re.compile(r"[\u0b80-\u0bff]")
_LATIN_RE = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
_LETTER_RE = re.compile(r"[^\W\d_]")


def script_counts(text: str) -> dict[str, int]:
    """Letters (and Indic signs) per script: Devanagari, Tamil, Latin and any other."""
    deva = len(_DEVANAGARI_RE.findall(text))
    taml = len(_TAMIL_RE.findall(text))
    latn = len(_LATIN_RE.findall(text))
    letters = len(_LETTER_RE.findall(text))
    # Indic vowel signs are marks, not letters (\w misses some): count the script runs instead.
    other = max(0, letters - latn - len(re.findall(r"[\u0900-\u097f\u0b80-\u0bff]", text)))
    return {DEVANAGARI: deva, TAMIL: taml, LATIN: latn, OTHER: other}


def main_script(text: str) -> str:
    counts = script_counts(text)
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else OTHER


# --- Devanagari -> Latin -------------------------------------------------------------------
# Two spellings per sound: (careful, casual). Chat writers mix both ("gaana"/"gana",
# "mujhe"/"muje" is rare, "hai"/"he"), so training rows are romanised both ways.

_VOWELS = {
    "अ": ("a", "a"),
    "आ": ("aa", "a"),
    "इ": ("i", "i"),
    "ई": ("ee", "i"),
    "उ": ("u", "u"),
    "ऊ": ("oo", "u"),
    "ऋ": ("ri", "ri"),
    "ए": ("e", "e"),
    "ऐ": ("ai", "e"),
    "ओ": ("o", "o"),
    "औ": ("au", "o"),
    "ऑ": ("o", "o"),
    "ऍ": ("e", "e"),
    "ऎ": ("e", "e"),
    "ऒ": ("o", "o"),
}
_MATRAS = {
    "ा": ("aa", "a"),
    "ि": ("i", "i"),
    "ी": ("ee", "i"),
    "ु": ("u", "u"),
    "ू": ("oo", "u"),
    "ृ": ("ri", "ri"),
    "े": ("e", "e"),
    "ै": ("ai", "ai"),
    "ो": ("o", "o"),
    "ौ": ("au", "au"),
    "ॉ": ("o", "o"),
    "ॅ": ("e", "e"),
    "ॆ": ("e", "e"),
    "ॊ": ("o", "o"),
}
_CONSONANTS = {
    "क": ("k", "k"),
    "ख": ("kh", "kh"),
    "ग": ("g", "g"),
    "घ": ("gh", "gh"),
    "ङ": ("n", "n"),
    "च": ("ch", "ch"),
    "छ": ("chh", "ch"),
    "ज": ("j", "j"),
    "झ": ("jh", "jh"),
    "ञ": ("n", "n"),
    "ट": ("t", "t"),
    "ठ": ("th", "th"),
    "ड": ("d", "d"),
    "ढ": ("dh", "dh"),
    "ण": ("n", "n"),
    "त": ("t", "t"),
    "थ": ("th", "th"),
    "द": ("d", "d"),
    "ध": ("dh", "dh"),
    "न": ("n", "n"),
    "ऩ": ("n", "n"),
    "प": ("p", "p"),
    "फ": ("ph", "f"),
    "ब": ("b", "b"),
    "भ": ("bh", "bh"),
    "म": ("m", "m"),
    "य": ("y", "y"),
    "र": ("r", "r"),
    "ऱ": ("r", "r"),
    "ल": ("l", "l"),
    "ळ": ("l", "l"),
    "व": ("v", "w"),
    "श": ("sh", "sh"),
    "ष": ("sh", "sh"),
    "स": ("s", "s"),
    "ह": ("h", "h"),
    "\u0915\u093c": ("q", "k"),
    "\u0916\u093c": ("kh", "kh"),
    "\u0917\u093c": ("g", "g"),
    "\u091c\u093c": ("z", "j"),
    "\u0921\u093c": ("r", "d"),
    "\u0922\u093c": ("rh", "dh"),
    "\u092b\u093c": ("f", "f"),
    "\u092f\u093c": ("y", "y"),
}
_NUKTA_BASE = {c: c + "\u093c" for c in "कखगजडढफय"}
_NUKTA = "\u093c"
_VIRAMA = "्"
_ANUSVARA = "ं"
_CHANDRABINDU = "ँ"
_VISARGA = "ः"
_DIGITS = {chr(0x0966 + i): str(i) for i in range(10)}
_LABIALS = set("पफबभम")


def _tokens(word: str) -> list[list]:
    """Split a Devanagari word into units [kind, char, vowel-or-None, nasal]."""
    units: list[list] = []
    word = unicodedata.normalize("NFC", word)  # precomposed nukta letters -> base + nukta
    i = 0
    while i < len(word):
        ch = word[i]
        if i + 1 < len(word) and word[i + 1] == _NUKTA and ch in _NUKTA_BASE:
            ch = _NUKTA_BASE[ch]
            i += 1
        if ch in _CONSONANTS:
            units.append(["C", ch, "a", ""])
        elif ch in _VOWELS:
            # "लिए" is typed "liye", "आइए" "aaiye": a glide between two vowels.
            if ch in "एऐ" and units and units[-1][0] in "CV" and units[-1][2] in "इईिी":
                units.append(["X", "y", None, ""])
            units.append(["V", ch, ch, ""])
        elif ch in _MATRAS and units and units[-1][0] == "C":
            units[-1][2] = ch
        elif ch == _VIRAMA and units and units[-1][0] == "C":
            units[-1][2] = None
        elif ch in (_ANUSVARA, _CHANDRABINDU) and units:
            units[-1][3] = "n"
        elif ch == _VISARGA and units:
            units[-1][3] = "h"
        elif ch == _NUKTA or ch == "\u200d" or ch == "\u200c":
            pass
        else:
            units.append(["X", _DIGITS.get(ch, ch), None, ""])
        i += 1
    return units


def _delete_schwas(units: list[list]) -> None:
    """Hindi drops the inherent 'a' at a word end and in V C a C V (right to left)."""
    letters = [u for u in units if u[0] in "CV"]
    if len(letters) >= 2 and letters[-1][0] == "C" and letters[-1][2] == "a" and not letters[-1][3]:
        letters[-1][2] = None
    for k in range(len(letters) - 2, 0, -1):
        u = letters[k]
        if u[0] != "C" or u[2] != "a" or u[3]:
            continue
        prev, nxt = letters[k - 1], letters[k + 1]
        prev_has_vowel = prev[0] == "V" or prev[2] is not None
        next_has_vowel = nxt[0] == "C" and nxt[2] is not None
        if prev_has_vowel and next_has_vowel:
            u[2] = None


def romanise_hindi(text: str, *, casual: bool = False) -> str:
    """Romanise Devanagari the way people type Hindi in chat ("mujhe alarm lagao").

    Latin characters, digits and punctuation pass through unchanged.
    """
    pick = 1 if casual else 0
    out: list[str] = []
    for word in re.split(r"(\s+)", text):
        if not any(0x0900 <= ord(c) <= 0x097F for c in word):
            out.append(word)
            continue
        units = _tokens(word)
        _delete_schwas(units)
        parts: list[str] = []
        for n, (kind, ch, vowel, nasal) in enumerate(units):
            if kind == "C":
                parts.append(_CONSONANTS[ch][pick])
                if vowel == "a":
                    parts.append("a")
                elif vowel:
                    parts.append(_MATRAS[vowel][pick])
            elif kind == "V":
                parts.append(_VOWELS[ch][pick])
            else:
                parts.append(ch)
            if nasal == "n":
                nxt = units[n + 1][1] if n + 1 < len(units) else ""
                parts.append("m" if nxt in _LABIALS else "n")
            elif nasal:
                parts.append(nasal)
        out.append("".join(parts))
    return "".join(out)


# --- Tamil -> Latin (rough; gives English loan words a chance: "அலாரம்" -> "alaram") --------

_TA_VOWELS = {
    "அ": "a",
    "ஆ": "aa",
    "இ": "i",
    "ஈ": "ii",
    "உ": "u",
    "ஊ": "uu",
    "எ": "e",
    "ஏ": "ee",
    "ஐ": "ai",
    "ஒ": "o",
    "ஓ": "oo",
    "ஔ": "au",
}
_TA_SIGNS = {
    "ா": "aa",
    "ி": "i",
    "ீ": "ii",
    "ு": "u",
    "ூ": "uu",
    "ெ": "e",
    "ே": "ee",
    "ை": "ai",
    "ொ": "o",
    "ோ": "oo",
    "ௌ": "au",
}
_TA_CONS = {
    "க": "k",
    "ங": "ng",
    "ச": "s",
    "ஞ": "nj",
    "ட": "t",
    "ண": "n",
    "த": "th",
    "ந": "n",
    "ப": "p",
    "ம": "m",
    "ய": "y",
    "ர": "r",
    "ல": "l",
    "வ": "v",
    "ழ": "zh",
    "ள": "l",
    "ற": "r",
    "ன": "n",
    "ஜ": "j",
    "ஷ": "sh",
    "ஸ": "s",
    "ஹ": "h",
}
_TA_PULLI = "்"


def romanise_tamil(text: str) -> str:
    out: list[str] = []
    pending = False  # a consonant waiting for its vowel
    for ch in text:
        if ch in _TA_CONS:
            if pending:
                out.append("a")
            out.append(_TA_CONS[ch])
            pending = True
        elif ch in _TA_SIGNS and pending:
            out.append(_TA_SIGNS[ch])
            pending = False
        elif ch == _TA_PULLI and pending:
            pending = False
        else:
            if pending:
                out.append("a")
                pending = False
            out.append(_TA_VOWELS.get(ch, ch))
    if pending:
        out.append("a")
    return "".join(out)


# --- Latin "sound skeleton" ----------------------------------------------------------------
# Romanised Hindi has no standard spelling: "karein/karen/kare", "gaana/gana", "mujhe/mujhey",
# "kya/kia". Mapping every spelling to a rough sound skeleton lets char n-grams match them.

_SKELETON_RULES = [
    (re.compile(r"[^a-z0-9]+"), " "),
    (re.compile(r"(?<=[a-z])h(?=[a-z])|(?<=[bcdgjkpstr])h\b"), ""),  # kh->k, bh->b, jhe->je
    (re.compile(r"ey\b|ay\b"), "e"),
    (re.compile(r"ai|ei|ae"), "e"),
    (re.compile(r"au|ou"), "o"),
    (re.compile(r"ee|ii|ie\b|y\b"), "i"),
    (re.compile(r"oo|uu"), "u"),
    (re.compile(r"w"), "v"),
    (re.compile(r"z"), "j"),
    (re.compile(r"q|ck"), "k"),
    (re.compile(r"ph"), "f"),
    (re.compile(r"([a-z])\1+"), r"\1"),
    (re.compile(r"(?<=[aeiou])n\b"), ""),  # mein/me, karein/kare, hain/hai
]


def skeleton(text: str) -> str:
    """Rough sound skeleton of Latin text (lower-cased); other scripts pass through."""
    text = text.lower()
    if not any("a" <= c <= "z" for c in text):
        return text
    return " ".join(filter(None, (_word_skeleton(w) for w in text.split())))


@lru_cache(maxsize=200_000)
def _word_skeleton(word: str) -> str:
    kept: list[str] = []
    # Only touch Latin runs so Devanagari/Tamil characters survive.
    for chunk in re.split(r"([^\x00-\x7f]+)", word):
        if chunk and ord(chunk[0]) > 0x7F:
            kept.append(chunk)
            continue
        for pattern, repl in _SKELETON_RULES:
            chunk = pattern.sub(repl, chunk)
        kept.append(chunk)
    return _SPACES.sub(" ", " ".join(kept)).strip()
