"""The Kubernetes Pod Security Standards, baseline and restricted, on every pod-bearing kind.

The controls and their allowed values are those of the Pod Security admission controller itself
(k8s.io/pod-security-admission, ``policy/check_*.go`` at 8f84a87c, July 2026; the same lists as
kubernetes.io/docs/concepts/security/pod-security-standards). Every container list counts
(containers, initContainers, ephemeralContainers), as the admission's ``visitContainers`` does.

Patches (``DeploymentPatch`` and the other ``<Kind>Patch`` types) are partial by nature: they are
judged on the fields they set. A value the patch sets that a level forbids is a violation; a field a
level requires (``runAsNonRoot``, ``seccompProfile``, ``allowPrivilegeEscalation: false``, dropping
``ALL``) that the patch leaves out is the live object's, not the patch's, and is not reported.

Levels: baseline is mandatory by default (it "prevents known privilege escalations"); restricted is
advisory by default and mandatory where the pack config says so (``policies/prod.json``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from ._common import UNKNOWN, ResourceContext, applies_when, as_list, get, resource_policy, truthy
from ._k8s_schema import _minor
from ._pods import containers, is_pod_bearing, kind_of, pod_of

DOMAIN = "kubernetes"

BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)
"""check_capabilities_baseline.go: the container runtime's default set."""

SAFE_SYSCTLS: tuple[tuple[tuple[int, int], frozenset[str]], ...] = (
    (
        (1, 0),
        frozenset(
            {
                "kernel.shm_rmid_forced",
                "net.ipv4.ip_local_port_range",
                "net.ipv4.tcp_syncookies",
                "net.ipv4.ping_group_range",
                "net.ipv4.ip_unprivileged_port_start",
            }
        ),
    ),
    ((1, 27), frozenset({"net.ipv4.ip_local_reserved_ports"})),
    (
        (1, 29),
        frozenset(
            {
                "net.ipv4.tcp_keepalive_time",
                "net.ipv4.tcp_fin_timeout",
                "net.ipv4.tcp_keepalive_intvl",
                "net.ipv4.tcp_keepalive_probes",
            }
        ),
    ),
    ((1, 32), frozenset({"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"})),
    ((1, 37), frozenset({"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"})),
)
"""check_sysctls.go: the namespaced, isolated sysctls, by the Kubernetes version that allows them."""

SELINUX_TYPES: tuple[tuple[tuple[int, int], frozenset[str]], ...] = (
    ((1, 0), frozenset({"", "container_t", "container_init_t", "container_kvm_t"})),
    ((1, 31), frozenset({"container_engine_t"})),
)
"""check_seLinuxOptions.go."""

RESTRICTED_VOLUMES = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "image",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)
"""check_restrictedVolumes.go: the only inline volume sources restricted allows."""

_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_HANDLERS = ("postStart", "preStop")


def _allowed(
    table: tuple[tuple[tuple[int, int], frozenset[str]], ...], version: tuple[int, int]
) -> frozenset[str]:
    return frozenset().union(*(names for since, names in table if since <= version))


class _Pod:
    """One pod spec under evaluation: its findings, its path prefix, whether it is a patch."""

    def __init__(self, prefix: str, metadata: Any, spec: dict[str, Any], patch: bool) -> None:
        self.prefix = f"{prefix}.spec" if prefix else "spec"
        self.metadata = metadata if isinstance(metadata, dict) else {}
        self.spec = spec
        self.patch = patch
        self.found: list[str] = []
        self.windows = get(spec, "os", "name") == "windows"
        self.host_users_off = truthy(spec.get("hostUsers")) is False

    def report(self, where: str, problem: str, control: str) -> None:
        self.found.append(f"{self.prefix}.{where}: {problem} ({control})")


