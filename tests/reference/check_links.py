"""Independent check of the change links of a `whydenied scan` run over a directory of CloudTrail logs.

Recomputes from the raw logs, with Python's gzip and json modules, the successful policy changes
(the event table of src/changes/events.rs, POLICY.md §6.1) and the summary groups (principal ×
action × bucket of every authorization failure, with first/last event time and accounts), then
links each group to a change by the rules written in the module doc of src/changes/link.rs:

- a change *governs* a group when it changed the bucket's policy, Block Public Access (the
  bucket's, or that of an account the group's requests went to), Object Ownership or ACL; the
  user's or role's inline policies, attachments, boundary or tags, the groups the trail shows the
  user joining (AddUserToGroup) and their policies, new versions of the managed policies the trail
  shows attached (Attach*Policy) to them or those groups; for `sts:AssumeRole*`, the trust policy
  of the role assumed; for `kms:*` on a key, its key policy; for an SQS, SNS, Secrets Manager,
  Lambda or ECR resource, its resource policy; for groups whose message names an SCP or RCP, or
  nothing, the organization's SCP/RCP changes, attachments and account moves (an OU or root target
  for every account, an account target for the principal's account); for a group whose earliest
  request (by time, then event id) came through a VPC endpoint, that endpoint's policy;
- the link is the latest successful governing change at or before the first denial and at most
  7 days earlier, ties in the same second broken by the greatest event id;
- `changed_after`: some governing change after the last denial;
- `self_change_event_id`: the first (time, then event id) non-session change made by the denied
  principal itself between its first denial and an hour after its last;
- `noise`: the group's label is the most frequent of its denials' labels (denials.parquet) when
  every denial has one; a `service_principal` group linked to a change of the resource's own
  policy or settings has none;
- `transient_success_time` (src/changes/transient.rs): for an `sts:AssumeRole*` group, the first
  successful `AssumeRole*` (eventSource sts, no errorCode) by the same principal for the group's
  role (`requestParameters.roleArn` equal to `sample_resource_arn`) at or after its last denial,
  when it is at most 300 s later and no governing change took effect after the last denial and at
  or before it.

Where src/changes/link.rs's code reads more into a change than its doc says, this checker keeps
to the doc (and so disagrees with the code on such trails; sample-logs has none): a group the user
left (RemoveUserFromGroup) or a policy detached (Detach*Policy) does not bring in that group's or
policy's later changes; a resource policy governs only a resource of the same service and name
(a Secrets Manager secret named by name or by its suffixed ARN); an account-level SCP attachment
governs the principals of that account, the root user included.

Two group attributes are whydenied's own documented message-parsing choices and are READ FROM
summary.parquet as inputs: the group's most frequent `denied_by` and its `sample_resource_arn`.
Everything else comes from the raw logs. The IAM action of a denial follows the README ("What and
where"): the action the message names, else the event source prefix and event name through the
documented tables of src/classify/action.rs, copied below as data.

It then compares every group of summary.parquet (the change columns and both flags), checks the
successful rows of policy_changes.parquet against the extracted changes, checks the two stories
sample-logs tells (gen_trail.rs `write_stories`) when their records are present, prints a short
report and exits 1 on any mismatch.

usage: check_links.py LOG_DIR OUT_DIR   (OUT_DIR holds summary.parquet and policy_changes.parquet)
"""

import os
import re
import sys
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone

import pyarrow.parquet as pq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_scan import bucket_of, is_authorization_failure, principal_of, read_records  # noqa: E402

LOOKBACK = 7 * 86400 * 1_000_000
SELF_CHANGE_AFTER = 3600 * 1_000_000
TRANSIENT_WINDOW = 300 * 1_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# --- The IAM action (README "What and where"; tables of src/classify/action.rs) ---------------

