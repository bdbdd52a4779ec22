//! What the request was for: bucket, object key and resource ARN.
//!
//! S3 data events name the bucket in `requestParameters.bucketName` and list the bucket and
//! object in `resources[]` (CloudTrail User Guide, "resources"); when neither does, the resource
//! IAM evaluated is often named in the error message, and that is used as the last resort.

use super::reason::bucket_in_resource;
use crate::event::Event;

/// The bucket, key and ARN a request targeted, as far as the record tells.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Target {
    pub bucket: Option<String>,
    pub object_key: Option<String>,
    pub resource_arn: Option<String>,
}

/// `message_resource` is the resource named in the error message, if any: it is what IAM
/// evaluated, so it wins as the resource ARN.
pub fn target_of(event: &Event<'_>, message_resource: Option<&str>) -> Target {
    let resources_of_type = |wanted: &'static str| {
        event
            .resources
            .iter()
            .filter(move |r| r.resource_type == Some(wanted))
            .filter_map(|r| r.arn)
    };
    let message_arn = message_resource.filter(|r| r.starts_with("arn:"));
    let bucket = event
        .request_bucket
        .or_else(|| resources_of_type("AWS::S3::Bucket").find_map(bucket_in_resource))
        .or_else(|| resources_of_type("AWS::S3::Object").find_map(bucket_in_resource))
        .or_else(|| message_arn.and_then(bucket_in_resource));
    // An `sts:AssumeRole*` request names its role in `roleArn`; denied ones often carry no
    // `resources[]` and a message that names no resource (SAML and web identity).
    let resource_arn = message_arn
        .or_else(|| resources_of_type("AWS::S3::Object").next())
        .or_else(|| event.request_role_arn.filter(|arn| arn.starts_with("arn:")))
        .or_else(|| event.resources.iter().find_map(|r| r.arn));
    Target {
        bucket: bucket.map(str::to_string),
        object_key: event.request_key.map(str::to_string),
        resource_arn: resource_arn.map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(json: &str, message_resource: Option<&str>) -> Target {
        target_of(&crate::event::json::event_of(json), message_resource)
    }

    #[test]
    fn request_parameters_name_bucket_and_key() {
        let t = target(
            r#"{"requestParameters":{"bucketName":"b","key":"a/b c.txt"},
                "resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::b/a/b c.txt"},
                             {"type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::b"}]}"#,
            None,
        );
        assert_eq!(t.bucket.as_deref(), Some("b"));
        assert_eq!(t.object_key.as_deref(), Some("a/b c.txt"));
        assert_eq!(t.resource_arn.as_deref(), Some("arn:aws:s3:::b/a/b c.txt"));
    }

    #[test]
    fn resources_then_the_message_supply_the_bucket() {
        let from_resources =
            target(r#"{"resources":[{"type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::logs"}]}"#, None);
        assert_eq!(from_resources.bucket.as_deref(), Some("logs"));
        assert_eq!(from_resources.resource_arn.as_deref(), Some("arn:aws:s3:::logs"));
        let from_message = target(r#"{"requestParameters":{}}"#, Some("arn:aws:s3:::secret/k"));
        assert_eq!(from_message.bucket.as_deref(), Some("secret"));
        assert_eq!(from_message.resource_arn.as_deref(), Some("arn:aws:s3:::secret/k"));
    }

    #[test]
    fn the_message_resource_wins_as_arn_and_non_arns_are_ignored() {
        let kms = target(
            r#"{"requestParameters":{"bucketName":"b"},"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::b/k"}]}"#,
            Some("arn:aws:kms:us-east-1:111122223333:key/abc"),
        );
        assert_eq!(kms.bucket.as_deref(), Some("b"));
        assert_eq!(kms.resource_arn.as_deref(), Some("arn:aws:kms:us-east-1:111122223333:key/abc"));
        let role = target(r#"{}"#, Some("role deploy"));
        assert_eq!(role, Target::default());
    }
}
