"""Every string in every Concierge template is translated into Hindi and Tamil."""

import ast
import re
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation.template import templatize

SOURCE = Path(__file__).resolve().parents[2]
LITERAL = r"u?'(?:[^'\\]|\\.)*'|u?\"(?:[^\"\\]|\\.)*\""
CALL = re.compile(
    rf"\b(gettext|ngettext|pgettext|npgettext)\(\s*({LITERAL})(?:\s*,\s*({LITERAL}))?"
)
# Brand names and codes read the same in every language.
SAME_EVERYWHERE = {
    "API",
    "Concierge",
    "CSV",
    "PDF",
    "JSON",
    "OK",
    "SKU",
    "GTIN",
    "ID",
    "IP",
    "HL7",
    "UPI",
    "CSAT",
    "SLA",
    "ICU",
    "HDU",
    "FAQ",
    "URL",
    "QR",
    "E-mail",
}


def template_messages() -> set[tuple[str | None, str]]:
    messages: set[tuple[str | None, str]] = set()
    for path in SOURCE.rglob("templates/**/*.html"):
        if "/tests/" in str(path):
            continue
        for func, first, second in CALL.findall(templatize(path.read_text(), origin=str(path))):
            a = ast.literal_eval(first.lstrip("u"))
            if func.startswith(("pgettext", "npgettext")) and second:
                messages.add((a, ast.literal_eval(second.lstrip("u"))))
            else:
                messages.add((None, a))
    return messages


MESSAGES = sorted(template_messages(), key=lambda m: (m[0] or "", m[1]))


def test_templates_have_strings_to_check():
    assert len(MESSAGES) > 100


@pytest.mark.parametrize("language", ["hi", "ta"])
def test_every_template_string_is_translated(language):
    untranslated = []
    with translation.override(language):
        for context, message in MESSAGES:
            if not re.search(r"[A-Za-z]{2}", message) or message in SAME_EVERYWHERE:
                continue
            done = (
                translation.pgettext(context, message) if context else translation.gettext(message)
            )
            if done == message:
                untranslated.append(message)
    assert not untranslated, (
        f"{len(untranslated)} strings lack a {language} translation: "
        + "; ".join(repr(m) for m in untranslated[:25])
    )
