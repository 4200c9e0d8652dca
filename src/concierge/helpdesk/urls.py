from django.urls import path

from concierge.helpdesk import views

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
]
