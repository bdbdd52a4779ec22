//! Tests of `action`, kept in their own file so that the module reads as its rules alone.

use super::*;

/// Every row of the S3 table, written out by hand from "Required permissions for Amazon S3 API
/// operations" (not read from the table).
const S3_EXPECTED: &[(&str, &str)] = &[
    ("HeadObject", "s3:GetObject"),
    ("ListObjects", "s3:ListBucket"),
    ("ListObjectsV2", "s3:ListBucket"),
    ("HeadBucket", "s3:ListBucket"),
    ("ListObjectVersions", "s3:ListBucketVersions"),
    ("ListMultipartUploads", "s3:ListBucketMultipartUploads"),
    ("CreateMultipartUpload", "s3:PutObject"),
    ("UploadPart", "s3:PutObject"),
    ("CompleteMultipartUpload", "s3:PutObject"),
    ("UploadPartCopy", "s3:PutObject"),
    ("CopyObject", "s3:PutObject"),
    ("PostObject", "s3:PutObject"),
    ("ListParts", "s3:ListMultipartUploadParts"),
    ("DeleteObjects", "s3:DeleteObject"),
    ("SelectObjectContent", "s3:GetObject"),
    ("ListBuckets", "s3:ListAllMyBuckets"),
    ("DeleteBucketCors", "s3:PutBucketCORS"),
    ("DeleteBucketEncryption", "s3:PutEncryptionConfiguration"),
    ("DeleteBucketLifecycle", "s3:PutLifecycleConfiguration"),
    ("DeleteBucketReplication", "s3:PutReplicationConfiguration"),
    ("DeleteBucketTagging", "s3:PutBucketTagging"),
    ("DeleteBucketOwnershipControls", "s3:PutBucketOwnershipControls"),
    ("DeletePublicAccessBlock", "s3:PutBucketPublicAccessBlock"),
    ("DeleteBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock"),
    ("DeleteAccountPublicAccessBlock", "s3:PutAccountPublicAccessBlock"),
    ("DeleteBucketAnalyticsConfiguration", "s3:PutAnalyticsConfiguration"),
    ("DeleteBucketIntelligentTieringConfiguration", "s3:PutIntelligentTieringConfiguration"),
    ("DeleteBucketInventoryConfiguration", "s3:PutInventoryConfiguration"),
    ("DeleteBucketMetricsConfiguration", "s3:PutMetricsConfiguration"),
    ("GetBucketEncryption", "s3:GetEncryptionConfiguration"),
    ("PutBucketEncryption", "s3:PutEncryptionConfiguration"),
    ("GetBucketLifecycle", "s3:GetLifecycleConfiguration"),
    ("GetBucketLifecycleConfiguration", "s3:GetLifecycleConfiguration"),
    ("PutBucketLifecycle", "s3:PutLifecycleConfiguration"),
    ("PutBucketLifecycleConfiguration", "s3:PutLifecycleConfiguration"),
    ("GetBucketReplication", "s3:GetReplicationConfiguration"),
    ("PutBucketReplication", "s3:PutReplicationConfiguration"),
    ("GetBucketCors", "s3:GetBucketCORS"),
    ("PutBucketCors", "s3:PutBucketCORS"),
    ("GetBucketNotificationConfiguration", "s3:GetBucketNotification"),
    ("PutBucketNotificationConfiguration", "s3:PutBucketNotification"),
    ("GetBucketAccelerateConfiguration", "s3:GetAccelerateConfiguration"),
    ("PutBucketAccelerateConfiguration", "s3:PutAccelerateConfiguration"),
    ("GetBucketAnalyticsConfiguration", "s3:GetAnalyticsConfiguration"),
    ("PutBucketAnalyticsConfiguration", "s3:PutAnalyticsConfiguration"),
    ("ListBucketAnalyticsConfigurations", "s3:GetAnalyticsConfiguration"),
    ("GetBucketIntelligentTieringConfiguration", "s3:GetIntelligentTieringConfiguration"),
    ("PutBucketIntelligentTieringConfiguration", "s3:PutIntelligentTieringConfiguration"),
    ("ListBucketIntelligentTieringConfigurations", "s3:GetIntelligentTieringConfiguration"),
    ("GetBucketInventoryConfiguration", "s3:GetInventoryConfiguration"),
    ("PutBucketInventoryConfiguration", "s3:PutInventoryConfiguration"),
    ("ListBucketInventoryConfigurations", "s3:GetInventoryConfiguration"),
    ("GetBucketMetricsConfiguration", "s3:GetMetricsConfiguration"),
    ("PutBucketMetricsConfiguration", "s3:PutMetricsConfiguration"),
    ("ListBucketMetricsConfigurations", "s3:GetMetricsConfiguration"),
    ("GetObjectLockConfiguration", "s3:GetBucketObjectLockConfiguration"),
    ("PutObjectLockConfiguration", "s3:PutBucketObjectLockConfiguration"),
    ("GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock"),
    ("PutPublicAccessBlock", "s3:PutBucketPublicAccessBlock"),
];

