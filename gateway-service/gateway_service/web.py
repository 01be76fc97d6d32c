"""``GET /``: the web page for shippers and operators, served by the gateway itself.

Static files from the package's ``web/`` folder (plain HTML, CSS and one ES module:
no build step, nothing from another host). The page calls the HTTP API under
``/v1`` on the same origin with the bearer token it keeps in ``sessionStorage``.
Its Content-Security-Policy allows scripts, styles and requests from the
gateway's own origin only: no inline script or style, no frame around it.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse

WEB = Path(__file__).with_name("web")
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # Small files: the browser asks again each time and gets the new version after an upgrade.
    "Cache-Control": "no-cache",
}
#: Every file the page is made of, by the path it is served under, and its media type.
ASSETS = {
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "icon.svg": "image/svg+xml",
}

router = APIRouter(include_in_schema=False)


def _file(name: str, media_type: str) -> FileResponse:
    return FileResponse(WEB / name, media_type=media_type, headers=SECURITY_HEADERS)


@router.get("/")
async def page() -> FileResponse:
    return _file("index.html", "text/html; charset=utf-8")


def _asset_route(name: str, media_type: str) -> None:
    async def asset() -> FileResponse:
        return _file(name, media_type)

    router.add_api_route(f"/web/{name}", asset, methods=["GET"], name=f"web-{name}")


for _name, _media_type in ASSETS.items():
    _asset_route(_name, _media_type)


def add_web(app: FastAPI) -> None:
    app.include_router(router)
