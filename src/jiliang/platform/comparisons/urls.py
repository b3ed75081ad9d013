from django.urls import path

from . import views

app_name = "comparisons"

urlpatterns = [
    path("", views.campaign_list, name="campaigns"),
    path("<str:code>/", views.campaign_detail, name="campaign"),
]
