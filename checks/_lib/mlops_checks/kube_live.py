"""The learner's Deployment and Service on a real cluster (week 17), asked with the
``kubernetes`` client through the kubeconfig's current context (``mlops_checks.cluster``).

What a finished rollout means here is what `kubectl rollout status` waits for: the controller
has seen the latest spec (observedGeneration) and every replica is updated, ready and
available. The Service must have a ready endpoint per replica; a deleted pod must be replaced
by a new ready one; and the Service must answer the health path through the API server's
service proxy (`/api/v1/namespaces/NS/services/NAME:PORT/proxy/PATH`), which needs no
port-forward.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlops_checks.cluster import API_TIMEOUT, Context, Unreachable

POLL = 1.0


@dataclass(frozen=True)
class Answer:
    status: int  # 0: no answer
    body: str


def call(context: Context, method: str, path: str, **query: Any) -> Answer:
    """One request to the API server, as the client's own calls make it (auth included)."""
    from urllib3.exceptions import HTTPError

    try:
        response = context.client.call_api(
            path,
            method,
            query_params=list(query.items()),
            auth_settings=["BearerToken"],
            _preload_content=False,
            _request_timeout=API_TIMEOUT,
            _return_http_data_only=True,
        )
        return Answer(response.status, response.data.decode("utf-8", errors="replace"))
    except (HTTPError, OSError) as exc:
        raise Unreachable(f"{context.server} does not answer: {exc}") from None
    except Exception as exc:  # the client's ApiException: an HTTP error answer
        status = getattr(exc, "status", None)
        if status is None:
            raise
        return Answer(int(status), str(getattr(exc, "body", "") or exc))


def get_json(context: Context, path: str, **query: Any) -> tuple[dict[str, Any] | None, str]:
    """An object from the API server, or (None, why)."""
    import json

    answer = call(context, "GET", path, **query)
    if answer.status != 200:
        return None, f"GET {path}: {answer.status}: {answer.body[:200]}"
    found = json.loads(answer.body)
    return (found, "") if isinstance(found, dict) else (None, f"GET {path}: not an object")


def rollout_problems(deployment: dict[str, Any]) -> list[str]:
    """Why `kubectl rollout status` would still wait (none when the rollout is complete)."""
    spec, status = deployment.get("spec") or {}, deployment.get("status") or {}
    want = spec.get("replicas", 1)
    generation = (deployment.get("metadata") or {}).get("generation")
    problems = []
    if isinstance(generation, int) and status.get("observedGeneration", 0) < generation:
        problems.append(f"the controller has not seen generation {generation} yet")
    for field in ("updatedReplicas", "readyReplicas", "availableReplicas"):
        if status.get(field, 0) < want:
            problems.append(f"{field} {status.get(field, 0)} of {want}")
    if status.get("replicas", 0) > status.get("updatedReplicas", 0):
        problems.append(
            f"{status['replicas'] - status.get('updatedReplicas', 0)} old replicas "
            "are pending termination"
        )
    for condition in status.get("conditions") or []:
        if condition.get("reason") == "ProgressDeadlineExceeded":
            problems.append(f"rollout stuck: {condition.get('message')}")
    return problems


def ready_addresses(endpoints: dict[str, Any]) -> list[str]:
    """The pod IPs an Endpoints object sends traffic to."""
    return [
        str(a.get("ip"))
        for subset in endpoints.get("subsets") or []
        for a in subset.get("addresses") or []
    ]


def pod_ready(pod: dict[str, Any]) -> bool:
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def selector_query(deployment: dict[str, Any]) -> str:
    labels = ((deployment.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def ready_pods(context: Context, namespace: str, selector: str) -> list[str]:
    found, _ = get_json(context, f"/api/v1/namespaces/{namespace}/pods", labelSelector=selector)
    items = (found or {}).get("items") or []
    return sorted(str(p["metadata"]["name"]) for p in items if pod_ready(p))


def replace_a_pod(
    context: Context,
    namespace: str,
    deployment: dict[str, Any],
    timeout: float,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[str, float]:
    """Delete one ready pod and wait for the Deployment to be back at full strength with a new
    pod: ("", seconds it took), or (what went wrong, seconds waited)."""
    selector, want = selector_query(deployment), (deployment.get("spec") or {}).get("replicas", 1)
    before = ready_pods(context, namespace, selector)
    if not before:
        return f"no ready pod matches {selector}", 0.0
    victim = before[0]
    answer = call(context, "DELETE", f"/api/v1/namespaces/{namespace}/pods/{victim}")
    if answer.status not in (200, 202):
        return f"DELETE pod {victim}: {answer.status}: {answer.body[:200]}", 0.0
    started = clock()
    now: list[str] = []
    while clock() - started < timeout:
        now = ready_pods(context, namespace, selector)
        if len(now) >= want and victim not in now and set(now) - set(before):
            return "", clock() - started
        time.sleep(POLL)
    return (
        f"after deleting pod {victim}, {len(now)} of {want} pods ready within {timeout:.0f} s"
        f" (ready: {', '.join(now) or 'none'})"
    ), clock() - started


def through_service(
    context: Context, namespace: str, service: str, port: object, path: str
) -> Answer:
    """GET ``path`` from the Service through the API server's service proxy."""
    return call(
        context,
        "GET",
        f"/api/v1/namespaces/{namespace}/services/{service}:{port}/proxy/{path.lstrip('/')}",
    )
