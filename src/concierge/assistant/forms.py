from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from concierge.assistant.models import AssistantSettings, FAQEntry


class FAQForm(forms.Form):
    """One FAQ entry: a question, an answer and paraphrases for each language."""

    slug = forms.SlugField(
        label=_("Short name"),
        max_length=80,
        required=False,
        help_text=_("Left empty, it is made from the first question."),
    )
    link_url = forms.CharField(
        label=_("Link"),
        max_length=300,
        required=False,
        help_text=_("An article or page the answer points to."),
    )
    link_title = forms.CharField(label=_("Link title"), max_length=200, required=False)
    article_id = forms.IntegerField(
        label=_("Knowledge-base article number"), required=False, min_value=1
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, entry: FAQEntry | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.languages = [code for code, _name in settings.LANGUAGES]
        names = dict(settings.LANGUAGES)
        for code in self.languages:
            self.fields[f"question_{code}"] = forms.CharField(
                label=_("Question (%(lang)s)") % {"lang": names[code]},
                max_length=300,
                required=False,
            )
            self.fields[f"answer_{code}"] = forms.CharField(
                label=_("Answer (%(lang)s)") % {"lang": names[code]},
                max_length=4000,
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
            self.fields[f"paraphrases_{code}"] = forms.CharField(
                label=_("Other ways to ask (%(lang)s)") % {"lang": names[code]},
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=_("One per line."),
            )
        if entry is not None and not self.is_bound:
            self.initial.update(
                slug=entry.slug,
                link_url=entry.link_url,
                link_title=entry.link_title,
                article_id=entry.article_id,
                is_active=entry.is_active,
            )
            for t in entry.translations.all():
                self.initial[f"question_{t.language}"] = t.question
                self.initial[f"answer_{t.language}"] = t.answer
            paras: dict[str, list[str]] = {}
            for p in entry.paraphrases.all():
                paras.setdefault(p.language, []).append(p.text)
            for code, texts in paras.items():
                self.initial[f"paraphrases_{code}"] = "\n".join(texts)

    def clean(self):
        data = super().clean()
        for code in self.languages:
            q, a = data.get(f"question_{code}"), data.get(f"answer_{code}")
            if bool(q) != bool(a):
                self.add_error(
                    f"answer_{code}" if q else f"question_{code}",
                    _("Give both the question and the answer in this language."),
                )
        return data

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {
            "slug": d["slug"],
            "link_url": d["link_url"],
            "link_title": d["link_title"],
            "article_id": d["article_id"],
            "is_active": d["is_active"],
            "translations": {
                c: (d[f"question_{c}"], d[f"answer_{c}"])
                for c in self.languages
                if d.get(f"question_{c}")
            },
            "paraphrases": {
                c: d[f"paraphrases_{c}"].splitlines()
                for c in self.languages
                if d.get(f"paraphrases_{c}")
            },
        }

    def language_rows(self):
        return [
            (code, self[f"question_{code}"], self[f"answer_{code}"], self[f"paraphrases_{code}"])
            for code in self.languages
        ]


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: slug, language, question, answer, paraphrases "
            "(separated by |), article_id, link_url. At most 2 MB."
        ),
    )


class PreviewForm(forms.Form):
    text = forms.CharField(label=_("Question"), max_length=2000)
    language = forms.ChoiceField(label=_("Chat language"), choices=settings.LANGUAGES)


class TeachForm(forms.Form):
    ids = forms.CharField(widget=forms.HiddenInput)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    question = forms.CharField(label=_("Question"), max_length=300)
    answer = forms.CharField(
        label=_("Answer"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_ids(self):
        try:
            return [int(x) for x in self.cleaned_data["ids"].split(",") if x.strip()]
        except ValueError as exc:
            raise forms.ValidationError(_("Invalid selection.")) from exc


class SettingsForm(forms.ModelForm):
    class Meta:
        model = AssistantSettings
        fields = ["is_enabled", "languages", "allowed_origins", "handoff_timeout_minutes"]
        widgets = {"allowed_origins": forms.Textarea(attrs={"rows": 3})}


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("Message"), max_length=2000)


class SeatForm(forms.Form):
    """Give a member a chat seat, in the languages they chat in."""

    member = forms.ModelChoiceField(
        label=_("Agent"),
        queryset=None,
        empty_label=None,
        help_text=_("Agents, staff, managers and admins of the organisation without a seat."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Chats in"),
        choices=settings.LANGUAGES,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        initial=["en"],
    )

    def __init__(self, *args, candidates, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = candidates
        self.fields["member"].label_from_instance = lambda u: f"{u.name} <{u.email}>"
