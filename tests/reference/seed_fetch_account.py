"""Seeds the moto server with an account for `whydenied policies fetch` to read, and prints what
it seeded as JSON: the expected values of tests/aws/fetch.rs, taken from the seed itself and from
boto3 reads through other APIs than the fetcher's (never from the fetcher's output).

The account (moto's 123456789012): a group with an inline and an attached managed policy, a user
in it with an inline policy holding a Deny, tags; a role with a trust policy, an inline policy, an
attached one and a permissions boundary; an organization root -> OU -> member account with an SCP
and an RCP at each level; two buckets, one with a policy, Block Public Access, Object Ownership and
tags, one with none of them; the account's Block Public Access; a KMS key with its policy; a VPC
gateway endpoint with a policy.

moto's deviations (POLICY.md 2.5) are handled here, in the test setup: S3 Control puts the account
id in front of the endpoint's host, which does not resolve for an address, so name resolution of
such names is pointed at the endpoint's address for this process only.

usage: seed_fetch_account.py ENDPOINT SUFFIX
"""

import json
import socket
import sys
from urllib.parse import urlparse

import boto3
import botocore.exceptions

REGION = "us-east-1"
SHORT = {"SERVICE_CONTROL_POLICY": "scp", "RESOURCE_CONTROL_POLICY": "rcp"}


