//! Synthetic signed CRLs of any size (`crlkit gen`, and the large fixtures of `cargo xtask`):
//! a throwaway CA whose key is derived from a seed, or a CA the caller loaded, signs entries
//! from [`Synthetic`], streamed through [`write_crl`] so memory does not grow with the count.

use std::io::{self, Write};

use sha2::{Digest, Sha256};

use crate::{CaCert, CaKey, CrlParams, EntrySpec, KeyMaterial, SignError, Synthetic, write_crl};

/// Key types a throwaway CA can have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// ECDSA P-256 with SHA-256 (AWS Private CA's EC default).
    EcP256,
    /// ECDSA P-384 with SHA-384.
    EcP384,
    /// RSA 2048, PKCS#1 v1.5 with SHA-256.
    Rsa2048,
    /// RSA 4096, PKCS#1 v1.5 with SHA-256.
    Rsa4096,
    /// Ed25519.
    Ed25519,
}

impl KeyKind {
    /// Every kind, in the order `--help` lists them.
    pub const ALL: [KeyKind; 5] =
        [KeyKind::EcP256, KeyKind::EcP384, KeyKind::Rsa2048, KeyKind::Rsa4096, KeyKind::Ed25519];

    /// The command-line name (`ec-p256`, …).
    pub const fn name(self) -> &'static str {
        match self {
            KeyKind::EcP256 => "ec-p256",
            KeyKind::EcP384 => "ec-p384",
            KeyKind::Rsa2048 => "rsa-2048",
            KeyKind::Rsa4096 => "rsa-4096",
            KeyKind::Ed25519 => "ed25519",
        }
    }
}

/// A deterministic stream of bytes from a seed: SHA-256 of (domain, seed, block counter).
/// Good enough to make *throwaway test* keys reproducible; anyone who knows the seed knows the
/// key, which is the point for tests and never acceptable for a real CA.
pub(crate) struct SeedStream {
    seed: u64,
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl SeedStream {
    pub(crate) fn new(seed: u64, domain: &str) -> Self {
        let mut s = Self {
            seed: seed ^ u64::from_le_bytes(Sha256::digest(domain)[..8].try_into().unwrap_or([0; 8])),
            counter: 0,
            block: [0; 32],
            used: 32,
        };
        s.refill();
        s
    }

    fn refill(&mut self) {
        let mut h = Sha256::new();
        h.update(b"crlkit gen");
        h.update(self.seed.to_le_bytes());
        h.update(self.counter.to_le_bytes());
        self.block.copy_from_slice(&h.finalize());
        self.counter += 1;
        self.used = 0;
    }

    pub(crate) fn fill(&mut self, dst: &mut [u8]) {
        for b in dst {
            if self.used == self.block.len() {
                self.refill();
            }
            *b = self.block[self.used];
            self.used += 1;
        }
    }
}

impl rsa::rand_core::TryRng for SeedStream {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.fill(&mut b);
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.fill(&mut b);
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.fill(dst);
        Ok(())
    }
}
impl rsa::rand_core::TryCryptoRng for SeedStream {}

impl CaKey {
    /// A throwaway key of `kind`, derived from `seed`: the same seed always gives the same key.
    /// For test CAs only (the key comes from a SHA-256 stream of the seed: whoever knows the seed knows the key). RSA-4096 takes seconds to generate.
    pub fn generate(kind: KeyKind, seed: u64) -> Result<Self, SignError> {
        let mut rng = SeedStream::new(seed, kind.name());
        match kind {
            KeyKind::EcP256 | KeyKind::EcP384 | KeyKind::Ed25519 => {
                let mut secret = [0u8; 48];
                let len = if kind == KeyKind::EcP384 { 48 } else { 32 };
                // A scalar out of range (probability ~2^-32 or less) is simply redrawn.
                for _ in 0..64 {
                    rng.fill(&mut secret[..len]);
                    let material = match kind {
                        KeyKind::Ed25519 => {
                            let k = ed25519_dalek::SigningKey::from_bytes(
                                secret[..32].try_into().map_err(|_| SignError::UnsupportedKey)?,
                            );
                            return Self::from_material(KeyMaterial::Ed25519(Box::new(k)));
                        }
                        KeyKind::EcP256 => {
                            p256::ecdsa::SigningKey::from_slice(&secret[..32]).ok().map(KeyMaterial::P256)
                        }
                        _ => p384::ecdsa::SigningKey::from_slice(&secret[..48]).ok().map(KeyMaterial::P384),
                    };
                    if let Some(material) = material {
                        return Self::from_material(material);
                    }
                }
                Err(SignError::UnsupportedKey)
            }
            KeyKind::Rsa2048 | KeyKind::Rsa4096 => {
                let bits = if kind == KeyKind::Rsa2048 { 2048 } else { 4096 };
                let k = rsa::PrivateKey::new(&mut rng, bits).map_err(|_| SignError::UnsupportedKey)?;
                Self::from_material(KeyMaterial::Rsa(Box::new(k)))
            }
        }
    }
}

/// What a synthetic CRL holds.
#[derive(Clone, Debug)]
pub struct GenParams {
    /// Number of revoked entries.
    pub entries: u64,
    /// Seed of the entries (serials, dates, reasons).
    pub seed: u64,
    /// thisUpdate, Unix seconds; revocation dates fall in the year before it.
    pub this_update: i64,
    /// nextUpdate, Unix seconds.
    pub next_update: Option<i64>,
    /// cRLNumber.
    pub crl_number: u64,
    /// Give about half the entries a reasonCode and a tenth an invalidityDate; without it,
    /// entries carry no extensions.
    pub reasons: bool,
    /// A critical issuingDistributionPoint with this URI (one partition of a partitioned CRL).
    pub issuing_distribution_point: Option<String>,
}

