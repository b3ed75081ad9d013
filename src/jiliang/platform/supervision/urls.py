from django.urls import path

from . import views

app_name = "supervision"

urlpatterns = [
    path("v/<str:uuid>/", views.scan, name="scan"),
    path("s/", views.portal, name="portal"),
    path("s/commitment/", views.self_commitment, name="self_commitment"),
    path("s/filings/new/", views.filing_new, name="filing_new"),
    path("s/filings/<int:pk>/", views.filing_detail, name="filing"),
    path("s/filings/<int:pk>/assign/", views.filing_assign, name="filing_assign"),
    path("s/filings/<int:pk>/verify/", views.filing_verify, name="filing_verify"),
    path("s/assigned/", views.assigned, name="assigned"),
    path("s/import/", views.filing_import, name="import"),
    path("s/due/", views.due_lists, name="due"),
    path("s/notifications/", views.notifications, name="notifications"),
    path("s/dashboard/", views.dashboard, name="dashboard"),
    path("s/dashboard/data/", views.dashboard_data, name="dashboard_data"),
    path("s/labels.pdf", views.labels_pdf, name="labels"),
    path("s/draws/", views.draw_list, name="draws"),
    path("s/draws/new/", views.draw_new, name="draw_new"),
    path("s/draws/<int:pk>/", views.draw_detail, name="draw"),
    path("s/draws/<int:pk>.json", views.draw_json, name="draw_json"),
    path("s/prepackaged/", views.inspections, name="inspections"),
    path("s/prepackaged/<int:pk>/", views.inspection_report, name="inspection"),
    path("s/credit/", views.credit_list, name="credit"),
    path("s/credit/<str:code>/", views.credit_detail, name="credit_detail"),
    path("s/commitments/", views.commitments, name="commitments"),
]
