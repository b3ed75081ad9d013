from django.urls import path

from . import views

app_name = "intervals"

urlpatterns = [
    path("", views.class_list, name="classes"),
    path("class/<str:key>/", views.class_detail, name="class"),
    path("standards/<int:pk>/", views.standard_drift, name="standard"),
]
