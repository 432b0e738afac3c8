//! `crlkit gen`: a synthetic signed CRL of any size, for benchmarking a CRL pipeline and testing
//! trust stores. A throwaway CA (key derived from the seed) or a CA given with
//! `--ca-cert/--ca-key` signs it; entries stream to the output file, so memory stays flat
//! whatever `--entries`. The same seed and `--this-update` give the same bytes.

use std::io::{self, Write};
use std::path::PathBuf;

use crlkit_sign::{CaCert, CaKey, GenParams, KeyKind, ca_from_certificate, self_signed_ca};

use crate::cli::args::{DerByDefault, ToArg, named, parse_duration, parse_time};
use crate::support::certs::read_certificate;
use crate::support::failure::Failure;
use crate::support::input::Format;
use crate::support::outcome::Outcome;
use crate::support::output::{AtomicFile, commit_all};
use crate::support::time;

const ABOUT: &str = "Make a synthetic signed CRL of any size (a throwaway CA, or yours), for tests and benchmarks.";

const EXAMPLES: &str = "\
Entries have random 16-20 octet serials and revocation dates in the year before thisUpdate;
with --reasons, about half carry a reasonCode and a tenth an invalidityDate. The same --seed
and --this-update give the same bytes (the seed is printed when not given). The throwaway CA's
key is derived from the seed: use it for tests only. Entries stream to the file: memory does
not grow with --entries. The CRL and --ca-out appear together or not at all.
Exit codes: 0 written, 2 error (nothing is left behind).

Examples:
  crlkit gen --entries 500000 --out big.crl --ca-out ca.pem --reasons
  crlkit verify big.crl --ca ca.pem
  crlkit gen --entries 5000000 --key rsa-2048 --seed 7 --out 5m.crl --to pem
  crlkit gen --entries 1000 --ca-cert ca.pem --ca-key ca.key --next-update 30d --out test.crl
  for i in $(seq 12); do                                     a partitioned CRL set of one CA
    crlkit gen --entries 1000 --seed $i --ca-cert ca.pem --ca-key ca.key \\
      --idp http://crl.example/p$i.crl --out set/p$i.crl; done";

/// `crlkit gen` as typed.
#[derive(clap::Args, Debug)]
#[command(about = ABOUT, after_help = EXAMPLES)]
pub struct Args {
    /// Number of revoked entries.
    #[arg(long, value_name = "N")]
    entries: u64,
    /// Output file (it appears only when complete).
    #[arg(long, value_name = "CRL")]
    out: PathBuf,
    #[command(flatten)]
    to: ToArg<DerByDefault>,
    /// Key type of the throwaway CA.
    #[arg(long, default_value = "ec-p256", conflicts_with = "ca_cert", value_parser = named(&KeyKind::ALL, KeyKind::name))]
    key: KeyKind,
    /// Save the throwaway CA's certificate (PEM), to verify the CRL with.
    #[arg(long, value_name = "CA.pem", conflicts_with = "ca_cert")]
    ca_out: Option<PathBuf>,
    /// Sign with this CA certificate (PEM or DER) instead of a throwaway CA.
    #[arg(long, value_name = "CA.pem", requires = "ca_key")]
    ca_cert: Option<PathBuf>,
    /// The CA's private key: unencrypted PKCS#8 PEM.
    #[arg(long, value_name = "KEY.pem", requires = "ca_cert")]
    ca_key: Option<PathBuf>,
    /// Give entries reason codes and invalidity dates.
    #[arg(long)]
    reasons: bool,
    /// Seed for entries (and the throwaway key); random when not given.
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
    /// thisUpdate (default: now): RFC 3339, a date, or @UNIX-SECONDS.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    this_update: Option<i64>,
    /// nextUpdate, after thisUpdate.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "7d")]
    next_update: i64,
    /// cRLNumber.
    #[arg(long, value_name = "N", default_value_t = 1)]
    crl_number: u64,
    /// Write a critical issuingDistributionPoint naming this URI: one partition of a
    /// partitioned CRL, as AWS Private CA makes them.
    #[arg(long, value_name = "URI")]
    idp: Option<String>,
}

/// What `gen` was asked to do.
pub struct Gen {
    pub entries: u64,
    pub out: PathBuf,
    pub to: Format,
    pub key: KeyKind,
    pub ca_out: Option<PathBuf>,
    pub ca_cert: Option<PathBuf>,
    pub ca_key: Option<PathBuf>,
    pub reasons: bool,
    pub seed: Option<u64>,
    pub this_update: Option<i64>,
    /// Seconds after thisUpdate.
    pub next_update: i64,
    pub crl_number: u64,
    pub idp: Option<String>,
}

impl Args {
    pub fn config(self) -> Result<Gen, Failure> {
        if self.next_update <= 0 {
            return Err(Failure::usage("--next-update must be after thisUpdate"));
        }
        if self.ca_out.as_ref() == Some(&self.out) {
            return Err(Failure::usage("--ca-out and --out name the same file"));
        }
        Ok(Gen {
            entries: self.entries,
            out: self.out,
            to: self.to.to,
            key: self.key,
            ca_out: self.ca_out,
            ca_cert: self.ca_cert,
            ca_key: self.ca_key,
            reasons: self.reasons,
            seed: self.seed,
            this_update: self.this_update,
            next_update: self.next_update,
            crl_number: self.crl_number,
            idp: self.idp,
        })
    }
}

/// `Write` into a streaming PEM encoder.
struct PemOut<W: Write>(crlkit_der::pem::PemWriter<W>);

