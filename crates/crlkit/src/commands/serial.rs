//! `crlkit serial`: the serial numbers of certificates, in the form the next tool wants.
//!
//! Like grep with file names: with one certificate in all the inputs, the serial alone, so
//! `$(crlkit serial --format colon client.pem)` is ready for `aws acm-pca revoke-certificate`;
//! with several, one line each, `SERIAL  FILE#N  SUBJECT` (the serial never holds a space, so
//! `awk '{print $1}'` takes it). `-H` and `--no-filename` choose either form. A broken
//! certificate is reported on stderr with its file and block and does not stop the others; the
//! exit code is then 2.

use std::path::PathBuf;

use crlkit_serial::SerialFormat;
use crlkit_serial::certs::{self, CertError, FileCerts};

use crate::cli::args::{JsonArg, named};
use crate::support::certs::{cert_error_code, hex};
use crate::support::failure::Failure;
use crate::support::input;
use crate::support::json;
use crate::support::outcome::Outcome;

const ABOUT: &str = "Serial numbers of certificates (PEM, DER, bundles, directories, stdin) in any format.";

const EXAMPLES: &str = "\
With one certificate, the serial alone; with several, one line each: SERIAL  FILE#N  SUBJECT
(-H and --no-filename choose). Directories are searched recursively for .pem, .crt, .cer and
.der files. A certificate that cannot be read is reported on stderr with its file and block;
the others are still printed, and the exit code is 2. Stdin is read whole (up to 1 GiB).

Formats: hex (default; `openssl x509 -serial`, ALB logs, the X-Amzn-Mtls-Clientcert-Serial-Number
header), colon (lowercase colon bytes, as `openssl x509 -text` and AWS's RevokeCertificate docs),
dec (decimal), openssl (exactly what `openssl x509 -noout -text` prints for the serial).

Examples:
  crlkit serial client.pem
  aws acm-pca revoke-certificate --certificate-authority-arn \"$CA\" \\
      --certificate-serial \"$(crlkit serial --format colon client.pem)\" --revocation-reason KEY_COMPROMISE
  crlkit serial certs/ --json | jq -r '.certificates[].serial'
  cat bundle.pem | crlkit serial -";

/// `crlkit serial` as typed.
#[derive(clap::Args, Debug)]
#[command(about = ABOUT, after_help = EXAMPLES)]
pub struct Args {
    /// Certificate files (PEM, DER, bundles) or directories; `-` reads stdin.
    #[arg(required = true, value_name = "CERT")]
    inputs: Vec<String>,
    /// How to print serials.
    #[arg(long, default_value = "hex", value_parser = named(&SerialFormat::ALL, SerialFormat::name))]
    format: SerialFormat,
    /// Always print FILE#N and SUBJECT after the serial, even for one certificate.
    #[arg(short = 'H', long, conflicts_with = "no_filename")]
    with_filename: bool,
    /// Print the serial alone, even for several certificates.
    #[arg(long)]
    no_filename: bool,
    #[command(flatten)]
    json: JsonArg,
}

/// Whether lines carry the file name and subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filenames {
    /// Only when there are several certificates (grep's rule).
    Auto,
    Always,
    Never,
}

/// What `serial` was asked to do.
pub struct SerialCmd {
    /// Files and directories; `-` is stdin.
    pub inputs: Vec<String>,
    pub format: SerialFormat,
    pub filenames: Filenames,
    pub json: bool,
}

impl Args {
    pub fn config(self) -> SerialCmd {
        let filenames = match (self.with_filename, self.no_filename) {
            (true, _) => Filenames::Always,
            (_, true) => Filenames::Never,
            _ => Filenames::Auto,
        };
        SerialCmd { inputs: self.inputs, format: self.format, filenames, json: self.json.json }
    }
}

/// Read every input, files and directories in the order given.
fn read_all(inputs: &[String]) -> Result<Vec<(String, FileCerts)>, Failure> {
    let mut out = Vec::new();
    for arg in inputs {
        if arg == "-" {
            let v = input::read_stdin("serial")?;
            out.push(("<stdin>".to_owned(), certs::read_bytes(&v, "<stdin>")));
            continue;
        }
        let paths = certs::expand_paths(&[PathBuf::from(arg)], &certs::DIRECTORY_EXTENSIONS)
            .map_err(|(p, e)| Failure::io(format!("reading {}", p.display()), &e))?;
        if paths.is_empty() {
            crate::support::term::warning(format_args!("{arg}: no .pem, .crt, .cer or .der file found"));
        }
        for p in paths {
            out.push((p.display().to_string(), certs::read_file(&p)));
        }
    }
    Ok(out)
}

