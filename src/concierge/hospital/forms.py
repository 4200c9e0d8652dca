from django import forms
from django.utils.translation import gettext_lazy as _

from concierge.hospital.models import Feature, Sex, Urgency, WardKind

SORT_CHOICES = [("free", _("Most free beds")), ("rating", _("Best rated")), ("name", _("Name"))]


class AvailabilityFilterForm(forms.Form):
    """The public dashboard's filters (GET)."""

    city = forms.ChoiceField(label=_("City"), required=False)
    ward_kind = forms.ChoiceField(
        label=_("Bed type"), required=False, choices=[("", _("Any bed type"))] + WardKind.choices
    )
    feature = forms.ChoiceField(
        label=_("Needs"), required=False, choices=[("", _("Any feature"))] + Feature.choices
    )
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args, places=(), **kwargs):
        super().__init__(*args, **kwargs)
        cities = sorted({c for c, _d in places if c})
        districts = sorted({d for c, d in places if d and d != c})
        choices = [("", _("All places"))]
        choices += [(f"city:{c}", c) for c in cities]
        choices += [(f"district:{d}", d) for d in districts]
        self.fields["city"].choices = choices

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        place = data.get("city") or ""
        city = place.split(":", 1)[1] if place.startswith("city:") else ""
        district = place.split(":", 1)[1] if place.startswith("district:") else ""
        return {
            "city": city,
            "district": district,
            "ward_kind": data.get("ward_kind") or "",
            "feature": data.get("feature") or "",
            "sort": data.get("sort") or "free",
        }


class PatientFields(forms.Form):
    patient_name = forms.CharField(label=_("Patient's name"), max_length=120)
    patient_age = forms.IntegerField(label=_("Age"), min_value=0, max_value=120)
    patient_sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices)
    reason = forms.CharField(
        label=_("Reason for admission"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class BookingForm(PatientFields):
    ward_kind = forms.ChoiceField(label=_("Bed type"), choices=WardKind.choices)
    feature = forms.ChoiceField(
        label=_("Needs"), required=False, choices=[("", _("Nothing special"))] + Feature.choices
    )
    urgency = forms.TypedChoiceField(
        label=_("Urgency"), coerce=int, choices=Urgency.choices, initial=Urgency.ROUTINE
    )

    field_order = [
        "ward_kind",
        "feature",
        "urgency",
        "patient_name",
        "patient_age",
        "patient_sex",
        "reason",
    ]


class WalkInForm(PatientFields):
    expected_discharge = forms.DateTimeField(
        label=_("Expected discharge (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Leave empty to use the length-of-stay prediction."),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class TransferForm(forms.Form):
    to_bed = forms.ModelChoiceField(label=_("Move to bed"), queryset=None)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args, beds=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_bed"].queryset = beds
        self.fields["to_bed"].label_from_instance = lambda b: f"{b.ward.name} · {b.label}"


class ExpectedDischargeForm(forms.Form):
    when = forms.DateTimeField(
        label=_("Expected discharge"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Empty: use the model's prediction."),
    )


class ReportForm(forms.Form):
    days = forms.TypedChoiceField(
        label=_("Period"),
        coerce=int,
        required=False,
        choices=[(7, _("7 days")), (30, _("30 days")), (60, _("60 days")), (90, _("90 days"))],
    )