def _baseline(pod: _Pod, version: tuple[int, int]) -> None:
    spec = pod.spec
    raw = spec.get("securityContext")
    pod_context: dict[str, Any] = raw if isinstance(raw, dict) else {}
    if truthy(get(pod_context, "windowsOptions", "hostProcess")) is True:
        pod.report("securityContext.windowsOptions.hostProcess", "true", "HostProcess")
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if truthy(spec.get(field)) is True:
            pod.report(field, "true", "host namespaces")
    for index, volume in enumerate(as_list(spec.get("volumes"))):
        if isinstance(volume, dict) and volume.get("hostPath") not in (None, UNKNOWN):
            path = get(volume, "hostPath", "path")
            shown = f" {path!r}" if isinstance(path, str) else ""
            pod.report(
                f"volumes[{index}].hostPath", f"mounts the node's filesystem{shown}", "HostPath volumes"
            )
    _seccomp_baseline(pod, "securityContext", pod_context)
    _selinux(pod, "securityContext", pod_context, version)
    _apparmor(pod, "securityContext", pod_context)
    allowed_sysctls = _allowed(SAFE_SYSCTLS, version)
    for index, sysctl in enumerate(as_list(pod_context.get("sysctls"))):
        name = get(sysctl, "name")
        if isinstance(name, str) and name not in allowed_sysctls:
            pod.report(f"securityContext.sysctls[{index}]", f"{name!r} is not a safe sysctl", "sysctls")
    annotations = pod.metadata.get("annotations")
    if isinstance(annotations, dict):
        for key, value in annotations.items():
            if (
                key.startswith("container.apparmor.security.beta.kubernetes.io/")
                and isinstance(value, str)
                and value not in ("", "runtime/default")
                and not value.startswith("localhost/")
            ):
                pod.found.append(f"metadata.annotations[{key!r}]: {value!r} (AppArmor)")
    for where, container in containers(spec):
        context = container.get("securityContext")
        context = context if isinstance(context, dict) else {}  # unknown: nothing set to judge
        label = f"{where}.securityContext"
        if truthy(get(context, "windowsOptions", "hostProcess")) is True:
            pod.report(f"{label}.windowsOptions.hostProcess", "true", "HostProcess")
        if truthy(context.get("privileged")) is True:
            pod.report(f"{label}.privileged", "true", "privileged containers")
        added = get(context, "capabilities", "add")
        beyond = [c for c in as_list(added) if isinstance(c, str) and c not in BASELINE_CAPABILITIES]
        if added is not UNKNOWN and beyond:
            pod.report(f"{label}.capabilities.add", f"adds {', '.join(beyond)}", "capabilities")
        proc_mount = context.get("procMount")
        if isinstance(proc_mount, str) and proc_mount != "Default" and not pod.host_users_off:
            pod.report(f"{label}.procMount", repr(proc_mount), "/proc mount type")
        _seccomp_baseline(pod, label, context)
        _selinux(pod, label, context, version)
        _apparmor(pod, label, context)
        for index, port in enumerate(as_list(container.get("ports"))):
            host_port = get(port, "hostPort")
            if isinstance(host_port, int) and host_port != 0:
                pod.report(f"{where}.ports[{index}].hostPort", str(host_port), "host ports")
        for probe in _PROBES:
            for handler in ("httpGet", "tcpSocket"):
                _host_field(pod, f"{where}.{probe}.{handler}", get(container, probe, handler, "host"))
        for hook in _HANDLERS:
            for handler in ("httpGet", "tcpSocket"):
                _host_field(
                    pod,
                    f"{where}.lifecycle.{hook}.{handler}",
                    get(container, "lifecycle", hook, handler, "host"),
                )


def _host_field(pod: _Pod, where: str, host: Any) -> None:
    if isinstance(host, str) and host:
        pod.report(f"{where}.host", repr(host), "probe and lifecycle hosts")


def _seccomp_baseline(pod: _Pod, where: str, context: dict[str, Any]) -> None:
    kind = get(context, "seccompProfile", "type")
    if isinstance(kind, str) and kind not in ("RuntimeDefault", "Localhost"):
        pod.report(f"{where}.seccompProfile.type", repr(kind), "seccomp")


def _apparmor(pod: _Pod, where: str, context: dict[str, Any]) -> None:
    kind = get(context, "appArmorProfile", "type")
    if isinstance(kind, str) and kind not in ("RuntimeDefault", "Localhost"):
        pod.report(f"{where}.appArmorProfile.type", repr(kind), "AppArmor")


def _selinux(pod: _Pod, where: str, context: dict[str, Any], version: tuple[int, int]) -> None:
    options = context.get("seLinuxOptions")
    if not isinstance(options, dict):
        return
    kind = options.get("type")
    if isinstance(kind, str) and kind not in _allowed(SELINUX_TYPES, version):
        pod.report(f"{where}.seLinuxOptions.type", repr(kind), "SELinux")
    for field in ("user", "role"):
        value = options.get(field)
        if isinstance(value, str) and value:
            pod.report(f"{where}.seLinuxOptions.{field}", repr(value), "SELinux")


