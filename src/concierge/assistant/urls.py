from django.urls import path

from concierge.assistant import views

app_name = "assistant"
urlpatterns = [
    path("", views.index, name="index"),
]
