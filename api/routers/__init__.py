"""Routers under /v1. `create_app` includes the `router` of every module in this package.

To add endpoints, add a module here with `router = api_router(tags=[...])` (from
`api.transactions`), declare each endpoint's permission with `require(...)` (or
`openapi_extra=PUBLIC`), document its problems with `responses=problem_responses(...)`,
and regenerate the role matrix: `python -m api.permissions_matrix --write README.md`.
"""
