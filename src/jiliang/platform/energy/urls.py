from django.urls import path

from . import views

app_name = "energy"

urlpatterns = [
    path("", views.unit_list, name="list"),
    path("<int:pk>/", views.unit_detail, name="detail"),
    path("gaps/", views.gap_list, name="gaps"),
    path("surveys/<int:pk>/check/", views.check, name="check"),
]
