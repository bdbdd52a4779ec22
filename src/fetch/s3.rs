//! S3: the buckets the account owns (`list-buckets`) and, for each, its policy, Block Public
//! Access, policy status, Object Ownership, ACL and tags, each asked of the bucket's own
//! region; and the account's Block Public Access from S3 Control. The outputs do not name
//! their bucket, so each bucket's directory does (`s3/buckets/<bucket>/`).

use aws_config::SdkConfig;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::Region;
use aws_sdk_s3::types::Grant;
use aws_sdk_s3control::config::endpoint::{
    DefaultResolver, Endpoint, EndpointFuture, Params, ResolveEndpoint,
};
use futures_util::future::join_all;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;

use super::api::Api;
use super::record::Recorder;
use super::shape::{Field, list, object, tags};

/// What to fetch of S3.
pub(super) struct Buckets<'a> {
    /// Only these buckets (`--buckets`); all the account owns when `None`.
    pub only: Option<&'a [String]>,
}

pub(super) async fn fetch(
    config: &SdkConfig,
    recorder: &Recorder,
    account: &str,
    account_dir: &str,
    wanted: Buckets<'_>,
) {
    let custom_endpoint = crate::source::aws::has_custom_endpoint(config);
    let client = |region: Option<&str>| {
        let mut builder =
            aws_sdk_s3::config::Builder::from(config).force_path_style(custom_endpoint);
        if let Some(region) = region {
            builder = builder.region(Region::new(region.to_string()));
        }
        Client::from_conf(builder.build())
    };
    let home = client(None);
    let file = format!("{account_dir}/s3/list-buckets");
    let request = home.list_buckets().into_paginator().send().try_collect();
    let account_pab = account_public_access_block(config, recorder, account, account_dir);
    let (listed, ()) =
        futures_util::future::join(recorder.call(&file, Api::ListBuckets, request), account_pab)
            .await;
    let Some(pages) = listed else { return };
    let buckets: Vec<_> = pages.iter().flat_map(|p| p.buckets()).collect();
    let shaped = buckets.iter().map(|b| {
        object([
            ("Name", b.name().field()),
            ("CreationDate", b.creation_date().field()),
            ("BucketRegion", b.bucket_region().field()),
        ])
    });
    let owner = pages
        .first()
        .and_then(|p| p.owner())
        .map(|o| object([("DisplayName", o.display_name().field()), ("ID", o.id().field())]));
    let output = object([("Buckets", Some(Value::Array(shaped.collect()))), ("Owner", owner)]);
    recorder.json(&file, &output);

    let chosen = buckets.iter().filter_map(|b| {
        let name = super::path_component(b.name()?)?;
        wanted
            .only
            .is_none_or(|only| only.iter().any(|o| o == name))
            .then_some((name, b.bucket_region()))
    });
    join_all(chosen.map(|(name, region)| {
        let home = &home;
        let client = &client;
        async move {
            let region = match region {
                Some(region) => Some(region.to_string()),
                None => bucket_region(home, recorder, account_dir, name).await,
            };
            let regional = client(region.as_deref());
            fetch_bucket(&regional, recorder, &format!("{account_dir}/s3/buckets/{name}"), name)
                .await;
        }
    }))
    .await;
}

/// `GetBucketLocation`, for a `list-buckets` without `BucketRegion`: `None` (an empty
/// constraint) is us-east-1, `EU` the old name of eu-west-1. Not written: the CLI's own
/// calls find the region by redirection, so the recipe has no such file.
async fn bucket_region(
    client: &Client,
    recorder: &Recorder,
    account_dir: &str,
    bucket: &str,
) -> Option<String> {
    let file = format!("{account_dir}/s3/buckets/{bucket}/get-bucket-location");
    let request = client.get_bucket_location().bucket(bucket).send();
    let output = recorder.call(&file, Api::GetBucketLocation, request).await?;
    let region = match output.location_constraint().map(|c| c.as_str()) {
        None | Some("") => "us-east-1",
        Some("EU") => "eu-west-1",
        Some(region) => region,
    };
    Some(region.to_string())
}

