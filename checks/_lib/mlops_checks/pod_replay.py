"""A Deployment's pod replayed with a Docker engine, as a kubelet would run it.

The container is created from the learner's image with the manifest's own settings: command and
args (Kubernetes' command replaces the image's ENTRYPOINT and drops its CMD; args replace CMD),
environment (values, ConfigMap keys and Secrets resolved from the manifests; every Secret key
gets a fresh random value, as `kubectl create secret` from a git-ignored .env would give), the
user (runAsUser/runAsGroup, and the kubelet's runAsNonRoot rule on the image's USER), a
read-only root filesystem with its emptyDir, ConfigMap and Secret volumes, dropped
capabilities, no privilege escalation, the CPU and memory limits, and its container ports
published on 127.0.0.1. Pure functions here; the engine calls live in the week's conftest.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops_checks.config_refs import keys, secret_data
from mlops_checks.manifests import Doc, quantity
from mlops_checks.workloads import Container, container_ports

DEFAULT_BUDGET = (0, 10, 3)  # initialDelaySeconds, periodSeconds, failureThreshold


@dataclass
class Settings:
    """The container's run settings, and what makes a kubelet refuse to start it."""

    options: dict[str, Any]
    env: dict[str, str]
    ports: dict[int, int] = field(default_factory=dict)  # containerPort -> loopback port
    refused: list[str] = field(default_factory=list)
    made: dict[str, str] = field(default_factory=dict)  # Secret "name/key" -> the check's value


def made_value() -> str:
    return secrets.token_urlsafe(36)  # 48 characters: enough for any "at least 32" rule


def environment(
    container: Container, declared: Iterable[Doc], made: dict[str, str]
) -> dict[str, str]:
    """The container's environment as the kubelet builds it: envFrom first, then env."""
    objects = {(d.kind, d.name): d for d in declared if d.kind in ("ConfigMap", "Secret")}

    def value(kind: str, name: str, key: str) -> str | None:
        doc = objects.get((kind, name))
        if doc is None or key not in keys(doc):
            return None
        if kind == "Secret":
            return made.setdefault(f"{name}/{key}", made_value())
        return str((doc.obj.get("data") or {}).get(key, ""))

    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        for field_name, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
            ref = source.get(field_name)
            doc = objects.get((kind, str(ref.get("name")))) if isinstance(ref, dict) else None
            if doc is None:
                continue
            for key in sorted(keys(doc)):
                found = value(kind, doc.name, key)
                if found is not None:
                    env[str(source.get("prefix") or "") + key] = found
    for var in container.get("env") or []:
        name, value_from = str(var.get("name")), var.get("valueFrom") or {}
        if "value" in var:
            env[name] = str(var["value"])
        for field_name, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
            ref = value_from.get(field_name)
            if isinstance(ref, dict):
                found = value(kind, str(ref.get("name")), str(ref.get("key")))
                if found is not None:
                    env[name] = found
        if (value_from.get("fieldRef") or {}).get("fieldPath") == "metadata.name":
            env[name] = "housing-api-replayed"
    return env


def effective(pod: dict[str, Any], container: Container, key: str) -> Any:
    own = container.get("securityContext") or {}
    return own[key] if key in own else (pod.get("securityContext") or {}).get(key)


def user_option(
    pod: dict[str, Any], container: Container, image_user: str
) -> tuple[str | None, list[str]]:
    """The docker user for the pod's settings, and the kubelet's refusal when runAsNonRoot
    cannot be proven (the image's USER a name, or root)."""
    uid, gid = effective(pod, container, "runAsUser"), effective(pod, container, "runAsGroup")
    refused = []
    if effective(pod, container, "runAsNonRoot") is True:
        image_uid = image_user.split(":")[0]
        if uid == 0:
            refused.append("runAsNonRoot is true but runAsUser is 0")
        elif uid is None and image_uid in ("", "0", "root"):
            refused.append(
                "container has runAsNonRoot and image will run as root (the image "
                "has no USER, or USER root, and the manifest sets no runAsUser)"
            )
        elif uid is None and not image_uid.isdigit():
            refused.append(
                f"container has runAsNonRoot and image has non-numeric user "
                f"({image_uid}), cannot verify user is non-root"
            )
    if uid is None:
        return (None if gid is None else f"{image_user.split(':')[0] or 0}:{gid}"), refused
    return f"{uid}" + (f":{gid}" if gid is not None else ""), refused


