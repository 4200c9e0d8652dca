from django import forms
from django.utils.translation import gettext_lazy as _

from concierge.helpdesk.models import Article, Priority, Ticket


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class TicketForm(forms.Form):
    subject = forms.CharField(
        label=_("Subject"),
        max_length=255,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "placeholder": _("e.g. My washing machine will not start"),
            }
        ),
    )
    description = forms.CharField(
        label=_("Describe the problem"), widget=forms.Textarea(attrs={"rows": 5})
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=None, required=False, empty_label=_("Not sure")
    )
    customer_priority = forms.ChoiceField(
        label=_("How urgent is it for you?"), choices=Priority.choices, initial=Priority.NORMAL
    )
    attachments = MultipleFileField(
        label=_("Attachments"), help_text=_("Photos, PDFs or text files; up to 10 MB each.")
    )
    # honeypot: hidden from people, filled by bots
    website = forms.CharField(
        required=False,
        label=_("Leave this empty"),
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, categories=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories


class CustomerReplyForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 4}))
    attachments = MultipleFileField(label=_("Attachments"))


class AgentReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Reply to the customer"), widget=forms.Textarea(attrs={"rows": 5})
    )
    status_after = forms.ChoiceField(
        label=_("Then set the ticket to"),
        choices=[
            (Ticket.Status.PENDING, _("Waiting on customer")),
            (Ticket.Status.OPEN, _("Open")),
            (Ticket.Status.RESOLVED, _("Resolved")),
        ],
        initial=Ticket.Status.PENDING,
    )
    attachments = MultipleFileField(label=_("Attachments"))
    seen_message_id = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Internal note (customers never see it)"), widget=forms.Textarea(attrs={"rows": 3})
    )


class TicketUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Ticket.Status.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    queue = forms.ModelChoiceField(label=_("Queue"), queryset=None, required=False)
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=None, required=False, empty_label=_("Unassigned")
    )
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Comma-separated."))

    def __init__(self, *args, queues=None, agents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["queue"].queryset = queues
        self.fields["assignee"].queryset = agents


class MergeForm(forms.Form):
    target = forms.IntegerField(label=_("Merge into ticket number"), min_value=1)


class ArticleForm(forms.Form):
    slug = forms.SlugField(label=_("Short name (in the address)"), max_length=120, required=False)
    language = forms.ChoiceField(
        label=_("Language of this text"),
        choices=[("en", "English"), ("hi", "हिन्दी"), ("ta", "தமிழ்")],
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Text (Markdown)"), widget=forms.Textarea(attrs={"rows": 12}))
    category = forms.ModelChoiceField(label=_("Category"), queryset=None, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=Article.Status.choices)
    visibility = forms.ChoiceField(label=_("Who can read it"), choices=Article.Visibility.choices)

    def __init__(self, *args, categories=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories


class ReportForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    queue = forms.ModelChoiceField(
        label=_("Queue"), queryset=None, required=False, empty_label=_("All queues")
    )

    def __init__(self, *args, queues=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["queue"].queryset = queues

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("The start date must be before the end date."))
        if data.get("start") and data.get("end") and (data["end"] - data["start"]).days > 366:
            raise forms.ValidationError(_("Choose a period of at most one year."))
        return data
