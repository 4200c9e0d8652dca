from django import forms

from concierge.core.templatetags.concierge import field_classes


class SampleForm(forms.Form):
    name = forms.CharField()
    agree = forms.BooleanField()
    colour = forms.ChoiceField(choices=[("r", "Red")])
    sizes = forms.MultipleChoiceField(
        choices=[("s", "S"), ("m", "M")], widget=forms.CheckboxSelectMultiple
    )
    kind = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect)


def test_each_widget_gets_its_bootstrap_class():
    form = SampleForm()
    assert field_classes(form["name"]) == "form-control"
    assert field_classes(form["agree"]) == "form-check-input"
    assert field_classes(form["colour"]) == "form-select"
    # Lists of checkboxes or radios style each box, never as one text input.
    assert field_classes(form["sizes"]) == "form-check-input"
    assert field_classes(form["kind"]) == "form-check-input"


def test_shared_field_template_draws_one_box_per_choice():
    form = SampleForm(data={"sizes": ["m"], "kind": "a"})
    sizes = str(form["sizes"].as_field_group())
    assert sizes.count('type="checkbox"') == 2
    assert sizes.count("checked") == 1
    assert "<legend" in sizes and "form-control" not in sizes
    assert sizes.count("form-check-input") == 2
    kind = str(form["kind"].as_field_group())
    assert kind.count('type="radio"') == 1 and "form-check-input" in kind
    assert 'type="checkbox"' in str(form["agree"].as_field_group())