PREFIX_RENAMES = {
    "amazonmq": "mq", "cloudcontrolapi": "cloudformation", "email": "ses", "models.lex": "lex", "monitoring": "cloudwatch",
    "runtime.lex": "lex", "runtime.sagemaker": "sagemaker", "streams.dynamodb": "dynamodb", "tagging": "tag",
}
ACTION_TABLES = {
    "s3": {
        "CompleteMultipartUpload": "PutObject", "CopyObject": "PutObject", "CreateMultipartUpload": "PutObject",
        "DeleteAccountPublicAccessBlock": "PutAccountPublicAccessBlock",
        "DeleteBucketAnalyticsConfiguration": "PutAnalyticsConfiguration", "DeleteBucketCors": "PutBucketCORS",
        "DeleteBucketEncryption": "PutEncryptionConfiguration",
        "DeleteBucketIntelligentTieringConfiguration": "PutIntelligentTieringConfiguration",
        "DeleteBucketInventoryConfiguration": "PutInventoryConfiguration",
        "DeleteBucketLifecycle": "PutLifecycleConfiguration",
        "DeleteBucketMetricsConfiguration": "PutMetricsConfiguration",
        "DeleteBucketOwnershipControls": "PutBucketOwnershipControls",
        "DeleteBucketPublicAccessBlock": "PutBucketPublicAccessBlock",
        "DeleteBucketReplication": "PutReplicationConfiguration", "DeleteBucketTagging": "PutBucketTagging",
        "DeleteObjects": "DeleteObject", "DeletePublicAccessBlock": "PutBucketPublicAccessBlock",
        "GetBucketAccelerateConfiguration": "GetAccelerateConfiguration",
        "GetBucketAnalyticsConfiguration": "GetAnalyticsConfiguration", "GetBucketCors": "GetBucketCORS",
        "GetBucketEncryption": "GetEncryptionConfiguration",
        "GetBucketIntelligentTieringConfiguration": "GetIntelligentTieringConfiguration",
        "GetBucketInventoryConfiguration": "GetInventoryConfiguration",
        "GetBucketLifecycle": "GetLifecycleConfiguration",
        "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
        "GetBucketMetricsConfiguration": "GetMetricsConfiguration",
        "GetBucketNotificationConfiguration": "GetBucketNotification",
        "GetBucketReplication": "GetReplicationConfiguration",
        "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration",
        "GetPublicAccessBlock": "GetBucketPublicAccessBlock", "HeadBucket": "ListBucket", "HeadObject": "GetObject",
        "ListBucketAnalyticsConfigurations": "GetAnalyticsConfiguration",
        "ListBucketIntelligentTieringConfigurations": "GetIntelligentTieringConfiguration",
        "ListBucketInventoryConfigurations": "GetInventoryConfiguration",
        "ListBucketMetricsConfigurations": "GetMetricsConfiguration", "ListBuckets": "ListAllMyBuckets",
        "ListMultipartUploads": "ListBucketMultipartUploads", "ListObjectVersions": "ListBucketVersions",
        "ListObjects": "ListBucket", "ListObjectsV2": "ListBucket", "ListParts": "ListMultipartUploadParts",
        "PostObject": "PutObject", "PutBucketAccelerateConfiguration": "PutAccelerateConfiguration",
        "PutBucketAnalyticsConfiguration": "PutAnalyticsConfiguration", "PutBucketCors": "PutBucketCORS",
        "PutBucketEncryption": "PutEncryptionConfiguration",
        "PutBucketIntelligentTieringConfiguration": "PutIntelligentTieringConfiguration",
        "PutBucketInventoryConfiguration": "PutInventoryConfiguration",
        "PutBucketLifecycle": "PutLifecycleConfiguration", "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
        "PutBucketMetricsConfiguration": "PutMetricsConfiguration",
        "PutBucketNotificationConfiguration": "PutBucketNotification",
        "PutBucketReplication": "PutReplicationConfiguration",
        "PutObjectLockConfiguration": "PutBucketObjectLockConfiguration",
        "PutPublicAccessBlock": "PutBucketPublicAccessBlock", "SelectObjectContent": "GetObject",
        "UploadPart": "PutObject", "UploadPartCopy": "PutObject",
    },
    "lambda": {"Invoke": "InvokeFunction", "InvokeWithResponseStream": "InvokeFunction"},
    "sns": {"PublishBatch": "Publish"},
    "sqs": {"ChangeMessageVisibilityBatch": "ChangeMessageVisibility", "DeleteMessageBatch": "DeleteMessage",
            "SendMessageBatch": "SendMessage"},
}


# With requestParameters.versionId (S3 User Guide, "Required permissions for Amazon S3 API operations").
S3_VERSION_ACTIONS = {
    "DeleteObject": "DeleteObjectVersion", "DeleteObjectTagging": "DeleteObjectVersionTagging",
    "GetObject": "GetObjectVersion", "GetObjectAcl": "GetObjectVersionAcl",
    "GetObjectAttributes": "GetObjectVersionAttributes", "GetObjectTagging": "GetObjectVersionTagging",
    "GetObjectTorrent": "GetObjectVersionTorrent", "HeadObject": "GetObjectVersion",
    "PutObjectAcl": "PutObjectVersionAcl", "PutObjectTagging": "PutObjectVersionTagging",
}
# API Gateway management calls are authorised by their HTTP verb.
APIGATEWAY_VERBS = {
    "ExportApi": "GET", "FlushStageAuthorizersCache": "DELETE", "FlushStageCache": "DELETE",
    "GenerateClientCertificate": "POST", "ImportApi": "PUT", "ImportApiKeys": "POST",
    "ImportDocumentationParts": "PUT", "ImportRestApi": "POST", "ReimportApi": "PUT",
    "ResetAuthorizersCache": "DELETE", "TestInvokeAuthorizer": "POST", "TestInvokeMethod": "POST",
    "UntagResource": "DELETE",
}
APIGATEWAY_VERB_BY_WORD = {"Create": "POST", "Delete": "DELETE", "Get": "GET", "Put": "PUT", "Update": "PATCH"}


