from django.urls import path

from concierge.inventory import views

app_name = "inventory"
urlpatterns = [
    path("", views.index, name="index"),
]
