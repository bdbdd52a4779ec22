//! Every AWS API the fetcher calls, in one table: the operation (named in a `.err` as the CLI
//! names it), the AWS CLI command whose output file it writes, and the IAM action that allows
//! it (from the Service Authorization Reference, where the action is not the operation's name:
//! `ListBuckets` is `s3:ListAllMyBuckets`, S3 Control's `GetPublicAccessBlock` is
//! `s3:GetAccountPublicAccessBlock`). `docs/snapshot-policy.json` must grant every action
//! here; a test checks it.

/// One API the fetcher calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    GetCallerIdentity,
    GetAccountAuthorizationDetails,
    GetPolicy,
    GetPolicyVersion,
    DescribeOrganization,
    ListRoots,
    ListOrganizationalUnitsForParent,
    ListAccountsForParent,
    ListPolicies,
    DescribePolicy,
    ListTargetsForPolicy,
    ListBuckets,
    GetBucketLocation,
    GetBucketPolicy,
    GetBucketPublicAccessBlock,
    GetBucketPolicyStatus,
    GetBucketOwnershipControls,
    GetBucketAcl,
    GetBucketTagging,
    GetAccountPublicAccessBlock,
    ListKeys,
    DescribeKey,
    GetKeyPolicy,
    DescribeRegions,
    DescribeVpcEndpoints,
}

/// What the table says about one [`Api`].
pub struct Facts {
    /// The operation, as `when calling the <operation> operation` names it.
    pub operation: &'static str,
    /// The AWS CLI command, whose name the output file takes (`<command>.json`).
    pub command: &'static str,
    /// The IAM action that allows the call; `None` for the one call that needs no permission.
    pub action: Option<&'static str>,
}

impl Api {
    /// Every API, for the permission check.
    pub const ALL: [Api; 25] = [
        Api::GetCallerIdentity,
        Api::GetAccountAuthorizationDetails,
        Api::GetPolicy,
        Api::GetPolicyVersion,
        Api::DescribeOrganization,
        Api::ListRoots,
        Api::ListOrganizationalUnitsForParent,
        Api::ListAccountsForParent,
        Api::ListPolicies,
        Api::DescribePolicy,
        Api::ListTargetsForPolicy,
        Api::ListBuckets,
        Api::GetBucketLocation,
        Api::GetBucketPolicy,
        Api::GetBucketPublicAccessBlock,
        Api::GetBucketPolicyStatus,
        Api::GetBucketOwnershipControls,
        Api::GetBucketAcl,
        Api::GetBucketTagging,
        Api::GetAccountPublicAccessBlock,
        Api::ListKeys,
        Api::DescribeKey,
        Api::GetKeyPolicy,
        Api::DescribeRegions,
        Api::DescribeVpcEndpoints,
    ];

    pub fn facts(self) -> Facts {
        let (operation, command, action) = match self {
            Api::GetCallerIdentity => ("GetCallerIdentity", "get-caller-identity", None),
            Api::GetAccountAuthorizationDetails => (
                "GetAccountAuthorizationDetails",
                "get-account-authorization-details",
                Some("iam:GetAccountAuthorizationDetails"),
            ),
            Api::GetPolicy => ("GetPolicy", "get-policy", Some("iam:GetPolicy")),
            Api::GetPolicyVersion => {
                ("GetPolicyVersion", "get-policy-version", Some("iam:GetPolicyVersion"))
            }
            Api::DescribeOrganization => (
                "DescribeOrganization",
                "describe-organization",
                Some("organizations:DescribeOrganization"),
            ),
            Api::ListRoots => ("ListRoots", "list-roots", Some("organizations:ListRoots")),
            Api::ListOrganizationalUnitsForParent => (
                "ListOrganizationalUnitsForParent",
                "list-organizational-units-for-parent",
                Some("organizations:ListOrganizationalUnitsForParent"),
            ),
            Api::ListAccountsForParent => (
                "ListAccountsForParent",
                "list-accounts-for-parent",
                Some("organizations:ListAccountsForParent"),
            ),
            Api::ListPolicies => {
                ("ListPolicies", "list-policies", Some("organizations:ListPolicies"))
            }
            Api::DescribePolicy => {
                ("DescribePolicy", "describe-policy", Some("organizations:DescribePolicy"))
            }
            Api::ListTargetsForPolicy => (
                "ListTargetsForPolicy",
                "list-targets-for-policy",
                Some("organizations:ListTargetsForPolicy"),
            ),
            Api::ListBuckets => ("ListBuckets", "list-buckets", Some("s3:ListAllMyBuckets")),
            Api::GetBucketLocation => {
                ("GetBucketLocation", "get-bucket-location", Some("s3:GetBucketLocation"))
            }
            Api::GetBucketPolicy => {
                ("GetBucketPolicy", "get-bucket-policy", Some("s3:GetBucketPolicy"))
            }
            Api::GetBucketPublicAccessBlock => (
                "GetPublicAccessBlock",
                "get-public-access-block",
                Some("s3:GetBucketPublicAccessBlock"),
            ),
            Api::GetBucketPolicyStatus => (
                "GetBucketPolicyStatus",
                "get-bucket-policy-status",
                Some("s3:GetBucketPolicyStatus"),
            ),
            Api::GetBucketOwnershipControls => (
                "GetBucketOwnershipControls",
                "get-bucket-ownership-controls",
                Some("s3:GetBucketOwnershipControls"),
            ),
            Api::GetBucketAcl => ("GetBucketAcl", "get-bucket-acl", Some("s3:GetBucketAcl")),
            Api::GetBucketTagging => {
                ("GetBucketTagging", "get-bucket-tagging", Some("s3:GetBucketTagging"))
            }
            Api::GetAccountPublicAccessBlock => (
                "GetPublicAccessBlock",
                "get-public-access-block",
                Some("s3:GetAccountPublicAccessBlock"),
            ),
            Api::ListKeys => ("ListKeys", "list-keys", Some("kms:ListKeys")),
            Api::DescribeKey => ("DescribeKey", "describe-key", Some("kms:DescribeKey")),
            Api::GetKeyPolicy => ("GetKeyPolicy", "get-key-policy", Some("kms:GetKeyPolicy")),
            Api::DescribeRegions => {
                ("DescribeRegions", "describe-regions", Some("ec2:DescribeRegions"))
            }
            Api::DescribeVpcEndpoints => {
                ("DescribeVpcEndpoints", "describe-vpc-endpoints", Some("ec2:DescribeVpcEndpoints"))
            }
        };
        Facts { operation, command, action }
    }
}

/// The IAM actions the fetcher needs, sorted: what a least-privilege policy must grant.
pub fn required_actions() -> Vec<&'static str> {
    let mut actions: Vec<_> = Api::ALL.iter().filter_map(|api| api.facts().action).collect();
    actions.sort_unstable();
    actions.dedup();
    actions
}
