"""The ticket page(s) of the dashboard."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from slaguard.web.session import html_errors

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(html_errors)], include_in_schema=False)
