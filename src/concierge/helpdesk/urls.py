from django.urls import path

from concierge.helpdesk import views

app_name = "helpdesk"
urlpatterns = [
    path("", views.index, name="index"),
]
