from django.urls import path

from concierge.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("health", views.health, name="health"),
    path("progress/<uuid:pk>/", views.progress, name="progress"),
]