def apigateway_verb(name):
    if name in APIGATEWAY_VERBS:
        return APIGATEWAY_VERBS[name]
    m = re.match(r"(Create|Delete|Get|Put|Update)[A-Z]", name)
    return APIGATEWAY_VERB_BY_WORD[m[1]] if m else None


def service_prefix(source):
    source = source.strip()
    at = source.lower().find(".amazonaws.com")
    host = source if at < 0 else source[:at]
    for name, prefix in PREFIX_RENAMES.items():
        if name == host.lower():
            return prefix
    return host.rsplit(".", 1)[-1] or "unknown"


def strip_api_version(name):
    m = re.search(r"[0-9]{4}_[0-9]{2}_[0-9]{2}$", name) or re.search(r"(?<![0-9])[0-9]{8}(v[0-9]+)?$", name)
    return name[:m.start()] if m and m.start() > 0 else name


def action_of(record):
    message = record.get("errorMessage") if isinstance(record.get("errorMessage"), str) else ""
    cut = re.search(r"encoded\s+authorization\s+failure\s+message", message, re.I)
    body = message[:cut.start()] if cut else message
    said = re.search(r"is\s+not\s+authorized\s+to\s+perform", body, re.I)
    if said:
        rest = body[said.end():].lstrip()
        rest = rest[1:].lstrip() if rest.startswith(":") else rest
        token = rest.split(None, 1)[0] if rest.split(None, 1) else ""
        token = token.rstrip(".").strip("`'\"")
        m = re.fullmatch(r"([^:`'\"]+):([^:`'\"]+)", token)
        if m:
            return f"{m[1].lower()}:{m[2]}"
    source = record.get("eventSource") if isinstance(record.get("eventSource"), str) else ""
    name = record.get("eventName") if isinstance(record.get("eventName"), str) else ""
    prefix = service_prefix(source).lower()
    name = strip_api_version(name.strip()) or "unknown"
    params = record.get("requestParameters") if isinstance(record.get("requestParameters"), dict) else {}
    version = params.get("versionId")
    if prefix == "s3" and isinstance(version, str) and version and name in S3_VERSION_ACTIONS:
        return f"s3:{S3_VERSION_ACTIONS[name]}"
    if prefix == "apigateway" and apigateway_verb(name):
        return f"apigateway:{apigateway_verb(name)}"
    return f"{prefix}:{ACTION_TABLES.get(prefix, {}).get(name, name)}"


def micros(text_time):
    """RFC 3339 text, or a datetime read from Parquet, as microseconds since the epoch."""
    if text_time is None:
        return None
    if isinstance(text_time, str):
        try:
            text_time = datetime.fromisoformat(text_time.replace("Z", "+00:00"))
        except ValueError:
            return None
        if text_time.tzinfo is None:
            return None
    return (text_time - EPOCH) // timedelta(microseconds=1)


# --- The policy changes (src/changes/events.rs, POLICY.md §6.1) --------------------------------

IAM, S3, KMS, ORG, STS = ("iam.amazonaws.com", "s3.amazonaws.com", "kms.amazonaws.com",
                          "organizations.amazonaws.com", "sts.amazonaws.com")
USER, GROUP, ROLE, BUCKET = [("q", "userName")], [("q", "groupName")], [("q", "roleName")], [("q", "bucketName")]
SESSION_PARTS = [("q", "policy"), ("q", "policyArns"), ("q", "tags")]
ORG_ID = [("q", "policyId")]

