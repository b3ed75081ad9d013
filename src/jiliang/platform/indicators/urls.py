from django.urls import path

from . import views

app_name = "indicators"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("snapshot/", views.snapshot, name="snapshot"),
    path("records/<str:key>/", views.records, name="records"),
    path("evidence/<int:pk>/", views.evidence, name="evidence"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/<int:pk>/evidence/", views.task_evidence, name="task_evidence"),
]
