from concierge.assistant import services


def test_answers_in_the_visitors_language(trained_org):
    conv = services.start_conversation(organisation=trained_org, language="en")
    out = services.visitor_says(conversation=conv, text="என் பார்சல் எப்போது வரும்?")
    print([(m.sender, m.text, m.confidence) for m in out])
    assert out[-1].faq_entry.slug == "delivery"
    assert "டெலிவரி" in out[-1].text
