//! What `inspect` reports of one CRL (`Report`: the header fields, extensions, entry counts)
//! and of a partitioned set, as text and JSON.

use super::*;

pub struct Number {
    pub decimal: String,
    pub hex: String,
}

impl Number {
    pub(super) fn new(n: SerialRef<'_>) -> Self {
        Self { decimal: crlkit_serial::format(n, crlkit_serial::SerialFormat::Dec), hex: n.to_hex() }
    }

    fn record(&self) -> NumberRecord<'_> {
        NumberRecord { decimal: &self.decimal, hex: &self.hex }
    }
}

pub struct IdpInfo {
    pub critical: bool,
    pub names: Vec<String>,
    pub only_user: bool,
    pub only_ca: bool,
    pub only_attribute: bool,
    pub indirect: bool,
    pub only_some_reasons: Option<Vec<&'static str>>,
}

pub struct ExtInfo {
    pub name: String,
    pub oid: String,
    pub critical: bool,
}

/// Everything `inspect` reports about one CRL, owned.
pub struct Report {
    pub version: String,
    pub issuer: String,
    pub signature_algorithm: String,
    pub signature_oid: String,
    pub this_update: String,
    pub next_update: Option<String>,
    pub crl_number: Option<Number>,
    pub authority_key_id: Option<String>,
    pub delta_base: Option<Number>,
    pub idp: Option<IdpInfo>,
    pub freshest_crl: bool,
    pub extensions: Vec<ExtInfo>,
    pub stats: EntryStats,
    pub der_size: u64,
    pub rewrites: u64,
}

pub(super) const REASON_FLAGS: [&str; 9] = [
    "unused",
    "keyCompromise",
    "cACompromise",
    "affiliationChanged",
    "superseded",
    "cessationOfOperation",
    "certificateHold",
    "privilegeWithdrawn",
    "aACompromise",
];

pub(super) fn idp_info(idp: &IssuingDistributionPoint<'_>, critical: bool) -> IdpInfo {
    let names = match idp.distribution_point {
        Some(DistributionPointName::FullName(names)) => names.iter().map(|n| n.to_string()).collect(),
        Some(DistributionPointName::NameRelativeToCrlIssuer(_)) => vec!["nameRelativeToCRLIssuer".into()],
        None => Vec::new(),
    };
    let only_some_reasons = idp.only_some_reasons.map(|bits| {
        let mut v = Vec::new();
        for (i, name) in REASON_FLAGS.iter().enumerate() {
            let byte = 1 + i / 8;
            if bits.get(byte).is_some_and(|b| b & (0x80 >> (i % 8)) != 0) {
                v.push(*name);
            }
        }
        v
    });
    IdpInfo {
        critical,
        names,
        only_user: idp.only_contains_user_certs,
        only_ca: idp.only_contains_ca_certs,
        only_attribute: idp.only_contains_attribute_certs,
        indirect: idp.indirect_crl,
        only_some_reasons,
    }
}

pub(super) fn colon_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

impl Report {
    pub fn new(
        header: &TbsHeader<'_>,
        exts: Option<&CrlExtensions<'_>>,
        alg: &AlgorithmIdentifierRef<'_>,
        stats: EntryStats,
        der_size: u64,
    ) -> Self {
        let mut r = Self {
            version: header.version.to_string(),
            issuer: header.issuer.rfc4514(),
            signature_algorithm: alg.name(),
            signature_oid: alg.oid().to_string(),
            this_update: header.this_update.to_string(),
            next_update: header.next_update.map(|t| t.to_string()),
            crl_number: None,
            authority_key_id: None,
            delta_base: None,
            idp: None,
            freshest_crl: false,
            extensions: Vec::new(),
            stats,
            der_size,
            rewrites: 0,
        };
        if let Some(e) = exts {
            r.set_extensions(e);
        }
        r
    }

    pub(super) fn set_extensions(&mut self, e: &CrlExtensions<'_>) {
        self.crl_number = e.crl_number.map(Number::new);
        self.authority_key_id = e.authority_key_identifier.and_then(|a| a.key_identifier).map(colon_hex);
        self.delta_base = e.delta_crl_indicator.map(Number::new);
        self.idp = e.issuing_distribution_point.map(|i| idp_info(&i, e.issuing_distribution_point_critical));
        self.freshest_crl = e.freshest_crl.is_some();
        self.extensions =
            e.iter().map(|x| ExtInfo { name: x.name(), oid: x.oid().to_string(), critical: x.critical() }).collect();
    }