# (source, event name, target type, target fields, detail fields, requirement); a requirement is
# None, ("any", fields) or ("equals", field, text). Lambda names are prefixes (API version suffix).
CHANGES = [
    (IAM, "PutUserPolicy", "inline_policy", USER, [("q", "policyName")], None),
    (IAM, "PutGroupPolicy", "inline_policy", GROUP, [("q", "policyName")], None),
    (IAM, "PutRolePolicy", "inline_policy", ROLE, [("q", "policyName")], None),
    (IAM, "DeleteUserPolicy", "inline_policy", USER, [("q", "policyName")], None),
    (IAM, "DeleteGroupPolicy", "inline_policy", GROUP, [("q", "policyName")], None),
    (IAM, "DeleteRolePolicy", "inline_policy", ROLE, [("q", "policyName")], None),
    (IAM, "AttachUserPolicy", "policy_attachment", USER, [("q", "policyArn")], None),
    (IAM, "AttachGroupPolicy", "policy_attachment", GROUP, [("q", "policyArn")], None),
    (IAM, "AttachRolePolicy", "policy_attachment", ROLE, [("q", "policyArn")], None),
    (IAM, "DetachUserPolicy", "policy_attachment", USER, [("q", "policyArn")], None),
    (IAM, "DetachGroupPolicy", "policy_attachment", GROUP, [("q", "policyArn")], None),
    (IAM, "DetachRolePolicy", "policy_attachment", ROLE, [("q", "policyArn")], None),
    (IAM, "CreatePolicy", "managed_policy_version", [("r", "policy", "arn"), ("q", "policyName")],
     [("r", "policy", "defaultVersionId")], None),
    (IAM, "CreatePolicyVersion", "managed_policy_version", [("q", "policyArn")],
     [("r", "policyVersion", "versionId")], None),
    (IAM, "SetDefaultPolicyVersion", "managed_policy_version", [("q", "policyArn")], [("q", "versionId")], None),
    (IAM, "DeletePolicyVersion", "managed_policy_version", [("q", "policyArn")], [("q", "versionId")], None),
    (IAM, "DeletePolicy", "managed_policy_version", [("q", "policyArn")], [], None),
    (IAM, "CreateRole", "role_trust_policy", ROLE, [("q", "permissionsBoundary")], None),
    (IAM, "UpdateAssumeRolePolicy", "role_trust_policy", ROLE, [], None),
    (IAM, "PutUserPermissionsBoundary", "permissions_boundary", USER, [("q", "permissionsBoundary")], None),
    (IAM, "PutRolePermissionsBoundary", "permissions_boundary", ROLE, [("q", "permissionsBoundary")], None),
    (IAM, "DeleteUserPermissionsBoundary", "permissions_boundary", USER, [], None),
    (IAM, "DeleteRolePermissionsBoundary", "permissions_boundary", ROLE, [], None),
    (IAM, "TagUser", "principal_tags", USER, [], None),
    (IAM, "TagRole", "principal_tags", ROLE, [], None),
    (IAM, "UntagUser", "principal_tags", USER, [], None),
    (IAM, "UntagRole", "principal_tags", ROLE, [], None),
    (IAM, "AddUserToGroup", "group_membership", USER, GROUP, None),
    (IAM, "RemoveUserFromGroup", "group_membership", USER, GROUP, None),
    (S3, "PutBucketPolicy", "bucket_policy", BUCKET, [], None),
    (S3, "DeleteBucketPolicy", "bucket_policy", BUCKET, [], None),
    (S3, "PutBucketPublicAccessBlock", "public_access_block", BUCKET, [], None),
    (S3, "DeleteBucketPublicAccessBlock", "public_access_block", BUCKET, [], None),
    (S3, "PutAccountPublicAccessBlock", "public_access_block", [], [], None),
    (S3, "DeleteAccountPublicAccessBlock", "public_access_block", [], [], None),
    (S3, "PutBucketOwnershipControls", "ownership_controls", BUCKET, [], None),
    (S3, "DeleteBucketOwnershipControls", "ownership_controls", BUCKET, [], None),
    (S3, "PutBucketAcl", "acl", BUCKET, [], None),
    (S3, "PutObjectAcl", "acl", BUCKET, [("q", "key")], None),
    (KMS, "CreateKey", "key_policy", [("r", "keyMetadata", "arn")], [], None),
    (KMS, "PutKeyPolicy", "key_policy", [("q", "keyId")], [], None),
    (ORG, "CreatePolicy", "scp", [("r", "policy", "policySummary", "id"), ("q", "name")], [], None),
    (ORG, "UpdatePolicy", "scp", ORG_ID, [], None),
    (ORG, "DeletePolicy", "scp", ORG_ID, [], None),
    (ORG, "AttachPolicy", "org_policy_attachment", [("q", "targetId")], ORG_ID, None),
    (ORG, "DetachPolicy", "org_policy_attachment", [("q", "targetId")], ORG_ID, None),
    (ORG, "MoveAccount", "org_structure", [("q", "accountId")], [("q", "destinationParentId")], None),
    (ORG, "EnablePolicyType", "org_structure", [("q", "rootId")], [("q", "policyType")], None),
    (ORG, "DisablePolicyType", "org_structure", [("q", "rootId")], [("q", "policyType")], None),
    (STS, "AssumeRole", "session", [("r", "credentials", "accessKeyId")], [("q", "roleArn")], ("any", SESSION_PARTS)),
    (STS, "AssumeRoleWithSAML", "session", [("r", "credentials", "accessKeyId")], [("q", "roleArn")],
     ("any", SESSION_PARTS)),
    (STS, "AssumeRoleWithWebIdentity", "session", [("r", "credentials", "accessKeyId")], [("q", "roleArn")],
     ("any", SESSION_PARTS)),
    (STS, "GetFederationToken", "session", [("r", "credentials", "accessKeyId")], [("q", "name")], None),
    ("sqs.amazonaws.com", "SetQueueAttributes", "resource_policy", [("q", "queueUrl")], [],
     ("any", [("q", "attributes", "Policy")])),
    ("sns.amazonaws.com", "SetTopicAttributes", "resource_policy", [("q", "topicArn")], [],
     ("equals", ("q", "attributeName"), "Policy")),
    ("secretsmanager.amazonaws.com", "PutResourcePolicy", "resource_policy", [("q", "secretId")], [], None),
    ("secretsmanager.amazonaws.com", "DeleteResourcePolicy", "resource_policy", [("q", "secretId")], [], None),
    ("lambda.amazonaws.com", "AddPermission", "resource_policy", [("q", "functionName")], [("q", "statementId")], None),
    ("lambda.amazonaws.com", "RemovePermission", "resource_policy", [("q", "functionName")],
     [("q", "statementId")], None),
    ("ecr.amazonaws.com", "SetRepositoryPolicy", "resource_policy", [("q", "repositoryName")], [], None),
    ("ec2.amazonaws.com", "CreateVpcEndpoint", "endpoint_policy",
     [("r", "CreateVpcEndpointResponse", "vpcEndpoint", "vpcEndpointId")], [],
     ("any", [("q", "CreateVpcEndpointRequest", "PolicyDocument"), ("q", "policyDocument")])),
    ("ec2.amazonaws.com", "ModifyVpcEndpoint", "endpoint_policy",
     [("q", "ModifyVpcEndpointRequest", "VpcEndpointId"), ("q", "vpcEndpointId")], [],
     ("any", [("q", "ModifyVpcEndpointRequest", "PolicyDocument"), ("q", "policyDocument"),
              ("q", "ModifyVpcEndpointRequest", "ResetPolicy")])),
]
PREFIX_NAMED = {"lambda.amazonaws.com"}


