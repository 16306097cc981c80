"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json.

Nothing here is written twice: the paths are the app's URL rules, each operation is described
beside its view (`describe`), and every schema is generated from the models in shapes.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, get_args, get_origin

from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, models_json_schema
from pydantic_core import core_schema

from havehus.api import shapes

PREFIX = "/api/v1/"
REF = "#/components/schemas/{model}"
#: A shape of an answer: a model, a list of one (`list[Model]`), or None (no body).
Shape = Any
F = TypeVar("F", bound=Callable[..., Any])

_TOKEN_ANSWERS = {
    401: ("No token, or an unknown or revoked one (code unauthorized).", shapes.Error),
    403: ("The token's role may not do this (code forbidden).", shapes.Error),
}


@dataclass(frozen=True)
class Operation:
    """What the document says about one view: its purpose, its input and its answers."""

    summary: str
    description: str | None = None
    #: "any": any live bearer token; "role": one of some roles (so also 403); None: no token.
    token: Literal["any", "role"] | None = None
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    answers: dict[int, tuple[str, Shape]] = field(default_factory=dict)

    def all_answers(self) -> dict[int, tuple[str, Shape]]:
        token = {"any": (401,), "role": (401, 403), None: ()}[self.token]
        return {**{code: _TOKEN_ANSWERS[code] for code in token}, **self.answers}

    def models(self) -> Iterator[tuple[type[BaseModel], Literal["validation", "serialization"]]]:
        if self.body is not None:
            yield self.body, "validation"
        for _text, shape in self.answers.values():
            if shape is not None:
                yield _model_of(shape), "serialization"


def describe(
    summary: str,
    *,
    description: str | None = None,
    token: Literal["any", "role"] | None = None,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    answers: dict[int, tuple[str, Shape]],
) -> Callable[[F], F]:
    """Describe a view of the API for openapi.json (put it right under the route decorator)."""
    operation = Operation(summary, description, token, body, query, answers)

    def decorator(view: F) -> F:
        view.openapi = operation  # type: ignore[attr-defined]
        return view

    return decorator


class _ApiJsonSchema(GenerateJsonSchema):
    """pydantic's JSON Schema without per-field titles and without "default": null."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        json_schema = super().default_schema(schema)
        if "default" in json_schema and json_schema["default"] is None:
            del json_schema["default"]
        return json_schema

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        # {"type": ["integer", "null"]} as people write it, rather than an anyOf.
        json_schema = super().nullable_schema(schema)
        options = json_schema.get("anyOf", [])
        if len(options) != 2 or options[1] != {"type": "null"}:
            return json_schema
        inner = dict(options[0])
        if not isinstance(inner.get("type"), str):
            return json_schema
        inner["type"] = [inner["type"], "null"]
        if "enum" in inner:
            inner["enum"] = [*inner["enum"], None]
        return {**inner, **{key: value for key, value in json_schema.items() if key != "anyOf"}}


def _model_of(shape: Shape) -> type[BaseModel]:
    return get_args(shape)[0] if get_origin(shape) is list else shape


_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^>]*\))?:)?(?P<name>\w+)>")


def _path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    """The OpenAPI path of a URL rule, and its path parameters."""
    parameters = [
        {
            "name": match["name"],
            "in": "path",
            "required": True,
            "schema": {"type": "integer" if match["converter"] == "int" else "string"},
        }
        for match in _ARGUMENT.finditer(rule)
    ]
    return _ARGUMENT.sub(lambda match: "{" + match["name"] + "}", rule), parameters


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter's schema: left out is how a parameter is absent, never null."""
    kinds = schema.get("type")
    if isinstance(kinds, list) and "null" in kinds:
        schema = {**schema, "type": next(kind for kind in kinds if kind != "null")}
        if "enum" in schema:
            schema["enum"] = [value for value in schema["enum"] if value is not None]
    return schema


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(schema_generator=_ApiJsonSchema)
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema["properties"].items():
        prop = _without_null(prop)
        parameter = {"name": name, "in": "query", "required": name in required}
        if "description" in prop:
            parameter["description"] = prop.pop("description")
        parameters.append({**parameter, "schema": prop})
    return parameters


def _content(shape: Shape) -> dict[str, Any]:
    ref = {"$ref": REF.format(model=_model_of(shape).__name__)}
    schema = {"type": "array", "items": ref} if get_origin(shape) is list else ref
    return {"application/json": {"schema": schema}}


def _operation(operation: Operation, path_parameters: list[dict[str, Any]]) -> dict[str, Any]:
    spec: dict[str, Any] = {"summary": operation.summary}
    if operation.description:
        spec["description"] = operation.description
    if operation.token:
        spec["security"] = [{"bearerAuth": []}]
    parameters = path_parameters + (_query_parameters(operation.query) if operation.query else [])
    if parameters:
        spec["parameters"] = parameters
    if operation.body is not None:
        spec["requestBody"] = {"required": True, "content": _content(operation.body)}
    spec["responses"] = {
        str(status): {"description": text, **({"content": _content(shape)} if shape else {})}
        for status, (text, shape) in sorted(operation.all_answers().items())
    }
    return spec


def api_operations(app: Flask) -> Iterator[tuple[str, str, Operation | None]]:
    """(method, URL rule, its description or None) for every route of the API."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX):
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield method, rule.rule, getattr(view, "openapi", None)


def openapi_document(app: Flask) -> dict[str, Any]:
    """The whole document; an undescribed route is left out (a test insists there is none)."""
    described = [(m, r, op) for m, r, op in api_operations(app) if op is not None]
    models = {pair for _method, _rule, op in described for pair in op.models()}
    _keys, definitions = models_json_schema(
        sorted(models, key=lambda pair: pair[0].__name__),
        ref_template=REF,
        schema_generator=_ApiJsonSchema,
    )
    paths: dict[str, dict[str, Any]] = {}
    for method, rule, op in described:
        path, parameters = _path(rule)
        paths.setdefault(path, {})[method.lower()] = _operation(op, parameters)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "havehus API",
            "version": "1",
            "description": "The program of the community house, for partner systems. "
            "Requests are limited per minute (default 600 for a bearer token, 120 for a "
            "client without one); over the limit the answer is 429 with Retry-After. "
            "Fields not described are ignored; values are never converted (a boolean is "
            'true or false, not "yes" or 1; a number is not a text).',
        },
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token made by a manager in /staff/tokens or with "
                    "`havehus create-token`.",
                }
            },
        },
    }