#[test]
fn every_s3_row() {
    for (event_name, expected) in S3_EXPECTED {
        assert_eq!(iam_action("s3.amazonaws.com", event_name), *expected, "{event_name}");
    }
}

#[test]
fn every_s3_table_row_has_a_hand_written_expectation() {
    for (event_name, _) in S3_ACTIONS {
        assert!(
            S3_EXPECTED.iter().any(|(name, _)| name == event_name),
            "{event_name} has no expectation in S3_EXPECTED"
        );
    }
    assert_eq!(S3_ACTIONS.len(), S3_EXPECTED.len());
}

#[test]
fn s3_names_that_are_their_own_action() {
    for (event_name, expected) in [
        ("GetObject", "s3:GetObject"),
        ("PutObject", "s3:PutObject"),
        ("DeleteObject", "s3:DeleteObject"),
        ("AbortMultipartUpload", "s3:AbortMultipartUpload"),
        ("RestoreObject", "s3:RestoreObject"),
        ("GetObjectTagging", "s3:GetObjectTagging"),
        ("GetObjectAttributes", "s3:GetObjectAttributes"),
        ("DeleteBucketWebsite", "s3:DeleteBucketWebsite"),
        ("DeleteBucketPolicy", "s3:DeleteBucketPolicy"),
        ("PutBucketWebsite", "s3:PutBucketWebsite"),
        ("GetBucketNotification", "s3:GetBucketNotification"),
        ("GetBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock"),
        ("PutBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock"),
        ("GetAccountPublicAccessBlock", "s3:GetAccountPublicAccessBlock"),
        ("CreateBucket", "s3:CreateBucket"),
    ] {
        assert_eq!(iam_action("s3.amazonaws.com", event_name), expected, "{event_name}");
    }
}

#[test]
fn lambda_sns_and_sqs_rows() {
    for (source, event_name, expected) in [
        ("lambda.amazonaws.com", "Invoke", "lambda:InvokeFunction"),
        ("lambda.amazonaws.com", "Invoke20150331", "lambda:InvokeFunction"),
        ("lambda.amazonaws.com", "InvokeWithResponseStream", "lambda:InvokeFunction"),
        ("sns.amazonaws.com", "PublishBatch", "sns:Publish"),
        ("sqs.amazonaws.com", "SendMessageBatch", "sqs:SendMessage"),
        ("sqs.amazonaws.com", "DeleteMessageBatch", "sqs:DeleteMessage"),
        ("sqs.amazonaws.com", "ChangeMessageVisibilityBatch", "sqs:ChangeMessageVisibility"),
        ("sqs.amazonaws.com", "SendMessage", "sqs:SendMessage"),
    ] {
        assert_eq!(iam_action(source, event_name), expected, "{event_name}");
    }
}

#[test]
fn tables_are_sorted_for_binary_search() {
    for (prefix, table) in ACTION_TABLES {
        assert!(table.windows(2).all(|w| w[0].0 < w[1].0), "{prefix} table is not sorted");
    }
}

#[test]
fn tables_apply_only_to_their_service() {
    assert_eq!(iam_action("ec2.amazonaws.com", "HeadObject"), "ec2:HeadObject");
    assert_eq!(iam_action("sqs.amazonaws.com", "Invoke"), "sqs:Invoke");
}

#[test]
fn every_prefix_rename() {
    for (source, expected) in [
        ("monitoring.amazonaws.com", "cloudwatch"),
        ("streams.dynamodb.amazonaws.com", "dynamodb"),
        ("email.amazonaws.com", "ses"),
        ("tagging.amazonaws.com", "tag"),
        ("cloudcontrolapi.amazonaws.com", "cloudformation"),
        ("models.lex.amazonaws.com", "lex"),
        ("runtime.lex.amazonaws.com", "lex"),
        ("runtime.sagemaker.amazonaws.com", "sagemaker"),
    ] {
        assert_eq!(service_prefix(source), expected, "{source}");
    }
    assert_eq!(iam_action("monitoring.amazonaws.com", "PutMetricData"), "cloudwatch:PutMetricData");
    assert_eq!(iam_action("streams.dynamodb.amazonaws.com", "GetRecords"), "dynamodb:GetRecords");
    assert_eq!(iam_action("tagging.amazonaws.com", "GetResources"), "tag:GetResources");
    assert_eq!(iam_action("email.amazonaws.com", "SendRawEmail"), "ses:SendRawEmail");
}

