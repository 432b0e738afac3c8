//! Partitioned CRL sets: the partitions of one CA (same issuer Name and authority key
//! identifier, an issuing distribution point each, as AWS Private CA writes them for up to
//! 100M certificates) recognised among many CRLs and checked as one unit against a trust store.
//!
//! A set is every CRL of one (issuer, AKI) among the inputs when at least one of them carries
//! an IDP; CRLs of an issuer without any IDP are complete CRLs, not a set. What a set must be
//! before it goes to one trust store, each a blocking finding with its own code:
//! - at most the trust store's revocation-file quota (30) of files: `set-too-many-files`;
//! - at most the revoked-entry quota (500,000) in total: `set-entry-count`;
//! - every partition fresh at the time judged (nextUpdate after it): `set-stale-partition`;
//! - one CRL-number generation (every partition the same number): `set-mixed-crl-numbers`;
//! - no two partitions with the same IDP (or two without one): `set-duplicate-idp`;
//! - no serial in two partitions: `set-duplicate-serial`.
//!
//! Serials are kept as fixed-size keys (no allocation per entry): the DER content of a serial
//! of up to 22 octets exactly (RFC 5280 allows 20, plus a sign byte), a 128-bit hash beyond.

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use crlkit_der::CrlRef;

use crate::preflight::{Finding, Severity};

/// One serial number, comparable without allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SerialKey([u8; 23]);

impl SerialKey {
    /// The key of a serial's DER content octets.
    pub fn new(content: &[u8]) -> Self {
        let mut k = [0u8; 23];
        if content.len() <= 22 {
            k[0] = content.len() as u8;
            k[1..=content.len()].copy_from_slice(content);
        } else {
            k[0] = 0xff;
            for (salt, half) in [(0u8, 1usize), (1, 9)] {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                salt.hash(&mut h);
                content.hash(&mut h);
                k[half..half + 8].copy_from_slice(&h.finish().to_be_bytes());
            }
        }
        Self(k)
    }
}

/// What a set check needs to know about one CRL.
#[derive(Clone, Debug)]
pub struct Partition {
    /// Where it came from (a file name, a key), for messages.
    pub file: String,
    /// Issuer, RFC 4514.
    pub issuer: String,
    /// The issuer Name's DER (exact identity).
    pub issuer_der: Vec<u8>,
    /// authorityKeyIdentifier keyIdentifier, uppercase hex with colons.
    pub authority_key_id: Option<String>,
    /// The IDP's distribution point names (`URI:…`), joined; `Some("")` for an IDP without
    /// names; `None` without an IDP.
    pub idp: Option<String>,
    /// cRLNumber, decimal.
    pub crl_number: Option<String>,
    /// thisUpdate and nextUpdate, Unix seconds.
    pub this_update: i64,
    /// nextUpdate, Unix seconds.
    pub next_update: Option<i64>,
    /// thisUpdate and nextUpdate as printed (RFC 3339).
    pub this_update_text: String,
    /// nextUpdate, RFC 3339.
    pub next_update_text: Option<String>,
    /// Revoked entries.
    pub entries: u64,
    /// Every entry's serial, sorted (empty unless asked for).
    pub serials: Vec<SerialKey>,
}

impl Partition {
    /// The facts of a validated CRL; with `serials`, and if the CRL has an IDP (only such a
    /// CRL can be a partition whose serials another partition may repeat), its serial keys
    /// too (for `set-duplicate-serial`).
    pub fn new(file: impl Into<String>, crl: &CrlRef<'_>, entries: u64, serials: bool) -> Self {
        let ext = crl.extensions();
        let idp = ext.and_then(|e| e.issuing_distribution_point).map(|i| crlkit_upload::idp_text(&i));
        let mut keys = Vec::new();
        if serials && idp.is_some() {
            keys.reserve(entries as usize);
            keys.extend(crl.entries().filter_map(Result::ok).map(|e| SerialKey::new(e.serial().der_content())));
            keys.sort_unstable();
        }
        Self {
            file: file.into(),
            issuer: crl.issuer().rfc4514(),
            issuer_der: crl.issuer().der().to_vec(),
            authority_key_id: ext
                .and_then(|e| e.authority_key_identifier)
                .and_then(|a| a.key_identifier)
                .map(|k| k.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")),
            idp,
            crl_number: crl.crl_number().map(|n| crlkit_serial::format(n, crlkit_serial::SerialFormat::Dec)),
            this_update: crl.this_update().unix(),
            next_update: crl.next_update().map(|t| t.unix()),
            this_update_text: crl.this_update().to_string(),
            next_update_text: crl.next_update().map(|t| t.to_string()),
            entries,
            serials: keys,
        }
    }
}

/// The partitions of one CA found among the inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionSet {
    /// Issuer, RFC 4514.
    pub issuer: String,
    /// Authority key identifier, if the CRLs carry one.
    pub authority_key_id: Option<String>,
    /// Indices of its members in the slice given to [`find_sets`], in that order.
    pub members: Vec<usize>,
}