/// Prints every certificate read; fails (exit 2) after printing if any could not be read.
/// `serial --json` (docs/JSON.md).
#[derive(serde::Serialize)]
struct Report<'a> {
    format: &'a str,
    certificates: Vec<CertificateRecord<'a>>,
    errors: Vec<ErrorRecord<'a>>,
}

/// A certificate read: where it was and what it says.
#[derive(serde::Serialize)]
struct CertificateRecord<'a> {
    file: &'a str,
    /// Which certificate of the file (1-based block number).
    certificate: usize,
    offset: u64,
    serial: String,
    serial_hex: String,
    negative: bool,
    subject: &'a str,
    issuer: &'a str,
    not_before: String,
    not_after: String,
    subject_key_id: Option<String>,
    authority_key_id: Option<String>,
}

/// A certificate that could not be read.
#[derive(serde::Serialize)]
struct ErrorRecord<'a> {
    file: &'a str,
    certificate: usize,
    offset: u64,
    code: &'a str,
    message: String,
}

pub fn run(c: &SerialCmd) -> Result<Outcome, Failure> {
    let files = read_all(&c.inputs)?;
    let mut out = String::new();
    let mut errors: Vec<&CertError> = Vec::new();
    let mut certificates = Vec::new();
    for (name, got) in &files {
        if got.items.is_empty() {
            crate::support::term::note(format_args!(
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
        let certificates = certificates
            .iter()
            .map(|info| CertificateRecord {
                file: &info.location.file,
                certificate: info.location.block,
                offset: info.location.offset,
                serial: info.serial.to_format(c.format),
                serial_hex: info.serial.to_format(SerialFormat::Hex),
                negative: info.serial.is_negative(),
                subject: &info.subject,
                issuer: &info.issuer,
                not_before: info.not_before.to_string(),
                not_after: info.not_after.to_string(),
                subject_key_id: info.subject_key_id.as_deref().map(hex),
                authority_key_id: info.authority_key_id.as_deref().map(hex),
            })
            .collect();
        let errors = errors
            .iter()
            .map(|e| ErrorRecord {
                file: &e.location.file,
                certificate: e.location.block,
                offset: e.location.offset,
                code: cert_error_code(e),
                message: e.error.to_string(),
            })
            .collect();
        json::push(&mut out, &Report { format: c.format.name(), certificates, errors });
        out.push('\n');
    } else {
        let with_names = match c.filenames {
            Filenames::Always => true,
            Filenames::Never => false,
            Filenames::Auto => certificates.len() + errors.len() > 1,
        };
        for info in &certificates {
            out.push_str(&info.serial.to_format(c.format));
            if with_names {
                out.push_str(&format!("  {}#{}  {}", info.location.file, info.location.block, info.subject));
            }
            out.push('\n');
        }
    }
    crate::support::output::print_stdout(&out)?;
    for info in certificates.iter().filter(|i| i.serial.is_negative()) {
        crate::support::term::warning(format_args!("{}: negative serial: ALB cannot revoke it", info.location));
    }
    for e in &errors {
        crate::support::term::error(cert_error_code(e), e);
    }
    if errors.is_empty() {
        Ok(Outcome::Positive)
    } else {
        Err(Failure::new(
            "bad-input",
            format!("{} certificate(s) could not be read; the others were printed", errors.len()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::tests::parse_args;
    use crate::commands::Command;

    fn config(args: &[&str]) -> SerialCmd {
        let Command::Serial(a) = parse_args(args).unwrap().command else { panic!() };
        a.config()
    }

    #[test]
    fn flags() {
        let s = config(&["serial", "a.pem", "dir", "--format", "openssl"]);
        assert_eq!((s.inputs.len(), s.format, s.filenames), (2, SerialFormat::Openssl, Filenames::Auto));
        assert_eq!(config(&["serial", "-H", "a.pem"]).filenames, Filenames::Always);
        assert_eq!(config(&["serial", "--no-filename", "a", "b"]).filenames, Filenames::Never);
        assert!(parse_args(&["serial", "-H", "--no-filename", "a"]).is_err());
        assert!(parse_args(&["serial"]).is_err(), "a certificate is required");
    }
}
