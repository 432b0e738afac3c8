//! `--plan`: the exact calls a run would make, as API requests and as `aws` CLI commands, made
//! without sending anything or needing credentials (the air-gapped path: review, then run the
//! commands by hand or let crlkit run them on the connected side).

use serde::Serialize;

use crate::api::S3Object;
use crate::arn::TrustStoreArn;

/// One call of a plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlannedCall {
    /// `elbv2` or `s3`.
    pub service: &'static str,
    /// The API action (`AddTrustStoreRevocations`, `PutObject`, ...).
    pub action: &'static str,
    /// The region it goes to (`None`: the configured one).
    pub region: Option<String>,
    /// Its parameters, as the API names them.
    pub params: serde_json::Value,
    /// The same call as an `aws` CLI command.
    pub aws_cli: String,
    /// Why, and what is decided only when it runs.
    pub note: String,
}

/// Quote `s` for a POSIX shell when it needs it.
pub fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./:=,@+%".contains(&b));
    if plain { s.to_owned() } else { format!("'{}'", s.replace('\'', r"'\''")) }
}

/// `words` as one shell command line, each quoted when it needs it.
pub fn cli(words: &[&str]) -> String {
    words.iter().map(|w| shell_quote(w)).collect::<Vec<_>>().join(" ")
}

/// `DescribeTrustStores` (the quota check: `TotalRevokedEntries`).
pub fn describe_trust_store(arn: &TrustStoreArn) -> PlannedCall {
    PlannedCall {
        service: "elbv2",
        action: "DescribeTrustStores",
        region: Some(arn.region().into()),
        params: serde_json::json!({ "TrustStoreArns": [arn.as_str()] }),
        aws_cli: cli(&[
            "aws",
            "elbv2",
            "describe-trust-stores",
            "--trust-store-arns",
            arn.as_str(),
            "--region",
            arn.region(),
        ]),
        note: "read: the trust store exists and is ACTIVE; TotalRevokedEntries for the quota check".into(),
    }
}

/// `DescribeTrustStoreRevocations` (every page).
pub fn describe_revocations(arn: &TrustStoreArn) -> PlannedCall {
    PlannedCall {
        service: "elbv2",
        action: "DescribeTrustStoreRevocations",
        region: Some(arn.region().into()),
        params: serde_json::json!({ "TrustStoreArn": arn.as_str(), "PageSize": 400 }),
        aws_cli: cli(&[
            "aws",
            "elbv2",
            "describe-trust-store-revocations",
            "--trust-store-arn",
            arn.as_str(),
            "--region",
            arn.region(),
        ]),
        note: "read: the live revocation files (count against 30 files), reconciled with the ledger".into(),
    }
}

/// `GetTrustStoreRevocationContent` of a live file the ledger does not know (its ID is known
/// only when it runs).
pub fn revocation_content(arn: &TrustStoreArn) -> PlannedCall {
    PlannedCall {
        service: "elbv2",
        action: "GetTrustStoreRevocationContent",
        region: Some(arn.region().into()),
        params: serde_json::json!({ "TrustStoreArn": arn.as_str(), "RevocationId": "<ID>" }),
        aws_cli: cli(&[
            "aws",
            "elbv2",
            "get-trust-store-revocation-content",
            "--trust-store-arn",
            arn.as_str(),
            "--revocation-id",
            "<ID>",
            "--region",
            arn.region(),
        ]),
        note: "read, only for each live file the ledger neither knows nor has found foreign, once: its content (then \
               a GET of the presigned location), so an add whose answer was lost is adopted, not repeated"
            .into(),
    }
}

/// `AddTrustStoreRevocations` of `object`.
pub fn add_revocation(arn: &TrustStoreArn, object: &S3Object, entries: Option<u64>) -> PlannedCall {
    let mut content = serde_json::json!({ "S3Bucket": object.bucket, "S3Key": object.key, "RevocationType": "CRL" });
    let mut spec = format!("S3Bucket={},S3Key={}", object.bucket, object.key);
    if let Some(v) = &object.version {
        content["S3ObjectVersion"] = v.clone().into();
        spec.push_str(&format!(",S3ObjectVersion={v}"));
    }
    spec.push_str(",RevocationType=CRL");
    let expect = entries.map_or(String::new(), |n| format!("; NumberOfRevokedEntries must be {n}"));
    PlannedCall {
        service: "elbv2",
        action: "AddTrustStoreRevocations",
        region: Some(arn.region().into()),
        params: serde_json::json!({ "TrustStoreArn": arn.as_str(), "RevocationContents": [content] }),
        aws_cli: cli(&[
            "aws",
            "elbv2",
            "add-trust-store-revocations",
            "--trust-store-arn",
            arn.as_str(),
            "--revocation-contents",
            &spec,
            "--region",
            arn.region(),
        ]),
        note: format!("change: only if the quotas allow it and this CRL is not registered yet{expect}"),
    }
}

/// `RemoveTrustStoreRevocations` of the IDs the ledger ties to `issuer`'s slot (known when it
/// runs).
pub fn remove_replaced(arn: &TrustStoreArn, issuer: &str) -> PlannedCall {
    PlannedCall {
        service: "elbv2",
        action: "RemoveTrustStoreRevocations",
        region: Some(arn.region().into()),
        params: serde_json::json!({ "TrustStoreArn": arn.as_str(), "RevocationIds": ["<older IDs of this issuer>"] }),
        aws_cli: cli(&[
            "aws",
            "elbv2",
            "remove-trust-store-revocations",
            "--trust-store-arn",
            arn.as_str(),
            "--revocation-ids",
            "<IDS>",
            "--region",
            arn.region(),
        ]),
        note: format!(
            "change (--replace): after the add succeeded and its count checked (or when this CRL is live already), \
             the older revocation IDs of {issuer}'s CRL slot (issuer and distribution point) and second copies of \
             this one; IDs the ledger does not know are never removed"
        ),
    }
}

