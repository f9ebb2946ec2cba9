"""The learner's InferenceService on a real cluster (week 20), read with the `kubernetes` client.

The cluster is the current context of the learner's kubeconfig (``$KUBECONFIG``, else
``~/.kube/config``), as kubectl would use it. The InferenceService is read from the API server
(``serving.kserve.io/v1beta1``, plural ``inferenceservices``) and must be Ready, with its
PredictorReady and IngressReady conditions True, for the latest spec. Requests go to its
``status.url``; when ``INGRESS_HOST`` is set (KServe's docs call the ingress gateway so, with
``INGRESS_PORT``), they go to that address instead with the service's host name in the ``Host``
header, as `curl -H "Host: ..."` does through a `kubectl port-forward`.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from mlops_checks.kserve_protocol import mismatches, v1_predictions, v2_matrix_body, v2_predictions

GROUP, VERSION, PLURAL = "serving.kserve.io", "v1beta1", "inferenceservices"
CONDITIONS = ("Ready", "PredictorReady", "IngressReady")
API_TIMEOUT = 15
REQUEST_TIMEOUT = 120  # a service scaled to zero starts a pod for the first request


class Unreachable(Exception):
    """The cluster could not be asked at all (down, or a kubeconfig the client cannot use)."""


@dataclass(frozen=True)
class Context:
    name: str
    namespace: str  # the context's namespace, "default" when it names none
    server: str
    client: Any  # a kubernetes.client.ApiClient for this context


@dataclass(frozen=True)
class Found:
    """The InferenceService as the API server gave it, or why there is none: ``missing`` is
    "service" (not applied), "resource" (KServe not installed) or "access" (refused)."""

    obj: dict[str, Any] | None
    missing: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Answer:
    status: int  # 0: no HTTP answer at all
    body: str


def current_context(config_file: str | None = None) -> Context | None:
    """The kubeconfig's current context, or None when there is no kubeconfig or no context
    (``config_file``: that kubeconfig instead of $KUBECONFIG or ~/.kube/config)."""
    from kubernetes import client, config  # type: ignore[import-untyped,unused-ignore]

    try:
        _, active = config.list_kube_config_contexts(config_file)  # type: ignore[no-untyped-call,unused-ignore]
    except (config.ConfigException, OSError, TypeError):
        return None
    if not active:
        return None
    settings = client.Configuration()
    try:
        config.load_kube_config(  # type: ignore[no-untyped-call,unused-ignore]
            config_file, context=active["name"], client_configuration=settings
        )
    except (config.ConfigException, OSError, ValueError) as exc:
        raise Unreachable(f"context {active['name']}: {exc}") from None
    settings.retries = 1
    namespace = (active.get("context") or {}).get("namespace") or "default"
    return Context(active["name"], namespace, settings.host, client.ApiClient(settings))


def read_service(context: Context, namespace: str, name: str) -> Found:
    """GET the InferenceService; Unreachable when the API server does not answer."""
    from kubernetes import client  # type: ignore[import-untyped,unused-ignore]
    from urllib3.exceptions import HTTPError

    api = client.CustomObjectsApi(context.client)
    try:
        obj = api.get_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, name, _request_timeout=API_TIMEOUT
        )
    except client.ApiException as exc:
        return Found(None, *refusal(exc.status or 0, str(exc.body or exc.reason)))
    except (HTTPError, OSError) as exc:
        raise Unreachable(f"{context.server} does not answer: {exc}") from None
    if not isinstance(obj, dict):
        return Found(None, "access", f"not an object: {obj!r}"[:300])
    return Found(obj)


def refusal(status: int, body: str) -> tuple[str, str]:
    """Why a GET was refused: a missing service, a missing resource type, or no access."""
    try:
        details = json.loads(body).get("details") or {}
    except (ValueError, AttributeError):
        details = {}
    if status == 404 and details.get("kind") == PLURAL and details.get("name"):
        return "service", body
    if status == 404:
        return "resource", body
    return "access", f"{status}: {body}"[:300]


def not_ready(obj: dict[str, Any]) -> list[str]:
    """The conditions that are not True, with their reason and message."""
    status = obj.get("status") or {}
    conditions = {c.get("type"): c for c in status.get("conditions") or [] if isinstance(c, dict)}
    problems = []
    for kind in CONDITIONS:
        condition = conditions.get(kind)
        if condition is None:
            problems.append(f"no {kind} condition yet")
        elif condition.get("status") != "True":
            why = ": ".join(str(condition[k]) for k in ("reason", "message") if condition.get(k))
            problems.append(f"{kind} is {condition.get('status')}" + (f" ({why})" if why else ""))
    generation = (obj.get("metadata") or {}).get("generation")
    seen = status.get("observedGeneration")
    if isinstance(generation, int) and isinstance(seen, int) and seen < generation:
        problems.append(f"the controller has seen generation {seen} of {generation}: the "
                        "status is for an older spec")  # fmt: skip
    return problems


def endpoint(obj: dict[str, Any], environ: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """Where to send requests (base URL) and the headers they need; ("", {}) without a URL."""
    url = str((obj.get("status") or {}).get("url") or "")
    if not url:
        return "", {}
    host = environ.get("INGRESS_HOST")
    if not host:
        return url.rstrip("/"), {}
    port = environ.get("INGRESS_PORT") or "80"
    return f"http://{host}:{port}", {"Host": urlsplit(url).netloc}


def post(url: str, body: Any, headers: Mapping[str, str]) -> Answer:
    """POST JSON; an HTTP error is an answer, no connection is status 0."""
    data = json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as answer:
            return Answer(answer.status, answer.read().decode(errors="replace"))
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.read().decode(errors="replace"))
    except (urllib.error.URLError, OSError) as exc:
        return Answer(0, str(getattr(exc, "reason", exc)))


def drift(obj: dict[str, Any], manifest: dict[str, Any]) -> list[str]:
    """The model settings where the cluster's spec is not inferenceservice.yaml's."""
    live = ((obj.get("spec") or {}).get("predictor") or {}).get("model") or {}
    local = ((manifest.get("spec") or {}).get("predictor") or {}).get("model") or {}

    def settings(model: dict[str, Any]) -> dict[str, Any]:
        form = model.get("modelFormat")
        name = form.get("name") if isinstance(form, dict) else None
        return {"storageUri": model.get("storageUri"), "protocolVersion":
                model.get("protocolVersion"), "modelFormat.name": name}  # fmt: skip

    on_cluster, in_file = settings(live), settings(local)
    return [f"{k}: {on_cluster[k]!r} on the cluster, {v!r} in the file"
            for k, v in in_file.items() if v is not None and on_cluster[k] != v]  # fmt: skip


def ask(
    name: str, rows: list[list[float]], expected: list[float], base: str, headers: dict[str, str]
) -> list[str]:
    """What is wrong with the service's V1 and V2 answers for ``rows`` (none when both give
    ``expected``)."""
    request_id = f"week20-{uuid.uuid4().hex[:8]}"
    sent = {
        "V1": (f"{base}/v1/models/{name}:predict", {"instances": rows}),
        "V2": (f"{base}/v2/models/{name}/infer", v2_matrix_body(rows, request_id)),
    }
    problems = []
    for protocol, (url, body) in sent.items():
        answer = post(url, body, headers)
        if answer.status != 200:
            what = "no answer" if answer.status == 0 else str(answer.status)
            problems.append(f"{protocol}: POST {url}: {what}: {answer.body[:200]}")
            continue
        got, problem = (
            v1_predictions(answer.body, len(rows))
            if protocol == "V1"
            else v2_predictions(answer.body, len(rows), request_id)
        )
        wrong = mismatches(got, expected) if got is not None else []
        if got is None or wrong:
            problems.append(f"{protocol}: {problem or '; '.join(wrong[:2])}")
    return problems