#[test]
fn prefixes_that_are_their_endpoint_name() {
    for (source, expected) in [
        ("signin.amazonaws.com", "signin"),
        ("sso.amazonaws.com", "sso"),
        ("elasticloadbalancing.amazonaws.com", "elasticloadbalancing"),
        ("es.amazonaws.com", "es"),
        ("states.amazonaws.com", "states"),
        ("s3.amazonaws.com", "s3"),
        ("kms.amazonaws.com", "kms"),
        ("sts.amazonaws.com", "sts"),
        ("execute-api.amazonaws.com", "execute-api"),
        ("access-analyzer.amazonaws.com", "access-analyzer"),
    ] {
        assert_eq!(service_prefix(source), expected, "{source}");
    }
}

#[test]
fn odd_event_sources() {
    assert_eq!(service_prefix(""), "unknown");
    assert_eq!(service_prefix("   "), "unknown");
    assert_eq!(service_prefix(".amazonaws.com"), "unknown");
    assert_eq!(service_prefix("custom-app"), "custom-app");
    assert_eq!(service_prefix("S3.AMAZONAWS.COM"), "S3");
    assert_eq!(service_prefix("s3.amazonaws.com.cn"), "s3");
    assert_eq!(service_prefix(" kms.amazonaws.com "), "kms");
    assert_eq!(service_prefix("data.mediastore.amazonaws.com"), "mediastore");
    assert_eq!(service_prefix("a."), "unknown");
    assert_eq!(service_prefix("ключ.amazonaws.com"), "ключ");
    assert_eq!(iam_action("", "GetObject"), "unknown:GetObject");
    assert_eq!(iam_action("S3.AMAZONAWS.COM", "HeadObject"), "s3:GetObject");
    assert_eq!(iam_action("s3.amazonaws.com", ""), "s3:unknown");
    assert_eq!(iam_action("", ""), "unknown:unknown");
    assert_eq!(iam_action("s3.amazonaws.com", " HeadObject "), "s3:GetObject");
}

#[test]
fn api_version_suffixes_are_stripped() {
    for (source, event_name, expected) in [
        ("lambda.amazonaws.com", "GetFunction20150331v2", "lambda:GetFunction"),
        ("lambda.amazonaws.com", "ListFunctions20150331", "lambda:ListFunctions"),
        (
            "lambda.amazonaws.com",
            "UpdateFunctionConfiguration20150331v2",
            "lambda:UpdateFunctionConfiguration",
        ),
        ("lambda.amazonaws.com", "PublishLayerVersion20181031", "lambda:PublishLayerVersion"),
        ("lambda.amazonaws.com", "GetFunctionUrlConfig", "lambda:GetFunctionUrlConfig"),
        (
            "cloudfront.amazonaws.com",
            "CreateDistribution2020_05_31",
            "cloudfront:CreateDistribution",
        ),
        ("cloudfront.amazonaws.com", "GetDistribution2019_03_26", "cloudfront:GetDistribution"),
        ("cloudfront.amazonaws.com", "CreateInvalidation", "cloudfront:CreateInvalidation"),
    ] {
        assert_eq!(iam_action(source, event_name), expected, "{event_name}");
    }
}

#[test]
fn names_that_only_look_versioned_are_kept() {
    for name in [
        "ListObjectsV2",
        "DescribeRulesv2",
        "GetThing1234567",
        "GetThing123456789",
        "20150331",
        "20150331v2",
        "2020_05_31",
        "Get2020_05_3x",
        "v2",
        "",
    ] {
        assert_eq!(strip_api_version(name), name, "{name:?}");
    }
}

#[test]
fn suffix_after_unusual_names_is_still_stripped() {
    assert_eq!(strip_api_version("ключ20150331"), "ключ");
    assert_eq!(strip_api_version("Fv20150331"), "Fv");
    assert_eq!(strip_api_version("Getv20150331v12"), "Getv");
}

// --- Real prefixes, versions, API Gateway verbs, message actions --------------------------------

