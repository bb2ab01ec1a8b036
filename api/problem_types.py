"""`/problems/{slug}`: what each problem `type` URI in an error response means."""

from __future__ import annotations

from fastapi import HTTPException, Request
from pydantic import BaseModel

from api.middleware import login_throttle
from api.problems import PROBLEM_TYPE_PREFIX, ProblemMap, problem_map_of, problem_responses
from api.routing import documented_router
from api.security import PUBLIC

router = documented_router(prefix="/problems", tags=["problems"])

# Problems the platform answers without an exception class behind them.
_BUILT_IN = {
    "validation": ("Invalid request", 422),
    "unauthenticated": ("Unauthorized", 401),
    "invalid-credentials": ("Invalid credentials", 401),
    "forbidden": ("Forbidden", 403),
    "busy": ("Busy", 503),
    "not-ready": ("Not ready", 503),
    # Answered by the password change itself, and by the sign-in throttle.
    "login-locked": ("Login locked", 403),
    login_throttle.SLUG: (login_throttle.TITLE, 429),
}


class ProblemType(BaseModel):
    type: str
    title: str
    status: int


def all_problem_types(problem_map: ProblemMap) -> list[ProblemType]:
    found = {slug: (spec.title, spec.status) for slug, spec in problem_map.by_slug().items()}
    found.update(_BUILT_IN)
    return [
        ProblemType(type=PROBLEM_TYPE_PREFIX + slug, title=title, status=status)
        for slug, (title, status) in sorted(found.items())
    ]


@router.get("", openapi_extra=PUBLIC)
def list_problem_types(request: Request) -> list[ProblemType]:
    """Problem types"""
    return all_problem_types(problem_map_of(request))


@router.get("/{slug}", openapi_extra=PUBLIC, responses=problem_responses(404))
def get_problem_type(request: Request, slug: str) -> ProblemType:
    """One problem type"""
    for problem in all_problem_types(problem_map_of(request)):
        if problem.type == PROBLEM_TYPE_PREFIX + slug:
            return problem
    raise HTTPException(404, f"no problem type {slug!r}")
