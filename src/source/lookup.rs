//! What a `cloudtrail://<region>` input asks CloudTrail's `LookupEvents` for: the region of the
//! URL and the one `--lookup-attribute`. Parsed without the AWS SDK, so that every build checks
//! the command line alike (a build without the `aws` feature then refuses the input itself).

/// The scheme of CloudTrail's event history (`LookupEvents`).
pub const SCHEME: &str = "cloudtrail://";

/// The attribute keys `LookupEvents` filters on, as the CloudTrail API Reference
/// (`LookupAttribute`, `AttributeKey`) spells them.
pub const LOOKUP_ATTRIBUTE_KEYS: &[&str] = &[
    "AccessKeyId",
    "EventId",
    "EventName",
    "EventSource",
    "ReadOnly",
    "ResourceName",
    "ResourceType",
    "Username",
];

/// `cloudtrail://<region>`: the region whose event history is read, or `None` for
/// `cloudtrail://` alone (the region of the AWS clients, `--aws-region`).
pub fn parse_url(url: &str) -> Result<Option<String>, String> {
    let region =
        url.strip_prefix(SCHEME).ok_or_else(|| format!("{url:?} is not a cloudtrail:// URL"))?;
    let region = region.strip_suffix('/').unwrap_or(region);
    if region.is_empty() {
        return Ok(None);
    }
    if !is_region_name(region) {
        return Err(format!(
            "{url:?}: {region:?} is not a region name (write cloudtrail://us-east-1, or cloudtrail:// for --aws-region)"
        ));
    }
    Ok(Some(region.to_string()))
}

/// `us-east-1`, `ap-southeast-2`, `us-gov-west-1`, `eu-central-2`: lowercase words joined by
/// dashes, ending in a number. Only the form is checked: whether AWS has the region is for it
/// to say (a request to a region that does not exist cannot connect).
fn is_region_name(text: &str) -> bool {
    let mut parts = text.split('-');
    let first = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    let Some((last, middle)) = rest.split_last() else {
        return false;
    };
    let word = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase());
    word(first)
        && !middle.is_empty()
        && middle.iter().all(|p| word(p))
        && !last.is_empty()
        && last.bytes().all(|b| b.is_ascii_digit())
}

/// `--lookup-attribute KEY=VALUE`: narrows `LookupEvents` server-side (the API takes one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupAttribute {
    /// One of [`LOOKUP_ATTRIBUTE_KEYS`].
    pub key: &'static str,
    pub value: String,
}

impl LookupAttribute {
    pub fn parse(text: &str) -> Result<Self, String> {
        let keys = LOOKUP_ATTRIBUTE_KEYS.join(", ");
        let (key, value) =
            text.split_once('=').ok_or_else(|| format!("write KEY=VALUE, KEY one of {keys}"))?;
        let key = LOOKUP_ATTRIBUTE_KEYS
            .iter()
            .find(|k| **k == key)
            .ok_or_else(|| format!("{key:?} is not a LookupEvents attribute (one of {keys})"))?;
        if value.is_empty() {
            return Err(format!("the value of {key} is empty"));
        }
        Ok(LookupAttribute { key, value: value.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_a_region_or_none() {
        assert_eq!(parse_url("cloudtrail://us-east-1"), Ok(Some("us-east-1".into())));
        assert_eq!(parse_url("cloudtrail://us-gov-west-1/"), Ok(Some("us-gov-west-1".into())));
        assert_eq!(parse_url("cloudtrail://"), Ok(None));
        for bad in ["cloudtrail://US-EAST-1", "cloudtrail://us-east", "cloudtrail://east1"] {
            let err = parse_url(bad).expect_err(bad);
            assert!(err.contains("is not a region name"), "{err}");
        }
        assert!(parse_url("cloudtrail://us-east-1/x").is_err());
        assert!(parse_url("s3://us-east-1").is_err());
    }

    #[test]
    fn attributes_take_the_api_keys_only() {
        assert_eq!(
            LookupAttribute::parse("EventSource=s3.amazonaws.com"),
            Ok(LookupAttribute { key: "EventSource", value: "s3.amazonaws.com".into() })
        );
        assert_eq!(
            LookupAttribute::parse("Username=a=b").map(|a| a.value),
            Ok("a=b".to_string()),
            "the value may hold `=`"
        );
        let err = LookupAttribute::parse("eventsource=s3.amazonaws.com").expect_err("case");
        assert!(err.contains("not a LookupEvents attribute") && err.contains("EventSource"));
        assert!(LookupAttribute::parse("EventName").expect_err("no =").contains("KEY=VALUE"));
        assert!(LookupAttribute::parse("EventName=").expect_err("empty").contains("empty"));
    }
}