/// The real IAM prefixes of `iam_prefixes.txt` (see its header for the source).
fn real_prefixes() -> Vec<&'static str> {
    include_str!("iam_prefixes.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect()
}

#[test]
fn the_list_of_real_prefixes_is_sorted_and_unique() {
    let prefixes = real_prefixes();
    assert!(prefixes.len() > 100, "the list was read");
    assert!(prefixes.windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
}

#[test]
fn every_prefix_a_table_produces_is_a_real_iam_prefix() {
    let real = real_prefixes();
    let produced = PREFIX_RENAMES
        .iter()
        .map(|&(_, to)| to)
        .chain(ACTION_TABLES.iter().map(|&(prefix, _)| prefix))
        .chain(["apigateway", "s3"]);
    for prefix in produced {
        assert!(
            real.contains(&prefix),
            "{prefix} is not a prefix of the Service Authorization Reference"
        );
    }
}

#[test]
fn amazon_mq_events_are_mq_actions() {
    // Amazon MQ Developer Guide, "Logging Amazon MQ API calls using AWS CloudTrail": eventSource
    // amazonmq.amazonaws.com; its actions are mq:… (Service Authorization Reference).
    assert_eq!(service_prefix("amazonmq.amazonaws.com"), "mq");
    assert_eq!(iam_action("amazonmq.amazonaws.com", "DescribeBroker"), "mq:DescribeBroker");
}

#[test]
fn a_request_for_one_object_version_needs_the_version_action() {
    for (event_name, expected) in [
        ("GetObject", "s3:GetObjectVersion"),
        ("HeadObject", "s3:GetObjectVersion"),
        ("DeleteObject", "s3:DeleteObjectVersion"),
        ("GetObjectAcl", "s3:GetObjectVersionAcl"),
        ("PutObjectAcl", "s3:PutObjectVersionAcl"),
        ("GetObjectTagging", "s3:GetObjectVersionTagging"),
        ("PutObjectTagging", "s3:PutObjectVersionTagging"),
        ("DeleteObjectTagging", "s3:DeleteObjectVersionTagging"),
        ("GetObjectAttributes", "s3:GetObjectVersionAttributes"),
        ("GetObjectTorrent", "s3:GetObjectVersionTorrent"),
        // Calls with no version action keep theirs.
        ("PutObject", "s3:PutObject"),
        ("ListObjectVersions", "s3:ListBucketVersions"),
    ] {
        assert_eq!(request_action("s3.amazonaws.com", event_name, true), expected, "{event_name}");
    }
    assert_eq!(request_action("s3.amazonaws.com", "GetObject", false), "s3:GetObject");
    assert_eq!(request_action("kms.amazonaws.com", "GetObject", true), "kms:GetObject");
    assert!(S3_VERSION_ACTIONS.windows(2).all(|w| w[0].0 < w[1].0), "sorted");
}

#[test]
fn api_gateway_calls_are_authorised_by_their_http_verb() {
    for (event_name, expected) in [
        ("CreateRestApi", "apigateway:POST"),
        ("CreateDeployment", "apigateway:POST"),
        ("GetRestApis", "apigateway:GET"),
        ("GetExport", "apigateway:GET"),
        ("UpdateStage", "apigateway:PATCH"),
        ("PutMethod", "apigateway:PUT"),
        ("PutRestApi", "apigateway:PUT"),
        ("DeleteRestApi", "apigateway:DELETE"),
        ("ImportRestApi", "apigateway:POST"),
        ("ImportApi", "apigateway:PUT"),
        ("FlushStageCache", "apigateway:DELETE"),
        ("TestInvokeMethod", "apigateway:POST"),
        ("CreateApi", "apigateway:POST"),
        // v1 PUT, v2 POST: not derivable from the name.
        ("TagResource", "apigateway:TagResource"),
        // A first word that only looks like a verb.
        ("Getaway", "apigateway:Getaway"),
    ] {
        assert_eq!(iam_action("apigateway.amazonaws.com", event_name), expected, "{event_name}");
    }
    assert!(APIGATEWAY_VERBS.windows(2).all(|w| w[0].0 < w[1].0), "sorted");
}

#[test]
fn actions_named_in_messages_get_a_lower_case_prefix() {
    assert_eq!(normalize_named("SNS:ListTopics"), "sns:ListTopics");
    assert_eq!(normalize_named("Kms:Decrypt"), "kms:Decrypt");
    assert_eq!(normalize_named("s3:GetObject"), "s3:GetObject");
}
