"""The console's sign-in: the API token in a Secure, HttpOnly, SameSite=Strict cookie, the same
token check as the API, and a CSRF token for every form post.

CSRF: each signed-in page carries `sha256("csrf:" + session token)` in its forms (and htmx sends
it as the `X-CSRF-Token` header); a post without it is refused. Together with SameSite=Strict a
page of another site can neither read nor forge it.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import HTTPException, Request

from storelink_control.auth import Principal, principal_for
from storelink_control.control import Control, get_control

COOKIE = "storelink_console"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
SESSION_SECONDS = 8 * 3600


class SignInNeeded(Exception):
    """No valid session: the page answers with a redirect to the sign-in page."""


def csrf_token(session_token: str) -> str:
    return hashlib.sha256(b"storelink-console-csrf:" + session_token.encode()).hexdigest()


async def console_principal(request: Request) -> Principal:
    control: Control = get_control(request)
    token = request.cookies.get(COOKIE)
    if not token:
        raise SignInNeeded
    try:
        return await principal_for(control, token)
    except HTTPException as exc:
        if exc.status_code == 401:
            raise SignInNeeded from None
        raise


async def check_csrf(request: Request) -> None:
    """Every form post and htmx post of a signed-in page must carry the session's CSRF token."""
    token = request.cookies.get(COOKIE) or ""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not token or sent is None or not hmac.compare_digest(sent, csrf_token(token)):
        raise HTTPException(403, "the form has expired or did not come from this console: reload the page")