def field(record, where):
    node = record.get("requestParameters" if where[0] == "q" else "responseElements")
    for key in where[1:]:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def first_text(record, fields):
    for where in fields:
        value = field(record, where)
        if isinstance(value, str) and value != "":
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return json_number(value)
    return None


def json_number(value):
    return str(value) if isinstance(value, int) else repr(value)


def failed(record):
    code = record.get("errorCode")
    return code is not None and code != "" and not isinstance(code, (dict, list))


def change_of(record):
    """The change a record makes, as a dict, or None."""
    source, name = record.get("eventSource"), record.get("eventName")
    if not isinstance(source, str) or not isinstance(name, str) or name == "":
        return None
    entry = next((e for e in CHANGES if e[0] == source
                  and (name.startswith(e[1]) if source in PREFIX_NAMED else name == e[1])), None)
    if entry is None:
        return None
    _, _, target_type, target_fields, detail_fields, requirement = entry
    if not failed(record) and requirement is not None:
        if requirement[0] == "any" and all(field(record, w) is None for w in requirement[1]):
            return None
        if requirement[0] == "equals" and field(record, requirement[1]) != requirement[2]:
            return None
    if target_type == "scp":
        logged = [v for v in (field(record, ("q", "type")), field(record, ("r", "policy", "policySummary", "type")))
                  if isinstance(v, str)]
        kind = logged[0] if logged else None
        if kind == "RESOURCE_CONTROL_POLICY":
            target_type = "rcp"
        elif kind not in (None, "SERVICE_CONTROL_POLICY"):
            return None
    account = record.get("recipientAccountId") if isinstance(record.get("recipientAccountId"), str) else None
    target = first_text(record, target_fields)
    if target is None and not target_fields:
        target = account  # the account-level Block Public Access belongs to the account
    when = record.get("eventTime")
    return {
        "event_time": micros(when) if isinstance(when, str) else None,
        "event_id": record.get("eventID") if isinstance(record.get("eventID"), str) else None,
        "account_id": account,
        "event_source": source,
        "event_name": name,
        "actor": principal_of(record.get("userIdentity"))[0],
        "target_type": target_type,
        "target": target,
        "detail": first_text(record, detail_fields),
        "failed": failed(record),
        "subject_kind": {"userName": "user", "groupName": "group", "roleName": "role"}.get(
            target_fields[0][1] if target_fields else None),
    }


# --- Linking (the module doc of src/changes/link.rs) -------------------------------------------

