from django import forms
from django.utils.translation import gettext_lazy as _

from concierge.helpdesk.models import (
    Article,
    CannedResponse,
    HelpdeskSettings,
    Holiday,
    KBCategory,
    Priority,
    Queue,
    RoutingRule,
    SLAPolicy,
    Ticket,
    TicketCategory,
    Webhook,
)
from concierge.helpdesk.services import check_business_hours


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


# ===========================================================================================
# Helpdesk settings (managers). ModelForms shape the values; the services validate and save.
# ===========================================================================================
#: ticked boxes side by side (the shared field template draws multi-checkboxes as one input)
CHECKBOXES = "helpdesk/settings/_checkboxes.html"
LANGUAGE_OPTIONS = [("en", "English"), ("hi", "हिन्दी"), ("ta", "தமிழ்")]
WEEKDAYS = [
    ("0", _("Monday")),
    ("1", _("Tuesday")),
    ("2", _("Wednesday")),
    ("3", _("Thursday")),
    ("4", _("Friday")),
    ("5", _("Saturday")),
    ("6", _("Sunday")),
]
WEBHOOK_EVENTS = [
    ("ticket.created", _("Ticket created")),
    ("ticket.replied", _("Reply added")),
    ("ticket.note_added", _("Internal note added")),
    ("ticket.status_changed", _("Status changed")),
    ("ticket.sla_breached", _("SLA target missed")),
]


class _TranslatedNamesMixin:
    """`name_hi` / `name_ta` fields stored in the model's `names` JSON."""

    def _init_names(self) -> None:
        names = self.instance.names or {}
        for code, label in (("hi", _("Name in Hindi")), ("ta", _("Name in Tamil"))):
            self.fields[f"name_{code}"] = forms.CharField(
                label=label, max_length=120, required=False, initial=names.get(code, "")
            )

    def _post_clean(self):
        super()._post_clean()
        names = {
            code: self.cleaned_data.get(f"name_{code}", "").strip()
            for code in ("hi", "ta")
            if self.cleaned_data.get(f"name_{code}", "").strip()
        }
        self.instance.names = names


