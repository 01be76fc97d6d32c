"""``GET /docs``: Swagger UI for ``/openapi.json``, every asset served by the gateway.

FastAPI's own page loads Swagger UI from a CDN; this one uses the copy the
``fastapi-offline`` package ships (Swagger UI 5, which reads OpenAPI 3.1), and
its Content-Security-Policy lets the browser fetch nothing from another host.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

SWAGGER_UI = Path(str(files("fastapi_offline") / "static"))
DOCS_JS = Path(__file__).with_name("static") / "docs.js"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Shippy HTTP API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" href="/docs/assets/favicon.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/docs.js"></script>
</body>
</html>
"""

router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def docs_page() -> HTMLResponse:
    return HTMLResponse(PAGE, headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY})


@router.get("/docs/docs.js")
async def docs_script() -> FileResponse:
    return FileResponse(DOCS_JS, media_type="text/javascript")


def add_docs(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/docs/assets", StaticFiles(directory=SWAGGER_UI), name="docs-assets")
