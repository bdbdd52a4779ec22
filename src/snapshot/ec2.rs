//! VPC endpoint policies: `ec2/<region>/describe-vpc-endpoints.json`, whose content names each
//! endpoint (`VpcEndpointId`) and carries its `PolicyDocument` (a JSON string).

use super::files::Reader;
use super::{Gap, Known};
use crate::policy::document::Policy;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// One account's endpoints, in every region captured.
pub(super) struct AccountEndpoints {
    endpoints: BTreeMap<String, Known<Policy>>,
    /// The gap of a region whose listing was not captured: an endpoint not found may be there.
    missing: Option<Gap>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeVpcEndpoints {
    #[serde(default)]
    vpc_endpoints: Vec<Endpoint>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Endpoint {
    vpc_endpoint_id: String,
    policy_document: Option<Value>,
}

pub(super) fn load(reader: &mut Reader, account_dir: &Path) -> AccountEndpoints {
    let mut found = AccountEndpoints { endpoints: BTreeMap::new(), missing: None };
    for (region, dir) in reader.subdirs(&account_dir.join("ec2")) {
        let gap = Gap::new("vpc-endpoints", &region, "not-captured");
        let listed: Known<DescribeVpcEndpoints> =
            reader.output(&dir, "describe-vpc-endpoints", gap.clone());
        let Known::Present(listed) = listed else {
            found.missing = Some(gap);
            continue;
        };
        let file = dir.join("describe-vpc-endpoints.json");
        for endpoint in listed.vpc_endpoints {
            let id = endpoint.vpc_endpoint_id;
            let policy = match endpoint.policy_document {
                // Gateway Load Balancer endpoints have no policy.
                None => Known::Absent,
                Some(document) => {
                    let name = format!("{id}#endpoint-policy");
                    let gap = Gap::new("endpoint-policy", &id, "not-captured");
                    reader.policy(&file, &name, &document, gap).into()
                }
            };
            found.endpoints.insert(id, policy);
        }
    }
    found
}

impl AccountEndpoints {
    pub fn endpoint_policy(&self, vpce_id: &str) -> Option<Known<Policy>> {
        self.endpoints.get(vpce_id).cloned()
    }

    pub fn missing_region(&self) -> Option<&Gap> {
        self.missing.as_ref()
    }
}
