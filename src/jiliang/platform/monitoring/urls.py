from django.urls import path

from . import views

app_name = "monitoring"

urlpatterns = [
    path("", views.run_list, name="runs"),
    path("areas/<str:code>/", views.area_detail, name="area"),
]
