"""Kubernetes quantities and int-or-percent pod counts (``components.pipeline_service.quantities``)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import TypeAdapter, ValidationError

from components.pipeline_service import parse_quantity
from components.pipeline_service.quantities import IntOrPercent, Quantity, format_quantity, is_zero, pods_of


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", Decimal("0.5")),
        ("2", Decimal(2)),
        ("0.5", Decimal("0.5")),
        ("512Mi", Decimal(512 * 1024**2)),
        ("1Gi", Decimal(1024**3)),
        ("1e3", Decimal(1000)),
        ("1E3", Decimal(1000)),
        ("500M", Decimal(500 * 10**6)),
        ("1k", Decimal(1000)),
        ("1Ki", Decimal(1024)),
        ("1E", Decimal(10**18)),
        ("100n", Decimal("0.0000001")),
        ("-1", Decimal(-1)),
    ],
)
def test_parse_quantity(text, value):
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["500x", "1GB", "", "m", "1.2.3", " 1Gi", "1 Gi", "Mi", "1ki"])
def test_parse_quantity_rejects(text):
    with pytest.raises(ValueError, match="is not a Kubernetes quantity"):
        parse_quantity(text)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1.50E+3"), "1500"),
        (Decimal("0.500"), "0.5"),
        (Decimal(16) * 4, "64"),
        (Decimal("1E-7"), "0.0000001"),
    ],
)
def test_format_quantity_is_a_plain_decimal(value, text):
    assert format_quantity(value) == text


def test_quantity_fields_keep_the_text_and_take_yaml_numbers():
    adapter = TypeAdapter(Quantity)
    assert adapter.validate_python("1Gi") == "1Gi"
    assert adapter.validate_python(2) == "2"
    assert adapter.validate_python(0.5) == "0.5"
    with pytest.raises(ValidationError, match="is negative"):
        adapter.validate_python("-1")
    # YAML's true is not taken for 1.
    with pytest.raises(ValidationError, match="valid string"):
        adapter.validate_python(True)


@pytest.mark.parametrize("value", [0, 3, "0%", "25%", "100%"])
def test_int_or_percent_accepts(value):
    assert TypeAdapter(IntOrPercent).validate_python(value) == value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "must not be negative"),
        ("101%", "from '0%' to '100%'"),
        ("25", "a percentage"),
    ],
)
def test_int_or_percent_rejects(value, message):
    with pytest.raises(ValidationError, match=message):
        TypeAdapter(IntOrPercent).validate_python(value)


def test_is_zero():
    assert is_zero(0) and is_zero("0%")
    assert not is_zero(1) and not is_zero("1%")


@pytest.mark.parametrize(
    ("value", "replicas", "round_up", "pods"),
    [
        (2, 10, True, 2),
        ("25%", 10, True, 3),
        ("25%", 10, False, 2),
        ("100%", 3, True, 3),
        ("1%", 3, False, 0),
    ],
)
def test_pods_of_rounds_as_kubernetes_does(value, replicas, round_up, pods):
    # maxSurge rounds up, maxUnavailable rounds down (the Deployment controller's rule).
    assert pods_of(value, replicas, round_up=round_up) == pods
