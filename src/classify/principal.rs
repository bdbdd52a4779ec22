//! Who made the request: one stable `principal` string per identity, whatever its type.
//!
//! Rules follow the CloudTrail User Guide, "CloudTrail userIdentity element". The principal is
//! what a human would put into a policy or look up: for a role session it is the role's ARN (the
//! session name is kept separately, since every session of a role shares its policies). A record
//! with no usable identity is still counted, as `unknown`.

use crate::event::Identity;

/// The normalised identity of a request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Principal {
    /// The grouping key: a user/role/root ARN, a service name, `anonymous`, …; never empty.
    pub principal: String,
    /// `userIdentity.type`, or `Anonymous` for unsigned S3 requests, `Unknown` when absent.
    pub principal_type: String,
    /// The ARN of the caller as recorded (for a role session, the `assumed-role` ARN).
    pub caller_arn: Option<String>,
    /// The role session name, for assumed roles.
    pub session_name: Option<String>,
    /// The account the principal belongs to.
    pub account: Option<String>,
    /// The AWS service that made the call on the principal's behalf.
    pub invoked_by: Option<String>,
}

/// The account id CloudTrail records for unsigned S3 requests.
const ANONYMOUS_ACCOUNT: &str = "ANONYMOUS_PRINCIPAL";

/// Normalises `userIdentity` (absent, or not an object, gives `unknown`).
pub fn principal_of(identity: Option<&Identity<'_>>) -> Principal {
    let Some(id) = identity else {
        return Principal {
            principal: "unknown".into(),
            principal_type: "Unknown".into(),
            ..Principal::default()
        };
    };
    let id_type = id.identity_type.unwrap_or("Unknown");
    let (arn, account_id, principal_id) = (id.arn, id.account_id, id.principal_id);
    let (user_name, invoked_by) = (id.user_name, id.invoked_by);
    let mut principal_type = id_type.to_string();
    let mut session_name = None;
    let principal = match id_type {
        "AssumedRole" => {
            session_name = arn.and_then(assumed_role_session).map(str::to_string);
            id.session_issuer_arn
                .map(str::to_string)
                .or_else(|| arn.and_then(role_arn_of_session))
                .or_else(|| arn.map(str::to_string))
        }
        "AWSService" => invoked_by.map(str::to_string),
        "AWSAccount" if account_id == Some(ANONYMOUS_ACCOUNT) => {
            principal_type = "Anonymous".into();
            Some("anonymous".into())
        }
        "AWSAccount" => match (account_id, principal_id) {
            (Some(account), Some(id)) => Some(format!("{account}/{id}")),
            (account, id) => account.or(id).map(str::to_string),
        },
        "SAMLUser" | "WebIdentityUser" => user_name.or(principal_id).map(str::to_string),
        "IdentityCenterUser" => match (id.identity_store_arn, id.on_behalf_of_user_id) {
            (Some(store), Some(user)) => Some(format!("{store}/user/{user}")),
            (None, Some(user)) => Some(user.to_string()),
            _ => principal_id.map(str::to_string),
        },
        // IAMUser, Root, FederatedUser, Unknown, and types AWS adds later.
        _ => arn.or(principal_id).or(user_name).map(str::to_string),
    };
    let account = account_id
        .filter(|a| *a != ANONYMOUS_ACCOUNT)
        .or_else(|| arn.and_then(arn_account))
        .map(str::to_string);
    Principal {
        principal: principal.unwrap_or_else(|| "unknown".into()),
        principal_type,
        caller_arn: arn.map(str::to_string),
        session_name,
        account,
        invoked_by: invoked_by.map(str::to_string),
    }
}

/// `arn:aws:sts::111122223333:assumed-role/Role/session` → `session`.
fn assumed_role_session(arn: &str) -> Option<&str> {
    let resource = arn_resource(arn)?.strip_prefix("assumed-role/")?;
    resource.split_once('/').map(|(_, session)| session)
}

/// `arn:<partition>:sts::<account>:assumed-role/<role>/<session>` →
/// `arn:<partition>:iam::<account>:role/<role>` (the role's path is not in a session ARN).
fn role_arn_of_session(arn: &str) -> Option<String> {
    let fields: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, partition, _, _, account, resource] = fields.as_slice() else {
        return None;
    };
    let (role, _) = resource.strip_prefix("assumed-role/")?.split_once('/')?;
    Some(format!("arn:{partition}:iam::{account}:role/{role}"))
}

