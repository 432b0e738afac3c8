//! Certificates from PEM (one or many blocks, text around them), DER (one or several back to
//! back), whole directories and stdin, each reduced to what revocation needs: serial, names,
//! validity and key identifiers.
//!
//! Reading never stops at a broken certificate: every certificate (or failure) comes back with
//! its [`Location`], so a bundle of fifty with one bad block still yields forty-nine.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crlkit_der::{CertificateRef, Time};

use crate::Serial;

/// File extensions read when a directory is given (case-insensitive).
pub const DIRECTORY_EXTENSIONS: [&str; 4] = ["pem", "crt", "cer", "der"];

/// Where a certificate came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The file as given or found (`-` for stdin).
    pub file: String,
    /// 1-based PEM block number (every BEGIN line counts) or, for DER, position in the file.
    pub block: usize,
    /// Byte offset of the block's BEGIN line or of the DER certificate.
    pub offset: u64,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (certificate {}, byte {})", self.file, self.block, self.offset)
    }
}

/// One certificate's revocation-relevant fields.
#[derive(Clone, Debug)]
pub struct CertInfo {
    /// Where it was read.
    pub location: Location,
    /// serialNumber.
    pub serial: Serial,
    /// Subject, RFC 4514.
    pub subject: String,
    /// Issuer, RFC 4514.
    pub issuer: String,
    /// Issuer Name, DER (for matching against a CRL's issuer).
    pub issuer_der: Vec<u8>,
    /// Subject Name, DER (for matching a CA's certificate against what it issued).
    pub subject_der: Vec<u8>,
    /// notBefore.
    pub not_before: Time,
    /// notAfter.
    pub not_after: Time,
    /// subjectKeyIdentifier.
    pub subject_key_id: Option<Vec<u8>>,
    /// authorityKeyIdentifier keyIdentifier.
    pub authority_key_id: Option<Vec<u8>>,
}

impl CertInfo {
    fn new(cert: &CertificateRef<'_>, location: Location) -> Self {
        Self {
            location,
            serial: Serial::from_ref(cert.serial()),
            subject: cert.subject().rfc4514(),
            issuer: cert.issuer().rfc4514(),
            issuer_der: cert.issuer().der().to_vec(),
            subject_der: cert.subject().der().to_vec(),
            not_before: cert.not_before(),
            not_after: cert.not_after(),
            subject_key_id: cert.subject_key_id().map(<[u8]>::to_vec),
            authority_key_id: cert.authority_key_id().and_then(|a| a.key_identifier).map(<[u8]>::to_vec),
        }
    }
}

/// Why a certificate (or a whole file) could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The file could not be read.
    Io(io::Error),
    /// Malformed PEM or DER; the error carries the byte offset and field.
    Der(crlkit_der::Error),
    /// Neither PEM text nor a DER SEQUENCE.
    NotCertificate,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "{e}"),
            Self::Der(e) => write!(f, "{e}"),
            Self::NotCertificate => f.write_str("neither PEM nor DER (no BEGIN line, does not start with a SEQUENCE)"),
        }
    }
}

/// A failure with its location.
#[derive(Debug)]
pub struct CertError {
    /// Where.
    pub location: Location,
    /// What.
    pub error: ReadError,
}

impl fmt::Display for CertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.error)
    }
}

/// What one file held.
#[derive(Debug, Default)]
pub struct FileCerts {
    /// Certificates and failures, in file order.
    pub items: Vec<Result<CertInfo, CertError>>,
    /// PEM blocks that are not certificates (keys, CRLs, requests), skipped.
    pub skipped_blocks: usize,
}

/// Read every certificate of one file's bytes. `file` names it in locations.
pub fn read_bytes(bytes: &[u8], file: &str) -> FileCerts {
    let mut out = FileCerts::default();
    let at = |block, offset| Location { file: file.to_owned(), block, offset };
    if crlkit_der::pem::looks_like_pem(bytes) {
        for (i, block) in crlkit_der::pem::blocks(bytes).enumerate() {
            match block {
                Err(e) => {
                    out.items.push(Err(CertError { location: at(i + 1, e.offset()), error: ReadError::Der(e) }));
                }
                Ok(b) if !crlkit_der::pem::is_certificate_label(b.label) => out.skipped_blocks += 1,
                Ok(b) => {
                    let location = at(i + 1, b.offset);
                    out.items.push(match CertificateRef::from_der(&b.der) {
                        Ok(c) => Ok(CertInfo::new(&c, location)),
                        // Offsets inside the decoded block mean little in the text: keep the
                        // field path, report the block's BEGIN line.
                        Err(e) => Err(CertError { location, error: ReadError::Der(e) }),
                    });
                }
            }
        }
        return out;
    }
    if bytes.first() != Some(&0x30) {
        out.items.push(Err(CertError { location: at(1, 0), error: ReadError::NotCertificate }));
        return out;
    }
    let mut rest = bytes;
    let mut block = 1;
    while !rest.is_empty() {
        let offset = (bytes.len() - rest.len()) as u64;
        match CertificateRef::from_der_prefix(rest) {
            Ok((c, after)) => {
                out.items.push(Ok(CertInfo::new(&c, at(block, offset))));
                rest = after;
                block += 1;
            }
            Err(e) => {
                // Without a sound outer length there is no telling where the next one starts.
                out.items.push(Err(CertError { location: at(block, offset + e.offset()), error: ReadError::Der(e) }));
                break;
            }
        }
    }
    out
}

