//! `crlkit serial`: the serial numbers of certificates, in the form the next tool wants.
//!
//! Text output is one line per certificate, `SERIAL  FILE#N  SUBJECT` (the serial never holds
//! a space, so `awk '{print $1}'` takes it). A broken certificate is reported on stderr with
//! its file and block and does not stop the others; the exit code is then 2.

use std::io::Read;
use std::path::PathBuf;

use crlkit_serial::SerialFormat;
use crlkit_serial::certs::{self, CertError, FileCerts, ReadError};

use crate::failure::Failure;
use crate::json::Object;

pub struct SerialCmd {
    /// Files and directories; `-` is stdin.
    pub inputs: Vec<String>,
    pub format: SerialFormat,
    pub json: bool,
}

/// The stable error code of a certificate that could not be read.
pub fn cert_error_code(e: &CertError) -> &'static str {
    match &e.error {
        ReadError::Io(_) => "io",
        ReadError::Der(d) => d.kind().code(),
        ReadError::NotCertificate => "not-a-certificate",
    }
}

/// Uppercase hex without separators (key identifiers in text and JSON).
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// Read every input, files and directories in the order given.
fn read_all(inputs: &[String]) -> Result<Vec<(String, FileCerts)>, Failure> {
    let mut out = Vec::new();
    for arg in inputs {
        if arg == "-" {
            let mut v = Vec::new();
            std::io::stdin().lock().read_to_end(&mut v).map_err(|e| Failure::io("reading <stdin>", &e))?;
            out.push(("<stdin>".to_owned(), certs::read_bytes(&v, "<stdin>")));
            continue;
        }
        let paths = certs::expand_paths(&[PathBuf::from(arg)], &certs::DIRECTORY_EXTENSIONS)
            .map_err(|(p, e)| Failure::io(format!("reading {}", p.display()), &e))?;
        if paths.is_empty() {
            crate::term::warning(format_args!("{arg}: no .pem, .crt, .cer or .der file found"));
        }
        for p in paths {
            out.push((p.display().to_string(), certs::read_file(&p)));
        }
    }
    Ok(out)
}

/// Prints every certificate read; fails (exit 2) after printing if any could not be read.
pub fn run(c: &SerialCmd) -> Result<(), Failure> {
    let files = read_all(&c.inputs)?;
    let mut out = String::new();
    let mut errors: Vec<&CertError> = Vec::new();
    let mut certificates = Vec::new();
    for (name, got) in &files {
        if got.items.is_empty() {
            crate::term::note(format_args!(
                "{name}: no certificate ({} other PEM block(s) skipped)",
                got.skipped_blocks
            ));
        }
        for item in &got.items {
            match item {
                Ok(info) => certificates.push(info),
                Err(e) => errors.push(e),
            }
        }
    }
    if c.json {
        let mut o = Object::new(&mut out);
        o.str("format", c.format.name());
        let items: Vec<String> = certificates
            .iter()
            .map(|info| {
                let mut s = String::new();
                let mut co = Object::new(&mut s);
                co.str("file", &info.location.file);
                co.num("certificate", info.location.block as u64);
                co.num("offset", info.location.offset);
                co.str("serial", &info.serial.to_format(c.format));
                co.str("serial_hex", &info.serial.to_format(SerialFormat::Hex));
                co.bool("negative", info.serial.is_negative());
                co.str("subject", &info.subject);
                co.str("issuer", &info.issuer);
                co.str("not_before", &info.not_before.to_string());
                co.str("not_after", &info.not_after.to_string());
                co.opt_str("subject_key_id", info.subject_key_id.as_deref().map(hex).as_deref());
                co.opt_str("authority_key_id", info.authority_key_id.as_deref().map(hex).as_deref());
                co.end();
                s
            })
            .collect();
        o.raw("certificates", &format!("[{}]", items.join(",")));
        let errs: Vec<String> = errors
            .iter()
            .map(|e| {
                let mut s = String::new();
                let mut eo = Object::new(&mut s);
                eo.str("file", &e.location.file);
                eo.num("certificate", e.location.block as u64);
                eo.num("offset", e.location.offset);
                eo.str("code", cert_error_code(e));
                eo.str("message", &e.error.to_string());
                eo.end();
                s
            })
            .collect();
        o.raw("errors", &format!("[{}]", errs.join(",")));
        o.end();
        out.push('\n');
    } else {
        for info in &certificates {
            out.push_str(&info.serial.to_format(c.format));
            out.push_str(&format!("  {}#{}  {}\n", info.location.file, info.location.block, info.subject));
        }
    }
    crate::output::print_stdout(&out)?;
    for info in certificates.iter().filter(|i| i.serial.is_negative()) {
        crate::term::warning(format_args!("{}: negative serial: ALB cannot revoke it", info.location));
    }
    for e in &errors {
        crate::term::error(cert_error_code(e), e);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Failure::new(
            "bad-input",
            format!("{} certificate(s) could not be read; the others were printed", errors.len()),
        ))
    }
}
