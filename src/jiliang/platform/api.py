"""The platform's REST API: one NinjaAPI, a router per app (OpenAPI at ``/api/docs``).

Authentication: a bearer token (``Authorization: Bearer jl_…``), or the browser session (with
CSRF). Anonymous clients may read (GET) what is public; any anonymous write gets 401.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from jiliang import __version__
from jiliang.platform.accounts.models import ApiToken
from jiliang.platform.calibration.api import router as uncertainty_router
from jiliang.platform.certificates.api import router as certificates_router
from jiliang.platform.common.apps import platform_apps
from jiliang.platform.common.errors import FieldErrors
from jiliang.platform.common.uploads import STATUS_TOO_LARGE, UploadTooLarge
from jiliang.platform.ledger.api import router as ledger_router
from jiliang.platform.registry.api import router as registry_router
from jiliang.platform.registry.authority import Denied

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = ApiToken.user_for(token)
        if user is None:
            # A client that sends a token means to be someone: an unknown or revoked token is a
            # 401, never a silent fall back to anonymous access.
            raise AuthenticationError(401, "invalid or revoked API token")
        request.user = user
        return user


class PublicRead:
    """Lets anonymous clients through for safe methods only; views then scope to public data."""

    def __call__(self, request: HttpRequest):
        if request.method in SAFE_METHODS:
            return AnonymousUser()
        return None


api = NinjaAPI(
    title="jiliang API",
    version=__version__,
    description="Registry of the measurement system (计量体系登记) and the metrology core.",
    auth=[TokenAuth(), SessionAuth(), PublicRead()],
    urls_namespace="api",
)


@api.exception_handler(FieldErrors)
def field_errors(request, exc: FieldErrors):
    return api.create_response(request, {"detail": exc.detail()}, status=422)


@api.exception_handler(UploadTooLarge)
def upload_too_large(request, exc: UploadTooLarge):
    return api.create_response(request, {"detail": exc.detail()}, status=STATUS_TOO_LARGE)


@api.exception_handler(Denied)
def denied(request, exc: Denied):
    """403 naming each field the user may not set, with the reason (the authority model's)."""
    detail = [
        {"loc": ["body", name] if name != "__all__" else ["body"], "msg": msg, "type": "denied"}
        for name, msg in exc.errors.items()
    ]
    return api.create_response(request, {"detail": detail}, status=403)


api.add_router("/registry", registry_router)
api.add_router("/supervision", "jiliang.platform.supervision.api.router")
api.add_router("/ledger", ledger_router)
api.add_router("/uncertainty", uncertainty_router)
api.add_router("/certificates", certificates_router)

# each platform app's router at its declared prefix (common.apps.PlatformApp)
for _app in platform_apps():
    if _app.api_prefix is not None:
        api.add_router(f"/{_app.api_prefix}", f"{_app.name}.api.router")