    pub(super) fn text(&self, out: &mut String) {
        let mut row = |k: &str, v: &str| {
            let _ = writeln!(out, "  {k:<22}{v}");
        };
        row("issuer", &self.issuer);
        row("version", &self.version);
        row("signature algorithm", &format!("{} ({})", self.signature_algorithm, self.signature_oid));
        row("this update", &self.this_update);
        row("next update", self.next_update.as_deref().unwrap_or("absent"));
        row(
            "crl number",
            &self.crl_number.as_ref().map_or("absent".into(), |n| format!("{} (0x{})", n.decimal, n.hex)),
        );
        row("authority key id", self.authority_key_id.as_deref().unwrap_or("absent"));
        row(
            "delta crl",
            &self.delta_base.as_ref().map_or("no".into(), |n| format!("yes, base CRL number {}", n.decimal)),
        );
        let idp = match &self.idp {
            None => "absent".to_owned(),
            Some(i) => {
                let mut parts = i.names.clone();
                for (set, name) in [
                    (i.only_user, "onlyContainsUserCerts"),
                    (i.only_ca, "onlyContainsCACerts"),
                    (i.only_attribute, "onlyContainsAttributeCerts"),
                    (i.indirect, "indirectCRL"),
                ] {
                    if set {
                        parts.push(name.into());
                    }
                }
                if let Some(r) = &i.only_some_reasons {
                    parts.push(format!("onlySomeReasons({})", r.join(",")));
                }
                format!("{}{}", if i.critical { "critical: " } else { "" }, parts.join(", "))
            }
        };
        row("issuing dist. point", &idp);
        row("freshest crl", if self.freshest_crl { "present (delta CRLs exist)" } else { "absent" });
        let exts: Vec<String> = self
            .extensions
            .iter()
            .map(|e| if e.critical { format!("{} (critical)", e.name) } else { e.name.clone() })
            .collect();
        row("extensions", &if exts.is_empty() { "none".into() } else { exts.join(", ") });
        row("revoked entries", &self.stats.count.to_string());
        if self.stats.negative_serials > 0 {
            row("negative serials", &self.stats.negative_serials.to_string());
        }
        if self.stats.unknown_critical > 0 {
            row(
                "unknown critical",
                &format!("{} entries with an unknown critical extension", self.stats.unknown_critical),
            );
        }
        row(
            "size",
            &format!("{} bytes DER, {} bytes as PEM", self.der_size, crlkit_der::pem::pem_len(self.der_size as usize)),
        );
        if self.rewrites > 0 {
            row("re-encoded", &format!("{} BER length fields rewritten (--lenient)", self.rewrites));
        }
    }

    /// The report's `--json` form (docs/JSON.md).
    pub(super) fn record(&self) -> ReportRecord<'_> {
        ReportRecord {
            version: &self.version,
            issuer: &self.issuer,
            signature_algorithm: &self.signature_algorithm,
            signature_algorithm_oid: &self.signature_oid,
            this_update: &self.this_update,
            next_update: self.next_update.as_deref(),
            crl_number: self.crl_number.as_ref().map(Number::record),
            authority_key_id: self.authority_key_id.as_deref(),
            delta: self.delta_base.is_some(),
            delta_base_crl_number: self.delta_base.as_ref().map(Number::record),
            issuing_distribution_point: self.idp.as_ref().map(|i| IdpRecord {
                critical: i.critical,
                distribution_point: &i.names,
                only_contains_user_certs: i.only_user,
                only_contains_ca_certs: i.only_ca,
                only_contains_attribute_certs: i.only_attribute,
                indirect_crl: i.indirect,
                only_some_reasons: i.only_some_reasons.as_deref(),
            }),
            freshest_crl: self.freshest_crl,
            extensions: self
                .extensions
                .iter()
                .map(|e| ExtRecord { name: &e.name, oid: &e.oid, critical: e.critical })
                .collect(),
            entries: self.stats.count,
            negative_serials: self.stats.negative_serials,
            serials_over_20_octets: self.stats.long_serials,
            entries_with_unknown_critical_extension: self.stats.unknown_critical,
            entries_with_reason: self.stats.with_reason,
            der_size: self.der_size,
            pem_size: crlkit_der::pem::pem_len(self.der_size as usize),
            ber_rewrites: self.rewrites,
        }
    }
}

