"""Response headers that confine what a page may do, and the admin token check."""

from __future__ import annotations

import hmac

from flask import Flask, Response, current_app, request

from webapp.errors import ApiError

#: No inline script or style anywhere: every script and stylesheet is a file under /static.
CONTENT_SECURITY_POLICY = "; ".join([  # noqa: FLY002 (one directive a line)
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
])

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def register_security_headers(app: Flask) -> None:
    """Add the security headers to every response, errors and static files included."""

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


def require_admin() -> None:
    """Raise ApiError unless the request carries the configured admin token (403 when none is set)."""
    expected = current_app.config.get("ADMIN_TOKEN") or ""
    if not expected:
        raise ApiError(403, "reindexing over HTTP is disabled: no admin token is configured "
                            "(set KB_ADMIN_TOKEN)")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # compare_digest takes as long whatever the mismatch, so timing does not reveal the token.
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
        raise ApiError(401, "missing or invalid admin token: send Authorization: Bearer <KB_ADMIN_TOKEN>",
                       headers={"WWW-Authenticate": 'Bearer realm="kb"'})
