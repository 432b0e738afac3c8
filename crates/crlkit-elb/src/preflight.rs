//! Preflight rules: is this CRL (and CA bundle) ready for an ELB trust store?

use crlkit_der::{CertificateRef, CrlRef, EntryStats};
use crlkit_verify::{CaBundle, CheckId, Status, Verification, human_duration};

use crate::quotas;

/// How much a finding matters (serialized as its [`Severity::name`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// ELB would refuse it, or it would not do what the user wants: do not upload.
    Blocking,
    /// Uploadable, but something is off or AWS documents nothing: read before uploading.
    Warning,
    /// For information.
    Info,
}

impl Severity {
    /// `blocking`, `warning`, `info`.
    pub const fn name(self) -> &'static str {
        match self {
            Severity::Blocking => "blocking",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One preflight finding (`--json`: `{"code", "severity", "message"}`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// Stable code for scripts (`pem-size`, `negative-serials`, …).
    pub code: &'static str,
    /// How much it matters.
    pub severity: Severity,
    /// A sentence for people.
    pub message: String,
}

fn finding(code: &'static str, severity: Severity, message: impl Into<String>) -> Finding {
    Finding { code, severity, message: message.into() }
}

/// Limits to check against.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Unix time at which freshness is judged.
    pub at: i64,
    /// Revoked-entry quota of the trust store (default 500,000; raise it if AWS raised yours).
    pub max_entries: u64,
    /// Largest CRL file, bytes of PEM.
    pub max_pem_bytes: u64,
}

impl Options {
    /// Default ELB quotas, judged at `at`.
    pub const fn at(at: i64) -> Self {
        Self { at, max_entries: quotas::MAX_REVOKED_ENTRIES, max_pem_bytes: quotas::MAX_CRL_FILE_BYTES }
    }
}

/// What preflight judges: one parsed CRL with its validated counts and how it came in. (The
/// facts crlkit stores beside a CRL are `crlkit_upload::CrlFacts`, another thing.)
pub struct Subject<'c, 'a> {
    /// The parsed CRL.
    pub crl: &'c CrlRef<'a>,
    /// Its validated entry counts.
    pub stats: EntryStats,
    /// Whether the input was DER (it will be converted to PEM).
    pub input_was_der: bool,
    /// Serial numbers that occur more than once (counted after the first).
    pub duplicate_serials: u64,
    /// BER length fields re-encoded by `--lenient`.
    pub ber_rewrites: u64,
}

impl<'c, 'a> Subject<'c, 'a> {
    /// Facts for a validated CRL; counts duplicate serials (sorting them over rayon).
    pub fn new(crl: &'c CrlRef<'a>, stats: EntryStats, input_was_der: bool) -> Self {
        Self { crl, stats, input_was_der, duplicate_serials: duplicate_serials(crl), ber_rewrites: 0 }
    }
}

/// How many entries repeat a serial number that an earlier entry already has. Serials are
/// minimal INTEGER encodings, so equal values have equal bytes.
pub fn duplicate_serials(crl: &CrlRef<'_>) -> u64 {
    use rayon::prelude::*;
    let mut serials: Vec<&[u8]> = crl.entries().filter_map(|e| e.ok()).map(|e| e.serial().der_content()).collect();
    serials.par_sort_unstable();
    serials.windows(2).filter(|w| w[0] == w[1]).count() as u64
}

/// Check one CRL; `verification` is the result of `crlkit_verify::verify` when a bundle was given.
pub fn check_crl(facts: &Subject<'_, '_>, verification: Option<&Verification>, opts: &Options) -> Vec<Finding> {
    use Severity::*;
    let crl = facts.crl;
    let mut out = Vec::new();
    let pem = crlkit_der::pem::pem_len(crl.der().len()) as u64;
    if facts.input_was_der {
        out.push(finding("format", Info, "the input is DER; ELB takes PEM only: upload what `crlkit convert` writes"));
    }
    if pem > opts.max_pem_bytes {
        out.push(finding(
            "pem-size",
            Blocking,
            format!("as PEM the CRL is {pem} bytes, over ELB's {} byte limit per CRL file", opts.max_pem_bytes),
        ));
    } else {
        out.push(finding("pem-size", Info, format!("{pem} bytes as PEM (limit {})", opts.max_pem_bytes)));
    }
    let n = facts.stats.count;
    if n > opts.max_entries {
        out.push(finding(
            "entry-count",
            Blocking,
            format!(
                "{n} revoked entries, over the trust store quota of {} (raise it with AWS, then --max-entries)",
                opts.max_entries
            ),
        ));
    } else if n == 0 {
        out.push(finding("entry-count", Info, "no revoked entries (ELB accepts an empty CRL)"));
    } else {
        out.push(finding(
            "entry-count",
            Info,
            format!("{n} revoked entries (quota {}, shared by all CRLs of the trust store)", opts.max_entries),
        ));
    }
    if facts.stats.negative_serials > 0 {
        out.push(finding(
            "negative-serials",
            Warning,
            format!(
                "{} entries have a negative serial number: ALB cannot revoke those certificates",
                facts.stats.negative_serials
            ),
        ));
    }
    if facts.duplicate_serials > 0 {
        out.push(finding(
            "duplicate-serials",
            Warning,
            format!("{} entries repeat a serial number listed before", facts.duplicate_serials),
        ));
    }
    if facts.stats.long_serials > 0 {
        out.push(finding(
            "long-serials",
            Warning,
            format!("{} serial numbers are longer than RFC 5280's 20 octets", facts.stats.long_serials),
        ));
    }
    // Critical extensions we (and probably ELB) do not understand.
    let unknown: Vec<String> =
        crl.extensions().map(|e| e.unknown_critical().map(|x| x.name()).collect()).unwrap_or_default();
    if !unknown.is_empty() {
        out.push(finding(
            "unknown-critical-extension",
            Blocking,
            format!(
                "unknown critical CRL extension(s) {}: an RFC 5280 relying party must not use this CRL",
                unknown.join(", ")
            ),
        ));
    }
    if facts.stats.unknown_critical > 0 {
        out.push(finding(
            "unknown-critical-entry-extension",
            Blocking,
            format!(
                "{} entries carry an unknown critical extension: an RFC 5280 relying party must not use this CRL",
                facts.stats.unknown_critical
            ),
        ));
    }
    if let Some(ext) = crl.extensions() {
        if let Some(base) = ext.delta_crl_indicator {
            out.push(finding(
                "delta-crl",
                Warning,
                format!(
                    "a delta CRL (base CRL number {}): AWS does not document how ELB treats delta CRLs",
                    base.to_hex()
                ),
            ));
        }
        if let Some(idp) = ext.issuing_distribution_point {
            if idp.indirect_crl || facts.stats.with_certificate_issuer > 0 {
                out.push(finding(
                    "indirect-crl",
                    Warning,
                    "an indirect CRL: AWS does not document how ELB treats indirect CRLs",
                ));
            }
            let scope = if idp.is_partitioned() {
                "a partitioned CRL (it covers part of the issuer's certificates)"
            } else {
                "an issuing distribution point"
            };
            out.push(finding(
                "issuing-distribution-point",
                Warning,
                format!("{scope}: AWS does not document how ELB treats it"),
            ));
        }
        if ext.crl_number.is_none() {
            out.push(finding(
                "no-crl-number",
                Warning,
                "no cRLNumber: RFC 5280 requires one, and updates cannot be ordered",
            ));
        }
    }
    if facts.ber_rewrites > 0 {
        out.push(finding(
            "ber-reencoded",
            Warning,
            format!("{} BER length fields were re-encoded to DER (--lenient): check the signature", facts.ber_rewrites),
        ));
    }
    match verification {
        Some(v) => out.extend(from_verification(v)),
        None => out.extend(freshness(crl, opts.at)),
    }
    out
}

/// Freshness without a bundle. AWS does not document whether ELB refuses an expired CRL, so
/// these are warnings.
fn freshness(crl: &CrlRef<'_>, at: i64) -> Vec<Finding> {
    let mut out = Vec::new();
    let this = crl.this_update().unix();
    if this > at {
        out.push(finding(
            "not-yet-valid",
            Severity::Warning,
            format!("thisUpdate {} is in the future", crl.this_update()),
        ));
    }
    match crl.next_update() {
        None => out.push(finding("no-next-update", Severity::Warning, "no nextUpdate: staleness cannot be detected")),
        Some(n) if n.unix() <= at => out.push(finding(
            "expired",
            Severity::Warning,
            format!("nextUpdate {n} passed {} ago: revoked clients may be missing from this CRL (AWS does not document whether ELB refuses it)", human_duration(at - n.unix())),
        )),
        Some(n) => out.push(finding("fresh", Severity::Info, format!("nextUpdate {n}, in {}", human_duration(n.unix() - at)))),
    }
    out
}

/// Map verification checks to findings: a CRL not signed by the trust store's CA is blocking;
/// freshness stays a warning (undocumented at ELB).
fn from_verification(v: &Verification) -> Vec<Finding> {
    let mut out = Vec::new();
    for c in &v.checks {
        let (code, blocking_on_fail) = match c.id {
            CheckId::Issuer => ("issuer", true),
            CheckId::KeyUsage => ("key-usage", true),
            CheckId::Signature => ("signature", true),
            CheckId::CriticalExtensions => continue, // reported by the CRL rules above
            CheckId::ThisUpdate => ("not-yet-valid", false),
            CheckId::NextUpdate => ("expired", false),
            CheckId::IssuerValidity => ("issuer-validity", false),
            CheckId::IssuerIsCa => ("issuer-is-ca", false),
            _ => ("verify", true),
        };
        let severity = match c.status {
            Status::Fail if blocking_on_fail => Severity::Blocking,
            Status::Fail | Status::Warn => Severity::Warning,
            Status::Pass | Status::Skip => continue,
        };
        let code = if c.id == CheckId::NextUpdate && c.detail.starts_with("absent") { "no-next-update" } else { code };
        out.push(finding(code, severity, format!("{}: {}", c.id.name(), c.detail)));
    }
    if v.is_valid() {
        out.push(finding("verified", Severity::Info, "signed by a CA of the bundle, fresh"));
    }
    out
}

/// Findings for several CRLs in one file (AWS does not document whether ELB takes them).
pub fn check_file(crl_count: usize) -> Vec<Finding> {
    if crl_count > 1 {
        vec![finding(
            "several-crls",
            Severity::Warning,
            format!(
                "the file holds {crl_count} CRLs: AWS does not document whether one revocation file may hold several"
            ),
        )]
    } else {
        Vec::new()
    }
}

/// ELB's CA bundle rules: at most 25 certificates, 16 KB each, chains of at most 4.
pub fn check_bundle(bundle: &CaBundle, at: i64) -> Vec<Finding> {
    use Severity::*;
    let mut out = Vec::new();
    let certs: Vec<CertificateRef<'_>> = bundle.certs().iter().map(|c| c.parse()).collect();
    if certs.len() > quotas::MAX_CA_CERTIFICATES {
        out.push(finding(
            "bundle-too-many-certificates",
            Blocking,
            format!(
                "the CA bundle holds {} certificates; ELB takes at most {}",
                certs.len(),
                quotas::MAX_CA_CERTIFICATES
            ),
        ));
    }
    for (i, c) in certs.iter().enumerate() {
        // As uploaded: PEM with 64-column lines and CERTIFICATE boundaries.
        let pem =
            crlkit_der::pem::body_len(c.der().len()) + "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n".len();
        if pem > quotas::MAX_CA_CERTIFICATE_BYTES {
            out.push(finding(
                "bundle-certificate-too-large",
                Blocking,
                format!(
                    "certificate {} is {pem} bytes as PEM; ELB takes at most {} per certificate",
                    i + 1,
                    quotas::MAX_CA_CERTIFICATE_BYTES
                ),
            ));
        }
        if !c.basic_constraints().is_some_and(|b| b.ca) {
            out.push(finding(
                "bundle-not-a-ca",
                Warning,
                format!("certificate {} ({}) is not marked as a CA", i + 1, c.subject()),
            ));
        }
        if c.not_after().unix() < at || c.not_before().unix() > at {
            out.push(finding(
                "bundle-certificate-not-valid",
                Warning,
                format!(
                    "certificate {} ({}) is valid {} to {}, not now",
                    i + 1,
                    c.subject(),
                    c.not_before(),
                    c.not_after()
                ),
            ));
        }
    }
    let depth = chain_depth(&certs);
    if depth > quotas::MAX_CHAIN_DEPTH {
        out.push(finding(
            "bundle-chain-too-deep",
            Blocking,
            format!(
                "the longest chain in the bundle has {depth} certificates; ELB takes at most {}",
                quotas::MAX_CHAIN_DEPTH
            ),
        ));
    }
    out
}

/// Longest issuer→subject chain among the bundle's certificates (1 for a lone root).
fn chain_depth(certs: &[CertificateRef<'_>]) -> usize {
    fn depth(i: usize, certs: &[CertificateRef<'_>], seen: &mut Vec<usize>) -> usize {
        if seen.contains(&i) || seen.len() > certs.len() {
            return 0;
        }
        seen.push(i);
        let c = &certs[i];
        let parent =
            (c.issuer() != c.subject()).then(|| certs.iter().position(|p| p.subject() == c.issuer())).flatten();
        let d = 1 + parent.map_or(0, |p| depth(p, certs, seen));
        seen.pop();
        d
    }
    (0..certs.len()).map(|i| depth(i, certs, &mut Vec::new())).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/../../fixtures/{name}",
            std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn edge_serials_warn_about_negative_serials() {
        let der = fixture("crl.p256.edge-serials.der");
        let crl = CrlRef::from_der(&der).unwrap();
        let facts = Subject::new(&crl, crl.validate().unwrap(), true);
        let f = check_crl(&facts, None, &Options::at(1_793_577_600));
        assert!(f.iter().any(|f| f.code == "negative-serials" && f.severity == Severity::Warning), "{f:?}");
        assert!(f.iter().all(|f| f.severity != Severity::Blocking), "{f:?}");
    }

    #[test]
    fn quotas_block() {
        let der = fixture("crl.p256.1k.der");
        let crl = CrlRef::from_der(&der).unwrap();
        let facts = Subject::new(&crl, crl.validate().unwrap(), true);
        let opts = Options { max_entries: 999, max_pem_bytes: 64_000, ..Options::at(1_793_577_600) };
        let f = check_crl(&facts, None, &opts);
        let blocking: Vec<_> = f.iter().filter(|f| f.severity == Severity::Blocking).map(|f| f.code).collect();
        assert_eq!(blocking, ["pem-size", "entry-count"]);
        // Expired is a warning (ELB's behaviour is undocumented).
        let f = check_crl(&facts, None, &Options::at(1_900_000_000));
        assert!(f.iter().any(|f| f.code == "expired" && f.severity == Severity::Warning));
    }

    #[test]
    fn duplicates_are_counted() {
        let der = fixture("crl.p256.1k.der");
        let crl = CrlRef::from_der(&der).unwrap();
        assert_eq!(duplicate_serials(&crl), 0);
    }

    #[test]
    fn bundle_rules() {
        let bundle = CaBundle::from_bytes(&fixture("ca.bundle.pem")).unwrap();
        assert!(check_bundle(&bundle, 1_793_577_600).is_empty());
        let certs: Vec<_> = bundle.certs().iter().map(|c| c.parse()).collect();
        assert_eq!(chain_depth(&certs), 1, "four self-signed roots");
    }
}
