//! `crlkit gen`: a synthetic signed CRL of any size, for benchmarking a CRL pipeline and testing
//! trust stores. A throwaway CA (key derived from the seed) or a CA given with
//! `--ca-cert/--ca-key` signs it; entries stream to the output file, so memory stays flat
//! whatever `--entries`. The same seed and `--this-update` give the same bytes.

use std::io::{self, Write};
use std::path::PathBuf;

use crlkit_sign::{CaCert, CaKey, GenParams, KeyKind, ca_from_certificate, self_signed_ca};

use crate::failure::Failure;
use crate::input::Format;
use crate::output::AtomicFile;

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

/// The CA certificate's DER from a PEM or DER file.
pub(crate) fn read_certificate(path: &std::path::Path) -> Result<Vec<u8>, Failure> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Failure::io(format!("reading {name}"), &e))?;
    let got = crlkit_serial::certs::read_bytes(&bytes, &name);
    match got.items.into_iter().next() {
        Some(Ok(_)) => {}
        Some(Err(e)) => return Err(Failure::new(crate::serial::cert_error_code(&e), e.to_string())),
        None => return Err(Failure::new("not-a-certificate", format!("{name}: no certificate found"))),
    }
    if crlkit_der::pem::looks_like_pem(&bytes) {
        let block = crlkit_der::pem::blocks(&bytes)
            .flatten()
            .find(|b| crlkit_der::pem::is_certificate_label(b.label))
            .ok_or_else(|| Failure::new("not-a-certificate", format!("{name}: no certificate found")))?;
        Ok(block.der)
    } else {
        let (cert, _) = crlkit_der::CertificateRef::from_der_prefix(&bytes)
            .map_err(|e| Failure::parse(&name, &e, Some(&bytes), None))?;
        Ok(cert.der().to_vec())
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

pub fn run(c: &Gen) -> Result<(), Failure> {
    let seed = c.seed.unwrap_or_else(|| {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        (t as u64) ^ u64::from(std::process::id()).rotate_left(32)
    });
    let this_update = c.this_update.unwrap_or_else(crate::verify::now);
    let (ca, key) = match (&c.ca_cert, &c.ca_key) {
        (Some(cert), Some(key)) => load_ca(cert, key)?,
        _ => {
            let key = CaKey::generate(c.key, seed)
                .map_err(|e| Failure::new("internal", format!("generating a {} key: {e}", c.key.name())))?;
            let name = format!("crlkit throwaway CA {} seed {seed}", c.key.name());
            let ca = self_signed_ca(&key, &name, this_update - 365 * 86_400, this_update + 10 * 365 * 86_400);
            (ca, key)
        }
    };
    if let Some(path) = &c.ca_out {
        let atomic = AtomicFile::create(path)?;
        let mut f = atomic.file();
        f.write_all(ca.pem().as_bytes()).map_err(|e| Failure::io(format!("writing {}", path.display()), &e))?;
        atomic.commit(false)?;
    }
    let params = GenParams {
        entries: c.entries,
        seed,
        this_update,
        next_update: Some(this_update + c.next_update),
        crl_number: c.crl_number,
        reasons: c.reasons,
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
    atomic.commit(false)?;
    let secs = started.elapsed().as_secs_f64();
    let issuer = crlkit_der::NameRef::from_der(&ca.subject).map(|n| n.rfc4514()).unwrap_or_default();
    crate::output::print_stdout(&format!(
        "{}: {} entries, {der_size} bytes of DER written as {}, issuer {issuer}, {} key, seed {seed}, in {secs:.2} s\n",
        c.out.display(),
        c.entries,
        c.to.name(),
        key.algorithm().name(),
    ))?;
    if c.ca_cert.is_none() && c.ca_out.is_none() {
        crate::term::note("the throwaway CA was not saved; pass --ca-out CA.pem to verify the CRL later");
    }
    Ok(())
}
