from django.urls import path

from concierge.assistant import views

app_name = "assistant"
urlpatterns = [
    path("", views.index, name="index"),
    # the chat, as a page (htmx) and as the widget's HTTP fallback (JSON + CORS)
    path("chat/<slug:slug>/", views.chat_page, name="chat"),
    path("chat/<slug:slug>/say/", views.chat_say, name="chat_say"),
    path("chat/<slug:slug>/poll/", views.chat_poll, name="chat_poll"),
    path("w/<slug:slug>/start", views.widget_start, name="widget_start"),
    path("w/<slug:slug>/send", views.widget_send, name="widget_send"),
    path("w/<slug:slug>/poll", views.widget_poll, name="widget_poll"),
    path("w/<slug:slug>/action", views.widget_action, name="widget_action"),
    # agents
    path("console/<slug:slug>/", views.console, name="console"),
    path("console/<slug:slug>/queue/", views.console_queue, name="console_queue"),
    path("console/<slug:slug>/status/", views.console_status, name="console_status"),
    path("console/<slug:slug>/chat/<int:pk>/", views.console_chat, name="console_chat"),
    path("console/<slug:slug>/chat/<int:pk>/act/", views.console_act, name="console_act"),
    path("console/<slug:slug>/chat/<int:pk>/poll/", views.console_poll, name="console_poll"),
    # organisation managers
    path("manage/<slug:slug>/faq/", views.faq_list, name="faq_list"),
    path("manage/<slug:slug>/faq/new/", views.faq_edit, name="faq_new"),
    path("manage/<slug:slug>/faq/<int:pk>/", views.faq_edit, name="faq_edit"),
    path("manage/<slug:slug>/faq/<int:pk>/delete/", views.faq_delete, name="faq_delete"),
    path("manage/<slug:slug>/faq/import/", views.faq_import, name="faq_import"),
    path("manage/<slug:slug>/faq/export/", views.faq_export, name="faq_export"),
    path("manage/<slug:slug>/preview/", views.preview, name="preview"),
    path("manage/<slug:slug>/inbox/", views.inbox, name="inbox"),
    path("manage/<slug:slug>/inbox/teach/", views.inbox_teach, name="inbox_teach"),
    path("manage/<slug:slug>/analytics/", views.analytics, name="analytics"),
    path("manage/<slug:slug>/settings/", views.settings_page, name="settings"),
    path("manage/<slug:slug>/seats/", views.seats, name="seats"),
    path("manage/<slug:slug>/seats/<int:pk>/", views.seat_act, name="seat_act"),
]