async fn fetch_bucket(client: &Client, recorder: &Recorder, dir: &str, bucket: &str) {
    let file = |command: &str| format!("{dir}/{command}");
    let policy = async {
        let request = client.get_bucket_policy().bucket(bucket).send();
        if let Some(o) =
            recorder.call(&file("get-bucket-policy"), Api::GetBucketPolicy, request).await
        {
            recorder.json(&file("get-bucket-policy"), &object([("Policy", o.policy().field())]));
        }
    };
    let pab = async {
        let request = client.get_public_access_block().bucket(bucket).send();
        let api = Api::GetBucketPublicAccessBlock;
        if let Some(o) = recorder.call(&file("get-public-access-block"), api, request).await {
            let configuration = o.public_access_block_configuration().map(|c| {
                block_public_access([
                    c.block_public_acls(),
                    c.ignore_public_acls(),
                    c.block_public_policy(),
                    c.restrict_public_buckets(),
                ])
            });
            let output = object([("PublicAccessBlockConfiguration", configuration)]);
            recorder.json(&file("get-public-access-block"), &output);
        }
    };
    let status = async {
        let request = client.get_bucket_policy_status().bucket(bucket).send();
        let api = Api::GetBucketPolicyStatus;
        if let Some(o) = recorder.call(&file("get-bucket-policy-status"), api, request).await {
            let status = o.policy_status().map(|s| object([("IsPublic", s.is_public().field())]));
            recorder.json(&file("get-bucket-policy-status"), &object([("PolicyStatus", status)]));
        }
    };
    let ownership = async {
        let request = client.get_bucket_ownership_controls().bucket(bucket).send();
        let api = Api::GetBucketOwnershipControls;
        if let Some(o) = recorder.call(&file("get-bucket-ownership-controls"), api, request).await {
            let controls = o.ownership_controls().map(|c| {
                let rule = |r: &aws_sdk_s3::types::OwnershipControlsRule| {
                    object([("ObjectOwnership", r.object_ownership().as_str().field())])
                };
                object([("Rules", list(c.rules(), rule))])
            });
            let output = object([("OwnershipControls", controls)]);
            recorder.json(&file("get-bucket-ownership-controls"), &output);
        }
    };
    let acl = async {
        let request = client.get_bucket_acl().bucket(bucket).send();
        if let Some(o) = recorder.call(&file("get-bucket-acl"), Api::GetBucketAcl, request).await {
            let owner = o.owner().map(|o| {
                object([("DisplayName", o.display_name().field()), ("ID", o.id().field())])
            });
            let output = object([("Owner", owner), ("Grants", list(o.grants(), grant))]);
            recorder.json(&file("get-bucket-acl"), &output);
        }
    };
    let tagging = async {
        let request = client.get_bucket_tagging().bucket(bucket).send();
        if let Some(o) =
            recorder.call(&file("get-bucket-tagging"), Api::GetBucketTagging, request).await
        {
            let tag_set = tags(o.tag_set(), |t| Some(t.key()), |t| Some(t.value()));
            recorder.json(&file("get-bucket-tagging"), &object([("TagSet", tag_set)]));
        }
    };
    let calls: [Pin<Box<dyn Future<Output = ()> + Send + '_>>; 6] = [
        Box::pin(policy),
        Box::pin(pab),
        Box::pin(status),
        Box::pin(ownership),
        Box::pin(acl),
        Box::pin(tagging),
    ];
    join_all(calls).await;
}

/// A bucket's or (with the same four settings) the account's Block Public Access.
fn block_public_access(settings: [Option<bool>; 4]) -> Value {
    let [acls, ignore_acls, policy, restrict] = settings;
    object([
        ("BlockPublicAcls", acls.field()),
        ("IgnorePublicAcls", ignore_acls.field()),
        ("BlockPublicPolicy", policy.field()),
        ("RestrictPublicBuckets", restrict.field()),
    ])
}

fn grant(g: &Grant) -> Value {
    let grantee = g.grantee().map(|e| {
        object([
            ("DisplayName", e.display_name().field()),
            ("EmailAddress", e.email_address().field()),
            ("ID", e.id().field()),
            ("Type", e.r#type().as_str().field()),
            ("URI", e.uri().field()),
        ])
    });
    object([("Grantee", grantee), ("Permission", g.permission().map(|p| p.as_str()).field())])
}

/// `s3control/get-public-access-block.json`: the account's Block Public Access.
async fn account_public_access_block(
    config: &SdkConfig,
    recorder: &Recorder,
    account: &str,
    account_dir: &str,
) {
    let mut builder = aws_sdk_s3control::config::Builder::from(config);
    if config.endpoint_url().is_some_and(is_literal_host) {
        builder = builder.endpoint_resolver(UnprefixedAtLiteralHost(DefaultResolver::new()));
    }
    let client = aws_sdk_s3control::Client::from_conf(builder.build());
    let file = format!("{account_dir}/s3control/get-public-access-block");
    let request = client.get_public_access_block().account_id(account).send();
    if let Some(o) = recorder.call(&file, Api::GetAccountPublicAccessBlock, request).await {
        let configuration = o.public_access_block_configuration().map(|c| {
            block_public_access([
                c.block_public_acls(),
                c.ignore_public_acls(),
                c.block_public_policy(),
                c.restrict_public_buckets(),
            ])
        });
        recorder.json(&file, &object([("PublicAccessBlockConfiguration", configuration)]));
    }
}

/// Whether the endpoint's host is an IP address or `localhost`: a name no account id can be
/// put in front of (`111122223333.127.0.0.1` resolves nowhere).
fn is_literal_host(url: &str) -> bool {
    let authority = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = authority.split(['/', '?']).next().unwrap_or_default();
    if authority.starts_with('[') {
        return true; // an IPv6 address
    }
    let host = authority.rsplit_once(':').map_or(authority, |(host, _port)| host);
    host == "localhost" || host.parse::<std::net::Ipv4Addr>().is_ok()
}

/// S3 Control's endpoint rules put the account id in front of the host, also of a custom
/// endpoint. At a literal host ([`is_literal_host`]: an emulator, a local proxy) the request
/// goes to the endpoint as given, signed as the rules say.
#[derive(Debug)]
struct UnprefixedAtLiteralHost(DefaultResolver);

impl ResolveEndpoint for UnprefixedAtLiteralHost {
    fn resolve_endpoint<'a>(&'a self, params: &'a Params) -> EndpointFuture<'a> {
        EndpointFuture::new(async move {
            let endpoint = self.0.resolve_endpoint(params).await?;
            let Some(account) = params.account_id() else { return Ok(endpoint) };
            let url = endpoint.url().replacen(&format!("://{account}."), "://", 1);
            let mut builder = Endpoint::builder().url(url);
            for (key, value) in endpoint.properties() {
                builder = builder.property(key.clone(), value.clone());
            }
            for (name, values) in endpoint.headers() {
                for value in values {
                    builder = builder.header(name.to_string(), value.to_string());
                }
            }
            Ok(builder.build())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_hosts_are_addresses_and_localhost() {
        for literal in ["http://127.0.0.1:5199", "http://localhost:4566/", "http://[::1]:9000"] {
            assert!(is_literal_host(literal), "{literal}");
        }
        for name in ["https://s3-control.us-east-1.amazonaws.com", "http://minio.internal:9000"] {
            assert!(!is_literal_host(name), "{name}");
        }
    }
}
