"""What a Deployment and its Service mean, judged over parsed objects (``manifests.Doc``).

Each function returns the problems it finds, each naming its object and field, so a check can
list them; none of them needs a cluster. The rules are the ones an API server, a kubelet or a
Service controller would apply later, when a mistake costs a failed rollout: a selector that
does not match the pod template, a Service without endpoints, a probe on a port the container
does not open, a pod the kubelet refuses to start as root.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mlops_checks.manifests import Doc, ObjectSet, quantity

Container = dict[str, Any]
# What runs pods of the learner's containers: a Deployment's pod template, or a KServe
# InferenceService's predictor, which is a pod spec with KServe's fields beside it.
POD_KINDS = ("Deployment", "InferenceService")


def pod_spec(doc: Doc) -> dict[str, Any]:
    spec = doc.obj.get("spec") or {}
    if doc.kind == "InferenceService":
        found = spec.get("predictor") if isinstance(spec, dict) else None
    else:
        found = (spec.get("template") or {}).get("spec") if isinstance(spec, dict) else None
    return found if isinstance(found, dict) else {}


def pod_owners(objects: ObjectSet) -> list[Doc]:
    """The set's Deployments and InferenceServices, in its order."""
    return [d for d in objects.docs if d.kind in POD_KINDS]


def pod_labels(doc: Doc) -> dict[str, str]:
    meta = ((doc.obj.get("spec") or {}).get("template") or {}).get("metadata") or {}
    labels = meta.get("labels") if isinstance(meta, dict) else None
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


def containers(doc: Doc) -> list[Container]:
    return [c for c in pod_spec(doc).get("containers") or [] if isinstance(c, dict)]


def each_container(objects: ObjectSet) -> Iterator[tuple[str, Doc, Container]]:
    for doc in pod_owners(objects):
        part = " predictor" if doc.kind == "InferenceService" else ""
        for c in containers(doc):
            yield f"{doc.kind} {doc.name}{part}, container {c.get('name', '?')}", doc, c


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A label selector (matchLabels, matchExpressions) against a pod's labels."""
    match = selector.get("matchLabels") or {}
    if any(labels.get(str(k)) != str(v) for k, v in match.items()):
        return False
    for rule in selector.get("matchExpressions") or []:
        key, op, values = rule.get("key"), rule.get("operator"), rule.get("values") or []
        present = key in labels
        if (op == "In" and labels.get(key) not in values) or (
            op == "NotIn" and present and labels[key] in values
        ):
            return False
        if (op == "Exists" and not present) or (op == "DoesNotExist" and present):
            return False
    return bool(match or selector.get("matchExpressions"))


def deployment_problems(objects: ObjectSet, replicas: int = 2) -> list[str]:
    """At least one Deployment, each with ``replicas`` or more and a selector that selects its
    own pod template (the API server refuses one that does not)."""
    deployments = objects.of("Deployment")
    if not deployments:
        return [f"{objects.label}: no Deployment"]
    problems = []
    for doc in deployments:
        spec = doc.obj.get("spec") or {}
        count = spec.get("replicas", 1)
        if not isinstance(count, int) or count < replicas:
            problems.append(f"{doc.where}: spec.replicas is {count!r}, not {replicas} or more")
        selector, labels = spec.get("selector") or {}, pod_labels(doc)
        if not selects(selector, labels):
            problems.append(
                f"{doc.where}: spec.selector {selector!r} does not select the pod "
                f"template's labels {labels!r}"
            )
        if not containers(doc):
            problems.append(f"{doc.where}: no containers")
    return problems


def container_ports(container: Container) -> dict[str, int]:
    """Port names and numbers ("8000" for an unnamed one) to their containerPort."""
    found: dict[str, int] = {}
    for port in container.get("ports") or []:
        number = port.get("containerPort") if isinstance(port, dict) else None
        if isinstance(number, int):
            found[str(number)] = number
            if port.get("name"):
                found[str(port["name"])] = number
    return found


def resolve_port(port: object, container: Container) -> int | None:
    """A probe's or Service's port (a number or a port name) as the container's port number."""
    return container_ports(container).get(str(port))


