//! What `verify` and `preflight` share: every CRL of an input validated and, with a CA bundle,
//! verified, the two side by side.

use crlkit_der::{CrlRef, EntryStats};
use crlkit_verify::{CaBundle, Verification, verify};

use crate::support::failure::Failure;
use crate::support::input::{self, Loaded};

/// One CRL of the input, validated, and verified when a bundle was given.
pub struct Checked<'a> {
    pub crl: CrlRef<'a>,
    pub stats: EntryStats,
    pub verification: Option<Verification>,
}

/// Parse and validate every CRL of the input and, with a bundle, verify it at `at`; entry
/// validation and the signature check (hashing the whole tbsCertList) run side by side.
pub fn run_checks<'a>(
    loaded: &'a Loaded,
    lenient: bool,
    bundle: Option<&CaBundle>,
    at: i64,
) -> Result<Vec<Checked<'a>>, Failure> {
    let crls = loaded.parse(input::profile(lenient))?;
    let mut out = Vec::new();
    for (crl, bytes) in crls.into_iter().zip(&loaded.crls) {
        let (stats, verification) = rayon::join(|| crl.validate(), || bundle.map(|b| verify(&crl, None, b, at)));
        let stats = stats.map_err(|e| loaded.failure(bytes, &e))?;
        let verification = verification.map(|mut v| {
            v.add_entry_stats(&stats);
            v
        });
        out.push(Checked { crl, stats, verification });
    }
    loaded.check_unchanged()?;
    Ok(out)
}
