"""The OpenAPI document, completed: every operation lists its problems and its permission.

FastAPI documents the success responses and the parameters. This adds, for every
operation: 500 (and 503 where it uses the database) as problem+json; 401 and 403 where a
permission is required; 422 as `ValidationProblem` wherever there is input; and the
extensions `x-permission` (the permission, or "public") and `x-roles` (who holds it),
from which the role matrix in the docs is generated.
"""

from __future__ import annotations

import json
from typing import Any, Final

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.middleware.login_throttle import PATH as THROTTLED_PATH
from api.problems import FieldError, Problem, ValidationProblem, problem_responses
from api.security import SCHEME_NAME
from creditunion.auth.roles import Permission, roles_with

METHODS: Final = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
PUBLIC_PERMISSION: Final = "public"


def _problem_schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model in (Problem, FieldError, ValidationProblem):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


def _permission_of(operation: dict[str, Any]) -> str | None:
    scopes: set[str] = set()
    for requirement in operation.get("security", []):
        scopes.update(requirement.get(SCHEME_NAME, []))
    if len(scopes) > 1:
        raise AssertionError(f"{operation.get('operationId')} declares several permissions")
    if scopes:
        return scopes.pop()
    return operation.get("x-permission")


def complete_operation(path: str, operation: dict[str, Any]) -> None:
    summary = operation.get("summary")
    if summary and " ".join(operation.get("description", "").split()) == summary:
        del operation["description"]  # a docstring of one paragraph (api/routing.py)
    responses: dict[str, Any] = operation.setdefault("responses", {})
    permission = _permission_of(operation)
    if permission is None:
        raise AssertionError(
            f"{path} {operation.get('operationId')}: declare require(Permission...) "
            "or openapi_extra=PUBLIC next to the endpoint"
        )
    added: list[int] = [500]
    if path.startswith("/v1/"):
        added.append(503)
    if permission != PUBLIC_PERMISSION:
        # One requirement naming the permission (FastAPI lists one per dependency).
        operation["security"] = [{SCHEME_NAME: [permission]}]
        operation["x-permission"] = permission
        operation["x-roles"] = [role.value for role in roles_with(Permission(permission))]
        added += [401, 403]
    else:
        operation["x-permission"] = PUBLIC_PERMISSION
        operation["x-roles"] = []
    if operation.get("requestBody"):
        added.append(413)  # api/middleware/body_limit.py
    if path == THROTTLED_PATH:
        added.append(429)  # api/middleware/login_throttle.py
    has_input = bool(operation.get("parameters") or operation.get("requestBody"))
    if has_input or "422" in responses:
        responses.pop("422", None)
        added.append(422)
    for status, response in problem_responses(*added).items():
        responses.setdefault(str(status), response)


def build_openapi(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.update(_problem_schemas())
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                complete_operation(path, item[method])
    # FastAPI's own 422 schemas are replaced by ValidationProblem everywhere.
    text = json.dumps(document["paths"])
    for unused in ("HTTPValidationError", "ValidationError"):
        if f'"#/components/schemas/{unused}"' not in text:
            schemas.pop(unused, None)
    return document


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
