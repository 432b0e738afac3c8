//! What crlkit records about a stored CRL, and reads back: as object metadata where the store
//! keeps it (`x-amz-meta-crlkit-*`), else from the stored CRL itself.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crlkit_der::{CrlRef, DistributionPointName, IssuingDistributionPoint};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The facts of one stored CRL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrlFacts {
    /// Issuer, RFC 4514.
    pub issuer: String,
    /// SHA-256 of the issuer Name's DER, hex (exact issuer identity).
    pub issuer_sha256: String,
    /// authorityKeyIdentifier keyIdentifier, uppercase hex.
    pub authority_key_id: Option<String>,
    /// cRLNumber, decimal.
    pub crl_number: Option<String>,
    /// cRLNumber, uppercase hex without leading zeros (for comparing).
    pub crl_number_hex: Option<String>,
    /// thisUpdate, RFC 3339.
    pub this_update: String,
    /// nextUpdate, RFC 3339.
    pub next_update: Option<String>,
    /// Revoked entries.
    pub entries: u64,
    /// SHA-256 of the stored bytes, hex.
    pub sha256: String,
    /// Size of the stored bytes.
    pub size: u64,
    /// The issuing distribution point, as [`idp_text`] writes it: a partition of a partitioned
    /// CRL (AWS Private CA's `PARTITIONED` type) has one, and each partition is its own slot
    /// ([`CrlFacts::same_slot`]). Absent from ledgers written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp: Option<String>,
}

/// An issuing distribution point as one line: its names (`URI:http://…/2.crl`, comma
/// separated; `nameRelativeToCRLIssuer`; empty without a name) and the scope flags it sets, so
/// two partitions differ in text exactly when they differ in what they cover.
pub fn idp_text(idp: &IssuingDistributionPoint<'_>) -> String {
    let mut s = match idp.distribution_point {
        Some(DistributionPointName::FullName(names)) => {
            names.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", ")
        }
        Some(DistributionPointName::NameRelativeToCrlIssuer(_)) => "nameRelativeToCRLIssuer".into(),
        None => String::new(),
    };
    for (set, flag) in [
        (idp.only_contains_user_certs, "onlyContainsUserCerts"),
        (idp.only_contains_ca_certs, "onlyContainsCACerts"),
        (idp.only_contains_attribute_certs, "onlyContainsAttributeCerts"),
        (idp.indirect_crl, "indirectCRL"),
        (idp.only_some_reasons.is_some(), "onlySomeReasons"),
    ] {
        if set {
            s.push_str(if s.is_empty() { "" } else { "; " });
            s.push_str(flag);
        }
    }
    s
}

