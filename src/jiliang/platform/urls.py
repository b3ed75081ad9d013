"""Root URL configuration."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from jiliang.platform.api import api
from jiliang.platform.common.apps import platform_apps
from jiliang.platform.registry import views as registry_views


def healthz(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("", registry_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Choosing the display language is the only thing this form does, so a forged request gains
    # an attacker nothing; without a CSRF token every public page is one page for all visitors.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("r/", include("jiliang.platform.registry.urls")),
    path("", include("jiliang.platform.supervision.urls")),
    path("log/", include("jiliang.platform.ledger.urls")),
    path("budgets/", include("jiliang.platform.calibration.urls")),
    path("", include("jiliang.platform.certificates.urls")),
]
# each platform app's pages at its declared prefix (common.apps.PlatformApp)
urlpatterns += [
    path(app.url_prefix, include(f"{app.name}.urls"))
    for app in platform_apps()
    if app.url_prefix is not None
]

# styled, translated error pages (JSON under /api/): jiliang.platform.errors
handler400 = "jiliang.platform.errors.bad_request"
handler403 = "jiliang.platform.errors.permission_denied"
handler404 = "jiliang.platform.errors.page_not_found"
handler500 = "jiliang.platform.errors.server_error"
