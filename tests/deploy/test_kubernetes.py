"""The Kubernetes manifests validate against the Kubernetes schemas and fit the service."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from service.app import create_app
from service.settings import Settings

MANIFESTS = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.30.0"


def documents(name: str) -> list[dict[str, Any]]:
    """Return the YAML documents of one manifest file."""
    return [doc for doc in yaml.safe_load_all((MANIFESTS / name).read_text()) if doc]


def resources() -> dict[tuple[str, str], dict[str, Any]]:
    """Return every resource the kustomization lists, by (kind, name)."""
    listed = documents("kustomization.yaml")[0]["resources"]
    found = {}
    for name in listed:
        for doc in documents(name):
            found[(doc["kind"], doc["metadata"]["name"])] = doc
    return found


@pytest.mark.parametrize(
    "name", sorted(p.name for p in MANIFESTS.glob("*.yaml") if p.name != "kustomization.yaml")
)
def test_manifest_validates_strictly(name: str) -> None:
    """Every document is a valid resource of Kubernetes 1.30 (unknown fields refused)."""
    for doc in documents(name):
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_kustomization_lists_every_manifest_but_the_secret_example() -> None:
    """`kubectl apply -k` applies all of them; the Secret is created out of band."""
    listed = set(documents("kustomization.yaml")[0]["resources"])
    on_disk = {p.name for p in MANIFESTS.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk - {"secret.example.yaml"}


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def test_deployment_probes_shutdown_and_hardening() -> None:
    """Probes on routes the app serves, a grace longer than drain, non-root, read-only."""
    found = resources()
    deployment = found[("Deployment", "rossum-hooks")]
    pod, container = deployment["spec"]["template"]["spec"], _container(deployment)
    paths = {route.path for route in create_app(Settings(allow_unsigned=True)).routes}  # type: ignore[attr-defined]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz" in paths
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz" in paths
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/path"] in paths
    config = found[("ConfigMap", "rossum-hooks-config")]["data"]
    deadline = float(config["ROSSUM_HOOKS_DELIVERY_DEADLINE_S"])
    pre_stop = int(container["lifecycle"]["preStop"]["exec"]["command"][1])
    drain = int(deadline) + 5  # `rossum-hooks serve`'s timeout_graceful_shutdown
    assert pod["terminationGracePeriodSeconds"] > pre_stop + drain > deadline
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert {"requests", "limits"} <= container["resources"].keys()
    record_dir = str(Path(config["ROSSUM_HOOKS_RECORD_PATH"]).parent)
    assert record_dir in {m["mountPath"] for m in container["volumeMounts"]}  # writable


def test_secret_is_referenced_never_inlined() -> None:
    """The webhook secret comes from the Secret by reference; no manifest applied carries it."""
    found = resources()
    container = _container(found[("Deployment", "rossum-hooks")])
    assert {"secretRef": {"name": "rossum-hooks"}} in container["envFrom"]
    assert not any(kind == "Secret" for kind, _ in found)
    config = found[("ConfigMap", "rossum-hooks-config")]["data"]
    assert not [key for key in config if "SECRET" in key or "TOKEN" in key or "PASSWORD" in key]
    example = documents("secret.example.yaml")[0]
    assert "ROSSUM_HOOKS_WEBHOOK_SECRET" in example["stringData"]


def test_selectors_and_redis_wiring_match() -> None:
    """Service, PDB and HPA point at the webhook pods; the Redis URL names the Redis Service."""
    found = resources()
    deployment = found[("Deployment", "rossum-hooks")]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    service = found[("Service", "rossum-hooks")]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    pdb = found[("PodDisruptionBudget", "rossum-hooks")]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    target = found[("HorizontalPodAutoscaler", "rossum-hooks")]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "rossum-hooks")
    assert found[("HorizontalPodAutoscaler", "rossum-hooks")]["spec"]["minReplicas"] >= 2
    assert pdb["spec"]["minAvailable"] < deployment["spec"]["replicas"]
    url = found[("ConfigMap", "rossum-hooks-config")]["data"]["ROSSUM_HOOKS_REDIS_URL"]
    redis_service = found[("Service", "rossum-hooks-redis")]
    port = redis_service["spec"]["ports"][0]["port"]
    assert url.startswith(f"redis://{redis_service['metadata']['name']}:{port}/")
    redis_pods = found[("Deployment", "rossum-hooks-redis")]["spec"]["template"]["metadata"]
    assert redis_service["spec"]["selector"].items() <= redis_pods["labels"].items()
    assert not service["spec"]["selector"].items() <= redis_pods["labels"].items()
