from django.contrib import admin, messages

from concierge.notifications import services
from concierge.notifications.models import Notification, OutboxEmail


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "to",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    ]
    list_filter = ["status", "event"]
    search_fields = ["to", "subject"]
    readonly_fields = [f.name for f in OutboxEmail._meta.fields]
    actions = ["retry"]

    @admin.action(description="Retry sending the selected failed e-mails")
    def retry(self, request, queryset):
        count = services.retry_failed(email_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} e-mails queued again.", messages.SUCCESS)

    def get_queryset(self, request):
        # Finance e-mails stay private, even from the admin.
        return super().get_queryset(request).exclude(event__startswith="finance.")

    def has_add_permission(self, request):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "event", "title", "read_at"]
    list_filter = ["event"]

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(event__startswith="finance.")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