def service_problems(objects: ObjectSet) -> list[str]:
    """Each Service selects a Deployment's pods, and each of its ports targets a port those
    pods' containers open (by name or number; no targetPort means the port itself)."""
    services = objects.of("Service")
    if not services:
        return [f"{objects.label}: no Service"]
    problems = []
    for svc in services:
        spec = svc.obj.get("spec") or {}
        selector = spec.get("selector") or {}
        picked = [
            d
            for d in objects.of("Deployment")
            if selector and all(pod_labels(d).get(str(k)) == str(v) for k, v in selector.items())
        ]
        if not picked:
            labels = [pod_labels(d) for d in objects.of("Deployment")]
            problems.append(
                f"{svc.where}: spec.selector {selector!r} selects no Deployment's "
                f"pods (their labels: {labels!r}): it would have no endpoints"
            )
            continue
        for port in spec.get("ports") or []:
            target = port.get("targetPort", port.get("port"))
            if not any(resolve_port(target, c) for d in picked for c in containers(d)):
                opened = sorted(
                    {k for d in picked for c in containers(d) for k in container_ports(c)}
                )
                problems.append(
                    f"{svc.where}: port {port.get('port')} targets {target!r}, "
                    f"which no selected container opens (they open {opened})"
                )
    return problems


def probe_problems(objects: ObjectSet, routes: set[str]) -> list[str]:
    """Readiness and liveness probes: an httpGet on one of the app's GET ``routes`` (path
    without its query) at a port the container opens."""
    problems = []
    for where, _, c in each_container(objects):
        for kind in ("readinessProbe", "livenessProbe"):
            probe = c.get(kind)
            http = probe.get("httpGet") if isinstance(probe, dict) else None
            if not isinstance(http, dict):
                what = "no " + kind if not probe else f"a {kind} without httpGet"
                problems.append(f"{where}: {what}")
                continue
            path = str(http.get("path", "/")).split("?")[0]
            if routes and path not in routes:
                problems.append(
                    f"{where}: {kind} asks {path}, which is not one of the app's "
                    f"GET routes ({', '.join(sorted(routes))})"
                )
            if resolve_port(http.get("port"), c) is None:
                problems.append(
                    f"{where}: {kind} port {http.get('port')!r} is not a port the "
                    f"container opens ({sorted(container_ports(c))})"
                )
    return problems


def resource_problems(objects: ObjectSet) -> list[str]:
    """CPU and memory requests and limits on every container, each request within its limit."""
    problems = []
    for where, _, c in each_container(objects):
        res = c.get("resources") or {}
        for name in ("cpu", "memory"):
            request = quantity((res.get("requests") or {}).get(name))
            limit = quantity((res.get("limits") or {}).get(name))
            if request is None or limit is None:
                missing = [k for k, v in (("requests", request), ("limits", limit)) if v is None]
                problems.append(f"{where}: no {name} {' or '.join(missing)}")
            elif request > limit:
                problems.append(
                    f"{where}: {name} request {res['requests'][name]} is above its "
                    f"limit {res['limits'][name]}"
                )
    return problems


def image_problems(objects: ObjectSet) -> list[str]:
    """Every image pinned: a tag other than latest, or a digest."""
    problems = []
    for where, _, c in each_container(objects):
        image = str(c.get("image") or "")
        name, _, digest = image.partition("@")
        tag = name.rsplit("/", 1)[-1].partition(":")[2]
        if not image:
            problems.append(f"{where}: no image")
        elif not digest and tag in ("", "latest"):
            problems.append(
                f"{where}: image {image!r} is not pinned (a tag like :0.1.0, or "
                "@sha256:...; no tag means :latest)"
            )
    return problems


def security_problems(objects: ObjectSet) -> list[str]:
    """Non-root: runAsNonRoot true (pod or container), no runAsUser 0, no privilege escalation,
    every capability dropped, not privileged."""
    problems = []
    for where, doc, c in each_container(objects):
        pod = pod_spec(doc).get("securityContext") or {}
        own = c.get("securityContext") or {}
        setting = {**pod, **{k: v for k, v in own.items() if k in ("runAsNonRoot", "runAsUser")}}
        if setting.get("runAsNonRoot") is not True:
            problems.append(f"{where}: runAsNonRoot is not true (pod or container securityContext)")
        if setting.get("runAsUser") == 0:
            problems.append(f"{where}: runAsUser is 0 (root)")
        if own.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: securityContext.allowPrivilegeEscalation is not false")
        drop = (own.get("capabilities") or {}).get("drop") or []
        if "ALL" not in drop:
            problems.append(f"{where}: securityContext.capabilities.drop does not hold ALL")
        if own.get("privileged") is True:
            problems.append(f"{where}: privileged")
    return problems
