from django.urls import path

from concierge.helpdesk import settings_views, views

app_name = "helpdesk"
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:org>/kb/", views.kb_home, name="kb_home"),
    path("<slug:org>/kb/search/", views.kb_search, name="kb_search"),
    path("<slug:org>/kb/manage/", views.kb_manage, name="kb_manage"),
    path("<slug:org>/kb/manage/new/", views.kb_edit, name="kb_new"),
    path("<slug:org>/kb/manage/<int:pk>/", views.kb_edit, name="kb_edit"),
    path("<slug:org>/kb/<slug:slug>/", views.kb_article, name="kb_article"),
    path("<slug:org>/kb/<slug:slug>/vote/", views.kb_vote, name="kb_vote"),
    path("<slug:org>/tickets/", views.tickets, name="tickets"),
    path("<slug:org>/tickets/new/", views.ticket_new, name="ticket_new"),
    path("<slug:org>/tickets/suggest/", views.ticket_suggest, name="ticket_suggest"),
    path("<slug:org>/tickets/deflect/", views.deflect, name="deflect"),
    path("<slug:org>/tickets/bulk/", views.bulk, name="bulk"),
    path("<slug:org>/tickets/views/", views.save_view, name="save_view"),
    path("<slug:org>/tickets/<int:number>/", views.ticket_detail, name="ticket"),
    path("<slug:org>/tickets/<int:number>/reply/", views.ticket_reply, name="ticket_reply"),
    path("<slug:org>/tickets/<int:number>/note/", views.ticket_note, name="ticket_note"),
    path("<slug:org>/tickets/<int:number>/update/", views.ticket_update, name="ticket_update"),
    path("<slug:org>/tickets/<int:number>/close/", views.ticket_close, name="ticket_close"),
    path("<slug:org>/tickets/<int:number>/reopen/", views.ticket_reopen, name="ticket_reopen"),
    path("<slug:org>/tickets/<int:number>/merge/", views.ticket_merge, name="ticket_merge"),
    path("<slug:org>/tickets/<int:number>/spam/", views.ticket_spam, name="ticket_spam"),
    path("<slug:org>/held/<int:pk>/", views.held_reply, name="held_reply"),
    path("<slug:org>/load/", views.load, name="load"),
    path("<slug:org>/availability/", views.availability, name="availability"),
    path("<slug:org>/reports/", views.reports, name="reports"),
    # helpdesk settings (managers and admins)
    path("<slug:org>/settings/", settings_views.settings_home, name="settings"),
    path("<slug:org>/settings/hours/", settings_views.settings_hours, name="settings_hours"),
    path("<slug:org>/settings/mail/", settings_views.settings_mail, name="settings_mail"),
    path(
        "<slug:org>/settings/mail/token/",
        settings_views.settings_mail_token,
        name="settings_mail_token",
    ),
    path(
        "<slug:org>/settings/queues/<int:pk>/members/",
        settings_views.queue_member_add,
        name="queue_member_add",
    ),
    path(
        "<slug:org>/settings/queues/<int:pk>/members/<int:member_pk>/",
        settings_views.queue_member_update,
        name="queue_member_update",
    ),
    path(
        "<slug:org>/settings/queues/<int:pk>/members/<int:member_pk>/remove/",
        settings_views.queue_member_remove,
        name="queue_member_remove",
    ),
    path(
        "<slug:org>/settings/webhooks/<int:pk>/secret/",
        settings_views.webhook_secret,
        name="webhook_secret",
    ),
    path(
        "<slug:org>/settings/webhooks/<int:pk>/deliveries/<int:delivery_pk>/retry/",
        settings_views.webhook_retry,
        name="webhook_retry",
    ),
    path("<slug:org>/settings/<slug:section>/", settings_views.setting_list, name="setting_list"),
    path(
        "<slug:org>/settings/<slug:section>/new/", settings_views.setting_edit, name="setting_new"
    ),
    path(
        "<slug:org>/settings/<slug:section>/<int:pk>/",
        settings_views.setting_edit,
        name="setting_edit",
    ),
    path(
        "<slug:org>/settings/<slug:section>/<int:pk>/delete/",
        settings_views.setting_delete,
        name="setting_delete",
    ),
]
