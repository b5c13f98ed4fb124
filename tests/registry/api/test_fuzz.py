"""A bounded property-based fuzzing run of the whole API (schemathesis): never a 5xx answer.

Every operation of the OpenAPI document gets a few generated requests (valid and invalid
values, odd strings, huge numbers), each sent with several callers' tokens, against a real
server. The push stream is left out: it is an endless response by design.
"""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

pytestmark = pytest.mark.slow

EXAMPLES_PER_OPERATION = 6
CALLERS = ("admin", "committee", "acme", "operations")
SKIPPED = {"GET /v1/status/stream"}


def _fuzz(operation, env, failures: list[str], calls: list[int]) -> None:
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    )
    @given(case=operation.as_strategy())
    def run(case):
        for caller in CALLERS:
            response = case.call(
                base_url=env.url, headers={"Authorization": f"Bearer {env.tokens[caller]}"}
            )
            calls[0] += 1
            if response.status_code >= 500:
                failures.append(
                    f"{operation.label} as {caller}: {response.status_code} "
                    f"{response.text[:200]} <- {case.path_parameters} {case.query} "
                    f"{str(case.body)[:200]}"
                )

    run()


def test_no_operation_answers_5xx(env):
    env.activate("fuzzed", "1")
    schema = schemathesis.openapi.from_url(f"{env.url}/openapi.json")
    failures: list[str] = []
    calls = [0]
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label not in SKIPPED:
            _fuzz(operation, env, failures, calls)
    print(f"schemathesis: {calls[0]} calls, {len(failures)} with a 5xx answer")
    assert not failures, "\n".join(failures[:20])
    assert calls[0] >= 20 * len(CALLERS)
