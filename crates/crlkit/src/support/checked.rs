//! `crlkit_ops::prepare` on the inputs the binary loads: every CRL of an input validated and,
//! with a CA bundle, verified (an error reported with its location and excerpt, as on every
//! path), preflight's findings on them, and a CRL prepared for ELB. Shared by `verify`,
//! `preflight`, `stage`, `upload` and `publish`.

use crlkit_elb::preflight::{Finding, Options, Severity};
use crlkit_ops::prepare::{self, Checked, PreparedCrl};
use crlkit_verify::CaBundle;

use crate::support::failure::Failure;
use crate::support::input::{self, Format, Loaded};

/// Parse and validate every CRL of the input and, with a bundle, verify it at `at`.
pub fn run_checks<'a>(
    loaded: &'a Loaded,
    lenient: bool,
    bundle: Option<&CaBundle>,
    at: i64,
) -> Result<Vec<Checked<'a>>, Failure> {
    let crls = loaded.parse(input::profile(lenient))?;
    let mut out = Vec::new();
    for (crl, bytes) in crls.into_iter().zip(&loaded.crls) {
        let mut checked = prepare::check(crl, bundle, at).map_err(|e| loaded.failure(bytes, &e))?;
        checked.ber_rewrites = bytes.rewrites;
        out.push(checked);
    }
    loaded.check_unchanged()?;
    Ok(out)
}

/// Preflight's findings on checked CRLs at `at`: `(Some(crl index), finding)`, or `None` for
/// findings about the whole file or the bundle.
pub fn preflight_findings(
    loaded: &Loaded,
    crls: &[Checked<'_>],
    bundle: Option<&CaBundle>,
    at: i64,
    max_entries: Option<u64>,
) -> Vec<(Option<usize>, Finding)> {
    let mut opts = Options::at(at);
    if let Some(n) = max_entries {
        opts.max_entries = n;
    }
    prepare::findings(crls, loaded.format == Format::Der, bundle, &opts)
}

/// One CRL input (exactly one CRL) validated, verified, preflighted and converted.
pub fn prepare(
    loaded: &Loaded,
    bundle: Option<&CaBundle>,
    at: i64,
    max_entries: Option<u64>,
) -> Result<PreparedCrl, Failure> {
    if loaded.crls.len() != 1 {
        return Err(Failure::new(
            "several-crls",
            format!("{} holds {} CRLs; one object holds one CRL here (split the file)", loaded.name, loaded.crls.len()),
        ));
    }
    let crls = run_checks(loaded, false, bundle, at)?;
    let findings = preflight_findings(loaded, &crls, bundle, at, max_entries).into_iter().map(|(_, f)| f).collect();
    Ok(PreparedCrl::new(loaded.name.clone(), &crls[0], findings))
}

/// Preflight's warnings on stderr, each once: a warning several CRLs share (every partition
/// of a set has the same IDP warning) is printed once with the files it is about.
pub fn print_warnings<'a>(crls: impl Iterator<Item = (&'a str, &'a [Finding])>) {
    let mut groups: Vec<(&str, &str, Vec<&str>)> = Vec::new();
    for (source, findings) in crls {
        for f in findings.iter().filter(|f| f.severity == Severity::Warning) {
            match groups.iter_mut().find(|(code, message, _)| *code == f.code && *message == f.message) {
                Some(g) => g.2.push(source),
                None => groups.push((f.code, &f.message, vec![source])),
            }
        }
    }
    for (code, message, files) in groups {
        match files.as_slice() {
            [one] => crate::support::term::warning(format_args!("{one}: {code}: {message}")),
            many => {
                let mut names = many.iter().take(3).copied().collect::<Vec<_>>().join(", ");
                if many.len() > 3 {
                    names.push_str(&format!(" and {} more", many.len() - 3));
                }
                crate::support::term::warning(format_args!("{code}: {message} ({} files: {names})", many.len()));
            }
        }
    }
}

/// The blocking findings, one indented line each, as every refusal lists them.
pub fn write_blocking(out: &mut String, findings: &[Finding], prefix: &str) {
    use std::fmt::Write as _;
    for f in findings.iter().filter(|f| f.severity == Severity::Blocking) {
        let _ = writeln!(out, "  {prefix}blocking {:<32} {}", f.code, f.message);
    }
}
