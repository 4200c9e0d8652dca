from django.urls import path

from concierge.core import views

urlpatterns = [
    path("mail/", views.dev_mail, name="dev_mail"),
    path("mail/<str:name>", views.dev_mail, name="dev_mail_file"),
]