class QueueForm(forms.ModelForm):
    class Meta:
        model = Queue
        fields = ["name", "assignment", "manager"]
        labels = {"manager": _("Queue manager")}
        help_texts = {
            "assignment": _(
                "How new tickets find an agent: in turn, to whoever has the fewest open "
                "tickets, or by hand."
            ),
            "manager": _("Told about SLA warnings and escalations of this queue."),
        }

    def __init__(self, *args, agents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = agents
        self.fields["manager"].empty_label = _("Nobody")


class QueueMemberForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Agent"), queryset=None)
    languages = forms.MultipleChoiceField(
        label=_("Languages they answer in"),
        choices=LANGUAGE_OPTIONS,
        initial=["en"],
        widget=forms.CheckboxSelectMultiple,
        template_name=CHECKBOXES,
    )
    is_available = forms.BooleanField(label=_("Available for new tickets"), required=False)

    def __init__(self, *args, agents=None, **kwargs):
        super().__init__(*args, **kwargs)
        if agents is None:
            del self.fields["user"]
        else:
            self.fields["user"].queryset = agents


class RoutingRuleForm(forms.ModelForm):
    class Meta:
        model = RoutingRule
        fields = [
            "name",
            "position",
            "category",
            "keywords",
            "language",
            "customer_domain",
            "queue",
            "priority",
            "is_active",
        ]
        labels = {
            "position": _("Order"),
            "category": _("Category"),
            "queue": _("Send to queue"),
            "priority": _("Set priority"),
            "is_active": _("Active"),
        }
        help_texts = {
            "position": _("Rules are tried from the lowest number up; the first match wins."),
            "customer_domain": _("e.g. bigcorp.example"),
            "language": _("Romanised Hindi counts as Hindi."),
        }

    match_all = forms.BooleanField(
        label=_("Match every ticket"),
        required=False,
        help_text=_("For a last, catch-all rule without conditions."),
    )

    def __init__(self, *args, queues=None, categories=None, **kwargs):
        super().__init__(*args, **kwargs)
        rule = self.instance
        self.fields["match_all"].initial = bool(rule.pk) and not (
            rule.category_id or rule.keywords or rule.language or rule.customer_domain
        )
        self.fields["queue"].queryset = queues
        self.fields["category"].queryset = categories
        self.fields["category"].empty_label = _("Any category")
        self.fields["language"].choices = [("", _("Any language")), *LANGUAGE_OPTIONS]
        self.fields["priority"].choices = [("", _("Keep the customer's priority"))] + list(
            Priority.choices
        )

    def clean_customer_domain(self) -> str:
        domain = self.cleaned_data["customer_domain"].strip().lower().lstrip("@")
        if domain and ("." not in domain or " " in domain or "@" in domain):
            raise forms.ValidationError(_("Give a domain such as bigcorp.example."))
        return domain

    def clean(self):
        data = super().clean()
        conditions = ("category", "keywords", "language", "customer_domain")
        # a rule without conditions matches every ticket: allowed, but only on purpose
        if not any(data.get(f) for f in conditions) and not data.get("match_all"):
            raise forms.ValidationError(
                _("Give at least one condition, or tick “Match every ticket” for a catch-all rule.")
            )
        return data


class SLAPolicyForm(forms.ModelForm):
    class Meta:
        model = SLAPolicy
        fields = ["priority", "first_response_minutes", "resolution_minutes", "warn_before_minutes"]
        help_texts = {
            "first_response_minutes": _("Counted in business hours only, e.g. 240 = 4 hours."),
        }

    def clean(self):
        data = super().clean()
        first, resolution = data.get("first_response_minutes"), data.get("resolution_minutes")
        if first is not None and first < 1:
            self.add_error("first_response_minutes", _("Give at least one minute."))
        if first and resolution is not None and resolution < first:
            self.add_error(
                "resolution_minutes", _("Resolution cannot be due before the first response.")
            )
        warn = data.get("warn_before_minutes")
        if warn is not None and first and warn >= first:
            self.add_error(
                "warn_before_minutes", _("The warning must come before the first-response target.")
            )
        return data


class BusinessHoursForm(forms.ModelForm):
    work_days = forms.MultipleChoiceField(
        label=_("Working days"),
        choices=WEEKDAYS,
        widget=forms.CheckboxSelectMultiple,
        template_name=CHECKBOXES,
    )
    max_attachment_mb = forms.IntegerField(
        label=_("Largest attachment (MB)"), min_value=1, max_value=50
    )

    class Meta:
        model = HelpdeskSettings
        fields = [
            "work_start",
            "work_end",
            "pending_reminder_days",
            "auto_close_days",
            "reopen_days",
            "tickets_per_hour_per_customer",
            "tickets_per_hour_per_ip",
        ]
        labels = {
            "pending_reminder_days": _("Remind a waiting customer after (days)"),
            "auto_close_days": _("Close a waiting ticket after (days)"),
            "reopen_days": _("Customers may reopen for (days)"),
            "tickets_per_hour_per_customer": _("Tickets per hour per customer"),
            "tickets_per_hour_per_ip": _("Tickets per hour per network address"),
        }
        widgets = {
            "work_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "work_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["work_days"].initial = sorted(str(d) for d in self.instance.working_weekdays)
        self.fields["max_attachment_mb"].initial = max(
            1, self.instance.max_attachment_bytes // (1024 * 1024)
        )

    def _post_clean(self):
        super()._post_clean()
        if "work_days" in self.cleaned_data:
            self.instance.work_days = ",".join(self.cleaned_data["work_days"])
        if self.cleaned_data.get("max_attachment_mb"):
            self.instance.max_attachment_bytes = self.cleaned_data["max_attachment_mb"] * 1024**2
        try:
            check_business_hours(self.instance)
        except forms.ValidationError as exc:
            # only the fields the form could read: others already carry their own error
            self._update_errors(
                forms.ValidationError(
                    {f: e for f, e in exc.error_dict.items() if f not in self.errors}
                )
            )


class HolidayForm(forms.ModelForm):
    class Meta:
        model = Holiday
        fields = ["day", "name"]
        widgets = {"day": forms.DateInput(attrs={"type": "date"})}


class InboundMailForm(forms.ModelForm):
    """The stored password is never put back into the page: an empty field keeps it."""

    password = forms.CharField(
        label=_("Mailbox password"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    clear_password = forms.BooleanField(label=_("Forget the stored password"), required=False)

    class Meta:
        model = HelpdeskSettings
        fields = [
            "support_address",
            "imap_host",
            "imap_port",
            "imap_user",
            "imap_folder",
            "imap_ssl",
        ]
        labels = {
            "support_address": _("Support address"),
            "imap_host": _("IMAP server"),
            "imap_port": _("Port"),
            "imap_user": _("Mailbox user"),
            "imap_folder": _("Folder"),
            "imap_ssl": _("Use SSL/TLS"),
        }
        help_texts = {
            "support_address": _("Customers write here; mail from it is never ingested again."),
            "imap_host": _("Leave empty to receive mail only through the API or the command."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = (
            _("A password is stored. Leave empty to keep it.")
            if self.instance.imap_password
            else _("No password stored yet.")
        )


class WebhookForm(forms.ModelForm):
    event_names = forms.MultipleChoiceField(
        label=_("Events"),
        choices=WEBHOOK_EVENTS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        template_name=CHECKBOXES,
        help_text=_("None ticked means every event."),
    )

    class Meta:
        model = Webhook
        fields = ["url", "is_active"]
        labels = {"url": _("Address (URL)"), "is_active": _("Active")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        events = {e.strip() for e in (self.instance.events or "*").split(",")}
        self.fields["event_names"].initial = [] if "*" in events else sorted(events)

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("https://", "http://")):
            raise forms.ValidationError(_("Give an http:// or https:// address."))
        return url

    def _post_clean(self):
        super()._post_clean()
        if "event_names" in self.cleaned_data:
            self.instance.events = ",".join(self.cleaned_data["event_names"]) or "*"


class KBCategoryForm(_TranslatedNamesMixin, forms.ModelForm):
    class Meta:
        model = KBCategory
        fields = ["name", "slug", "position"]
        labels = {"position": _("Order")}
        help_texts = {"slug": _("Used in addresses; made from the name when left empty.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self._init_names()


class TicketCategoryForm(_TranslatedNamesMixin, forms.ModelForm):
    class Meta:
        model = TicketCategory
        fields = ["name"]
        labels = {"name": _("Name")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_names()


class CannedResponseForm(forms.ModelForm):
    class Meta:
        model = CannedResponse
        fields = ["title", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}
