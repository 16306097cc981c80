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
            "description": "The program of the community house, for partner systems. "
            "Requests are limited per minute (default 600 for a bearer token, 120 for a "
            "client without one); over the limit the answer is 429 with Retry-After.",
        },
        "paths": {
            "/api/v1/sessions": {
                "get": {
                    "summary": "Public sessions in a date window",
                    "description": "Dates are local (Europe/Copenhagen) and inclusive; the "
                    "window is at most 400 days. No token is needed for public sessions; a "
                    "partner token also sees partner sessions, a staff token all sessions.",
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
            "/api/v1/me": {
                "get": {
                    "summary": "The token this request carries",
                    "description": "Lets an integrator check that a token works.",
                    "security": [{"bearerAuth": []}],
                    "responses": {
                        "200": {
                            "description": "The token's name and role.",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "name": {"type": "string"},
                                            "role": {"type": "string"},
                                        },
                                    }
                                }
                            },
                        },
                        "401": {
                            "description": "No token, or an unknown or revoked one.",
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
            **_activity_paths(),
        },
        "components": {
            "schemas": {
                "Session": SESSION_SCHEMA,
                "Error": ERROR_SCHEMA,
                "Activity": ACTIVITY_SCHEMA,
                "ActivityInput": ACTIVITY_INPUT_SCHEMA,
            },
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


# ---------------------------------------------------------------- the program API (planner)

_TEXTS = {
    "type": "object",
    "additionalProperties": {"type": "string"},
    "description": "Language code → text; Danish (da) is required for the title.",
}

ACTIVITY_INPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["slug", "title", "category", "starts_on", "start_time", "duration_minutes"],
    "properties": {
        "slug": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$", "maxLength": 80},
        "title": _TEXTS,
        "summary": _TEXTS,
        "neutral_title": {**_TEXTS, "description": "Wording for texts; needed when sensitive."},
        "price_text": _TEXTS,
        "category": {"type": "string", "enum": list(CATEGORIES)},
        "activity_type": {"type": "string"},
        "mode": {"type": "string", "enum": list(MODES)},
        "capacity": {**_NULLABLE_INT, "description": "Required for signup and enrolment."},
        "location": {
            "type": ["string", "null"],
            "description": "Free text: the name of a room, or a location's name, slug or "
            "address. Unknown places answer 422.",
        },
        "rrule": {
            "type": ["string", "null"],
            "description": "RFC 5545 RRULE in Europe/Copenhagen, e.g. FREQ=WEEKLY;BYDAY=WE; "
            "null for a single date. An unbounded rule is expanded only to the planning "
            "horizon (and never more than three years ahead).",
        },
        "starts_on": {"type": "string", "format": "date"},
        "start_time": {"type": "string", "description": "Local HH:MM."},
        "duration_minutes": {"type": "integer", "minimum": 1, "maximum": 1440},
        "visibility": {"type": "string", "enum": ["public", "partners", "staff"]},
        "sensitive": {"type": "boolean"},
        "version": {
            "type": "integer",
            "description": "PATCH only: the version you read; a newer one answers 409 conflict.",
        },
    },
}

ACTIVITY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "slug": {"type": "string"},
        "title": _TEXTS,
        "summary": _TEXTS,
        "category": {"type": "string", "enum": list(CATEGORIES)},
        "activity_type": {"type": "string"},
        "mode": {"type": "string", "enum": list(MODES)},
        "capacity": _NULLABLE_INT,
        "visibility": {"type": "string"},
        "sensitive": {"type": "boolean"},
        "location": {"type": ["string", "null"]},
        "room": {"type": ["string", "null"]},
        "rrule": {"type": ["string", "null"]},
        "starts_on": {"type": "string", "format": "date"},
        "start_time": {"type": "string"},
        "duration_minutes": {"type": "integer"},
        "version": {"type": "integer"},
        "archived": {"type": "boolean"},
    },
}


def _json(schema: dict[str, Any], text: str) -> dict[str, Any]:
    return {"description": text, "content": {"application/json": {"schema": schema}}}


_ERROR = {"$ref": "#/components/schemas/Error"}
_TOKEN_ERRORS = {
    "401": _json(_ERROR, "No token, or an unknown or revoked one (code unauthorized)."),
    "403": _json(_ERROR, "The token's role may not do this (code forbidden)."),
}


def _activity_paths() -> dict[str, Any]:
    activity = {"$ref": "#/components/schemas/Activity"}
    slug = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
    body = {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ActivityInput"}}},
    }
    return {
        "/api/v1/activities": {
            "get": {
                "summary": "The activities this token may see",
                "description": "Manager tokens see every activity; partner tokens public and "
                "partner activities.",
                "security": [{"bearerAuth": []}],
                "responses": {
                    "200": _json({"type": "array", "items": activity}, "By slug."),
                    "401": _TOKEN_ERRORS["401"],
                },
            },
            "post": {
                "summary": "Create an activity (manager token)",
                "description": "Its sessions are created up to the planning horizon at once.",
                "security": [{"bearerAuth": []}],
                "requestBody": body,
                "responses": {
                    "201": _json(
                        {
                            "type": "object",
                            "properties": {"id": {"type": "integer"}, "slug": {"type": "string"}},
                        },
                        "Created.",
                    ),
                    "409": _json(_ERROR, "The slug is taken (code exists)."),
                    "422": _json(_ERROR, "Invalid fields (code invalid, with fields)."),
                    **_TOKEN_ERRORS,
                },
            },
        },
        "/api/v1/activities/{slug}": {
            "get": {
                "summary": "One activity",
                "security": [{"bearerAuth": []}],
                "parameters": [slug],
                "responses": {
                    "200": _json(activity, "The activity."),
                    "404": _json(_ERROR, "No such activity (code not_found)."),
                    "401": _TOKEN_ERRORS["401"],
                },
            },
            "patch": {
                "summary": "Change some fields (manager token)",
                "description": "Send only the fields to change. New times apply to every coming "
                "session: booked sessions are moved (never deleted) and their participants get a "
                "change text. The answer adds notices: how many texts were queued.",
                "security": [{"bearerAuth": []}],
                "parameters": [slug],
                "requestBody": body,
                "responses": {
                    "200": _json(activity, "The activity after the change."),
                    "404": _json(_ERROR, "No such activity (code not_found)."),
                    "409": _json(
                        _ERROR,
                        "Changed by someone else (conflict), slug taken (exists) or archived.",
                    ),
                    "422": _json(_ERROR, "Invalid fields (code invalid, with fields)."),
                    **_TOKEN_ERRORS,
                },
            },
        },
        "/api/v1/sessions/{session_id}/cancel": {
            "post": {
                "summary": "Cancel one session (manager token)",
                "description": 'Body {"reason": "…"}; booked and waitlisted participants '
                "get a change text with the reason.",
                "security": [{"bearerAuth": []}],
                "parameters": [
                    {
                        "name": "session_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["reason"],
                                "properties": {"reason": {"type": "string", "maxLength": 300}},
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "id": {"type": "integer"},
                                "status": {"type": "string"},
                                "sequence": {"type": "integer"},
                                "notices": {"type": "integer"},
                            },
                        },
                        "Cancelled.",
                    ),
                    "404": _json(_ERROR, "No such session (code not_found)."),
                    "409": _json(_ERROR, "Already cancelled or already started."),
                    "422": _json(_ERROR, "No reason given (code invalid)."),
                    **_TOKEN_ERRORS,
                },
            }
        },
    }
