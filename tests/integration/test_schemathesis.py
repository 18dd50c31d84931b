"""Generated requests from /openapi.json: no input gives a 5xx.

Every operation gets a bounded number of requests generated from its schema, both fitting
it and not (bodies, path and query parameters), sent with a valid admin key, on both
backends. Runs are derandomized, so a failure reproduces.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from apihelpers import Tenant, ticket_doc
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

EXAMPLES = 30  # per operation and mode


def test_no_generated_request_is_a_server_error(app: Any, acme: Tenant) -> None:
    # a ticket for the generated ids to find now and then
    assert acme.post("/api/v1/tickets", ticket_doc("T-1")).status_code == 201
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = acme.headers("admin")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case: Any) -> None:
                response = case.call(headers=headers)
                assert response.status_code < 500, (
                    f"{case.method} {case.formatted_path} {case.query or ''} "
                    f"body={case.body!r:.300} -> {response.status_code}: {response.text[:300]}"
                )

            try:
                run()
            except Unsatisfiable:
                # nothing to get wrong: no parameters and no body
                assert mode is GenerationMode.NEGATIVE, operation.label
            except AssertionError as exc:
                failures.append(f"{operation.label} ({mode}): {exc}")
    assert operations >= 9
    assert not failures, "\n".join(failures)
