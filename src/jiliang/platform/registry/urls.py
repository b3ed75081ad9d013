from django.urls import path

from . import views

app_name = "registry"

urlpatterns = [
    path("<slug:slug>/", views.resource_list, name="list"),
    path("<slug:slug>/new/", views.resource_edit, name="create"),
    path("<slug:slug>/<int:pk>/", views.resource_detail, name="detail"),
    path("<slug:slug>/<int:pk>/edit/", views.resource_edit, name="edit"),
]
