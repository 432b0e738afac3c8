//! Trust-store ARNs: `arn:<partition>:elasticloadbalancing:<region>:<account>:truststore/<name>/<id>`.
//! The region of every ELB call comes from here: a trust store lives in exactly one region.

use std::fmt;

use crate::error::{ElbError, ElbErrorKind};

/// A parsed trust-store ARN.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TrustStoreArn {
    arn: String,
    region: String,
    name: String,
}

impl TrustStoreArn {
    /// Parse `arn`, or say which part is wrong.
    pub fn parse(arn: &str) -> Result<Self, ElbError> {
        let bad = |why: &str| ElbError::new(ElbErrorKind::BadArn, format!("{arn:?}: {why}"));
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [scheme, partition, service, region, account, resource] = parts[..] else {
            return Err(bad("expected arn:aws:elasticloadbalancing:REGION:ACCOUNT:truststore/NAME/ID"));
        };
        if scheme != "arn" || partition.is_empty() {
            return Err(bad("not an ARN"));
        }
        if service != "elasticloadbalancing" {
            return Err(bad(&format!("the service is {service:?}, not elasticloadbalancing")));
        }
        let region_ok =
            !region.is_empty() && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !region_ok {
            return Err(bad("no region"));
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("the account is not 12 digits"));
        }
        let mut r = resource.split('/');
        let (Some("truststore"), Some(name), Some(id), None) = (r.next(), r.next(), r.next(), r.next()) else {
            return Err(bad("the resource is not truststore/NAME/ID"));
        };
        if name.is_empty() || id.is_empty() {
            return Err(bad("the resource is not truststore/NAME/ID"));
        }
        Ok(Self { arn: arn.to_owned(), region: region.to_owned(), name: name.to_owned() })
    }

    /// The whole ARN.
    pub fn as_str(&self) -> &str {
        &self.arn
    }

    /// Its region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The trust store's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for TrustStoreArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.arn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_explains() {
        let a = TrustStoreArn::parse(
            "arn:aws:elasticloadbalancing:eu-west-1:123456789012:truststore/mtls/0123456789abcdef",
        )
        .unwrap();
        assert_eq!((a.region(), a.name()), ("eu-west-1", "mtls"));
        let cn =
            TrustStoreArn::parse("arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:truststore/a/b").unwrap();
        assert_eq!(cn.region(), "cn-north-1");
        for (bad, why) in [
            ("truststore/a/b", "expected arn:"),
            ("arn:aws:s3:eu-west-1:123456789012:truststore/a/b", "not elasticloadbalancing"),
            ("arn:aws:elasticloadbalancing::123456789012:truststore/a/b", "no region"),
            ("arn:aws:elasticloadbalancing:eu-west-1:1234:truststore/a/b", "12 digits"),
            ("arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/a/b", "truststore/NAME/ID"),
            ("arn:aws:elasticloadbalancing:eu-west-1:123456789012:truststore/a", "truststore/NAME/ID"),
        ] {
            let e = TrustStoreArn::parse(bad).unwrap_err();
            assert_eq!(e.kind(), ElbErrorKind::BadArn);
            assert!(e.to_string().contains(why), "{bad}: {e}");
        }
    }
}
