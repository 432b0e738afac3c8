//! `crlkit preflight`: is this CRL ready for an ELB trust store? Blocking findings versus
//! warnings; exit 0 ready, 1 blocking findings, 2 error.

use std::fmt::Write as _;

use crlkit_elb::preflight::{Finding, Severity};

use super::Outcome;
use crate::cli::args::{CrlInput, JsonArg, LenientArg, PreflightArgs};
use crate::support::checked::{preflight_findings, run_checks};
use crate::support::failure::Failure;
use crate::support::input::{self, Source};
use crate::support::json::Object;
use crate::support::term::{Style, stdout_paint};

const ABOUT: &str = "Is the CRL ready for an ELB trust store? Quotas, serials, extensions, freshness, signature.";

const EXAMPLES: &str = "\
Findings are blocking (do not upload), warning (read first; includes everything AWS does not
document, such as expired or delta CRLs) or info. Exit codes: 0 ready, 1 blocking findings,
2 error. From stdin the CRL is read whole (up to 1 GiB).

Examples:
  crlkit preflight pca.crl
  crlkit preflight pca.crl --ca trust-store-bundle.pem
  crlkit preflight big.crl --max-entries 2000000     after AWS raised your quota";

/// `crlkit preflight` as typed.
#[derive(clap::Args, Debug)]
#[command(about = ABOUT, after_help = EXAMPLES)]
pub struct Args {
    #[command(flatten)]
    input: CrlInput,
    #[command(flatten)]
    checks: PreflightArgs,
    #[command(flatten)]
    json: JsonArg,
    #[command(flatten)]
    lenient: LenientArg,
}

/// What `preflight` was asked to do.
pub struct Preflight {
    pub source: Source,
    pub checks: PreflightArgs,
    pub json: bool,
    pub lenient: bool,
}

impl Args {
    pub fn config(self) -> Preflight {
        Preflight {
            source: self.input.source(),
            checks: self.checks,
            json: self.json.json,
            lenient: self.lenient.lenient,
        }
    }
}

/// Positive when the CRL is ready (no blocking finding).
pub fn run(c: &Preflight) -> Result<Outcome, Failure> {
    let loaded = input::load(&c.source, c.lenient, "preflight")?;
    input::notes(&loaded);
    let at = c.checks.at.or_now();
    let bundle = c.checks.bundle()?;
    let crls = run_checks(&loaded, c.lenient, bundle.as_ref(), at)?;
    let findings = preflight_findings(&loaded, &crls, bundle.as_ref(), at, c.checks.quota.max_entries);
    let blocking = findings.iter().filter(|(_, f)| f.severity == Severity::Blocking).count();
    let warnings = findings.iter().filter(|(_, f)| f.severity == Severity::Warning).count();
    let ready = blocking == 0;
    let mut out = String::new();
    if c.json {
        let mut o = Object::new(&mut out);
        o.str("file", &loaded.name);
        o.bool("ready", ready);
        o.num("blocking", blocking as u64);
        o.num("warnings", warnings as u64);
        let items: Vec<String> = findings
            .iter()
            .map(|(crl, f)| {
                let mut s = String::new();
                let mut fo = Object::new(&mut s);
                fo.str("code", f.code);
                fo.str("severity", f.severity.name());
                fo.str("message", &f.message);
                fo.raw("crl", &crl.map_or("null".into(), |i| i.to_string()));
                fo.end();
                s
            })
            .collect();
        o.raw("findings", &format!("[{}]", items.join(",")));
        o.end();
        out.push('\n');
    } else {
        let verdict = if ready { "ready for ELB" } else { "NOT ready for ELB" };
        let _ = writeln!(
            out,
            "{}: {verdict} ({blocking} blocking, {warnings} warning{})",
            loaded.name,
            if warnings == 1 { "" } else { "s" }
        );
        let mut sorted: Vec<&(Option<usize>, Finding)> = findings.iter().collect();
        sorted.sort_by_key(|(_, f)| f.severity);
        for (crl, f) in sorted {
            let which = match crl {
                Some(i) if crls.len() > 1 => format!("[CRL {}] ", i + 1),
                _ => String::new(),
            };
            let style = match f.severity {
                Severity::Blocking => Style::Red,
                Severity::Warning => Style::Yellow,
                _ => Style::Dim,
            };
            let severity = stdout_paint(&format!("{:<8}", f.severity.name()), style);
            let _ = writeln!(out, "  {severity} {:<32} {which}{}", f.code, f.message);
        }
    }
    crate::support::output::print_stdout(&out)?;
    Ok(Outcome::from_ok(ready))
}

#[cfg(test)]
mod tests {
    use crate::cli::tests::parse_args;
    use crate::commands::Command;

    #[test]
    fn flags() {
        let Command::Preflight(a) = parse_args(&["preflight", "c.crl", "--max-entries", "7"]).unwrap().command else {
            panic!()
        };
        let p = a.config();
        assert_eq!((p.checks.quota.max_entries, p.checks.ca.is_none(), p.checks.at.at), (Some(7), true, None));
    }
}