impl<W: Write> Write for PemOut<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write_der(buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn load_ca(cert: &std::path::Path, key: &std::path::Path) -> Result<(CaCert, CaKey), Failure> {
    let key_name = key.display().to_string();
    let text = std::fs::read_to_string(key).map_err(|e| Failure::io(format!("reading {key_name}"), &e))?;
    if text.contains("ENCRYPTED PRIVATE KEY") {
        return Err(Failure::new(
            "unsupported-key",
            format!("{key_name}: encrypted keys are not supported by gen yet; decrypt a throwaway copy"),
        ));
    }
    let key = CaKey::from_pkcs8_pem(&text).map_err(|e| {
        Failure::new("unsupported-key", format!("{key_name}: {e} (expected an unencrypted PKCS#8 key)"))
    })?;
    let cert_der = read_certificate(cert)?;
    let ca = ca_from_certificate(&cert_der, &key)
        .map_err(|e| Failure::new("ca-mismatch", format!("{} and {key_name}: {e}", cert.display())))?;
    Ok((ca, key))
}

pub fn run(c: &Gen) -> Result<Outcome, Failure> {
    let seed = c.seed.unwrap_or_else(|| {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        (t as u64) ^ u64::from(std::process::id()).rotate_left(32)
    });
    let this_update = c.this_update.unwrap_or_else(time::now);
    let next_update =
        time::add(this_update, c.next_update, "nextUpdate (thisUpdate + --next-update)").map_err(Failure::usage)?;
    let (ca, key) = match (&c.ca_cert, &c.ca_key) {
        (Some(cert), Some(key)) => load_ca(cert, key)?,
        _ => {
            let key = CaKey::generate(c.key, seed)
                .map_err(|e| Failure::new("internal", format!("generating a {} key: {e}", c.key.name())))?;
            let name = format!("crlkit throwaway CA {} seed {seed}", c.key.name());
            // A year before thisUpdate to ten years after, held to what a certificate can say.
            let not_before = this_update.saturating_sub(365 * 86_400);
            let not_after = this_update.saturating_add(10 * 365 * 86_400);
            (self_signed_ca(&key, &name, not_before, not_after), key)
        }
    };
    let params = GenParams {
        entries: c.entries,
        seed,
        this_update,
        next_update: Some(next_update),
        crl_number: c.crl_number,
        reasons: c.reasons,
        issuing_distribution_point: c.idp.clone(),
    };
    let started = std::time::Instant::now();
    let atomic = AtomicFile::create(&c.out)?;
    let file = atomic.file().try_clone().map_err(|e| Failure::io("duplicating a file handle", &e))?;
    let werr = |e: io::Error| Failure::io(format!("writing {}", c.out.display()), &e);
    let der_size = match c.to {
        Format::Der => crlkit_sign::generate(file, &params, &ca, &key).map_err(werr)?,
        Format::Pem => {
            let mut pem = PemOut(crlkit_der::pem::PemWriter::new(io::BufWriter::with_capacity(1 << 20, file)));
            let n = crlkit_sign::generate(&mut pem, &params, &ca, &key).map_err(werr)?;
            pem.0.finish().and_then(|mut w| w.flush()).map_err(werr)?;
            n
        }
    };
    // The CRL and its CA certificate take their places together, or neither does.
    let mut outputs = vec![atomic];
    if let Some(path) = &c.ca_out {
        let ca_file = AtomicFile::create(path)?;
        ca_file
            .file()
            .write_all(ca.pem().as_bytes())
            .map_err(|e| Failure::io(format!("writing {}", path.display()), &e))?;
        outputs.push(ca_file);
    }
    commit_all(outputs, false)?;
    let secs = started.elapsed().as_secs_f64();
    let issuer = crlkit_der::NameRef::from_der(&ca.subject).map(|n| n.rfc4514()).unwrap_or_default();
    crate::support::output::print_stdout(&format!(
        "{}: {} entries, {der_size} bytes of DER written as {}, issuer {issuer}, {} key, seed {seed}, in {secs:.2} s\n",
        c.out.display(),
        c.entries,
        c.to.name(),
        key.algorithm().name(),
    ))?;
    if c.ca_cert.is_none() && c.ca_out.is_none() {
        crate::support::term::note("the throwaway CA was not saved; pass --ca-out CA.pem to verify the CRL later");
    }
    Ok(Outcome::Positive)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::tests::parse_args;
    use crate::commands::Command;

    fn config(args: &[&str]) -> Result<Gen, Failure> {
        match parse_args(args).map_err(|e| Failure::usage(e.to_string()))?.command {
            Command::Gen(a) => a.config(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn flags() {
        let g = config(&["gen", "--entries", "5", "--out", "x.crl", "--key", "rsa-2048", "--to", "pem"]).unwrap();
        assert_eq!((g.entries, g.key, g.to, g.next_update), (5, KeyKind::Rsa2048, Format::Pem, 7 * 86_400));
        assert!(config(&["gen", "--entries", "5", "--out", "x", "--key", "dsa"]).is_err());
        assert!(config(&["gen", "--entries", "5", "--out", "x", "--next-update", "0d"]).is_err());
        assert!(config(&["gen", "--entries", "5", "--out", "x", "--this-update", "@999999999999999"]).is_err());
        assert!(config(&["gen", "--entries", "5", "--out", "x", "--ca-out", "x"]).is_err());
        let g = config(&["gen", "--entries", "5", "--out", "x", "--idp", "http://c/p1.crl"]).unwrap();
        assert_eq!(g.idp.as_deref(), Some("http://c/p1.crl"));
    }
}