/// Write a synthetic CRL issued by `ca` (signed with `key`, which must be the CA's) and
/// return its size. Memory stays flat whatever `params.entries`.
pub fn generate<W: Write>(out: W, params: &GenParams, ca: &CaCert, key: &CaKey) -> io::Result<u64> {
    let mut crl = CrlParams::for_ca(ca, params.this_update, params.next_update, params.crl_number);
    crl.issuing_distribution_point.clone_from(&params.issuing_distribution_point);
    let synthetic = Synthetic { seed: params.seed, count: params.entries, newest: params.this_update };
    let reasons = params.reasons;
    write_crl(out, &crl, key, || {
        synthetic.iter().map(move |mut e: EntrySpec| {
            if !reasons {
                e.reason = None;
                e.invalidity = None;
            }
            e
        })
    })
}

/// Whether `key` can sign for the CA certificate `cert_der`: same public key, and cRLSign in
/// keyUsage when keyUsage is present. Returns the certificate as a [`CaCert`] (issuer name
/// and key identifier for the CRL: the certificate's subjectKeyIdentifier, or the key's).
pub fn ca_from_certificate(cert_der: &[u8], key: &CaKey) -> Result<CaCert, CaMismatch> {
    let cert = crlkit_der::CertificateRef::from_der(cert_der).map_err(CaMismatch::Certificate)?;
    if cert.public_key_info().der() != key.subject_public_key_info() {
        return Err(CaMismatch::KeyDoesNotMatch);
    }
    if cert.key_usage().is_some_and(|ku| !ku.has(6)) {
        return Err(CaMismatch::NoCrlSign);
    }
    let key_id = match cert.subject_key_id() {
        Some(ski) if ski.len() == 20 => {
            let mut id = [0u8; 20];
            id.copy_from_slice(ski);
            id
        }
        _ => key.key_identifier(),
    };
    Ok(CaCert { der: cert_der.to_vec(), subject: cert.subject().der().to_vec(), key_id })
}

/// Why a CA certificate and key cannot issue CRLs together.
#[derive(Debug)]
pub enum CaMismatch {
    /// The certificate does not parse.
    Certificate(crlkit_der::Error),
    /// The private key is not the certificate's.
    KeyDoesNotMatch,
    /// keyUsage lacks cRLSign (RFC 5280 4.2.1.3).
    NoCrlSign,
}

impl std::fmt::Display for CaMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CaMismatch::Certificate(e) => write!(f, "the CA certificate does not parse: {e}"),
            CaMismatch::KeyDoesNotMatch => f.write_str("the private key does not belong to the CA certificate"),
            CaMismatch::NoCrlSign => f.write_str("the CA certificate's keyUsage does not allow cRLSign"),
        }
    }
}

impl std::error::Error for CaMismatch {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_deterministic_and_sign_verifiable_crls() {
        for kind in [KeyKind::EcP256, KeyKind::EcP384, KeyKind::Ed25519, KeyKind::Rsa2048] {
            let a = CaKey::generate(kind, 7).unwrap();
            let b = CaKey::generate(kind, 7).unwrap();
            let c = CaKey::generate(kind, 8).unwrap();
            assert_eq!(a.subject_public_key_info(), b.subject_public_key_info(), "{kind:?}");
            assert_ne!(a.subject_public_key_info(), c.subject_public_key_info(), "{kind:?}");
            let ca = crate::self_signed_ca(&a, "gen test", 1_700_000_000, 1_900_000_000);
            let params = GenParams {
                entries: 50,
                seed: 3,
                this_update: 1_800_000_000,
                next_update: Some(1_800_604_800),
                crl_number: 9,
                reasons: kind != KeyKind::Ed25519,
                issuing_distribution_point: (kind == KeyKind::EcP256).then(|| "http://crl.example/p/7.crl".into()),
            };
            let mut one = Vec::new();
            generate(&mut one, &params, &ca, &a).unwrap();
            let mut two = Vec::new();
            generate(&mut two, &params, &ca, &b).unwrap();
            assert_eq!(one, two, "{kind:?}: same seed, same bytes");
            let crl = crlkit_der::CrlRef::from_der(&one).unwrap();
            let stats = crl.validate().unwrap();
            assert_eq!(stats.count, 50);
            assert_eq!(stats.with_reason > 0, params.reasons, "{kind:?}");
            let exts = crl.extensions().unwrap();
            let idp = exts.issuing_distribution_point.map(|i| match i.distribution_point {
                Some(crlkit_der::DistributionPointName::FullName(names)) => {
                    names.iter().map(|n| n.to_string()).collect::<Vec<_>>()
                }
                _ => Vec::new(),
            });
            assert_eq!(idp.is_some(), params.issuing_distribution_point.is_some(), "{kind:?}");
            if let Some(names) = idp {
                assert!(exts.issuing_distribution_point_critical);
                assert_eq!(names.len(), 1);
                assert!(names[0].contains("http://crl.example/p/7.crl"), "{names:?}");
            }
            assert!(ca_from_certificate(&ca.der, &a).is_ok());
            assert!(matches!(ca_from_certificate(&ca.der, &c), Err(CaMismatch::KeyDoesNotMatch)));
        }
    }
}
