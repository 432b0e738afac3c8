//! `crlkit sign`: issue a real CRL for an offline CA, from a CSV of revocations and, usually,
//! the previous CRL, replacing `openssl ca -gencrl` and its hand-kept index file.
//!
//! All or nothing: every input is read and checked first (key against certificate, cRLSign,
//! the previous CRL's signature and issuer, every CSV line, duplicate serials, the dates), and
//! the CRL is written only when everything holds; a refused run leaves no file. The previous
//! CRL's entries are all kept unless `--drop-revoked-before` says otherwise, and the CRL
//! number is the previous one plus one.

use std::io::Write;
use std::path::PathBuf;

use crlkit_der::{CrlRef, Reason, RevokedCertRef};
use crlkit_serial::{BareDigits, Serial, SerialIndex};
use crlkit_sign::{CaCert, CaKey, CrlParams, EntrySpec, ca_from_certificate, write_crl};

use crate::cli::args::{DerByDefault, ToArg, parse_duration, parse_time};
use crate::support::certs::read_certificate;
use crate::support::failure::Failure;
use crate::support::input::{self, Format, Source};
use crate::support::outcome::Outcome;
use crate::support::output::{AtomicFile, Dest};
use crate::support::time;

const ABOUT: &str = "Issue a CRL for an offline CA: revocations from a CSV, entries of the previous CRL kept.";

const EXAMPLES: &str = "\
LIST is CSV: serial,revocation_time,reason[,invalidity_time], one revocation per line; a header
line `serial,...`, blank lines and lines starting with # are skipped. Serials in any form (hex,
colon hex, 0x..., OpenSSL's; digits-only is hex unless --decimal). Times: RFC 3339, a date or
@UNIX-SECONDS, in years 0000-9999. Reasons: RFC 5280 names (keyCompromise), AWS names
(KEY_COMPROMISE) or codes (1); empty or unspecified writes no reasonCode, as RFC 5280 asks.

With --previous, every entry of the previous CRL is kept (unless --drop-revoked-before), and the
CRL number is the previous one plus one. Refused, with nothing written: a key that is not the
certificate's, a certificate without cRLSign, a previous CRL not signed by this CA, a serial
listed twice with different data, a nextUpdate not after thisUpdate, any unreadable line.
An encrypted key (ENCRYPTED PRIVATE KEY, PBES2) asks for its passphrase on the terminal, or
reads it from --passphrase-env VAR or --passphrase-fd N; never from the command line. The
revocations and the previous CRL may come from stdin (one of them; read whole, up to 1 GiB).
Exit codes: 0 written, 2 refused or error.

Examples:
  crlkit sign --ca-cert ca.pem --ca-key ca.key --revoked revoked.csv --out ca.crl
  crlkit sign --ca-cert ca.pem --ca-key ca.key --revoked today.csv --previous ca.crl --out ca.new.crl
  crlkit sign --ca-cert ca.pem --ca-key ca.key --revoked p7.csv --idp http://crl.example/p7.crl --out p7.crl
  crlkit sign --ca-cert ca.pem --ca-key enc.key --passphrase-env CA_PASS --revoked r.csv --to pem
  echo '0e:53:2a,2026-11-28T10:00:00Z,keyCompromise' | crlkit sign --ca-cert ca.pem --ca-key ca.key --revoked - --out x.crl";

/// `--next-update`: a duration after thisUpdate (`7d`) or a time (`2026-12-01T00:00:00Z`).
fn parse_next_update(s: &str) -> Result<NextUpdate, String> {
    match parse_duration(s) {
        Ok(d) => Ok(NextUpdate::After(d)),
        Err(_) => {
            parse_time(s).map(NextUpdate::At).map_err(|e| format!("expected a duration (7d, 12h) or a time: {e}"))
        }
    }
}