/// One CRL in `inspect --json`.
#[derive(serde::Serialize)]
pub(super) struct ReportRecord<'a> {
    version: &'a str,
    issuer: &'a str,
    signature_algorithm: &'a str,
    signature_algorithm_oid: &'a str,
    this_update: &'a str,
    next_update: Option<&'a str>,
    crl_number: Option<NumberRecord<'a>>,
    authority_key_id: Option<&'a str>,
    delta: bool,
    delta_base_crl_number: Option<NumberRecord<'a>>,
    issuing_distribution_point: Option<IdpRecord<'a>>,
    freshest_crl: bool,
    extensions: Vec<ExtRecord<'a>>,
    entries: u64,
    negative_serials: u64,
    serials_over_20_octets: u64,
    entries_with_unknown_critical_extension: u64,
    entries_with_reason: u64,
    der_size: u64,
    pem_size: usize,
    ber_rewrites: u64,
}

/// A CRL number (or delta base) in both forms.
#[derive(serde::Serialize)]
struct NumberRecord<'a> {
    decimal: &'a str,
    hex: &'a str,
}

#[derive(serde::Serialize)]
struct IdpRecord<'a> {
    critical: bool,
    distribution_point: &'a [String],
    only_contains_user_certs: bool,
    only_contains_ca_certs: bool,
    only_contains_attribute_certs: bool,
    indirect_crl: bool,
    only_some_reasons: Option<&'a [&'static str]>,
}

#[derive(serde::Serialize)]
struct ExtRecord<'a> {
    name: &'a str,
    oid: &'a str,
    critical: bool,
}

/// What inspecting one input found.
pub fn set_table(set: &PartitionSet, parts: &[Partition], out: &mut String) {
    let _ = writeln!(
        out,
        "\npartitioned set: {}, AKI {}: {} CRL(s), {} entries",
        set.issuer,
        set.authority_key_id.as_deref().unwrap_or("absent"),
        set.members.len(),
        set.entries(parts)
    );
    let header = ["FILE", "IDP", "CRL NUMBER", "ENTRIES", "THIS UPDATE", "NEXT UPDATE"];
    let rows: Vec<[String; 6]> = set
        .members
        .iter()
        .map(|&i| {
            let p = &parts[i];
            [
                p.file.clone(),
                p.idp.clone().map_or("(none)".into(), |s| if s.is_empty() { "(no name)".into() } else { s }),
                p.crl_number.clone().unwrap_or_else(|| "absent".into()),
                p.entries.to_string(),
                p.this_update_text.clone(),
                p.next_update_text.clone().unwrap_or_else(|| "absent".into()),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut String, cells: [&str; 6]| {
        let mut l = String::new();
        for (k, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if k == 3 {
                let _ = write!(l, "  {cell:>w$}");
            } else {
                let _ = write!(l, "  {cell:<w$}");
            }
        }
        let _ = writeln!(out, "{}", l.trim_end());
    };
    line(out, header);
    for r in &rows {
        line(out, [&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]]);
    }
}

/// A partitioned set in `inspect --json` (`"sets"`): issuer, AKI, the total, the partitions.
#[derive(serde::Serialize)]
pub struct SetRecord<'a> {
    issuer: &'a str,
    authority_key_id: Option<&'a str>,
    entries: u64,
    partitions: Vec<PartitionRecord<'a>>,
}

#[derive(serde::Serialize)]
struct PartitionRecord<'a> {
    file: &'a str,
    idp: Option<&'a str>,
    crl_number: Option<&'a str>,
    entries: u64,
    this_update: &'a str,
    next_update: Option<&'a str>,
}

pub fn set_record<'a>(set: &'a PartitionSet, parts: &'a [Partition]) -> SetRecord<'a> {
    SetRecord {
        issuer: &set.issuer,
        authority_key_id: set.authority_key_id.as_deref(),
        entries: set.entries(parts),
        partitions: set
            .members
            .iter()
            .map(|&i| {
                let p = &parts[i];
                PartitionRecord {
                    file: &p.file,
                    idp: p.idp.as_deref(),
                    crl_number: p.crl_number.as_deref(),
                    entries: p.entries,
                    this_update: &p.this_update_text,
                    next_update: p.next_update_text.as_deref(),
                }
            })
            .collect(),
    }
}
