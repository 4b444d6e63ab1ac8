"""The VPC flow logs' names and policy documents, as plain functions of account, region and names."""

from __future__ import annotations

from ..iam import kms_account_admin_statement, kms_logs_statement, policy_json

__all__ = [
    "flow_log_group_arn",
    "flow_log_group_name",
    "flow_logs_key_policy",
    "flow_logs_role_policy",
    "flow_logs_trust_policy",
]


def flow_log_group_name(project: str, stack: str, network_name: str) -> str:
    """The flow-log group's name. Stable, not auto-named: the key policy must name the group
    before the group exists."""
    return f"/dataplatform/{project}/{stack}/{network_name}/vpc-flow-logs"


def flow_log_group_arn(partition: str, region: str, account: str, group_name: str) -> str:
    """The ARN of the log group ``group_name`` (as CloudWatch Logs puts it in the encryption context)."""
    return f"arn:{partition}:logs:{region}:{account}:log-group:{group_name}"


def flow_logs_key_policy(
    partition: str, region: str, account: str, dns_suffix: str, log_group_arn: str
) -> str:
    """Key policy of the flow-log key: the account administers it; CloudWatch Logs may use it
    for ``log_group_arn`` only (encryption-context condition)."""
    return policy_json(
        [
            kms_account_admin_statement(account, partition, "AccountAdministers"),
            kms_logs_statement(
                "CloudWatchLogsUseForFlowLogGroup", f"logs.{region}.{dns_suffix}", log_group_arn
            ),
        ]
    )


def flow_logs_trust_policy(partition: str, region: str, account: str) -> str:
    """The flow-log role's trust policy: the flow-logs service, for this account's flow logs only."""
    return policy_json(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": f"arn:{partition}:ec2:{region}:{account}:vpc-flow-log/*"},
                },
            }
        ]
    )


def flow_logs_role_policy(partition: str, region: str, account: str, log_group_arn: str) -> str:
    """Least privilege for delivering flow logs: write streams of one log group."""
    return policy_json(
        [
            {
                "Sid": "WriteFlowLogGroup",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                "Resource": [log_group_arn, f"{log_group_arn}:*"],
            },
            {
                "Sid": "FindLogGroups",
                "Effect": "Allow",
                "Action": "logs:DescribeLogGroups",
                "Resource": flow_log_group_arn(partition, region, account, "*"),
            },
        ]
    )