/// `crlkit sign` as typed.
#[derive(clap::Args, Debug)]
#[command(about = ABOUT, after_help = EXAMPLES)]
pub struct Args {
    /// The CA certificate (PEM or DER).
    #[arg(long, value_name = "CA.pem")]
    ca_cert: PathBuf,
    /// The CA's private key: PKCS#8 PEM, plain or encrypted.
    #[arg(long, value_name = "KEY.pem")]
    ca_key: PathBuf,
    /// Revocations: CSV lines serial,revocation_time,reason and optionally invalidity_time; `-` for stdin.
    #[arg(long, value_name = "LIST")]
    revoked: String,
    /// The CA's previous CRL: its entries are kept and its number incremented.
    #[arg(long, value_name = "OLD.crl")]
    previous: Option<String>,
    /// Leave out previous entries revoked before this time (certificates long expired).
    #[arg(long, value_name = "TIME", value_parser = parse_time, requires = "previous")]
    drop_revoked_before: Option<i64>,
    /// thisUpdate (default: now).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    this_update: Option<i64>,
    /// nextUpdate: a duration after thisUpdate (7d, 12h) or a time.
    #[arg(long, value_name = "WHEN", value_parser = parse_next_update, default_value = "7d")]
    next_update: NextUpdate,
    /// cRLNumber (default: the previous one plus one, or 1).
    #[arg(long, value_name = "N")]
    crl_number: Option<u64>,
    /// Output file (default: stdout).
    #[arg(long, value_name = "CRL")]
    out: Option<String>,
    #[command(flatten)]
    to: ToArg<DerByDefault>,
    /// Read the key's passphrase from this file descriptor (first line).
    #[arg(long, value_name = "N", conflicts_with = "passphrase_env")]
    passphrase_fd: Option<u32>,
    /// Read the key's passphrase from this environment variable.
    #[arg(long, value_name = "VAR")]
    passphrase_env: Option<String>,
    /// Read digits-only serials as decimal instead of hex.
    #[arg(long)]
    decimal: bool,
    /// Write a critical issuingDistributionPoint naming this URI (one partition of a
    /// partitioned CRL). Default: the previous CRL's, if it has one.
    #[arg(long, value_name = "URI")]
    idp: Option<String>,
}

impl Args {
    pub fn config(self) -> Result<Sign, Failure> {
        let stdin_uses = usize::from(self.revoked == "-") + usize::from(self.previous.as_deref() == Some("-"));
        if stdin_uses > 1 {
            return Err(Failure::usage("stdin (`-`) can feed only one of --revoked and --previous"));
        }
        let out = Dest::parse(self.out.as_deref());
        if out.is_terminal() && self.to.to == Format::Der {
            return Err(Failure::usage("refusing to write DER to a terminal; use --out FILE or --to pem"));
        }
        Ok(Sign {
            ca_cert: self.ca_cert,
            ca_key: self.ca_key,
            revoked: Source::parse(&self.revoked),
            previous: self.previous.as_deref().map(Source::parse),
            drop_revoked_before: self.drop_revoked_before,
            this_update: self.this_update,
            next_update: self.next_update,
            crl_number: self.crl_number,
            out,
            to: self.to.to,
            passphrase_fd: self.passphrase_fd,
            passphrase_env: self.passphrase_env,
            bare: if self.decimal { BareDigits::Dec } else { BareDigits::Hex },
            idp: self.idp,
        })
    }
}

/// When the next CRL is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextUpdate {
    /// Seconds after thisUpdate.
    After(i64),
    /// An absolute time.
    At(i64),
}

/// What `sign` was asked to do.
pub struct Sign {
    pub ca_cert: PathBuf,
    pub ca_key: PathBuf,
    pub revoked: Source,
    pub previous: Option<Source>,
    pub drop_revoked_before: Option<i64>,
    pub this_update: Option<i64>,
    pub next_update: NextUpdate,
    pub crl_number: Option<u64>,
    pub out: Dest,
    pub to: Format,
    pub passphrase_fd: Option<u32>,
    pub passphrase_env: Option<String>,
    pub bare: BareDigits,
    pub idp: Option<String>,
}

/// The key, decrypting it when needed. The passphrase comes from an environment variable or
/// a file descriptor named by a flag, or from a prompt on the terminal; never from argv.
fn load_key(c: &Sign) -> Result<CaKey, Failure> {
    let name = c.ca_key.display().to_string();
    let text = std::fs::read_to_string(&c.ca_key).map_err(|e| Failure::io(format!("reading {name}"), &e))?;
    let key = if CaKey::is_encrypted_pem(&text) {
        let passphrase = if let Some(var) = &c.passphrase_env {
            std::env::var(var).map_err(|_| {
                Failure::new("passphrase", format!("--passphrase-env {var}: the variable is not set (or not UTF-8)"))
            })?
        } else if let Some(fd) = c.passphrase_fd {
            let text = std::fs::read_to_string(format!("/dev/fd/{fd}"))
                .map_err(|e| Failure::io(format!("reading the passphrase from file descriptor {fd}"), &e))?;
            text.lines().next().unwrap_or("").to_owned()
        } else {
            rpassword::prompt_password(format!("passphrase for {name}: ")).map_err(|e| {
                Failure::new(
                    "passphrase",
                    format!(
                        "{name} is encrypted and no terminal can ask for its passphrase ({e}); \
                         use --passphrase-env VAR or --passphrase-fd N"
                    ),
                )
            })?
        };
        CaKey::from_encrypted_pkcs8_pem(&text, passphrase.as_bytes())
    } else {
        CaKey::from_pkcs8_pem(&text)
    };
    key.map_err(|e| Failure::new("unsupported-key", format!("{name}: {e}")))
}

