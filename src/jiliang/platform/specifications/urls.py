from django.urls import path

from . import views

app_name = "specifications"

urlpatterns = [
    path("", views.specification_list, name="list"),
    path("<int:pk>/", views.specification_detail, name="detail"),
]