/// Read one file.
pub fn read_file(path: &Path) -> FileCerts {
    let file = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => read_bytes(&bytes, &file),
        Err(e) => FileCerts {
            items: vec![Err(CertError { location: Location { file, block: 0, offset: 0 }, error: ReadError::Io(e) })],
            skipped_blocks: 0,
        },
    }
}

/// Expand the paths a user gave: files are kept whatever their name; directories are walked
/// recursively for files ending in one of `extensions` (case-insensitive), in sorted order so
/// output is stable. Symbolic links to directories are not followed (no cycles).
pub fn expand_paths(paths: &[PathBuf], extensions: &[&str]) -> Result<Vec<PathBuf>, (PathBuf, io::Error)> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| (p.clone(), e))?;
        if meta.is_dir() {
            walk(p, extensions, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) -> Result<(), (PathBuf, io::Error)> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| (dir.to_path_buf(), e))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(|e| (dir.to_path_buf(), e))?;
    entries.sort();
    for path in entries {
        let meta = std::fs::symlink_metadata(&path).map_err(|e| (path.clone(), e))?;
        if meta.is_dir() {
            walk(&path, extensions, out)?;
        } else if has_extension(&path, extensions) {
            out.push(path);
        }
    }
    Ok(())
}

/// True when the file name ends in `.<ext>` for one of `extensions` (case-insensitive).
pub fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    extensions.iter().any(|ext| {
        name.len() > ext.len() + 1
            && name.as_bytes()[name.len() - ext.len() - 1] == b'.'
            && name[name.len() - ext.len()..].eq_ignore_ascii_case(ext)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CA: &[u8] = include_bytes!("../../../fixtures/ca.p256.pem");
    const BUNDLE: &[u8] = include_bytes!("../../../fixtures/ca.bundle.pem");

    #[test]
    fn pem_bundle_with_text_yields_every_certificate() {
        let got = read_bytes(BUNDLE, "bundle.pem");
        assert!(got.items.len() >= 2);
        for (i, item) in got.items.iter().enumerate() {
            let c = item.as_ref().unwrap();
            assert_eq!(c.location.block, i + 1);
            assert_eq!(c.subject, c.issuer, "self-signed test CAs");
            assert!(c.subject_key_id.is_some());
        }
    }

    #[test]
    fn der_one_or_several_back_to_back() {
        let der = crlkit_der::pem::decode_all(CA).unwrap().remove(0).der;
        let one = read_bytes(&der, "ca.der");
        assert_eq!(one.items.len(), 1);
        let two = read_bytes(&[der.clone(), der.clone()].concat(), "two.der");
        let offsets: Vec<u64> = two.items.iter().map(|c| c.as_ref().unwrap().location.offset).collect();
        assert_eq!(offsets, [0, der.len() as u64]);
        let mut broken = der.clone();
        broken.extend_from_slice(&der[..der.len() - 1]);
        let got = read_bytes(&broken, "broken.der");
        assert!(got.items[0].is_ok());
        let e = got.items[1].as_ref().unwrap_err();
        assert_eq!((e.location.block, e.location.offset >= der.len() as u64), (2, true));
    }

    #[test]
    fn a_broken_block_does_not_stop_the_others() {
        let text = String::from_utf8_lossy(CA).into_owned();
        let mut body_broken = text.clone();
        // Corrupt one base64 character in the middle of the second copy.
        let mid = body_broken.len() / 2;
        body_broken.replace_range(mid..mid + 1, "*");
        let garbage_cert = "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
        let key = "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n";
        let all = format!("intro\n{text}{body_broken}{garbage_cert}{key}{text}");
        let got = read_bytes(all.as_bytes(), "mixed.pem");
        let shape: Vec<(usize, bool)> = got
            .items
            .iter()
            .map(|r| r.as_ref().map_or_else(|e| (e.location.block, false), |c| (c.location.block, true)))
            .collect();
        assert_eq!(shape, [(1, true), (2, false), (3, false), (5, true)]);
        assert_eq!(got.skipped_blocks, 1);
        let e = got.items[1].as_ref().unwrap_err();
        assert!(e.to_string().starts_with("mixed.pem (certificate 2, byte "), "{e}");
    }

    #[test]
    fn not_a_certificate_file() {
        let got = read_bytes(b"hello", "x.txt");
        assert!(matches!(got.items[..], [Err(CertError { error: ReadError::NotCertificate, .. })]));
    }

    #[test]
    fn extension_filter() {
        for (name, want) in [
            ("a.pem", true),
            ("A.CRT", true),
            ("b.cer", true),
            ("c.der", true),
            ("d.key", false),
            (".pem", false),
            ("pem", false),
        ] {
            assert_eq!(has_extension(Path::new(name), &DIRECTORY_EXTENSIONS), want, "{name}");
        }
    }
}
