"""EC2 instance sizes and what an EKS node leaves allocatable for pods.

Sources (the project's research notes, docs/ and issue 17):

- vCPU by size and memory per vCPU by category (c 2 GiB, m 4 GiB, r 8 GiB), c5 without 8xlarge and
  16xlarge but with 9xlarge and 18xlarge: the EC2 instance-type pages
  (https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html, co.html, mo.html).
- max pods in secondary-IP mode = ENIs x (IPv4 per ENI - 1) + 2: EKS "Choosing an instance type"
  (https://docs.aws.amazon.com/eks/latest/userguide/choosing-instance-type.html) and the eni-max-pods
  table of awslabs/amazon-eks-ami.
- kube-reserved (AL2023 nodeadm, awslabs/amazon-eks-ami ``nodeadm/internal/kubelet/config.go``):
  memory 11 x maxPods + 255 MiB; CPU 6% of the first core, 1% of the second, 0.5% of cores 3-4 and
  0.25% above; eviction-hard ``memory.available<100Mi``.
- The kubelet sees less memory than the instance's nominal GiB; Karpenter models it as
  ``vmMemoryOverheadPercent`` = 7.5% (its chart's default), and so does this table, so that a pod
  Karpenter would not place is not called placeable here.

An instance type outside the table is not guessed: rules report "cannot decide".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

GIB = 2**30
MIB = 2**20
VM_MEMORY_OVERHEAD = 0.075
EVICTION_MIB = 100

SIZE_VCPU = {
    "medium": 1, "large": 2, "xlarge": 4, "2xlarge": 8, "4xlarge": 16, "8xlarge": 32, "9xlarge": 36,
    "12xlarge": 48, "16xlarge": 64, "18xlarge": 72, "24xlarge": 96,
}  # fmt: skip
SIZE_MAX_PODS = {
    "medium": 8, "large": 29, "xlarge": 58, "2xlarge": 58, "4xlarge": 234, "8xlarge": 234, "9xlarge": 234,
    "12xlarge": 234, "16xlarge": 737, "18xlarge": 737, "24xlarge": 737,
}  # fmt: skip
CATEGORY_GIB_PER_VCPU = {"c": 2, "m": 4, "r": 8}
COMMON_SIZES = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge")
C5_SIZES = ("large", "xlarge", "2xlarge", "4xlarge", "9xlarge", "12xlarge", "18xlarge", "24xlarge")
FAMILIES = (
    "c5", "c5a", "c6i", "c6a", "c7i", "c7a", "m5", "m5a", "m6i", "m6a", "m7i", "m7a",
    "r5", "r5a", "r6i", "r6a", "r7i", "c6g", "c7g", "m6g", "m7g", "r6g", "r7g",
)  # fmt: skip
BURSTABLE = {  # size: (vCPU, GiB, max pods)
    "small": (2, 2, 11), "medium": (2, 4, 17), "large": (2, 8, 35), "xlarge": (4, 16, 58),
    "2xlarge": (8, 32, 58),
}  # fmt: skip
BURSTABLE_FAMILIES = ("t3", "t3a", "t4g")


@dataclass(frozen=True)
class InstanceType:
    name: str
    family: str
    category: str
    generation: int
    size: str
    vcpu: int
    memory_gib: int
    max_pods: int
    arch: str

    @property
    def cpu_allocatable(self) -> float:
        """Cores left for pods after kube-reserved."""
        millis = self.vcpu * 1000
        reserved = 0.0
        for low, high, share in (
            (0, 1000, 0.06),
            (1000, 2000, 0.01),
            (2000, 4000, 0.005),
            (4000, None, 0.0025),
        ):
            top = millis if high is None else min(millis, high)
            if top > low:
                reserved += (top - low) * share
        return (millis - reserved) / 1000

    @property
    def memory_allocatable(self) -> float:
        """Bytes left for pods: capacity less the VM overhead, kube-reserved and eviction-hard."""
        capacity_mib = self.memory_gib * 1024 * (1 - VM_MEMORY_OVERHEAD)
        return (capacity_mib - (11 * self.max_pods + 255) - EVICTION_MIB) * MIB

    def describe(self) -> str:
        return (
            f"{self.name} ({self.vcpu} vCPU/{self.memory_gib} GiB, allocatable "
            f"{self.cpu_allocatable * 1000:.0f}m CPU/{self.memory_allocatable / MIB:.0f}Mi)"
        )


def _table() -> dict[str, InstanceType]:
    table: dict[str, InstanceType] = {}
    for family in FAMILIES:
        graviton = family.endswith("g")
        sizes = C5_SIZES if family == "c5" else (("medium",) if graviton else ()) + COMMON_SIZES
        category, generation = family[0], int(family[1])
        for size in sizes:
            vcpu = SIZE_VCPU[size]
            table[f"{family}.{size}"] = InstanceType(
                f"{family}.{size}",
                family,
                category,
                generation,
                size,
                vcpu,
                vcpu * CATEGORY_GIB_PER_VCPU[category],
                SIZE_MAX_PODS[size],
                "arm64" if graviton else "amd64",
            )
    for family in BURSTABLE_FAMILIES:
        for size, (vcpu, gib, pods) in BURSTABLE.items():
            table[f"{family}.{size}"] = InstanceType(
                f"{family}.{size}", family, "t", int(family[1]), size, vcpu, gib, pods,
                "arm64" if family.endswith("g") else "amd64",
            )  # fmt: skip
    return table


TABLE = _table()
_NAME = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")


def lookup(name: str) -> InstanceType | None:
    return TABLE.get(name)


def is_instance_type_name(name: object) -> bool:
    return isinstance(name, str) and bool(_NAME.match(name))
