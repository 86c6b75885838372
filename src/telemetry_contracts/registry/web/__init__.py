"""The registry's web UI: static HTML, CSS and JavaScript modules served under ``/ui/``."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC = Path(__file__).resolve().parent / "static"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


class UiFiles(StaticFiles):
    """Static files with a strict content security policy: only this origin's scripts run."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        if path.endswith(".js"):
            # Module scripts load only with a JavaScript type, whatever the host's mime table says.
            response.headers["Content-Type"] = "text/javascript; charset=utf-8"
        return response


def mount_ui(app: FastAPI, prefix: str = "/ui") -> None:
    """Serve the UI at ``prefix + '/'`` and redirect ``prefix`` there."""

    @app.get(prefix, include_in_schema=False)
    async def ui_redirect() -> RedirectResponse:
        return RedirectResponse(prefix + "/", status_code=308)

    app.mount(prefix, UiFiles(directory=STATIC, html=True), name="ui")
