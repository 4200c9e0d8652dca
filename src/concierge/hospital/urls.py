from django.urls import path

from concierge.hospital import views

app_name = "hospital"
urlpatterns = [
    path("", views.index, name="index"),
]
