"""The engine the bot serves: trained from FAQ entries, threshold chosen on held-out data,
stored as a file, answering in the visitor's language, abstaining when it does not know."""

from pathlib import Path

from concierge.assistant import knowledge, services
from concierge.assistant.models import AssistantSettings, MissingTranslation
from concierge.assistant.tests.factories import faq


def test_rebuild_chooses_threshold_on_held_out_questions(trained_org, settings):
    s = AssistantSettings.objects.get(organisation=trained_org)
    report = s.validation
    assert report["folds"] == 3
    assert report["val_questions"] > 0 and report["val_out_of_scope"] > 0
    assert 0.0 < s.threshold < 1.0
    assert report["val_oos_recall"] >= 0.85
    path = Path(settings.MEDIA_ROOT) / "assistant" / "engines" / s.engine_file
    assert path.is_file()
    knowledge.forget(trained_org.pk)  # a fresh process loads it from the file
    engine = knowledge.load(
        organisation_id=trained_org.pk, version=s.engine_version, filename=s.engine_file
    )
    assert engine.threshold == s.threshold


def test_answers_each_language_from_its_own_translation(trained_org):
    cases = [
        ("when will my order arrive", "delivery", "Track your order"),
        ("मेरा पार्सल कब आएगा", "delivery", "डिलीवरी"),
        ("என் பார்சல் எப்போது வரும்", "delivery", "டெலிவரி"),
        ("can i get a refund", "returns", "30 days"),
    ]
    for text, slug, expected in cases:
        ans = services.compose_answer(organisation=trained_org, text=text, language="en")
        assert ans.kind == "answer", text
        assert ans.faq_entry.slug == slug
        assert expected in ans.text


def test_out_of_scope_question_is_not_answered(trained_org):
    ans = services.compose_answer(
        organisation=trained_org, text="tell me a joke about cats", language="en"
    )
    assert ans.kind == "unsure"
    assert ans.faq_entry is None


def test_missing_translation_falls_back_and_is_recorded(trained_org):
    conv = services.start_conversation(organisation=trained_org, language="ta")
    out = services.visitor_says(conversation=conv, text="யுபிஐ மூலம் பணம் செலுத்தலாமா கார்டு")
    answer = out[-1]
    assert answer.faq_entry.slug == "payment"
    assert answer.language == "en"  # no Tamil text: the organisation's language
    assert "UPI" in answer.text
    assert answer.extra["note"]  # said so, in Tamil
    assert MissingTranslation.objects.get(faq_entry=answer.faq_entry, language="ta").times == 1


def test_rebuild_is_skipped_when_nothing_changed(trained_org):
    assert services.rebuild_engine(organisation_id=trained_org.pk) == {"skipped": True}


def test_new_entry_is_learnt_after_rebuild(trained_org, org_admin):
    services.save_faq_entry(
        user=org_admin,
        organisation=trained_org,
        slug="gift-cards",
        translations={"en": ("Do you sell gift cards?", "Yes, from ₹500 in every store.")},
        paraphrases={"en": ["gift voucher", "buy a gift card for a friend", "gift card price"]},
    )
    # tests run tasks at once (ImmediateBackend): the rebuild already happened on commit
    services.rebuild_engine(organisation_id=trained_org.pk)
    ans = services.compose_answer(
        organisation=trained_org, text="do you sell gift cards", language="en"
    )
    assert ans.faq_entry is not None and ans.faq_entry.slug == "gift-cards"


def test_one_answer_is_not_enough_to_train(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from concierge.assistant.tests.factories import OrganisationFactory

    org = OrganisationFactory()
    faq(org, "only", {"en": "Only question"}, {"en": "Only answer"})
    report = services.rebuild_engine(organisation_id=org.pk, force=True)
    assert report["reason"]
    ans = services.compose_answer(organisation=org, text="Only question", language="en")
    assert ans.kind == "unsure"