def document(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def point_prefixed_names_at(host):
    """`123456789012.127.0.0.1` -> 127.0.0.1 (S3 Control's account-id host prefix)."""
    real = socket.getaddrinfo

    def getaddrinfo(name, *args, **kwargs):
        if isinstance(name, str) and name.endswith("." + host):
            name = host
        return real(name, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo


def main(endpoint, suffix):
    point_prefixed_names_at(urlparse(endpoint).hostname)
    client = lambda service: boto3.client(service, endpoint_url=endpoint, region_name=REGION)
    iam, org, s3 = client("iam"), client("organizations"), client("s3")
    account = client("sts").get_caller_identity()["Account"]
    seeded = {"account": account}

    # IAM
    read_logs = iam.create_policy(
        PolicyName=f"ReadLogs-{suffix}",
        PolicyDocument=document(
            {"Sid": "ReadLogs", "Effect": "Allow", "Action": "logs:Get*", "Resource": "*"}
        ),
    )["Policy"]["Arn"]
    boundary = iam.create_policy(
        PolicyName=f"Boundary-{suffix}",
        PolicyDocument=document(
            {"Sid": "BoundS3AndLogs", "Effect": "Allow", "Action": ["s3:*", "logs:*"], "Resource": "*"}
        ),
    )["Policy"]["Arn"]
    group = f"ops-{suffix}"
    iam.create_group(GroupName=group)
    iam.put_group_policy(
        GroupName=group,
        PolicyName="OpsInline",
        PolicyDocument=document(
            {"Sid": "ListBuckets", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}
        ),
    )
    iam.attach_group_policy(GroupName=group, PolicyArn=read_logs)
    user = f"alice-{suffix}"
    user_arn = iam.create_user(UserName=user, Tags=[{"Key": "team", "Value": "data"}])["User"]["Arn"]
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.put_user_policy(
        UserName=user,
        PolicyName="AliceInline",
        PolicyDocument=document(
            {"Sid": "AllowS3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Sid": "DenyBucketDeletion", "Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"},
        ),
    )
    role = f"deploy-{suffix}"
    role_arn = iam.create_role(
        RoleName=role,
        AssumeRolePolicyDocument=document(
            {
                "Sid": "TrustTheAccount",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "sts:AssumeRole",
            }
        ),
        PermissionsBoundary=boundary,
        Tags=[{"Key": "env", "Value": "prod"}],
    )["Role"]["Arn"]
    iam.put_role_policy(
        RoleName=role,
        PolicyName="DeployInline",
        PolicyDocument=document(
            {"Sid": "ReadAndDeleteObjects", "Effect": "Allow", "Action": ["s3:GetObject", "s3:DeleteObject"], "Resource": "*"}
        ),
    )
    iam.attach_role_policy(RoleName=role, PolicyArn=read_logs)
    seeded["user"] = {
        "arn": user_arn,
        "policies": sorted([f"{user_arn}#inline/AliceInline", read_logs,
                            f"arn:aws:iam::{account}:group/{group}#inline/OpsInline"]),
        "tags": [["team", "data"]],
    }
    seeded["role"] = {
        "arn": role_arn,
        "policies": sorted([f"{role_arn}#inline/DeployInline", read_logs]),
        "boundary": boundary,
        "trust_sids": ["TrustTheAccount"],
        "tags": [["env", "prod"]],
    }

    # Organization: root -> OU -> member account, an SCP and an RCP at each level.
    try:
        org.create_organization(FeatureSet="ALL")
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] != "AlreadyInOrganizationException":
            raise
    root = org.list_roots()["Roots"][0]["Id"]
    for kind in ["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"]:
        try:
            org.enable_policy_type(RootId=root, PolicyType=kind)
        except botocore.exceptions.ClientError as e:
            if e.response["Error"]["Code"] != "PolicyTypeAlreadyEnabledException":
                raise
    ou = org.create_organizational_unit(ParentId=root, Name=f"workloads-{suffix}")["OrganizationalUnit"]["Id"]
    member = org.create_account(Email=f"member-{suffix}@example.com", AccountName=f"member-{suffix}")
    member = member["CreateAccountStatus"]["AccountId"]
    org.move_account(AccountId=member, SourceParentId=root, DestinationParentId=ou)
    statement = lambda sid, action: {"Sid": sid, "Effect": "Deny", "Action": action, "Resource": "*"}
    rcp_statement = lambda sid, action: dict(statement(sid, action), Principal="*")
    for target, level in [(root, "root"), (ou, "ou"), (member, "account")]:
        for kind, make, action in [
            ("SERVICE_CONTROL_POLICY", statement, "iam:CreateUser"),
            ("RESOURCE_CONTROL_POLICY", rcp_statement, "s3:PutBucketAcl"),
        ]:
            name = f"{SHORT[kind]}-{level}-{suffix}"
            policy = org.create_policy(
                Name=name, Type=kind, Description=level,
                Content=document(make(f"Deny{level.capitalize()}", action)),
            )["Policy"]["PolicySummary"]["Id"]
            org.attach_policy(PolicyId=policy, TargetId=target)
    # The chain each kind has for the member account: the names attached at each level, read
    # per target (the fetcher reads per policy: list-targets-for-policy).
    seeded["member"] = member
    seeded["chains"] = {
        kind: [
            sorted(p["Name"] for p in org.list_policies_for_target(TargetId=t, Filter=kind)["Policies"])
            for t in [root, ou, member]
        ]
        for kind in ["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"]
    }

    # S3
    data, plain = f"fetch-data-{suffix}", f"fetch-plain-{suffix}"
    for bucket in [data, plain]:
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(
        Bucket=data,
        Policy=document(
            {
                "Sid": "DenyObjectDeletion",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:DeleteObject",
                "Resource": f"arn:aws:s3:::{data}/*",
            }
        ),
    )
    s3.put_public_access_block(
        Bucket=data,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True,
            "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_ownership_controls(
        Bucket=data, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    s3.put_bucket_tagging(Bucket=data, Tagging={"TagSet": [{"Key": "class", "Value": "data"}]})
    client("s3control").put_public_access_block(
        AccountId=account,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": False, "IgnorePublicAcls": False,
            "BlockPublicPolicy": False, "RestrictPublicBuckets": False,
        },
    )
    seeded["buckets"] = {"data": data, "plain": plain, "data_policy_sids": ["DenyObjectDeletion"]}

    # KMS and the VPC endpoint
    key = client("kms").create_key(
        Description="fetch test",
        Policy=document(
            {"Sid": "EnableRoot", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "DenyKeyDeletion", "Effect": "Deny", "Principal": "*",
             "Action": "kms:ScheduleKeyDeletion", "Resource": "*"},
        ),
    )["KeyMetadata"]
    seeded["key"] = {"id": key["KeyId"], "arn": key["Arn"], "sids": ["EnableRoot", "DenyKeyDeletion"]}
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    endpoint_id = ec2.create_vpc_endpoint(
        VpcId=vpc,
        ServiceName=f"com.amazonaws.{REGION}.s3",
        VpcEndpointType="Gateway",
        PolicyDocument=document(
            {"Sid": "OnlyTheDataBucket", "Effect": "Allow", "Principal": "*", "Action": "s3:*",
             "Resource": [f"arn:aws:s3:::{data}", f"arn:aws:s3:::{data}/*"]}
        ),
    )["VpcEndpoint"]["VpcEndpointId"]
    seeded["endpoint"] = {"id": endpoint_id, "sids": ["OnlyTheDataBucket"]}
    json.dump(seeded, sys.stdout, indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:])
