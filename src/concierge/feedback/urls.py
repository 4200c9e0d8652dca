from django.urls import path

from concierge.feedback import views

app_name = "feedback"
urlpatterns = [
    path("rate/<int:content_type_id>/<str:object_id>/", views.rate, name="rate"),
    path("app/", views.app_feedback, name="app"),
]
