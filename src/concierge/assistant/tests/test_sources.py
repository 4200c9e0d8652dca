"""The seams: a finance answer for the signed-in user first, and optional machine translation."""

from concierge.accounts.models import Role
from concierge.assistant import services, sources, translators
from concierge.assistant.tests.factories import member


def test_money_question_answered_for_the_signed_in_user_only(trained_org, monkeypatch):
    asked = []

    def fake(*, user, text, language):
        asked.append(user)
        return f"You spent ₹1,200 on food this month ({language})."

    monkeypatch.setattr(
        sources, "_optional", lambda module, name: fake if name == "answer_money_question" else None
    )
    customer = member(trained_org, Role.CUSTOMER)
    ans = services.compose_answer(
        organisation=trained_org, text="how much did i spend on food", language="en", user=customer
    )
    assert ans.kind == "money" and "₹1,200" in ans.text
    assert asked == [customer]
    anonymous = services.compose_answer(
        organisation=trained_org, text="how much did i spend on food", language="en"
    )
    assert anonymous.kind != "money" and asked == [customer]


class FakeTranslator:
    def translate(self, text, *, source, target):
        return f"[{target}] {text}"


def test_machine_translation_fills_a_missing_translation(trained_org, settings):
    settings.ASSISTANT_TRANSLATOR = "concierge.assistant.tests.test_sources.FakeTranslator"
    translators.get_translator.cache_clear()
    try:
        ans = services.compose_answer(
            organisation=trained_org, text="யுபிஐ மூலம் பணம் செலுத்தலாமா", language="ta"
        )
    finally:
        translators.get_translator.cache_clear()
    assert ans.kind == "answer" and ans.text.startswith("[ta] We accept UPI")
    assert ans.answer_language == "ta" and ans.note


def test_no_translator_by_default(settings):
    translators.get_translator.cache_clear()
    assert translators.machine_translate("hello", source="en", target="ta") is None