def volume_files(
    pod: dict[str, Any], declared: Iterable[Doc], made: dict[str, str], scratch: Path
) -> dict[str, Path]:
    """ConfigMap and Secret volumes written out as folders of files, by volume name."""
    objects = {(d.kind, d.name): d for d in declared}
    folders = {}
    for volume in pod.get("volumes") or []:
        for field_name, kind, key in (
            ("configMap", "ConfigMap", "name"),
            ("secret", "Secret", "secretName"),
        ):
            ref = volume.get(field_name)
            doc = objects.get((kind, str(ref.get(key)))) if isinstance(ref, dict) else None
            if doc is None:
                continue
            folder = scratch / str(volume.get("name"))
            folder.mkdir(parents=True, exist_ok=True)
            values = secret_data(doc.obj) if kind == "Secret" else dict(doc.obj.get("data") or {})
            for item in values:
                text = (
                    made.setdefault(f"{doc.name}/{item}", made_value())
                    if kind == "Secret"
                    else str(values[item])
                )
                (folder / item).write_text(text, encoding="utf-8")
                (folder / item).chmod(0o644)
            folder.chmod(0o755)
            folders[str(volume.get("name"))] = folder
    return folders


def settings(
    pod: dict[str, Any],
    container: Container,
    declared: list[Doc],
    image_user: str,
    free_port: Any,
    scratch: Path,
) -> Settings:
    """Everything `docker create` needs to run the container as the pod would."""
    made: dict[str, str] = {}
    env = environment(container, declared, made)
    user, refused = user_option(pod, container, image_user)
    own = container.get("securityContext") or {}
    options: dict[str, Any] = {"environment": env, "user": user}
    if "command" in container:
        options["entrypoint"] = [str(a) for a in container["command"]]
    if "args" in container:
        options["command"] = [str(a) for a in container["args"]]
    if container.get("workingDir"):
        options["working_dir"] = str(container["workingDir"])
    limits = (container.get("resources") or {}).get("limits") or {}
    if (memory := quantity(limits.get("memory"))) is not None:
        options["mem_limit"] = int(memory)
    if (cpu := quantity(limits.get("cpu"))) is not None:
        options["nano_cpus"] = int(cpu * 1e9)
    if own.get("readOnlyRootFilesystem") is True:
        options["read_only"] = True
    if own.get("allowPrivilegeEscalation") is False:
        options["security_opt"] = ["no-new-privileges"]
    capabilities = own.get("capabilities") or {}
    options["cap_drop"] = list(capabilities.get("drop") or []) or None
    options["cap_add"] = list(capabilities.get("add") or []) or None
    mounts(options, pod, container, volume_files(pod, declared, made, scratch))
    ports = {number: free_port() for number in set(container_ports(container).values())}
    options["ports"] = {f"{p}/tcp": ("127.0.0.1", host) for p, host in ports.items()}
    return Settings(options, env, ports, refused, made)


def mounts(
    options: dict[str, Any], pod: dict[str, Any], container: Container, folders: dict[str, Path]
) -> None:
    """emptyDir volumes as tmpfs (world-writable, as a kubelet makes them); ConfigMap and
    Secret volumes as read-only folders."""
    kinds = {str(v.get("name")): v for v in pod.get("volumes") or []}
    tmpfs, binds = {}, {}
    for mount in container.get("volumeMounts") or []:
        volume = kinds.get(str(mount.get("name"))) or {}
        path = str(mount.get("mountPath"))
        if "emptyDir" in volume:
            tmpfs[path] = "rw,mode=1777,size=256m"
        elif str(mount.get("name")) in folders:
            binds[str(folders[str(mount.get("name"))])] = {"bind": path, "mode": "ro"}
    options["tmpfs"] = tmpfs or None
    options["volumes"] = binds or None


def liveness_budget(container: Container) -> float | None:
    """Seconds from the start before the liveness probe restarts a container that never
    answered (None: a startup probe holds it off, or there is no liveness probe)."""
    probe = container.get("livenessProbe")
    if not isinstance(probe, dict) or isinstance(container.get("startupProbe"), dict):
        return None
    delay, period, threshold = (
        probe.get(k, d)
        for k, d in zip(
            ("initialDelaySeconds", "periodSeconds", "failureThreshold"),
            DEFAULT_BUDGET,
            strict=True,
        )
    )
    return float(delay + period * threshold)
