from django.urls import path

from . import views

app_name = "traceability"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("kcdb/", views.kcdb_upload, name="kcdb"),
]
