//! EC2, per region: the VPC endpoints and their policies (`describe-vpc-endpoints`, all pages
//! as one output), and the account's regions for `--regions all`.

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::VpcEndpoint;
use serde_json::Value;

use super::api::Api;
use super::record::Recorder;
use super::shape::{Field, list, object, tags};

pub(super) async fn fetch(client: &Client, recorder: &Recorder, region_dir: &str) {
    let file = format!("{region_dir}/describe-vpc-endpoints");
    let request = client.describe_vpc_endpoints().into_paginator().send().try_collect();
    if let Some(pages) = recorder.call(&file, Api::DescribeVpcEndpoints, request).await {
        let endpoints: Vec<Value> =
            pages.iter().flat_map(|p| p.vpc_endpoints()).map(endpoint).collect();
        recorder.json(&file, &object([("VpcEndpoints", Some(Value::Array(endpoints)))]));
    }
}

/// The regions enabled for the account (`describe-regions`, whose default leaves out the
/// opt-in regions not opted into); not written: the per-region directories say which were read.
pub(super) async fn enabled_regions(
    client: &Client,
    recorder: &Recorder,
    account_dir: &str,
) -> Option<Vec<String>> {
    let file = format!("{account_dir}/ec2/describe-regions");
    let output =
        recorder.call(&file, Api::DescribeRegions, client.describe_regions().send()).await?;
    let names = output.regions().iter().filter_map(|r| r.region_name());
    let mut regions: Vec<String> = names.map(str::to_string).collect();
    regions.sort();
    Some(regions)
}

fn endpoint(e: &VpcEndpoint) -> Value {
    let strings = |items: &[String]| list(items, |s| Value::String(s.clone()));
    object([
        ("VpcEndpointId", e.vpc_endpoint_id().field()),
        ("VpcEndpointType", e.vpc_endpoint_type().map(|t| t.as_str()).field()),
        ("VpcId", e.vpc_id().field()),
        ("ServiceName", e.service_name().field()),
        ("State", e.state().map(|s| s.as_str()).field()),
        // A JSON string, as the CLI prints it.
        ("PolicyDocument", e.policy_document().field()),
        ("RouteTableIds", strings(e.route_table_ids())),
        ("SubnetIds", strings(e.subnet_ids())),
        (
            "Groups",
            list(e.groups(), |g| {
                object([("GroupId", g.group_id().field()), ("GroupName", g.group_name().field())])
            }),
        ),
        ("PrivateDnsEnabled", e.private_dns_enabled().field()),
        ("RequesterManaged", e.requester_managed().field()),
        ("NetworkInterfaceIds", strings(e.network_interface_ids())),
        (
            "DnsEntries",
            list(e.dns_entries(), |d| {
                object([
                    ("DnsName", d.dns_name().field()),
                    ("HostedZoneId", d.hosted_zone_id().field()),
                ])
            }),
        ),
        ("CreationTimestamp", e.creation_timestamp().field()),
        ("Tags", tags(e.tags(), |t| t.key(), |t| t.value())),
        ("OwnerId", e.owner_id().field()),
    ])
}
