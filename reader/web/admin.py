"""``/admin``: the editors' page. It is served to anyone; what it shows comes from the editor
API, with the token the editor types in (kept in the tab's sessionStorage only)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from reader.web.deps import EditorDep, TemplatesDep

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/admin")
def admin(request: Request, templates: TemplatesDep, editor: EditorDep) -> HTMLResponse:
    context = {"enabled": editor.tokens.enabled, "current": "admin"}
    return templates.TemplateResponse(
        request, "admin.html", context, headers={"Cache-Control": "no-store"}
    )