fn arn_resource(arn: &str) -> Option<&str> {
    arn.strip_prefix("arn:")?.splitn(5, ':').nth(4)
}

fn arn_account(arn: &str) -> Option<&str> {
    arn.strip_prefix("arn:")?.split(':').nth(3).filter(|a| !a.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::json::event_of;

    fn principal(identity: &str) -> Principal {
        let event = event_of(&format!(r#"{{"userIdentity":{identity}}}"#));
        principal_of(event.identity.as_ref())
    }

    #[test]
    fn iam_user_and_root_are_their_arns() {
        let user = principal(
            r#"{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice"}"#,
        );
        assert_eq!(user.principal, "arn:aws:iam::111122223333:user/alice");
        assert_eq!(
            (user.principal_type.as_str(), user.account.as_deref()),
            ("IAMUser", Some("111122223333"))
        );
        let root = principal(r#"{"type":"Root","arn":"arn:aws-us-gov:iam::123456789012:root"}"#);
        assert_eq!(root.principal, "arn:aws-us-gov:iam::123456789012:root");
        assert_eq!(root.account.as_deref(), Some("123456789012"));
    }

    #[test]
    fn an_assumed_role_is_its_role_with_the_session_kept() {
        let with_issuer = principal(
            r#"{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/etl/job-42",
                "sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/batch/etl"}}}"#,
        );
        assert_eq!(with_issuer.principal, "arn:aws:iam::111122223333:role/batch/etl");
        assert_eq!(with_issuer.session_name.as_deref(), Some("job-42"));
        assert_eq!(
            with_issuer.caller_arn.as_deref(),
            Some("arn:aws:sts::111122223333:assumed-role/etl/job-42")
        );
        let without = principal(
            r#"{"type":"AssumedRole","arn":"arn:aws-cn:sts::111122223333:assumed-role/r/s"}"#,
        );
        assert_eq!(without.principal, "arn:aws-cn:iam::111122223333:role/r");
    }

    #[test]
    fn services_accounts_and_anonymous() {
        let service = principal(r#"{"type":"AWSService","invokedBy":"cloudtrail.amazonaws.com"}"#);
        assert_eq!(
            (service.principal.as_str(), service.invoked_by.as_deref()),
            ("cloudtrail.amazonaws.com", Some("cloudtrail.amazonaws.com"))
        );
        let cross =
            principal(r#"{"type":"AWSAccount","principalId":"AIDAX","accountId":"444455556666"}"#);
        assert_eq!(cross.principal, "444455556666/AIDAX");
        let anonymous = principal(
            r#"{"type":"AWSAccount","principalId":"","accountId":"ANONYMOUS_PRINCIPAL"}"#,
        );
        assert_eq!(
            (anonymous.principal.as_str(), anonymous.principal_type.as_str()),
            ("anonymous", "Anonymous")
        );
        assert_eq!(anonymous.account, None);
    }

    #[test]
    fn federated_identities() {
        let federated = principal(
            r#"{"type":"FederatedUser","arn":"arn:aws:sts::111122223333:federated-user/bob"}"#,
        );
        assert_eq!(federated.principal, "arn:aws:sts::111122223333:federated-user/bob");
        let saml = principal(
            r#"{"type":"SAMLUser","principalId":"abc:carol@example.com","userName":"carol@example.com"}"#,
        );
        assert_eq!(saml.principal, "carol@example.com");
        let web =
            principal(r#"{"type":"WebIdentityUser","principalId":"accounts.google.com:app:sub"}"#);
        assert_eq!(web.principal, "accounts.google.com:app:sub");
        let center = principal(
            r#"{"type":"IdentityCenterUser","onBehalfOf":{"userId":"u-1","identityStoreArn":"arn:aws:identitystore::111122223333:identitystore/d-1"}}"#,
        );
        assert_eq!(
            center.principal,
            "arn:aws:identitystore::111122223333:identitystore/d-1/user/u-1"
        );
    }

    #[test]
    fn missing_or_bare_identities_are_unknown() {
        assert_eq!(principal_of(None).principal, "unknown");
        let bare = principal(r#"{"type":"Unknown"}"#);
        assert_eq!((bare.principal.as_str(), bare.principal_type.as_str()), ("unknown", "Unknown"));
        let no_type = principal(r#"{"principalId":"AIDAQ"}"#);
        assert_eq!(
            (no_type.principal.as_str(), no_type.principal_type.as_str()),
            ("AIDAQ", "Unknown")
        );
    }
}