impl PartitionSet {
    /// Entries over every partition.
    pub fn entries<P: Borrow<Partition>>(&self, parts: &[P]) -> u64 {
        self.members.iter().map(|&i| parts[i].borrow().entries).sum()
    }
}

/// The sets among `parts` (owned, or borrowed from where the CRLs are kept), in the order of
/// their first member.
pub fn find_sets<P: Borrow<Partition>>(parts: &[P]) -> Vec<PartitionSet> {
    let mut groups: BTreeMap<(&[u8], Option<&str>), Vec<usize>> = BTreeMap::new();
    for (i, p) in parts.iter().map(Borrow::borrow).enumerate() {
        groups.entry((&p.issuer_der, p.authority_key_id.as_deref())).or_default().push(i);
    }
    let mut sets: Vec<PartitionSet> = groups
        .into_values()
        .filter(|m| m.iter().any(|&i| parts[i].borrow().idp.is_some()))
        .map(|members| PartitionSet {
            issuer: parts[members[0]].borrow().issuer.clone(),
            authority_key_id: parts[members[0]].borrow().authority_key_id.clone(),
            members,
        })
        .collect();
    sets.sort_by_key(|s| s.members[0]);
    sets
}

/// The limits a set is checked against.
#[derive(Clone, Copy, Debug)]
pub struct SetOptions {
    /// Unix time at which freshness is judged.
    pub at: i64,
    /// Revoked-entry quota of the trust store.
    pub max_entries: u64,
    /// Revocation-file quota of the trust store.
    pub max_files: u64,
}

impl SetOptions {
    /// ELB's default quotas, judged at `at`.
    pub const fn at(at: i64) -> Self {
        Self { at, max_entries: crate::quotas::MAX_REVOKED_ENTRIES, max_files: crate::quotas::MAX_REVOCATION_FILES }
    }

    /// With a trust store's raised entry quota (`--max-entries`), when one was given.
    pub const fn with_max_entries(mut self, max_entries: Option<u64>) -> Self {
        if let Some(n) = max_entries {
            self.max_entries = n;
        }
        self
    }
}

fn blocking(code: &'static str, message: String) -> Finding {
    Finding { code, severity: Severity::Blocking, message }
}

/// Check one set; every problem is blocking (the set would not go to a trust store as one
/// consistent unit). An `info` finding `set` says what the set is.
pub fn check_set<P: Borrow<Partition>>(set: &PartitionSet, parts: &[P], opts: &SetOptions) -> Vec<Finding> {
    let members: Vec<&Partition> = set.members.iter().map(|&i| parts[i].borrow()).collect();
    let n = members.len() as u64;
    let entries = set.entries(parts);
    let mut out = vec![Finding {
        code: "set",
        severity: Severity::Info,
        message: format!("a partitioned set of {n} CRL(s) of {}: {entries} revoked entries in all", set.issuer),
    }];
    if n > opts.max_files {
        out.push(blocking(
            "set-too-many-files",
            format!(
                "{n} partitions, over the trust store quota of {} revocation files (raise it with AWS, then --max-files)",
                opts.max_files
            ),
        ));
    }
    if entries > opts.max_entries {
        out.push(blocking(
            "set-entry-count",
            format!(
                "{entries} revoked entries over all partitions, over the trust store quota of {} (raise it with AWS, then --max-entries)",
                opts.max_entries
            ),
        ));
    }
    let stale: Vec<&str> =
        members.iter().filter(|p| p.next_update.is_none_or(|t| t <= opts.at)).map(|p| p.file.as_str()).collect();
    if !stale.is_empty() {
        out.push(blocking(
            "set-stale-partition",
            format!(
                "{} partition(s) without a nextUpdate after the time judged: {} (pull the CA's current partitions)",
                stale.len(),
                list(&stale)
            ),
        ));
    }
    let mut numbers: BTreeMap<Option<&str>, Vec<&str>> = BTreeMap::new();
    for p in &members {
        numbers.entry(p.crl_number.as_deref()).or_default().push(&p.file);
    }
    if numbers.len() > 1 {
        let groups: Vec<String> = numbers
            .iter()
            .map(|(num, files)| format!("number {} in {}", num.unwrap_or("absent"), list(files)))
            .collect();
        out.push(blocking(
            "set-mixed-crl-numbers",
            format!("the partitions are not one generation: {}", groups.join("; ")),
        ));
    }
    let mut idps: BTreeMap<Option<&str>, Vec<&str>> = BTreeMap::new();
    for p in &members {
        idps.entry(p.idp.as_deref()).or_default().push(&p.file);
    }
    for (idp, files) in idps.iter().filter(|(_, f)| f.len() > 1) {
        out.push(blocking(
            "set-duplicate-idp",
            format!(
                "{} partitions share the issuing distribution point {}: {}",
                files.len(),
                idp.map_or("(none)".to_owned(), |s| format!("'{s}'")),
                list(files)
            ),
        ));
    }
    let (dups, example) = duplicate_serials(&members);
    if dups > 0 {
        let (a, b) = example.expect("a duplicate has an example");
        out.push(blocking(
            "set-duplicate-serial",
            format!(
                "{dups} serial(s) appear in more than one partition (first in {} and {}): a certificate belongs to one partition",
                members[a].file, members[b].file
            ),
        ));
    }
    out
}

