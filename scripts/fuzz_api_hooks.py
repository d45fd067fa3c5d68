"""schemathesis hooks for scripts/fuzz-api (loaded through SCHEMATHESIS_HOOKS).

HTTP cannot carry control characters in a header (RFC 9110 5.5): the HTTP parser answers such a
request 400 with an empty body before any application code runs, so a case with one tests the
parser, not the API, and fails the content-type check for a response the API never made.
Control characters in generated header and cookie values are replaced by a character that is
invalid in every header Sparky reads (it only accepts visible ASCII), so a case generated as
invalid stays invalid.
"""

import schemathesis

REPLACEMENT = "\u00e9"


def _clean(value):
    if not isinstance(value, str):
        return value
    return "".join(REPLACEMENT if ord(c) < 0x20 or ord(c) == 0x7F else c for c in value)


def _clean_all(values):
    if not values:
        return values
    return {name: _clean(value) for name, value in values.items()}


@schemathesis.hook
def map_headers(context, headers):
    return _clean_all(headers)


@schemathesis.hook
def map_cookies(context, cookies):
    return _clean_all(cookies)


# A query string or path segment carries text only: a value of another type generated as
# invalid input (the list ["cardio"], the number 5 for a text parameter, null) is sent as text
# that is a valid value ("cardio", "5", ""), so the server rightly accepts what schemathesis
# believes is invalid. Such cases are dropped; positive cases never have them.


def _text_params(context, location):
    operation = getattr(context, "operation", None)
    if operation is None:
        return None
    params = operation.definition.raw.get("parameters", [])
    return {
        p["name"]: p.get("schema", {}) for p in params if p.get("in") == location
    }


def _wire_ambiguous(value, schema):
    if value is None or isinstance(value, (list, dict)):
        return True
    text_only = schema.get("type") == "string"
    return text_only and isinstance(value, (bool, int, float))


def _representable(context, values, location):
    if not values:
        return True
    schemas = _text_params(context, location) or {}
    return not any(
        _wire_ambiguous(value, schemas.get(name, {})) for name, value in values.items()
    )


@schemathesis.hook
def filter_query(context, query):
    return _representable(context, query, "query")


@schemathesis.hook
def filter_path_parameters(context, path_parameters):
    return _representable(context, path_parameters, "path")


# schemathesis 3.39 negates OpenAPI 3.1's numeric `exclusiveMinimum` as if it were 3.0's
# boolean flag beside `minimum`, and fails with KeyError when `minimum` is absent. Adding the
# equal `minimum` (x >= b and x > b is x > b) changes no meaning.


def _add_bounds(node):
    if isinstance(node, dict):
        for exclusive, inclusive in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
            bound = node.get(exclusive)
            if isinstance(bound, (int, float)) and not isinstance(bound, bool):
                node.setdefault(inclusive, bound)
        for child in node.values():
            _add_bounds(child)
    elif isinstance(node, list):
        for child in node:
            _add_bounds(child)


@schemathesis.hook
def before_load_schema(context, raw_schema):
    _add_bounds(raw_schema)
    _drop_schemes(raw_schema)


# Every operation accepts one of three credentials (bearer, session cookie, `X-API-Key`
# header). schemathesis 3.39 treats an apiKey-in-header scheme as a required header of its own:
# it fills it with random text and, for negative cases, leaves it out, while the run
# authenticates with `Authorization: Bearer`, so the server rightly answers 200 and the case
# is reported as "accepted negative data". The runs send the bearer key (or the cookie); the
# `X-API-Key` header is covered by crates/sparky-web/tests/health_data.rs.
SKIPPED_SCHEMES = {"api_key_header"}


def _drop_schemes(raw_schema):
    schemes = raw_schema.get("components", {}).get("securitySchemes", {})
    for name in SKIPPED_SCHEMES:
        schemes.pop(name, None)

    def keep(requirements):
        return [r for r in requirements if not (set(r) & SKIPPED_SCHEMES)]

    if isinstance(raw_schema.get("security"), list):
        raw_schema["security"] = keep(raw_schema["security"])
    for item in raw_schema.get("paths", {}).values():
        for op in item.values():
            if isinstance(op, dict) and isinstance(op.get("security"), list):
                op["security"] = keep(op["security"])
