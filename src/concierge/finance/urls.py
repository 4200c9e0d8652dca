from django.urls import path

from concierge.finance import views

app_name = "finance"
urlpatterns = [
    path("", views.index, name="index"),
]
