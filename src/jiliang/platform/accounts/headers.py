"""Content-Security-Policy for every response (Django 5.2 has no built-in CSP middleware).

The front end is vendored static files (htmx, ECharts, the site stylesheet), so scripts and
styles come from ``'self'`` only. The few inline ``<script>`` blocks that feed chart data carry
the per-request nonce (``{{ request.csp_nonce }}``); inline event handlers and ``style=``
attributes are not allowed (``static/jiliang/site.js`` wires ``data-autosubmit`` / ``data-print``
instead). The nonce is 128 random bits, fresh for each request.
"""

from __future__ import annotations

import secrets

HEADER = "Content-Security-Policy"


def policy(nonce: str) -> str:
    """The policy text with ``nonce`` allowed for inline ``<script>``/``<style>`` elements."""
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'",
        "style-src": f"'self' 'nonce-{nonce}'",
        # QR codes and ECharts' saved images are data: URLs
        "img-src": "'self' data:",
        "font-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",  # with X-Frame-Options: DENY for older browsers
    }
    return "; ".join(f"{k} {v}" for k, v in directives.items())


class ContentSecurityPolicyMiddleware:
    """Sets ``request.csp_nonce`` and the ``Content-Security-Policy`` header (unless a view set
    its own)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        nonce = secrets.token_urlsafe(16)
        request.csp_nonce = nonce
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = policy(nonce)
        return response
