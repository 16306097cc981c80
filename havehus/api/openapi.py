"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from havehus.models.program import CATEGORIES, MODES, SESSION_STATUSES

_NULLABLE_INT = {"type": ["integer", "null"], "minimum": 0}

SESSION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "id",
        "activity",
        "title",
        "category",
        "start",
        "end",
        "status",
        "mode",
        "capacity",
        "seats_left",
        "uid",
    ],
    "properties": {
        "id": {"type": "integer"},
        "activity": {"type": "string", "description": "The activity's slug."},
        "title": {"type": "string", "description": "In the requested language."},
        "category": {"type": "string", "enum": list(CATEGORIES)},
        "start": {
            "type": "string",
            "format": "date-time",
            "description": "Local time with its offset, e.g. 2026-04-01T14:00:00+02:00.",
        },
        "end": {"type": "string", "format": "date-time"},
        "status": {"type": "string", "enum": list(SESSION_STATUSES)},
        "mode": {"type": "string", "enum": list(MODES)},
        "capacity": {**_NULLABLE_INT, "description": "null for drop-in."},
        "seats_left": {**_NULLABLE_INT, "description": "null for drop-in."},
        "uid": {"type": "string", "description": "The session's iCalendar UID."},
    },
}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string", "description": "Stable, for machines."},
        "message": {"type": "string", "description": "Translated, for people."},
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Per-parameter messages when code is invalid.",
        },
    },
}


def _date_param(name: str, text: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": True,
        "description": text,
        "schema": {"type": "string", "format": "date"},
    }


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "havehus API",
            "version": "1",
            "description": "The program of the community house, for partner systems.",
        },
        "paths": {
            "/api/v1/sessions": {
                "get": {
                    "summary": "Public sessions in a date window",
                    "description": "Dates are local (Europe/Copenhagen) and inclusive; the "
                    "window is at most 400 days. No token is needed.",
                    "parameters": [
                        _date_param("from", "First local day, YYYY-MM-DD."),
                        _date_param("to", "Last local day, YYYY-MM-DD."),
                        {
                            "name": "category",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": list(CATEGORIES)},
                        },
                        {
                            "name": "lang",
                            "in": "query",
                            "required": False,
                            "description": "Language of titles; unsupported → Danish.",
                            "schema": {"type": "string"},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "Sessions in start order.",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/Session"},
                                    }
                                }
                            },
                        },
                        "422": {
                            "description": "A parameter is missing or invalid (code invalid).",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Error"}
                                }
                            },
                        },
                    },
                }
            },
            "/api/v1/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {"200": {"description": "OpenAPI 3.1 JSON."}},
                }
            },
        },
        "components": {"schemas": {"Session": SESSION_SCHEMA, "Error": ERROR_SCHEMA}},
    }
