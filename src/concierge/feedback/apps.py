from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "concierge.feedback"
    label = "feedback"
    verbose_name = "Feedback"
    default_auto_field = "django.db.models.BigAutoField"