/// Serials in more than one partition (counted once each), and the first pair of partitions
/// that share one. Each partition's keys are sorted; a k-way walk needs no merged copy.
fn duplicate_serials(members: &[&Partition]) -> (u64, Option<(usize, usize)>) {
    let mut all: Vec<(SerialKey, u32)> = Vec::with_capacity(members.iter().map(|p| p.serials.len()).sum::<usize>());
    for (i, p) in members.iter().enumerate() {
        all.extend(p.serials.iter().map(|&k| (k, i as u32)));
    }
    all.sort_unstable();
    let (mut dups, mut example) = (0u64, None);
    let mut i = 0;
    while i < all.len() {
        let mut j = i + 1;
        while j < all.len() && all[j].0 == all[i].0 {
            j += 1;
        }
        if all[i..j].iter().any(|x| x.1 != all[i].1) {
            dups += 1;
            if example.is_none() {
                let other = all[i..j].iter().find(|x| x.1 != all[i].1).expect("checked").1;
                example = Some((all[i].1 as usize, other as usize));
            }
        }
        i = j;
    }
    (dups, example)
}

/// At most five names, then how many more.
fn list(files: &[&str]) -> String {
    let mut s = files.iter().take(5).copied().collect::<Vec<_>>().join(", ");
    if files.len() > 5 {
        s.push_str(&format!(" and {} more", files.len() - 5));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(file: &str, idp: Option<&str>, number: &str, next: i64, serials: &[&[u8]]) -> Partition {
        Partition {
            file: file.into(),
            issuer: "CN=CA".into(),
            issuer_der: b"ca".to_vec(),
            authority_key_id: Some("AA".into()),
            idp: idp.map(Into::into),
            crl_number: Some(number.into()),
            this_update: 0,
            next_update: Some(next),
            this_update_text: String::new(),
            next_update_text: None,
            entries: serials.len() as u64,
            serials: {
                let mut v: Vec<SerialKey> = serials.iter().map(|s| SerialKey::new(s)).collect();
                v.sort_unstable();
                v
            },
        }
    }

    fn codes(f: &[Finding]) -> Vec<&'static str> {
        f.iter().filter(|f| f.severity == Severity::Blocking).map(|f| f.code).collect()
    }

    #[test]
    fn a_good_set_and_each_fault_by_its_code() {
        let good = vec![part("a", Some("URI:a"), "5", 100, &[b"\x01"]), part("b", Some("URI:b"), "5", 100, &[b"\x02"])];
        let sets = find_sets(&good);
        assert_eq!(sets.len(), 1);
        assert_eq!(sets[0].members, [0, 1]);
        assert!(codes(&check_set(&sets[0], &good, &SetOptions::at(50))).is_empty());
        assert_eq!(codes(&check_set(&sets[0], &good, &SetOptions::at(100))), ["set-stale-partition"]);
        let tight = SetOptions { max_files: 1, max_entries: 1, ..SetOptions::at(50) };
        assert_eq!(codes(&check_set(&sets[0], &good, &tight)), ["set-too-many-files", "set-entry-count"]);

        let mut bad = good.clone();
        bad[1].crl_number = Some("6".into());
        assert_eq!(codes(&check_set(&sets[0], &bad, &SetOptions::at(50))), ["set-mixed-crl-numbers"]);
        let mut bad = good.clone();
        bad[1].idp = Some("URI:a".into());
        assert_eq!(codes(&check_set(&sets[0], &bad, &SetOptions::at(50))), ["set-duplicate-idp"]);
        let bad = vec![
            part("a", Some("URI:a"), "5", 100, &[b"\x01", b"\x03"]),
            part("b", Some("URI:b"), "5", 100, &[b"\x03"]),
        ];
        let f = check_set(&sets[0], &bad, &SetOptions::at(50));
        assert_eq!(codes(&f), ["set-duplicate-serial"]);
        assert!(f.iter().any(|f| f.message.starts_with("1 serial(s)") && f.message.contains("in a and b")), "{f:?}");
    }

    #[test]
    fn complete_crls_are_not_a_set_and_issuers_are_apart() {
        let mut other = part("c", Some("URI:c"), "1", 100, &[]);
        other.issuer_der = b"other".to_vec();
        let parts = vec![part("a", None, "1", 100, &[]), part("b", None, "2", 100, &[]), other];
        let sets = find_sets(&parts);
        assert_eq!(sets.len(), 1);
        assert_eq!(sets[0].members, [2]);
    }

    #[test]
    fn long_serials_are_keyed_by_hash_and_short_ones_exactly() {
        assert_eq!(SerialKey::new(&[1, 2]), SerialKey::new(&[1, 2]));
        assert_ne!(SerialKey::new(&[1, 2]), SerialKey::new(&[1, 2, 0]));
        let long = [7u8; 40];
        assert_eq!(SerialKey::new(&long), SerialKey::new(&long));
        assert_ne!(SerialKey::new(&long), SerialKey::new(&[7u8; 41]));
    }
}