def _restricted(pod: _Pod) -> None:
    spec = pod.spec
    raw = spec.get("securityContext")
    pod_context = raw if isinstance(raw, dict) else {}
    for index, volume in enumerate(as_list(spec.get("volumes"))):
        if not isinstance(volume, dict):
            continue
        sources = [k for k in volume if k != "name" and volume[k] is not None]
        bad = [k for k in sources if k not in RESTRICTED_VOLUMES and k != "hostPath"]  # hostPath: baseline's
        if bad:
            pod.report(f"volumes[{index}]", f"a {', '.join(bad)} volume", "volume types")
    pod_non_root = UNKNOWN if raw is UNKNOWN else pod_context.get("runAsNonRoot")
    pod_seccomp = UNKNOWN if raw is UNKNOWN else get(pod_context, "seccompProfile", "type")
    if not pod.host_users_off:
        if truthy(pod_non_root) is False:
            pod.report("securityContext.runAsNonRoot", "false", "running as non-root")
        if pod_context.get("runAsUser") == 0:
            pod.report("securityContext.runAsUser", "0", "running as non-root user")
    for where, container in containers(spec):
        context = container.get("securityContext")
        if context is UNKNOWN:
            continue
        context = context if isinstance(context, dict) else {}
        label = f"{where}.securityContext"
        if not pod.windows:
            escalation = context.get("allowPrivilegeEscalation")
            if truthy(escalation) is True or (escalation is None and not pod.patch):
                pod.report(f"{label}.allowPrivilegeEscalation", "must be false", "privilege escalation")
            drop = get(context, "capabilities", "drop")
            if drop is not UNKNOWN and "ALL" not in as_list(drop) and (drop is not None or not pod.patch):
                pod.report(f"{label}.capabilities.drop", "must include ALL", "capabilities")
            added = [c for c in as_list(get(context, "capabilities", "add")) if isinstance(c, str)]
            extra = [c for c in added if c != "NET_BIND_SERVICE"]
            if extra:
                pod.report(f"{label}.capabilities.add", f"adds {', '.join(extra)}", "capabilities")
            kind = get(context, "seccompProfile", "type")
            if kind is None and pod_seccomp is None and not pod.patch:
                pod.report(f"{label}.seccompProfile.type", "unset (and no pod-level profile)", "seccomp")
        proc_mount = context.get("procMount")
        if isinstance(proc_mount, str) and proc_mount != "Default" and pod.host_users_off:
            pod.report(f"{label}.procMount", repr(proc_mount), "/proc mount type")
        if pod.host_users_off:
            continue
        non_root = context.get("runAsNonRoot")
        if truthy(non_root) is False:
            pod.report(f"{label}.runAsNonRoot", "false", "running as non-root")
        elif non_root is None and pod_non_root is None and not pod.patch:
            pod.report(f"{label}.runAsNonRoot", "unset (and not true for the pod)", "running as non-root")
        if context.get("runAsUser") == 0:
            pod.report(f"{label}.runAsUser", "0", "running as non-root user")


def _version(ctx: ResourceContext) -> tuple[int, int]:
    configured = ctx.config.get("kubernetesVersion")
    return _minor(configured) if isinstance(configured, str) and configured else (99, 99)


def _evaluate(ctx: ResourceContext, check: Callable[[_Pod], None], level: str) -> None:
    found = pod_of(ctx.type, ctx.props)
    kind = kind_of(ctx.type)
    if found is None or kind is None:
        return
    prefix, metadata, spec = found
    if not isinstance(spec, dict):
        return  # unknown until deployment, or a patch that leaves the pod alone
    pod = _Pod(prefix, metadata, spec, kind[1])
    check(pod)
    for text in pod.found:
        ctx.report(f"'{ctx.name}' {text}: not allowed by the {level} Pod Security Standard")


_CONFIG = {
    "kubernetesVersion": {
        "type": "string",
        "description": "The clusters' Kubernetes version (e.g. '1.31'): the sysctls and SELinux types the "
        "standard allows depend on it; default: the newest.",
    }
}


@resource_policy(
    "k8s-pod-security-baseline",
    domain=DOMAIN,
    description="Pods of every kind (and the fields patches set) meet the baseline Pod Security Standard: no "
    "host namespaces, hostPath volumes, host ports, privileged containers, added capabilities beyond the "
    "default set, unsafe sysctls, /proc, seccomp, AppArmor or SELinux overrides.",
    severity=Severity.HIGH,
    remediation="Remove the field the message names (hostNetwork/hostPID/hostIPC, hostPath volumes, "
    "hostPort, privileged, capabilities.add beyond the default set, Unconfined seccomp or AppArmor, custom "
    "SELinux options, unsafe sysctls). A node agent that truly needs host access: exempt the workload with "
    "the reason (annotation policy-exempt.dataplatform.io/k8s-pod-security-baseline).",
    enforcement=EnforcementLevel.MANDATORY,
    config=_CONFIG,
)
@applies_when(is_pod_bearing)
def k8s_pod_security_baseline(ctx: ResourceContext) -> None:
    version = _version(ctx)
    _evaluate(ctx, lambda pod: _baseline(pod, version), "baseline")


@resource_policy(
    "k8s-pod-security-restricted",
    domain=DOMAIN,
    description="Pods of every kind (and the fields patches set) meet the restricted Pod Security Standard: "
    "runAsNonRoot, no UID 0, allowPrivilegeEscalation false, capabilities drop ALL (add at most "
    "NET_BIND_SERVICE), a RuntimeDefault or Localhost seccomp profile, core volume types only.",
    severity=Severity.MEDIUM,
    remediation="Set securityContext.runAsNonRoot=true and seccompProfile.type=RuntimeDefault on the pod; on "
    "each container allowPrivilegeEscalation=false and capabilities.drop=['ALL']; use configMap, secret, "
    "emptyDir, projected, downwardAPI, csi, ephemeral or persistentVolumeClaim volumes (the PipelineService "
    "component does all of this).",
    enforcement=EnforcementLevel.ADVISORY,
    config=_CONFIG,
)
@applies_when(is_pod_bearing)
def k8s_pod_security_restricted(ctx: ResourceContext) -> None:
    _evaluate(ctx, _restricted, "restricted")


POLICIES = [k8s_pod_security_baseline, k8s_pod_security_restricted]
