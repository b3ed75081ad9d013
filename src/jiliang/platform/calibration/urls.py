from django.urls import path

from . import views

app_name = "calibration"

urlpatterns = [
    path("", views.budget_list, name="budgets"),
    path("new/", views.budget_create, name="budget_new"),
    path("<int:pk>/", views.budget_detail, name="budget"),
]
