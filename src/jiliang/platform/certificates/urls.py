from django.urls import path

from . import views

app_name = "certificates"

urlpatterns = [
    path("certificates/<int:pk>/", views.certificate_detail, name="detail"),
    path("certificates/<int:pk>/xml/", views.download_xml, name="xml"),
    path("certificates/<int:pk>/pdf/", views.download_pdf, name="pdf"),
    path("certificates/<int:pk>/<slug:step>/", views.action, name="action"),
    path("certificates/draft/<int:event_pk>/", views.draft, name="draft"),
    path("verify/", views.public_verify, name="verify"),
    path("dcc/<str:number>", views.public_verify, name="verify_number"),
]
