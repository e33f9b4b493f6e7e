"""The home page: what the signed-in user may do, given their role."""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from wholechild.web.deps import current_principal
from wholechild.web.templating import render

router = APIRouter(include_in_schema=False)

DESCRIPTIONS: Final = {
    "/search": "find a child by name, date of birth or an identifier, and open their record",
    "/review": "decide uncertain links between source records",
    "/dashboards": "demand, caseloads, SEND timeliness and linkage quality",
    "/admin/accounts": "create accounts and unlock locked ones",
}


@router.get("/", dependencies=[Depends(current_principal)])
def home(request: Request) -> HTMLResponse:
    return render(request, "home.html", descriptions=DESCRIPTIONS)
