"""Small Pulumi programs that declare their data flows (the ``dataFlows`` output), for the proof's tests.

Not ours: raw pulumi-aws and pulumi-kubernetes resources, as any team's program would write them.
Each takes ``broken``: the name of one thing to break, so a test watches the hop it carries fail.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

ACCOUNT = "123456789012"
OIDC = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
VPC = "10.0.0.0/16"
ALB_SUBNET = "10.0.1.0/24"
DATA_SUBNET = "10.0.200.0/24"
WEB = {"kind": "Deployment", "namespace": "web", "name": "web"}
LABELS = {"app": "web"}
SQL = """
CREATE ROLE "writer" LOGIN;
GRANT rds_iam TO "writer";
GRANT USAGE ON SCHEMA app TO "writer";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA app TO "writer";
CREATE ROLE "reader" LOGIN;
GRANT rds_iam TO "reader";
GRANT SELECT ON ALL TABLES IN SCHEMA app TO "reader";
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA app TO "reader";
"""


def _trust(subject: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{OIDC}"},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {f"{OIDC}:sub": subject, f"{OIDC}:aud": "sts.amazonaws.com"}
                    },
                }
            ],
        }
    )


def _root_key_policy(extra: list[dict[str, Any]] | None = None) -> str:
    statements = [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements + (extra or [])})


def web_program(broken: str = "") -> None:
    """An API behind an ALB Ingress that writes to S3 (SSE-KMS), with default-deny egress."""
    key = aws.kms.Key(
        "data-key",
        policy=_root_key_policy()
        if broken != "key-policy"
        else json.dumps({"Version": "2012-10-17", "Statement": []}),
    )
    bucket = aws.s3.Bucket("data")
    role = aws.iam.Role(
        "web-role",
        assume_role_policy=_trust("system:serviceaccount:web:" + ("other" if broken == "trust" else "web")),
    )
    actions = ["s3:GetObject"] + ([] if broken == "iam-action" else ["s3:PutObject"])
    aws.iam.RolePolicy(
        "web-policy",
        role=role.name,
        policy=pulumi.Output.all(bucket.arn, key.arn).apply(
            lambda a: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": actions, "Resource": f"{a[0]}/in/*"},
                        {"Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": a[1]},
                    ],
                }
            )
        ),
    )
    k8s.core.v1.Namespace("web-ns", metadata={"name": "web"})
    k8s.core.v1.ServiceAccount(
        "web-sa",
        metadata={"name": "web", "namespace": "web", "annotations": {"eks.amazonaws.com/role-arn": role.arn}},
    )
    k8s.apps.v1.Deployment(
        "web",
        metadata={"name": "web", "namespace": "web"},
        spec={
            "selector": {"matchLabels": LABELS},
            "template": {
                "metadata": {"labels": LABELS},
                "spec": {
                    "serviceAccountName": "web",
                    "containers": [
                        {"name": "web", "image": "web:1", "ports": [{"name": "http", "containerPort": 8080}]}
                    ],
                },
            },
        },
    )
    k8s.core.v1.Service(
        "web-service",
        metadata={"name": "web", "namespace": "web"},
        spec={
            "selector": {"app": "other"} if broken == "selector" else LABELS,
            "ports": [{"port": 80, "targetPort": "http"}],
        },
    )
    alb_port = 8081 if broken == "ingress-port" else 8080
    egress: list[dict[str, Any]] = [
        {
            "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [VPC, "169.254.0.0/16"]}}],
            "ports": [{"port": 443}],
        }
    ]
    if broken != "dns":
        egress.append(
            {
                "to": [
                    {
                        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                    }
                ],
                "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
            }
        )
    if broken == "warehouse-open":
        egress.append({"to": [{"ipBlock": {"cidr": DATA_SUBNET}}], "ports": [{"port": 5432}]})
    k8s.networking.v1.NetworkPolicy(
        "web-policy",
        metadata={"name": "web", "namespace": "web"},
        spec={
            "podSelector": {"matchLabels": LABELS},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [{"ipBlock": {"cidr": ALB_SUBNET}}], "ports": [{"port": alb_port}]}],
            "egress": egress,
        },
    )
    k8s.helm.v3.Release(
        "alb-controller",
        chart="aws-load-balancer-controller",
        namespace="kube-system",
        repository_opts={"repo": "https://aws.github.io/eks-charts"},
        version="1.14.0",
    )
    k8s.networking.v1.IngressClass(
        "alb", metadata={"name": "alb"}, spec={"controller": "ingress.k8s.aws/alb"}
    )
    k8s.networking.v1.Ingress(
        "web-ingress",
        metadata={"name": "web", "namespace": "web"},
        spec={
            "ingressClassName": "nginx" if broken == "ingress-class" else "alb",
            "rules": [
                {
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "web", "port": {"number": 80}}},
                            }
                        ]
                    }
                }
            ],
        },
    )
    flows = pulumi.Output.all(bucket.arn, key.arn).apply(
        lambda a: {
            "version": 1,
            "flows": [
                {
                    "name": "upload",
                    "path": ["client", "ALB", "web", "S3"],
                    "hops": [
                        {
                            "name": "ALB routes to web",
                            "kind": "ingress",
                            "service": {"namespace": "web", "name": "web"},
                            "port": 80,
                        },
                        {
                            "name": "ALB reaches web pods",
                            "kind": "network-policy",
                            "from": {"cidrs": [ALB_SUBNET]},
                            "to": {"workload": WEB},
                            "port": 8080,
                        },
                        {
                            "name": "Service web selects its pods",
                            "kind": "service-endpoints",
                            "service": {"namespace": "web", "name": "web"},
                            "port": 80,
                            "workload": WEB,
                        },
                        {"name": "web assumes its role", "kind": "workload-identity", "workload": WEB},
                        {
                            "name": "web writes in/",
                            "kind": "iam",
                            "principal": {"workload": WEB, "label": "web"},
                            "actions": ["s3:PutObject"],
                            "resource": f"{a[0]}/in/x.json",
                            "kms": {
                                "keyArn": a[1],
                                "actions": ["kms:GenerateDataKey"],
                                "viaService": "s3.eu-west-1.amazonaws.com",
                            },
                        },
                        {
                            "name": "web reaches S3",
                            "kind": "network-policy",
                            "from": {"workload": WEB},
                            "to": {"public": True},
                            "port": 443,
                        },
                        {
                            "name": "web cannot reach the database",
                            "kind": "network-policy",
                            "expect": "deny",
                            "from": {"workload": WEB},
                            "to": {"cidrs": [DATA_SUBNET]},
                            "port": 5432,
                        },
                        {
                            "name": "web cannot write out/",
                            "kind": "iam",
                            "expect": "deny",
                            "principal": {"workload": WEB, "label": "web"},
                            "actions": ["s3:PutObject"],
                            "resource": f"{a[0]}/out/x.json",
                        },
                    ],
                }
            ],
        }
    )
    if broken == "iam-negative":
        aws.iam.RolePolicy(
            "web-extra",
            role=role.name,
            policy=bucket.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": f"{arn}/*"}],
                    }
                )
            ),
        )
    pulumi.export("dataFlows", flows)


def events_program(broken: str = "") -> None:
    """Lake events to an encrypted queue, a database's grants, and the security groups in between."""
    bucket = aws.s3.Bucket("lake")
    service_key_statement = {
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
        "Resource": "*",
    }
    key = aws.kms.Key(
        "queue-key", policy=_root_key_policy([] if broken == "queue-key" else [service_key_statement])
    )
    queue = aws.sqs.Queue("events", kms_master_key_id=key.arn)
    aws.sqs.QueuePolicy(
        "events-policy",
        queue_url=queue.url,
        policy=pulumi.Output.all(queue.arn, bucket.arn).apply(
            lambda a: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "s3.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": a[0],
                            "Condition": {
                                "ArnEquals": {
                                    "aws:SourceArn": "arn:aws:s3:::elsewhere"
                                    if broken == "source-arn"
                                    else a[1]
                                },
                                "StringEquals": {"aws:SourceAccount": ACCOUNT},
                            },
                        }
                    ],
                }
            )
        ),
    )
    aws.s3.BucketNotification(
        "lake-notification",
        bucket=bucket.bucket,
        queues=[
            aws.s3.BucketNotificationQueueArgs(
                queue_arn=queue.arn,
                events=["s3:ObjectCreated:*"],
                filter_prefix="silver/" if broken == "prefix" else "raw/",
            )
        ],
    )
    sql = SQL.replace("GRANT SELECT, INSERT, UPDATE, DELETE", "GRANT SELECT") if broken == "grant" else SQL
    if broken == "reader-writes":
        sql += 'GRANT INSERT ON ALL TABLES IN SCHEMA app TO "reader";\n'
    k8s.core.v1.ConfigMap(
        "migration-sql", metadata={"name": "migration", "namespace": "db"}, data={"bootstrap.sql": sql}
    )
    app = aws.ec2.SecurityGroup(
        "app",
        vpc_id="vpc-1",
        egress=[]
        if broken == "sg-egress"
        else [
            aws.ec2.SecurityGroupEgressArgs(protocol="-1", from_port=0, to_port=0, cidr_blocks=["0.0.0.0/0"])
        ],
    )
    db = aws.ec2.SecurityGroup("db", vpc_id="vpc-1")
    aws.vpc.SecurityGroupIngressRule(
        "db-from-app",
        security_group_id=db.id,
        referenced_security_group_id=app.id,
        ip_protocol="tcp",
        from_port=5433 if broken == "sg-port" else 5432,
        to_port=5433 if broken == "sg-port" else 5432,
    )
    flows = pulumi.Output.all(bucket.arn, queue.arn, key.arn, app.id, db.id).apply(
        lambda a: {
            "version": 1,
            "flows": [
                {
                    "name": "ingest",
                    "path": ["raw event", "queue", "app", "database"],
                    "hops": [
                        {
                            "name": "raw events reach the queue",
                            "kind": "s3-notification",
                            "bucketArn": a[0],
                            "prefix": "raw/",
                            "queueArn": a[1],
                            "events": ["s3:ObjectCreated:*"],
                        },
                        {
                            "name": "S3 may send to the queue",
                            "kind": "iam",
                            "principal": {"service": "s3.amazonaws.com"},
                            "actions": ["sqs:SendMessage"],
                            "resource": a[1],
                            "context": {"aws:SourceArn": a[0], "aws:SourceAccount": ACCOUNT},
                            "kms": {"keyArn": a[2], "actions": ["kms:GenerateDataKey"]},
                        },
                        {
                            "name": "app passes the database group",
                            "kind": "security-group",
                            "from": {"securityGroupId": a[3]},
                            "to": {"securityGroupId": a[4]},
                            "port": 5432,
                        },
                        {
                            "name": "writer changes tables",
                            "kind": "db-grant",
                            "user": "writer",
                            "privileges": ["SELECT", "INSERT", "UPDATE", "DELETE"],
                            "iamAuth": True,
                        },
                        {
                            "name": "reader reads tables",
                            "kind": "db-grant",
                            "user": "reader",
                            "privileges": ["SELECT"],
                            "iamAuth": True,
                        },
                        {
                            "name": "reader cannot write",
                            "kind": "db-grant",
                            "expect": "deny",
                            "user": "reader",
                            "privileges": ["INSERT", "UPDATE", "DELETE"],
                        },
                    ],
                }
            ],
        }
    )
    pulumi.export("dataFlows", flows)
