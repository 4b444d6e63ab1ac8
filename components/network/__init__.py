"""The VPC every other component lives in: three subnet tiers per AZ, secure by default.

Per availability zone (``az_count``, 2 to 6, the first zones of the region in name
order) the VPC gets three subnets, carved from the VPC CIDR without overlaps:

- **public** (load balancers, NAT gateways; tagged ``kubernetes.io/role/elb``), routed to
  an internet gateway; instances get no public IP unless ``map_public_ip_on_launch``;
- **private** (EKS nodes and pods; tagged ``kubernetes.io/role/internal-elb``), one route
  table per AZ whose default route goes to the NAT gateway of the same AZ (``per_az``),
  to the one NAT gateway (``single``) or nowhere (``none``);
- **data** (warehouse), one route table with the local route and the S3 gateway endpoint
  only: no route to the internet, whatever the NAT mode.

Subnet layout (``subnet_plan``): the lower half of the VPC CIDR is split into one private
subnet per AZ; the upper half is split in quarters, the first holds the public subnets,
the second the data subnets, the last two are left free for later tiers. A /16 with 3 AZs
gives /19 private, /21 public and /21 data subnets.

The S3 gateway endpoint serves the private and data route tables (lake traffic stays
private and pays no NAT processing). Interface endpoints (``interface_endpoints``, e.g.
``ecr.api``, ``ecr.dkr``, ``sts``, ``logs``) sit in the private subnets with private DNS,
behind a security group that admits HTTPS from the VPC's CIDR blocks only.

VPC flow logs (all traffic) go to a CloudWatch log group with a retention limit,
encrypted with a KMS key that is passed in or created here (rotation on, a key policy
that lets CloudWatch Logs use it for this log group only). The VPC's default security
group is adopted and stripped of every rule.

Modules: :mod:`.settings` (settings, wiring and their checks), :mod:`.layout` (addresses,
zones, routes, endpoints, security-group rules), :mod:`.flow_logs` (the flow logs' names and
policy documents) and :mod:`.component` (the registration).
"""

from __future__ import annotations

from .component import Network as Network
from .flow_logs import flow_logs_key_policy as flow_logs_key_policy
from .flow_logs import flow_logs_role_policy as flow_logs_role_policy
from .flow_logs import flow_logs_trust_policy as flow_logs_trust_policy
from .layout import ELB_TAG as ELB_TAG
from .layout import INTERNAL_ELB_TAG as INTERNAL_ELB_TAG
from .layout import MIN_SUBNET_PREFIX as MIN_SUBNET_PREFIX
from .layout import TIER_TAG as TIER_TAG
from .layout import TIERS as TIERS
from .layout import min_vpc_prefix as min_vpc_prefix
from .layout import pick_zones as pick_zones
from .layout import subnet_plan as subnet_plan
from .settings import MAX_AZS as MAX_AZS
from .settings import MIN_AZS as MIN_AZS
from .settings import NatMode as NatMode
from .settings import NetworkArgs as NetworkArgs
from .settings import NetworkSettings as NetworkSettings

__all__ = [
    "ELB_TAG",
    "INTERNAL_ELB_TAG",
    "MAX_AZS",
    "MIN_AZS",
    "MIN_SUBNET_PREFIX",
    "TIERS",
    "TIER_TAG",
    "NatMode",
    "Network",
    "NetworkArgs",
    "NetworkSettings",
    "flow_logs_key_policy",
    "flow_logs_role_policy",
    "flow_logs_trust_policy",
    "min_vpc_prefix",
    "pick_zones",
    "subnet_plan",
]
