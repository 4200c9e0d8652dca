from django.urls import path

from concierge.hospital import views

app_name = "hospital"
urlpatterns = [
    path("", views.index, name="index"),
    path("h/<slug:slug>/", views.hospital_detail, name="hospital"),
    path("h/<slug:slug>/book/", views.book, name="book"),
    path("bookings/", views.my_bookings, name="my_bookings"),
    path("bookings/<int:pk>/", views.booking_detail, name="booking"),
    path("bookings/<int:pk>/<slug:action>/", views.booking_action, name="booking_action"),
    path("stays/<int:pk>/", views.stay_detail, name="stay"),
    path("stays/<int:pk>/<slug:action>/", views.stay_action, name="stay_action"),
    path("manage/", views.manage_home, name="manage_home"),
    path("manage/<slug:slug>/", views.manage, name="manage"),
    path("manage/<slug:slug>/reports/", views.reports, name="reports"),
    path("manage/<slug:slug>/model/", views.model_card, name="model_card"),
    path(
        "manage/<slug:slug>/reviews/<int:rating_id>/<slug:action>/",
        views.moderate_review,
        name="moderate_review",
    ),
    path("wards/<int:pk>/", views.ward_board, name="ward"),
    path("beds/<int:pk>/admit/", views.admit_walk_in, name="admit"),
    path("beds/<int:pk>/<slug:action>/", views.bed_action, name="bed_action"),
]