/// The DER of a stored CRL: the bytes themselves, or the first CRL of a PEM file.
pub fn stored_der(stored: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, crlkit_der::Error> {
    if crlkit_der::pem::looks_like_pem(stored) {
        let (mut blocks, _) = crlkit_der::pem::decode_crls(stored)?;
        Ok(std::borrow::Cow::Owned(blocks.swap_remove(0).der))
    } else {
        Ok(std::borrow::Cow::Borrowed(stored))
    }
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex_lower(&Sha256::digest(bytes))
}

fn hex_lower(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn hex_upper(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// The metadata names (without `x-amz-meta-`).
const ISSUER: &str = "crlkit-issuer";
const ISSUER_SHA256: &str = "crlkit-issuer-sha256";
const AKI: &str = "crlkit-aki";
const NUMBER: &str = "crlkit-crl-number";
const NUMBER_HEX: &str = "crlkit-crl-number-hex";
const THIS_UPDATE: &str = "crlkit-this-update";
const NEXT_UPDATE: &str = "crlkit-next-update";
const ENTRIES: &str = "crlkit-entries";
const SHA256: &str = "crlkit-sha256";
const IDP: &str = "crlkit-idp";
/// Which set of facts the metadata holds: metadata of an older crlkit (without the IDP) is
/// not trusted for the slot, and the CRL itself is read instead.
const FACTS: &str = "crlkit-facts";
const FACTS_VERSION: &str = "2";

/// Metadata values must be ASCII (they travel as HTTP headers): other bytes, and `%`, are
/// percent-encoded.
fn to_ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if (0x20..0x7f).contains(&b) && b != b'%' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn from_ascii(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl CrlFacts {
    /// The facts of a validated CRL that will be stored as `stored` (its PEM, usually).
    pub fn new(crl: &CrlRef<'_>, entries: u64, stored: &[u8]) -> Self {
        let number = crl.crl_number();
        let aki = crl.extensions().and_then(|x| x.authority_key_identifier).and_then(|a| a.key_identifier);
        Self {
            issuer: crl.issuer().rfc4514(),
            issuer_sha256: sha256_hex(crl.issuer().der()),
            authority_key_id: aki.map(hex_upper),
            crl_number: number.map(|n| crlkit_serial::format(n, crlkit_serial::SerialFormat::Dec)),
            crl_number_hex: number
                .map(|n| n.to_hex().trim_start_matches('0').to_owned())
                .map(|h| if h.is_empty() { "0".into() } else { h }),
            this_update: crl.this_update().to_string(),
            next_update: crl.next_update().map(|t| t.to_string()),
            entries,
            sha256: sha256_hex(stored),
            size: stored.len() as u64,
            idp: crl.extensions().and_then(|x| x.issuing_distribution_point).map(|i| idp_text(&i)),
        }
    }

    /// Read the facts from stored bytes (DER, or PEM holding one CRL), validating the CRL.
    pub fn from_stored(stored: &[u8]) -> Result<Self, crlkit_der::Error> {
        let der = stored_der(stored)?;
        let crl = CrlRef::from_der(&der)?;
        let stats = crl.validate()?;
        Ok(Self::new(&crl, stats.count, stored))
    }

    /// As object metadata.
    pub fn to_metadata(&self) -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        m.insert(ISSUER.into(), to_ascii(&self.issuer));
        m.insert(ISSUER_SHA256.into(), self.issuer_sha256.clone());
        if let Some(a) = &self.authority_key_id {
            m.insert(AKI.into(), a.clone());
        }
        if let (Some(n), Some(h)) = (&self.crl_number, &self.crl_number_hex) {
            m.insert(NUMBER.into(), n.clone());
            m.insert(NUMBER_HEX.into(), h.clone());
        }
        m.insert(THIS_UPDATE.into(), self.this_update.clone());
        if let Some(n) = &self.next_update {
            m.insert(NEXT_UPDATE.into(), n.clone());
        }
        m.insert(ENTRIES.into(), self.entries.to_string());
        m.insert(SHA256.into(), self.sha256.clone());
        if let Some(idp) = &self.idp {
            m.insert(IDP.into(), to_ascii(idp));
        }
        m.insert(FACTS.into(), FACTS_VERSION.into());
        m
    }

    /// From object metadata written by [`CrlFacts::to_metadata`]; `None` when it is not there.
    pub fn from_metadata(m: &BTreeMap<String, String>, size: u64) -> Option<Self> {
        if m.get(FACTS).map(String::as_str) != Some(FACTS_VERSION) {
            return None;
        }
        Some(Self {
            issuer: from_ascii(m.get(ISSUER)?),
            issuer_sha256: m.get(ISSUER_SHA256)?.clone(),
            authority_key_id: m.get(AKI).cloned(),
            crl_number: m.get(NUMBER).cloned(),
            crl_number_hex: m.get(NUMBER_HEX).cloned(),
            this_update: m.get(THIS_UPDATE)?.clone(),
            next_update: m.get(NEXT_UPDATE).cloned(),
            entries: m.get(ENTRIES)?.parse().ok()?,
            sha256: m.get(SHA256)?.clone(),
            size,
            idp: m.get(IDP).map(|s| from_ascii(s)),
        })
    }

    /// The SHA-256 recorded in metadata, if any.
    pub fn metadata_sha256(m: &BTreeMap<String, String>) -> Option<&str> {
        m.get(SHA256).map(String::as_str)
    }

    /// Same CA: the same authority key identifier when both have one, else the same issuer
    /// Name, byte for byte.
    pub fn same_issuer(&self, other: &CrlFacts) -> bool {
        match (&self.authority_key_id, &other.authority_key_id) {
            (Some(a), Some(b)) => a == b,
            _ => self.issuer_sha256 == other.issuer_sha256,
        }
    }

    /// The same slot: the same CA ([`CrlFacts::same_issuer`]) and the same issuing
    /// distribution point (or neither has one). A CRL supersedes only an older CRL of its own
    /// slot: the partitions of a partitioned CRL never replace one another.
    pub fn same_slot(&self, other: &CrlFacts) -> bool {
        self.same_issuer(other) && self.idp == other.idp
    }

    /// How this CRL's number compares with `other`'s; `None` when either has none.
    pub fn number_cmp(&self, other: &CrlFacts) -> Option<Ordering> {
        let (a, b) = (self.crl_number_hex.as_ref()?, other.crl_number_hex.as_ref()?);
        Some(a.len().cmp(&b.len()).then_with(|| a.cmp(b)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_round_trip_and_comparisons() {
        let der = std::fs::read(format!(
            "{}/../../fixtures/crl.p256.1k.der",
            std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let f = CrlFacts::from_stored(&der).unwrap();
        assert_eq!((f.entries, f.crl_number.as_deref(), f.crl_number_hex.as_deref()), (1000, Some("2"), Some("2")));
        assert_eq!(CrlFacts::from_metadata(&f.to_metadata(), f.size), Some(f.clone()));
        let pem = crlkit_der::pem::encode(&der);
        let p = CrlFacts::from_stored(&pem).unwrap();
        assert!(p.same_issuer(&f));
        assert_eq!(p.number_cmp(&f), Some(Ordering::Equal));
        let mut higher = f.clone();
        higher.crl_number_hex = Some("10".into());
        assert_eq!(higher.number_cmp(&f), Some(Ordering::Greater));
        let odd = "CN=Zoë % x";
        assert_eq!(from_ascii(&to_ascii(odd)), odd);
        assert!(to_ascii(odd).is_ascii());
    }
}