/// A revocation to write, and where it came from (for messages).
#[derive(Clone, Copy)]
struct Revocation {
    spec: EntrySpec,
    /// 0 for the previous CRL, else the CSV line.
    line: u32,
}

/// A reason as users write it: RFC 5280 names (`keyCompromise`), AWS Private CA names
/// (`KEY_COMPROMISE`), or the code (`1`). Empty means none.
fn parse_reason(text: &str) -> Result<Option<Reason>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let reason = if let Ok(code) = t.parse::<i64>() {
        Reason::from_code(code)
    } else {
        let squashed: String = t.chars().filter(|c| *c != '_' && *c != '-').collect();
        Reason::from_name(&squashed).or_else(|| match squashed.to_ascii_lowercase().as_str() {
            "certificateauthoritycompromise" => Some(Reason::CaCompromise),
            "aacompromise" => Some(Reason::AaCompromise),
            _ => None,
        })
    };
    match reason {
        None => Err(format!("{t:?} is not a CRL reason (keyCompromise, superseded, 1, KEY_COMPROMISE, …)")),
        Some(Reason::RemoveFromCrl) => Err("removeFromCRL belongs in delta CRLs only (RFC 5280 5.3.1)".to_owned()),
        // RFC 5280 5.3.1: reasonCode unspecified SHOULD be absent.
        Some(Reason::Unspecified) => Ok(None),
        Some(r) => Ok(Some(r)),
    }
}

fn parse_when(text: &str) -> Result<i64, String> {
    parse_time(text.trim())
}

/// One CSV line: `serial,revocation_time,reason[,invalidity_time]`.
fn parse_line(line: &str, bare: BareDigits) -> Result<EntrySpec, String> {
    let fields: Vec<&str> = line.split(',').collect();
    if fields.len() < 2 || fields.len() > 4 {
        return Err(format!(
            "expected serial,revocation_time,reason[,invalidity_time], found {} field(s)",
            fields.len()
        ));
    }
    let serial = Serial::parse(fields[0], bare).map_err(|e| format!("serial: {e}"))?;
    if serial.as_bytes().len() > 21 {
        return Err("serial: longer than RFC 5280's 20 octets".to_owned());
    }
    let revoked = parse_when(fields[1]).map_err(|e| format!("revocation_time: {e}"))?;
    let reason = parse_reason(fields.get(2).copied().unwrap_or("")).map_err(|e| format!("reason: {e}"))?;
    let invalidity = match fields.get(3).map(|f| f.trim()).filter(|f| !f.is_empty()) {
        Some(t) => Some(parse_when(t).map_err(|e| format!("invalidity_time: {e}"))?),
        None => None,
    };
    Ok(EntrySpec::new(serial.as_bytes(), revoked, reason.map(|r| r as u8), invalidity))
}

/// A previous entry as a spec, if this writer can carry it faithfully.
fn carry(e: &RevokedCertRef<'_>) -> Result<EntrySpec, String> {
    let serial = e.serial().der_content();
    if serial.len() > 21 {
        return Err(format!("serial {} is longer than 20 octets", e.serial()));
    }
    for x in e.extensions() {
        match x.id() {
            Some(crlkit_der::ExtensionId::ReasonCode | crlkit_der::ExtensionId::InvalidityDate) => {}
            _ => return Err(format!("serial {}: entry extension {} cannot be carried over", e.serial(), x.name())),
        }
    }
    Ok(EntrySpec::new(
        serial,
        e.revocation_date().unix(),
        e.reason().map(|r| r as u8),
        e.invalidity_date().map(|t| t.unix()),
    ))
}

fn describe(spec: &EntrySpec) -> String {
    let reason = spec.reason.and_then(|r| Reason::from_code(i64::from(r))).map_or("no reason", |r| r.name());
    format!("{} {reason}", time::show(spec.revocation))
}