def iam_subject(arn):
    """arn:…:iam::A:user|role/path/name -> (A, kind, name)."""
    m = re.fullmatch(r"arn:[^:]*:iam::([^:]*):(user|role)/(.+)", arn or "")
    return (m[1], m[2], m[3].rsplit("/", 1)[-1]) if m else None


def principal_account(principal):
    m = re.match(r"arn:[^:]*:iam::([0-9]+):", principal or "")
    return m[1] if m else None


def resource_policy_name(service, text):
    """The queue, topic, secret, function or repository a target or ARN names."""
    text = text or ""
    if service == "sqs":
        return text.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    if service == "ecr":
        return text.split(":repository/", 1)[-1]
    if service == "lambda":
        m = re.search(r"function:([^:]+)", text)
        return m[1] if m else text
    if service == "secretsmanager":
        m = re.search(r":secret:(.+)-[A-Za-z0-9]{6}$", text)
        return m[1] if m else text.split(":secret:", 1)[-1]
    return text.rsplit(":", 1)[-1]


class Changes:
    """The successful changes with a time, indexed by what they govern."""

    def __init__(self, changes):
        self.ok = [c for c in changes if not c["failed"] and c["event_time"] is not None]
        self.memberships = defaultdict(set)
        self.attached = defaultdict(set)
        for c in self.ok:
            if c["event_name"] == "AddUserToGroup" and c["target"] and c["detail"]:
                self.memberships[(c["account_id"] or "", "user", c["target"])].add(c["detail"])
            if c["event_name"].startswith("Attach") and c["target"] and c["detail"] and c["subject_kind"]:
                self.attached[(c["account_id"] or "", c["subject_kind"], c["target"])].add(c["detail"])

    def governs(self, c, group):
        t, target = c["target_type"], c["target"]
        if target is None:
            return False
        if t in ("bucket_policy", "public_access_block", "ownership_controls", "acl"):
            if "Account" in c["event_name"]:
                return group["bucket"] is not None and target in group["accounts"]
            return group["bucket"] == target
        subject = iam_subject(group["principal"])
        if t in ("inline_policy", "policy_attachment", "permissions_boundary", "principal_tags", "group_membership"):
            if subject is None:
                return False
            account, kind, name = subject
            mine = (c["account_id"] or "", c["subject_kind"], target)
            groups = self.memberships.get(subject, set()) if kind == "user" else set()
            return mine == subject or (mine[1] == "group" and mine[0] == account and target in groups)
        if t == "managed_policy_version":
            if subject is None:
                return False
            holders = [subject] + [(subject[0], "group", g) for g in
                                   (self.memberships.get(subject, set()) if subject[1] == "user" else ())]
            return any(target in self.attached.get(h, ()) for h in holders)
        resource = group["sample_resource_arn"] or ""
        if t == "role_trust_policy":
            role = iam_subject(resource)
            return (group["action"].lower().startswith("sts:assumerole") and role is not None
                    and role[1] == "role" and (c["account_id"] or "", target) == (role[0], role[2]))
        if t == "key_policy":
            return (group["action"].startswith("kms:") and ":key/" in resource
                    and resource.split(":key/", 1)[1] == target.split(":key/", 1)[-1])
        if t == "resource_policy":
            m = re.match(r"arn:[^:]*:([^:]*):", resource)
            service = c["event_source"].split(".", 1)[0]
            return (m is not None and m[1] == service
                    and resource_policy_name(service, resource) == resource_policy_name(service, target))
        if t in ("scp", "rcp", "org_policy_attachment", "org_structure"):
            if group["denied_by"] not in ("scp", "rcp", "unknown"):
                return False
            if t in ("scp", "rcp"):
                return True
            return target.startswith(("ou-", "r-")) or target == principal_account(group["principal"])
        if t == "endpoint_policy":
            return target == group["vpc_endpoint_id"]
        return False  # sessions are not linked

    def link(self, group):
        first, last = group["first"], group["last"]
        governing = [c for c in self.ok if self.governs(c, group)]
        before = [c for c in governing if first - LOOKBACK <= c["event_time"] <= first]
        cause = max(before, key=lambda c: (c["event_time"], c["event_id"] or ""), default=None)
        own = [c for c in self.ok if c["actor"] == group["principal"] and c["target_type"] != "session"
               and first <= c["event_time"] <= last + SELF_CHANGE_AFTER]
        first_own = min(own, key=lambda c: (c["event_time"], c["event_id"] or ""), default=None)
        return {
            "change_event_id": cause and cause["event_id"],
            "change_time": cause and cause["event_time"],
            "change_actor": cause and cause["actor"],
            "change_event_name": cause and cause["event_name"],
            "change_target_type": cause and cause["target_type"],
            "change_target": cause and cause["target"],
            "changed_after": any(c["event_time"] > last for c in governing),
            "self_change_event_id": first_own and first_own["event_id"],
        }

    def transient(self, group, successes):
        """When the group's denials proved transient (see the module doc), or None."""
        role = group["sample_resource_arn"]
        if not group["action"].lower().startswith("sts:assumerole") or not role:
            return None
        last = group["last"]
        after = [t for t in successes.get((group["principal"], role), ()) if t >= last]
        if not after or min(after) - last > TRANSIENT_WINDOW:
            return None
        success = min(after)
        if any(last < c["event_time"] <= success for c in self.ok if self.governs(c, group)):
            return None
        return success


