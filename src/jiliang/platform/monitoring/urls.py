from django.urls import path

from . import views

app_name = "monitoring"

urlpatterns = [
    path("", views.run_list, name="runs"),
    path("areas/<str:code>/", views.area_detail, name="area"),
    path("meters/<str:lifetime_id>/", views.meter_detail, name="meter"),
    path("work-orders/", views.work_order_list, name="work_orders"),
    path("fleet/", views.fleet_dashboard, name="fleet"),
]