/// The previous CRL: parsed, validated, checked to come from this CA, its entries.
/// What the previous CRL hands on: its entries, number, thisUpdate, and its IDP (`Some(None)`
/// for one this writer cannot carry: anything but one URI and no flags).
struct PreviousCrl {
    entries: Vec<EntrySpec>,
    number: Option<u64>,
    this_update: i64,
    idp: Option<Option<String>>,
}

fn previous_entries(source: &Source, ca: &CaCert, c: &Sign) -> Result<PreviousCrl, Failure> {
    let loaded = input::load(source, false, "sign --previous")?;
    if loaded.crls.len() != 1 {
        return Err(Failure::new("several-crls", format!("{}: --previous takes one CRL", loaded.name)));
    }
    let crl: CrlRef<'_> = loaded.parse(input::profile(false))?.remove(0);
    let stats = crl.validate().map_err(|e| loaded.failure(&loaded.crls[0], &e))?;
    let bundle = crlkit_verify::CaBundle::from_bytes(&ca.der)
        .map_err(|e| Failure::new("bad-bundle", format!("{}: {e}", c.ca_cert.display())))?;
    let verification = crlkit_verify::verify(&crl, Some(&stats), &bundle, crl.this_update().unix());
    for check in &verification.checks {
        if matches!(check.id, crlkit_verify::CheckId::Issuer | crlkit_verify::CheckId::Signature)
            && check.status == crlkit_verify::Status::Fail
        {
            return Err(Failure::new(
                "previous-not-from-ca",
                format!(
                    "{}: not a CRL of {}: {} ({})",
                    loaded.name,
                    c.ca_cert.display(),
                    check.id.name(),
                    check.detail
                ),
            ));
        }
    }
    let number = match crl.crl_number() {
        None => None,
        Some(n) => {
            let mag = n.magnitude().filter(|m| m.len() <= 8).ok_or_else(|| {
                Failure::new("crl-number", format!("{}: its CRL number does not fit 64 bits", loaded.name))
            })?;
            Some(mag.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
        }
    };
    let mut entries = Vec::with_capacity(stats.count as usize);
    for e in crl.entries() {
        let e = e.map_err(|err| loaded.failure(&loaded.crls[0], &err))?;
        entries.push(carry(&e).map_err(|why| Failure::new("previous-entry", format!("{}: {why}", loaded.name)))?);
    }
    let idp = crl.extensions().and_then(|e| e.issuing_distribution_point).map(|i| {
        let plain = !(i.only_contains_user_certs
            || i.only_contains_ca_certs
            || i.only_contains_attribute_certs
            || i.indirect_crl
            || i.only_some_reasons.is_some());
        match i.distribution_point {
            Some(crlkit_der::DistributionPointName::FullName(names)) if plain => {
                let uris: Vec<&str> = names.iter().filter_map(|n| n.uri()).collect();
                (uris.len() == 1 && names.iter().count() == 1).then(|| uris[0].to_owned())
            }
            _ => None,
        }
    });
    loaded.check_unchanged()?;
    Ok(PreviousCrl { entries, number, this_update: crl.this_update().unix(), idp })
}

pub fn run(c: &Sign) -> Result<Outcome, Failure> {
    let key = load_key(c)?;
    let cert_der = read_certificate(&c.ca_cert)?;
    let ca = ca_from_certificate(&cert_der, &key)
        .map_err(|e| Failure::new("ca-mismatch", format!("{} and {}: {e}", c.ca_cert.display(), c.ca_key.display())))?;
    let this_update = c.this_update.unwrap_or_else(time::now);
    let next_update = match c.next_update {
        NextUpdate::After(s) => {
            time::add(this_update, s, "nextUpdate (thisUpdate + --next-update)").map_err(Failure::usage)?
        }
        NextUpdate::At(t) => t,
    };
    if next_update <= this_update {
        return Err(Failure::new(
            "next-update",
            format!("nextUpdate {} is not after thisUpdate {}", time::show(next_update), time::show(this_update)),
        ));
    }

    // Everything that will be in the CRL, keyed by serial value.
    let mut index: SerialIndex<Serial, Revocation> = SerialIndex::with_capacity(1024);
    let mut problems: Vec<String> = Vec::new();
    let (mut kept, mut dropped, mut same_again) = (0u64, 0u64, 0u64);
    let mut number = c.crl_number;
    let mut idp = c.idp.clone();
    if let Some(prev) = &c.previous {
        let PreviousCrl { entries, number: prev_number, this_update: prev_this_update, idp: prev_idp } =
            previous_entries(prev, &ca, c)?;
        idp = match (idp, prev_idp) {
            (Some(given), _) => Some(given),
            (None, Some(Some(kept))) => Some(kept),
            (None, Some(None)) => {
                return Err(Failure::new(
                    "previous-idp",
                    "the previous CRL's issuing distribution point is not one plain URI, which sign cannot carry \
                     over: give --idp URI for the new CRL's partition",
                ));
            }
            (None, None) => None,
        };
        if this_update < prev_this_update {
            crate::support::term::warning("thisUpdate is earlier than the previous CRL's");
        }
        number = match (c.crl_number, prev_number) {
            (Some(n), Some(p)) if n <= p => {
                return Err(Failure::new(
                    "crl-number",
                    format!("--crl-number {n} is not greater than the previous CRL's number {p}"),
                ));
            }
            (Some(n), _) => Some(n),
            (None, Some(p)) => Some(p.checked_add(1).ok_or_else(|| {
                Failure::new("crl-number", "the previous CRL number is the largest this tool can increment")
            })?),
            (None, None) => {
                return Err(Failure::new(
                    "crl-number",
                    "the previous CRL has no CRL number; give the new one with --crl-number",
                ));
            }
        };
        index.reserve(entries.len());
        for spec in entries {
            if c.drop_revoked_before.is_some_and(|t| spec.revocation < t) {
                dropped += 1;
                continue;
            }
            let serial = Serial::from_der_content(spec.serial()).expect("validated serial");
            if !index.insert(serial, Revocation { spec, line: 0 }).1 {
                problems.push(format!(
                    "the previous CRL lists serial {} twice",
                    Serial::from_der_content(spec.serial()).expect("validated serial")
                ));
            }
            kept += 1;
        }
    }
    let number = number.unwrap_or(1);

    // The revocations file.
    let list_name = c.revoked.name();
    let text = match &c.revoked {
        Source::File(p) => std::fs::read_to_string(p).map_err(|e| Failure::io(format!("reading {list_name}"), &e))?,
        Source::Stdin => String::from_utf8(input::read_stdin("sign --revoked")?)
            .map_err(|_| Failure::new("bad-input", "<stdin>: the revocations are not UTF-8 text"))?,
    };
    let mut added = 0u64;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i as u32 + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || (i == 0 && line.to_ascii_lowercase().starts_with("serial,")) {
            continue;
        }
        let spec = match parse_line(line, c.bare) {
            Ok(s) => s,
            Err(e) => {
                problems.push(format!("{list_name}:{line_no}: {e}"));
                continue;
            }
        };
        if spec.revocation > this_update {
            crate::support::term::warning(format_args!("{list_name}:{line_no}: revocation time is after thisUpdate"));
        }
        let serial = Serial::from_der_content(spec.serial()).expect("parsed serial");
        if serial.is_negative() {
            crate::support::term::warning(format_args!(
                "{list_name}:{line_no}: negative serial {serial}: ALB cannot revoke it"
            ));
        }
        let (slot, inserted) = index.insert(serial.clone(), Revocation { spec, line: line_no });
        if inserted {
            added += 1;
            continue;
        }
        let earlier = index.entries()[slot].1;
        if earlier.spec == spec {
            same_again += 1;
        } else {
            let where_ =
                if earlier.line == 0 { "the previous CRL".to_owned() } else { format!("line {}", earlier.line) };
            problems.push(format!(
                "{list_name}:{line_no}: serial {serial} is {}, but {where_} has it as {}",
                describe(&spec),
                describe(&earlier.spec)
            ));
        }
    }
    if !problems.is_empty() {
        for p in problems.iter().take(20) {
            crate::support::term::error("bad-revocation", p);
        }
        return Err(Failure::new(
            "bad-input",
            format!("{} problem(s) in the revocations; no CRL was written", problems.len()),
        ));
    }
    if same_again > 0 {
        crate::support::term::note(format_args!("{same_again} revocation(s) were already listed with the same data"));
    }

    let mut params = CrlParams::for_ca(&ca, this_update, Some(next_update), number);
    params.issuing_distribution_point = idp;
    let entries: Vec<EntrySpec> = index.entries().iter().map(|(_, r)| r.spec).collect();
    let mut der = Vec::new();
    let size = write_crl(&mut der, &params, &key, || entries.iter().copied())
        .map_err(|e| Failure::new("internal", format!("encoding the CRL: {e}")))?;
    // Check what we are about to hand over with our own strict parser.
    let written = CrlRef::from_der(&der)
        .and_then(|c| c.validate())
        .map_err(|e| Failure::new("internal", format!("the signed CRL does not parse: {e}")))?;
    let bytes = match c.to {
        Format::Der => der,
        Format::Pem => crlkit_der::pem::encode(&der),
    };
    match &c.out {
        Dest::File(path) => {
            let atomic = AtomicFile::create(path)?;
            let mut f = atomic.file();
            f.write_all(&bytes).map_err(|e| Failure::io(format!("writing {}", path.display()), &e))?;
            atomic.commit(true)?;
        }
        Dest::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes).and_then(|()| out.flush()).map_err(|e| Failure::io("writing to stdout", &e))?;
        }
    }
    crate::support::term::note(format_args!(
        "signed CRL number {number} of {}: {} entries ({kept} kept, {added} added, {dropped} dropped), {size} bytes, \
         thisUpdate {}, nextUpdate {}",
        crlkit_der::NameRef::from_der(&ca.subject).map(|n| n.rfc4514()).unwrap_or_default(),
        written.count,
        time::show(this_update),
        time::show(next_update)
    ));
    Ok(Outcome::Positive)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_in_every_spelling() {
        assert_eq!(parse_reason("keyCompromise"), Ok(Some(Reason::KeyCompromise)));
        assert_eq!(parse_reason("KEY_COMPROMISE"), Ok(Some(Reason::KeyCompromise)));
        assert_eq!(parse_reason("1"), Ok(Some(Reason::KeyCompromise)));
        assert_eq!(parse_reason("CERTIFICATE_AUTHORITY_COMPROMISE"), Ok(Some(Reason::CaCompromise)));
        assert_eq!(parse_reason("A_A_COMPROMISE"), Ok(Some(Reason::AaCompromise)));
        assert_eq!(parse_reason(""), Ok(None));
        assert_eq!(parse_reason("unspecified"), Ok(None), "RFC 5280: SHOULD be absent");
        assert!(parse_reason("removeFromCRL").is_err());
        assert!(parse_reason("7").is_err());
        assert!(parse_reason("bored").is_err());
    }

    #[test]
    fn flags() {
        use crate::cli::tests::parse_args;
        use crate::commands::Command;
        let config = |args: &[&str]| match parse_args(args).map_err(|e| Failure::usage(e.to_string()))?.command {
            Command::Sign(a) => a.config(),
            other => panic!("{other:?}"),
        };
        let base = ["sign", "--ca-cert", "c.pem", "--ca-key", "k.pem", "--revoked", "r.csv", "--out", "x.crl"];
        let s = config(&base).unwrap();
        assert_eq!((s.next_update, s.to), (NextUpdate::After(7 * 86_400), Format::Der));
        let s = config(&[&base[..], &["--next-update", "2030-01-01", "--to", "pem"]].concat()).unwrap();
        assert_eq!((s.next_update, s.to), (NextUpdate::At(1_893_456_000), Format::Pem));
        assert!(config(&[&base[..], &["--next-update", "@99999999999999"]].concat()).is_err());
        assert!(config(&[&base[..], &["--drop-revoked-before", "2020-01-01"]].concat()).is_err(), "needs --previous");
        let two = ["sign", "--ca-cert", "c", "--ca-key", "k", "--revoked", "-", "--previous", "-", "--out", "x"];
        assert_eq!(config(&two).err().unwrap().code, "usage");
    }

    #[test]
    fn csv_lines() {
        let e = parse_line("0a:1b, 2026-11-01T10:00:00Z, superseded, 2026-10-30", BareDigits::Hex).unwrap();
        assert_eq!(e.serial(), [0x0a, 0x1b]);
        assert_eq!((e.reason, e.invalidity), (Some(4), Some(1_793_318_400)));
        assert!(parse_line("01", BareDigits::Hex).is_err());
        assert!(parse_line("01,never,1", BareDigits::Hex).unwrap_err().starts_with("revocation_time"));
        assert!(parse_line("01,@99999999999999,1", BareDigits::Hex).unwrap_err().starts_with("revocation_time"));
        assert!(parse_line("zz,2026-11-01,1", BareDigits::Hex).unwrap_err().starts_with("serial"));
    }
}
