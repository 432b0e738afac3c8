//! Private CA ARNs: `arn:<partition>:acm-pca:<region>:<account>:certificate-authority/<id>`.
//! Every call about a CA goes to the ARN's region: a CA lives in exactly one.

use std::fmt;

use crate::error::{PcaError, PcaErrorKind};

/// A parsed Private CA ARN.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CaArn {
    arn: String,
    region: String,
    id: String,
}

impl CaArn {
    /// Parse `arn`, or say which part is wrong.
    pub fn parse(arn: &str) -> Result<Self, PcaError> {
        let bad = |why: &str| PcaError::new(PcaErrorKind::BadArn, format!("{arn:?}: {why}"));
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [scheme, partition, service, region, account, resource] = parts[..] else {
            return Err(bad("expected arn:aws:acm-pca:REGION:ACCOUNT:certificate-authority/ID"));
        };
        if scheme != "arn" || partition.is_empty() {
            return Err(bad("not an ARN"));
        }
        if service != "acm-pca" {
            return Err(bad(&format!("the service is {service:?}, not acm-pca")));
        }
        let region_ok =
            !region.is_empty() && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !region_ok {
            return Err(bad("no region"));
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("the account is not 12 digits"));
        }
        let id = match resource.split_once('/') {
            Some(("certificate-authority", id))
                if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
            {
                id
            }
            _ => return Err(bad("the resource is not certificate-authority/ID")),
        };
        Ok(Self { arn: arn.to_owned(), region: region.to_owned(), id: id.to_owned() })
    }

    /// The whole ARN.
    pub fn as_str(&self) -> &str {
        &self.arn
    }

    /// Its region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The CA's id (the last part: Private CA names its CRL `crl/<id>.crl` by default).
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl fmt::Display for CaArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.arn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_parse_or_say_what_is_wrong() {
        let ok = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555";
        let a = CaArn::parse(ok).unwrap();
        assert_eq!((a.region(), a.id(), a.as_str()), ("us-east-1", "11111111-2222-3333-4444-555555555555", ok));
        let cn = "arn:aws-cn:acm-pca:cn-north-1:123456789012:certificate-authority/abc";
        assert_eq!(CaArn::parse(cn).unwrap().region(), "cn-north-1");
        for (bad, says) in [
            ("arn:aws:acm:us-east-1:123456789012:certificate/abc", "not acm-pca"),
            ("arn:aws:acm-pca::123456789012:certificate-authority/abc", "no region"),
            ("arn:aws:acm-pca:us-east-1:1234:certificate-authority/abc", "12 digits"),
            ("arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/", "certificate-authority/ID"),
            (
                "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/abc/certificate/def",
                "certificate-authority/ID",
            ),
            ("not-an-arn", "expected arn:"),
        ] {
            let e = CaArn::parse(bad).unwrap_err();
            assert_eq!(e.kind(), PcaErrorKind::BadArn);
            assert!(e.to_string().contains(says), "{bad}: {e}");
        }
    }
}