def role_assumptions(records):
    """(principal, role ARN) -> times of the successful AssumeRole* calls in the logs."""
    successes = defaultdict(list)
    for r in records:
        params = r.get("requestParameters")
        role = params.get("roleArn") if isinstance(params, dict) else None
        if (r.get("eventSource") == "sts.amazonaws.com" and str(r.get("eventName", "")).startswith("AssumeRole")
                and not failed(r) and isinstance(role, str) and isinstance(r.get("eventTime"), str)):
            successes[(principal_of(r.get("userIdentity"))[0], role)].append(micros(r["eventTime"]))
    return successes


RESOURCE_SIDE = {"bucket_policy", "public_access_block", "ownership_controls", "acl", "key_policy",
                 "resource_policy", "endpoint_policy"}


def group_noise(labels):
    """A group's noise label: the most frequent (ties: the smallest) when every denial has one."""
    if not labels or None in labels:
        return None
    counts = Counter(labels)
    return min(counts, key=lambda label: (-counts[label], label))


LINK_COLUMNS = ["change_event_id", "change_time", "change_actor", "change_event_name", "change_target_type",
                "change_target", "changed_after", "self_change_event_id"]


def check_stories(records, groups, summary, failures):
    """The two stories of gen_trail.rs `write_stories`, when the logs hold them."""
    put = [r for r in records if r.get("eventName") == "PutBucketPolicy" and not failed(r)
           and (r.get("requestParameters") or {}).get("bucketName") == "audit-logs-central"
           and principal_of(r.get("userIdentity"))[0] == "arn:aws:iam::111122223333:root"]
    delivery = [k for k in groups if k[0] == "delivery.logs.amazonaws.com" and k[2] == "audit-logs-central"]
    grant = [r for r in records if r.get("eventName") == "PutUserPolicy" and not failed(r)
             and principal_of(r.get("userIdentity"))[0] == "arn:aws:iam::111122223333:user/dev-intern"]
    intern = [k for k in groups if k[0] == "arn:aws:iam::111122223333:user/dev-intern"]
    told = 0
    if put and delivery:
        told += 1
        for key in delivery:
            row = summary.get(key, {})
            linked = [r for r in put if r["eventID"] == row.get("change_event_id")]
            if not linked or groups[key]["first"] - micros(linked[0]["eventTime"]) != 300 * 1_000_000:
                failures.append(f"story 1: {key} should be linked to the root's PutBucketPolicy of "
                                f"audit-logs-central 5 min before its first denial, got {row.get('change_event_id')}")
    if grant and intern:
        told += 1
        wanted = {r["eventID"] for r in grant}
        for key in intern:
            if summary.get(key, {}).get("self_change_event_id") not in wanted:
                failures.append(f"story 2: {key} should carry the self change {sorted(wanted)}, "
                                f"got {summary.get(key, {}).get('self_change_event_id')}")
    return told


