"""Schemathesis checks of UMCA's own, loaded with SCHEMATHESIS_HOOKS by openapi-fuzz.real.test.ts.

`positive_data_acceptance` (built in) says a request the schema allows must not be refused. UMCA
refuses a few schema-valid requests on purpose, for what no schema can say: an allowedOutboundHosts
entry that parses as Spin syntax only in shape (a port range that ends before it starts, a CIDR
block that does not parse) and a model that cannot work on this server (an unknown provider, a
missing key or model file), and a run in a session in another language than the session's. Those
answer 400 with a stable `code` that says so. A cap on what may be
open or waiting at once (a caller's sessions) answers 429 `busy` with Retry-After. Nothing else
may: this check replaces the built-in one with exactly those exceptions.
"""

import json

import schemathesis

# Refusals of schema-valid requests that the document announces, by problem `code`.
REFUSED_BY_POLICY = {"invalid_allowed_host", "model_unavailable", "wrong_language"}


@schemathesis.check
def valid_requests_accepted_unless_policy_refuses(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    status = response.status_code
    if status < 400 or status in (404, 409, 503):  # no such run, already ended, runner busy
        return None
    code = None
    try:
        code = json.loads(response.content).get("code")
    except (ValueError, AttributeError):
        pass
    if status == 400 and code in REFUSED_BY_POLICY:
        return None
    if status == 429 and code == "busy" and response.headers.get("retry-after"):
        return None
    raise AssertionError(f"a request the document allows was refused with {status}: {response.text[:500]}")
