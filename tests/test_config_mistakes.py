"""Config mistakes that used to pass: each is refused before anything is registered, naming the
key and the fix (issue 18)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dpengine.cli import main

ROOT = Path(__file__).resolve().parent.parent
DEV = (ROOT / "Pulumi.dev.yaml").read_text()


def project_with(tmp_path: Path, text: str) -> Path:
    project = tmp_path / "p"
    project.mkdir(parents=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        (project / name).write_text((ROOT / name).read_text())
    (project / "Pulumi.dev.yaml").write_text(text)
    return project


def errors_of(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The error lines of a dev preview of ``text``; the preview must fail as a usage error."""
    assert text != DEV
    assert main(["preview", "--dir", str(project_with(tmp_path, text))]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert captured.out == ""  # nothing previewed: refused before any resource
    return captured.err.splitlines()


def test_a_key_given_twice_names_the_key_and_both_lines(tmp_path: Path, capsys) -> None:
    text = DEV.replace("    az_count: 2\n", "    az_count: 2\n    az_count: 3\n")
    line = DEV.splitlines().index("    az_count: 2") + 1
    assert errors_of(tmp_path, text, capsys) == [
        f"error: cannot load the stack: {tmp_path / 'p' / 'Pulumi.dev.yaml'}: not valid YAML: key 'az_count' "
        f"appears twice, at lines {line} and {line + 1}; keep one"
    ]


def test_a_namespace_like_the_projects_is_a_typo(tmp_path: Path, capsys) -> None:
    text = DEV.replace("  dataplatform:network:\n", "  dataplatfrom:network:\n")
    [line] = errors_of(tmp_path, text, capsys)
    assert line.endswith(
        "config key 'dataplatfrom:network': the namespace 'dataplatfrom' is not this project's; did you "
        "mean 'dataplatform:network'? (the program reads only dataplatform:... keys, so this value would "
        "be ignored and the defaults used)"
    )


def test_a_region_the_sdk_does_not_know_is_refused(tmp_path: Path, capsys) -> None:
    text = DEV.replace("aws:region: eu-west-1", "aws:region: eu-north-9")
    assert errors_of(tmp_path, text, capsys)[1:] == [
        "  - aws:region: not a region pulumi-aws knows (its Region enum); did you mean 'eu-north-1' or "
        "'eu-south-2' or 'eu-south-1'? (got 'eu-north-9')"
    ]


def test_an_unquoted_kubernetes_version_suggests_the_version_meant(tmp_path: Path, capsys) -> None:
    text = DEV.replace('kubernetes_version: "1.36"', "kubernetes_version: 1.30")
    assert errors_of(tmp_path, text, capsys)[1:] == [
        '  - dataplatform:cluster.kubernetes_version: quote the version: kubernetes_version: "1.30" '
        "(YAML reads it unquoted as the number 1.3) (got 1.3)"
    ]


def test_every_problem_at_once_even_behind_a_failing_section(tmp_path: Path, capsys) -> None:
    """A CPU request above its limit no longer hides the http probes of a service with no port."""
    text = DEV.replace(
        "      port: 8080\n      probes:\n        readiness: {type: http, path: /ready, port: 8080}\n"
        "        liveness: {type: http, path: /healthz, port: 8080}\n",
        "      resources: {requests: {cpu: '2'}, limits: {cpu: '1'}}\n"
        "      probes:\n        readiness: {type: http, path: /ready}\n",
        1,
    )
    # Without a port the service cannot keep its ingress either (a third problem): drop it.
    text = "\n".join(x for x in text.split("\n") if not x.startswith("      ingress: {certificate_arn"))
    lines = errors_of(tmp_path, text, capsys)
    assert lines[0] == "error: the stack configuration is invalid: 2 problem(s)"
    assert [line.split(": ")[0] for line in lines[1:]] == [
        "  - dataplatform:services[0].resources.requests.cpu",
        "  - dataplatform:services[0].probes.readiness.type",
    ]
    assert "a http probe needs a container port, and none is exposed" in lines[2]


def test_an_interface_endpoint_typo_gets_a_suggestion(tmp_path: Path, capsys) -> None:
    text = DEV.replace(
        "    nat_gateways: single\n", "    nat_gateways: single\n    interface_endpoints: [ecr.dockr]\n"
    )
    assert errors_of(tmp_path, text, capsys)[1:] == [
        "  - dataplatform:network.interface_endpoints[0]: not an AWS endpoint service name; did you mean "
        "'ecr.dkr'? (got 'ecr.dockr')"
    ]


def test_no_nat_with_services_needs_endpoints_and_private_images(tmp_path: Path, capsys) -> None:
    text = DEV.replace(
        "    nat_gateways: single\n", "    nat_gateways: none\n    interface_endpoints: [ecr.dkr, sts]\n"
    )
    lines = errors_of(tmp_path, text, capsys)
    # The cluster runtime's charts pull from public registries; the nodes reach neither without NAT.
    runtime = [
        "  - dataplatform:cluster.karpenter: network.nat_gateways is none, so the nodes cannot pull from "
        "public.ecr.aws/karpenter (the controller chart's image); set nat_gateways: single, or drop it "
        "here (got 'set')",
        "  - dataplatform:cluster.keda: network.nat_gateways is none, so the nodes cannot pull from "
        "ghcr.io/kedacore (the operator, metrics server and webhook images); set nat_gateways: single, "
        "or drop it here (got 'set')",
        "  - dataplatform:cluster.load_balancer_controller: network.nat_gateways is none, so the nodes "
        "cannot pull from public.ecr.aws/eks/aws-load-balancer-controller (the controller's image); set "
        "nat_gateways: single, or drop it here (got 'set')",
    ]
    # The warehouse bootstrap job's images are public too (ECR Public), unless copied to the account.
    migration = [
        f"  - dataplatform:warehouse.migration.{key}: network.nat_gateways is none, and only the account's "
        "private ECR is reachable without NAT; copy the image to <account>.dkr.ecr.<region>.amazonaws.com "
        f"and name it here, or set nat_gateways: single (got '{image}')"
        for key, image in (
            ("client_image", "public.ecr.aws/docker/library/postgres:17.2-bookworm"),
            ("secret_reader_image", "public.ecr.aws/aws-cli/aws-cli:2.17.0"),
        )
    ]
    assert lines[1:] == [
        *runtime,
        "  - dataplatform:network.nat_gateways: without NAT the nodes cannot pull images or reach the AWS "
        "APIs they need; add ec2, ecr.api, secretsmanager, sqs to network.interface_endpoints, or set "
        "nat_gateways: single (got 'none')",
        *migration,
    ]
    # The services' images come from their own ECR repositories (image_repository): reachable. A
    # public image is not.
    own_repository = "      image_repository: {name: dev/ingest-api,"
    line = next(x for x in text.splitlines() if x.startswith(own_repository))
    public = text.replace(line, "      image: public.ecr.aws/acme/ingest-api:1.4.2")
    assert [x.split(": ")[0] for x in errors_of(tmp_path / "public", public, capsys)[5:]] == [
        "  - dataplatform:services[0].image",
        "  - dataplatform:warehouse.migration.client_image",
        "  - dataplatform:warehouse.migration.secret_reader_image",
    ]
    # With the endpoints, only the runtime's public images are left.
    fixed = text.replace("[ecr.dkr, sts]", "[ec2, ecr.api, ecr.dkr, secretsmanager, sqs, sts]")
    assert errors_of(tmp_path / "fixed", fixed, capsys)[1:] == [*runtime, *migration]
    mirrored = fixed.replace(
        "  dataplatform:warehouse:\n",
        "  dataplatform:warehouse:\n    migration:\n"
        "      client_image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/mirror/postgres:17.2-bookworm\n"
        "      secret_reader_image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/mirror/aws-cli:2.17.0\n",
    )
    assert errors_of(tmp_path / "mirrored", mirrored, capsys)[1:] == runtime