def main(log_dir, out_dir):
    failures = []
    records, _, _ = read_records(log_dir)
    records = [r for r in records if r.get("eventType") != "AwsCloudTrailInsight"]

    groups = {}
    for r in records:
        if not is_authorization_failure(r):
            continue
        key = (principal_of(r.get("userIdentity"))[0], action_of(r), bucket_of(r))
        g = groups.setdefault(key, {"times": [], "accounts": set(), "earliest": None})
        t = micros(r.get("eventTime")) if isinstance(r.get("eventTime"), str) else None
        if t is not None:
            g["times"].append(t)
            order = (t, r.get("eventID") or "")
            if g["earliest"] is None or order < g["earliest"][0]:
                g["earliest"] = (order, r.get("vpcEndpointId") or None)
        if isinstance(r.get("recipientAccountId"), str) and r["recipientAccountId"]:
            g["accounts"].add(r["recipientAccountId"])
    assert groups, "the logs hold no denials: nothing would be checked"

    rows = pq.read_table(os.path.join(out_dir, "summary.parquet")).to_pylist()
    # Each denial's noise label is whydenied's documented classification (README "noise"): an
    # input here, like denied_by; the group's label and the link rule on top of it are checked.
    labels = defaultdict(list)
    for d in pq.read_table(os.path.join(out_dir, "denials.parquet"),
                           columns=["principal", "action", "bucket", "noise", "suppressed_by"]).to_pylist():
        if d["suppressed_by"] is None:
            labels[(d["principal"], d["action"], d["bucket"])].append(d["noise"])
    summary = {(r["principal"], r["action"], r["bucket"]): r for r in rows}
    if len(summary) != len(rows):
        failures.append(f"{len(rows) - len(summary)} duplicate groups in summary.parquet")
    for key in sorted(set(groups) ^ set(summary), key=str):
        failures.append(f"group {key}: {'missing from summary.parquet' if key in groups else 'not in the logs'}")

    extracted = [c for c in (change_of(r) for r in records) if c is not None]
    index = Changes(extracted)
    successes = role_assumptions(records)
    linked, by_type, flags = 0, Counter(), Counter()
    for key in sorted(set(groups) & set(summary), key=str):
        row, g = summary[key], groups[key]
        if not g["times"]:
            continue
        group = {"principal": key[0], "action": key[1], "bucket": key[2], "first": min(g["times"]),
                 "last": max(g["times"]), "accounts": g["accounts"],
                 "denied_by": row["denied_by"], "sample_resource_arn": row["sample_resource_arn"],
                 "vpc_endpoint_id": g["earliest"][1]}
        if row["sample_vpc_endpoint_id"] != group["vpc_endpoint_id"]:
            failures.append(f"{key}: sample_vpc_endpoint_id expected {group['vpc_endpoint_id']!r}, "
                            f"got {row['sample_vpc_endpoint_id']!r}")
        for column, value in [("first_seen", group["first"]), ("last_seen", group["last"])]:
            if micros(row[column]) != value:
                failures.append(f"{key}: {column} expected {value}, got {micros(row[column])}")
        expected = index.link(group)
        got = {c: micros(row[c]) if c == "change_time" else row[c] for c in LINK_COLUMNS}
        for column in LINK_COLUMNS:
            if expected[column] != got[column]:
                failures.append(f"{key}: {column} expected {expected[column]!r}, got {got[column]!r}")
        groups[key].update(group)
        label = group_noise(labels.get(key, []))
        if (label == "service_principal"
                and expected["change_target_type"] in RESOURCE_SIDE):
            label = None  # a service locked out by a change of the resource's policy is not noise
        if row["noise"] != label:
            failures.append(f"{key}: noise expected {label!r}, got {row['noise']!r}")
        if expected["change_event_id"]:
            linked += 1
            by_type[expected["change_target_type"]] += 1
        flags["changed_after"] += expected["changed_after"]
        flags["self_change"] += expected["self_change_event_id"] is not None
        transient = index.transient(group, successes)
        if transient != micros(row["transient_success_time"]):
            failures.append(f"{key}: transient_success_time expected {transient}, "
                            f"got {micros(row['transient_success_time'])}")
        flags["transient"] += transient is not None

    reported = pq.read_table(os.path.join(out_dir, "policy_changes.parquet")).to_pylist()
    as_row = lambda c: (c["event_time"], c["account_id"], c["event_source"], c["event_name"], c["actor"],  # noqa: E731
                        c["target_type"], c["target"], c["detail"])
    want = {c["event_id"]: as_row(c) for c in extracted if not c["failed"]}
    have = {r["event_id"]: as_row(dict(r, event_time=micros(r["event_time"]))) for r in reported
            if r["error_code"] is None}
    if len(want) != sum(not c["failed"] for c in extracted):
        failures.append("duplicate event ids among the successful changes of the logs")
    for event_id in sorted(set(want) | set(have), key=str):
        if want.get(event_id) != have.get(event_id):
            failures.append(f"change {event_id}: expected {want.get(event_id)}, got {have.get(event_id)}")
    failed_ids = Counter(c["event_id"] for c in extracted if c["failed"])
    if failed_ids != Counter(r["event_id"] for r in reported if r["error_code"] is not None):
        failures.append("the failed change attempts of policy_changes.parquet differ from the logs'")

    stories = check_stories(records, groups, summary, failures)

    for f in failures[:40]:
        print(f)
    if failures:
        print(f"{len(failures)} mismatches")
        sys.exit(1)
    types = ", ".join(f"{t} {n}" for t, n in sorted(by_type.items()))
    print(f"ok: {len(groups)} groups, {len(want)} successful changes, {linked} links ({types}), "
          f"{flags['changed_after']} changed_after, {flags['self_change']} self changes, "
          f"{flags['transient']} transient, {stories} stories agree")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
