"""The shared rules every component uses (components._shared): one home each."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from components._shared import (
    LOG_RETENTION_DAYS,
    Labels,
    cidr_problem,
    dns_1035_label_problem,
    dns_label_problem,
    dns_subdomain_problem,
    kms_key_arn_problem,
    label_key_problem,
    label_value_problem,
    retention_days_problem,
    s3_transport_statements,
)


@pytest.mark.parametrize(
    "key", ["app", "app.kubernetes.io/name", "dataplatform.io/pool", "a_b.c-d", "x" * 63, f"{'a' * 253}/n"]
)
def test_label_keys_kubernetes_accepts(key: str) -> None:
    assert label_key_problem(key) is None


@pytest.mark.parametrize(
    "key", ["a..b/x", "/x", "Example.com/x", "a/", "-app", "app-", "x" * 64, f"{'a' * 254}/n", "a/b/c", ""]
)
def test_label_keys_kubernetes_rejects(key: str) -> None:
    assert label_key_problem(key) is not None


def test_label_values() -> None:
    assert label_value_problem("") is None
    assert label_value_problem("v1.2_x") is None
    assert label_value_problem("-x") is not None
    assert label_value_problem("x" * 64) is not None


def test_labels_type_reports_every_bad_entry() -> None:
    with pytest.raises(ValidationError) as raised:
        TypeAdapter(Labels).validate_python({"a..b/x": "ok", "good": "-bad"})
    message = str(raised.value)
    assert "label key prefix 'a..b'" in message
    assert "label value '-bad'" in message


def test_dns_names() -> None:
    assert dns_label_problem("ingest-api") is None
    assert dns_label_problem("Ingest") is not None
    assert dns_label_problem("a" * 64) is not None
    assert dns_1035_label_problem("1api") is not None
    assert dns_1035_label_problem("api1") is None
    assert dns_subdomain_problem("a.b-c.d") is None
    assert dns_subdomain_problem("a..b") is not None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", None),
        ("arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/mrk-1234", None),
        ("arn:aws:kms:eu-west-1:123456789012:alias/lake", "not a key id or alias"),
        ("1234abcd-12ab-34cd-56ef-1234567890ab", "must be a KMS key ARN"),
        ("arn:aws:kms:eu-west-1:12345:key/x", "must be a KMS key ARN"),
    ],
)
def test_kms_key_arns(value: str, problem: str | None) -> None:
    found = kms_key_arn_problem(value)
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_kms_key_arn_of_an_output_is_not_judged_before_it_is_known() -> None:
    import pulumi

    assert kms_key_arn_problem(pulumi.Output.from_input("anything")) is None


def test_retention_days() -> None:
    assert LOG_RETENTION_DAYS[0] == 1 and LOG_RETENTION_DAYS[-1] == 3653 and len(LOG_RETENTION_DAYS) == 22
    assert retention_days_problem(90) is None
    assert retention_days_problem(100) == (
        "CloudWatch Logs does not offer 100 days; use one of its periods (nearest: 90, 120)"
    )
    assert (
        retention_days_problem(0)
        == "CloudWatch Logs does not offer 0 days; use one of its periods (nearest: 1)"
    )


@pytest.mark.parametrize(
    ("value", "ipv6", "problem"),
    [
        ("10.0.0.0/16", False, None),
        ("999.999.999.999/99", True, "not a CIDR block"),
        ("10.0.0.1/16", False, "has host bits set; use '10.0.0.0/16'"),
        ("10.0.0.1", False, "needs a prefix length; use '10.0.0.1/32'"),
        ("fd00::/64", False, "not an IPv4 CIDR block"),
        ("fd00::/64", True, None),
        ("10.0.0.0/33", True, "not a CIDR block"),
    ],
)
def test_cidrs(value: str, ipv6: bool, problem: str | None) -> None:
    found = cidr_problem(value, ipv6=ipv6)
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_s3_transport_statements() -> None:
    arn = "arn:aws:s3:::lake"
    assert s3_transport_statements(arn) == [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyOutdatedTls",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
        },
    ]