/// `RemoveTrustStoreRevocations` of the files found foreign (`--prune-foreign`; known when it
/// runs).
pub fn remove_foreign(arn: &TrustStoreArn) -> PlannedCall {
    PlannedCall {
        note: "change (--prune-foreign): once this CRL is live and its count checked, the files the ledger does not \
               know whose content is no CRL crlkit registered nor an older one of a slot it manages"
            .into(),
        params: serde_json::json!({ "TrustStoreArn": arn.as_str(), "RevocationIds": ["<foreign IDs>"] }),
        ..remove_replaced(arn, "")
    }
}

/// `AddTags`: the trust store names the ledger (`key`, `value`: its URL).
pub fn add_tags(arn: &TrustStoreArn, key: &str, value: &str) -> PlannedCall {
    PlannedCall {
        service: "elbv2",
        action: "AddTags",
        region: Some(arn.region().into()),
        params: serde_json::json!({ "ResourceArns": [arn.as_str()], "Tags": [{ "Key": key, "Value": value }] }),
        aws_cli: cli(&[
            "aws",
            "elbv2",
            "add-tags",
            "--resource-arns",
            arn.as_str(),
            "--tags",
            &format!("Key={key},Value={value}"),
            "--region",
            arn.region(),
        ]),
        note: "change, after an add: the trust store names its ledger, so `revocations` finds it (best effort)".into(),
    }
}

/// `DescribeTags`: the ledgers the trust store names.
pub fn describe_tags(arn: &TrustStoreArn) -> PlannedCall {
    PlannedCall {
        service: "elbv2",
        action: "DescribeTags",
        region: Some(arn.region().into()),
        params: serde_json::json!({ "ResourceArns": [arn.as_str()] }),
        aws_cli: cli(&["aws", "elbv2", "describe-tags", "--resource-arns", arn.as_str(), "--region", arn.region()]),
        note: "read: the ledgers the trust store names (tags crlkit-ledger-*)".into(),
    }
}

/// `GetObject`, `HeadObject` or `ListObjectsV2` (`url` a prefix) of `url`.
pub fn read_object(url: &str, action: &'static str, note: &str) -> PlannedCall {
    let (bucket, key) = split_s3(url);
    let (cmd, key_flag) = match action {
        "HeadObject" => ("head-object", "--key"),
        "ListObjectsV2" => ("list-objects-v2", "--prefix"),
        _ => ("get-object", "--key"),
    };
    let mut words = vec!["aws", "s3api", cmd, "--bucket", bucket, key_flag, key];
    if action == "GetObject" {
        words.push("-");
    }
    PlannedCall {
        service: "s3",
        action,
        region: None,
        params: if action == "ListObjectsV2" {
            serde_json::json!({ "Bucket": bucket, "Prefix": key })
        } else {
            serde_json::json!({ "Bucket": bucket, "Key": key })
        },
        aws_cli: cli(&words),
        note: note.into(),
    }
}

/// A conditional `PutObject` of `file` to `url` with `metadata`, its SHA-256 sent for S3 to
/// check on arrival (as every crlkit PUT is; no content type is set, as crlkit sets none).
pub fn put_object(
    url: &str,
    file: &str,
    metadata: &std::collections::BTreeMap<String, String>,
    note: &str,
) -> PlannedCall {
    let (bucket, key) = split_s3(url);
    let meta = metadata.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
    let mut words = vec!["aws", "s3api", "put-object", "--bucket", bucket, "--key", key, "--body", file];
    words.extend(["--checksum-algorithm", "SHA256"]);
    if !meta.is_empty() {
        words.extend(["--metadata", &meta]);
    }
    words.extend(["--if-none-match", "*"]);
    PlannedCall {
        service: "s3",
        action: "PutObject",
        region: None,
        params: serde_json::json!({ "Bucket": bucket, "Key": key, "Metadata": metadata, "IfNoneMatch": "*" }),
        aws_cli: cli(&words),
        note: put_note(note),
    }
}

/// A conditional `PutObject`'s note: `note`, and the condition it is written under.
pub fn put_note(note: &str) -> String {
    format!("{note} (If-None-Match: * when the key is empty, else If-Match: <the ETag read>)")
}

fn split_s3(url: &str) -> (&str, &str) {
    let rest = url.strip_prefix("s3://").unwrap_or(url);
    rest.split_once('/').unwrap_or((rest, ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_commands_are_quoted_and_complete() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("*"), "'*'");
        let arn = TrustStoreArn::parse("arn:aws:elasticloadbalancing:eu-west-1:123456789012:truststore/t/abc").unwrap();
        let o = S3Object { bucket: "b".into(), key: "crl/ca.pem".into(), version: Some("v1".into()) };
        let c = add_revocation(&arn, &o, Some(5));
        assert_eq!(
            c.aws_cli,
            "aws elbv2 add-trust-store-revocations --trust-store-arn \
             arn:aws:elasticloadbalancing:eu-west-1:123456789012:truststore/t/abc --revocation-contents \
             S3Bucket=b,S3Key=crl/ca.pem,S3ObjectVersion=v1,RevocationType=CRL --region eu-west-1"
        );
        assert_eq!(c.params["RevocationContents"][0]["S3ObjectVersion"], "v1");
    }
}
