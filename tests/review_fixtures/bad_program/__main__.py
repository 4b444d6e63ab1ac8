# A deliberately insecure program: the scanner test proves checkov finds each planted problem in the export.
import pulumi_aws as aws
import pulumi_kubernetes as k8s

bucket = aws.s3.Bucket("open-bucket")
aws.s3.BucketPublicAccessBlock(
    "open-bucket-pab", bucket=bucket.id, block_public_acls=False, block_public_policy=False
)
sg = aws.ec2.SecurityGroup(
    "ssh-from-anywhere",
    description="ssh",
    ingress=[
        aws.ec2.SecurityGroupIngressArgs(protocol="tcp", from_port=22, to_port=22, cidr_blocks=["0.0.0.0/0"])
    ],
)
k8s.core.v1.Pod(
    "privileged",
    metadata={"name": "privileged", "namespace": "default"},
    spec={"containers": [{"name": "app", "image": "nginx", "securityContext": {"privileged": True}}]},
)
