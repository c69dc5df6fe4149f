"""Liveness of the app process."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    """Answer ``ok`` once the app is serving requests."""
    return {"status": "ok"}
