//! Issue and sign X.509 CRLs: a streaming CRL writer that hashes as it encodes (so a CRL of any
//! size is signed without being held in memory), CA keys for ECDSA P-256 and RSA, throwaway
//! self-signed test CAs, and a deterministic synthetic-entry generator for fixtures and
//! benchmarks.
//!
//! Signatures are deterministic (RFC 6979 ECDSA, PKCS#1 v1.5 RSA), so the same inputs always
//! give the same bytes: committed fixtures are checked by regenerating them.
//!
//! ```
//! use crlkit_sign::{CaKey, CrlParams, Synthetic, write_crl};
//! let key = CaKey::from_pkcs8_pem(include_str!("../../../fixtures/keys/ca.p256.key.pem"))?;
//! let ca = crlkit_sign::self_signed_ca(&key, "Example CA", 1_700_000_000, 1_900_000_000);
//! let params = CrlParams::for_ca(&ca, 1_760_000_000, Some(1_760_604_800), 7);
//! let entries = Synthetic { seed: 1, count: 100, newest: 1_760_000_000 };
//! let mut der = Vec::new();
//! write_crl(&mut der, &params, &key, || entries.iter())?;
//! let crl = crlkit_der::CrlRef::from_der(&der).unwrap();
//! assert_eq!(crl.validate().unwrap().count, 100);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`generate`] writes synthetic CRLs of any size (`crlkit gen`, the large fixtures), signed by
//! a CA the caller loaded or by a throwaway one whose key [`CaKey::generate`] derives from a seed.
//!
//! # Not in scope
//! - Real key generation (throwaway keys are derived from a seed, for tests), certificate
//!   issuance beyond a test CA.
//! - Parsing CRLs (`crlkit-der`).

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod derw;
mod synthetic;
mod synthetic_crl;

use std::fmt;
use std::io::{self, Write};

use p256::ecdsa::signature::hazmat::PrehashSigner;
use p256::pkcs8::{DecodePrivateKey, EncodePublicKey};
use sha2::{Digest, Sha256, Sha384, Sha512};

pub use synthetic::{EntrySpec, Synthetic};
pub use synthetic_crl::{CaMismatch, GenParams, KeyKind, ca_from_certificate, generate};

/// OID content octets used when writing.
mod oids {
    pub const ECDSA_WITH_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
    pub const ECDSA_WITH_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
    pub const SHA256_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
    pub const SHA384_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c];
    pub const SHA512_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d];
    pub const RSASSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
    pub const MGF1: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08];
    pub const SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
    pub const SHA384: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
    pub const SHA512: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];
    pub const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
    pub const CN: &[u8] = &[0x55, 0x04, 0x03];
    pub const O: &[u8] = &[0x55, 0x04, 0x0a];
    pub const BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];
    pub const KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x0f];
    pub const SUBJECT_KEY_ID: &[u8] = &[0x55, 0x1d, 0x0e];
    pub const ISSUING_DISTRIBUTION_POINT: &[u8] = &[0x55, 0x1d, 0x1c];
    pub const AUTHORITY_KEY_ID: &[u8] = &[0x55, 0x1d, 0x23];
    pub const CRL_NUMBER: &[u8] = &[0x55, 0x1d, 0x14];
    pub const REASON_CODE: &[u8] = &[0x55, 0x1d, 0x15];
    pub const INVALIDITY_DATE: &[u8] = &[0x55, 0x1d, 0x18];
}

/// Why a key could not be used.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignError {
    /// The text holds no `PRIVATE KEY` PEM block.
    NoPrivateKey,
    /// The PKCS#8 structure is malformed or its algorithm is not ECDSA P-256/P-384, RSA or Ed25519.
    UnsupportedKey,
    /// The signature algorithm does not fit the key type.
    AlgorithmMismatch,
    /// The signer failed.
    SigningFailed,
    /// An encrypted key could not be decrypted: wrong passphrase, or a scheme other than
    /// PBES2 (PBKDF2 or scrypt with AES).
    DecryptionFailed,
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NoPrivateKey => "no PRIVATE KEY PEM block found",
            Self::UnsupportedKey => "not an unencrypted PKCS#8 ECDSA P-256/P-384, RSA or Ed25519 private key",
            Self::AlgorithmMismatch => "the signature algorithm does not fit the key type",
            Self::SigningFailed => "the signature operation failed",
            Self::DecryptionFailed => "cannot decrypt the key: wrong passphrase, or not PBES2 (PBKDF2/scrypt with AES)",
        })
    }
}

impl std::error::Error for SignError {}

/// Signature algorithms this crate signs with.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigAlg {
    /// ecdsa-with-SHA256 (P-256 key).
    EcdsaSha256,
    /// ecdsa-with-SHA384 (P-256 or P-384 key).
    EcdsaSha384,
    /// sha256WithRSAEncryption.
    RsaPkcs1Sha256,
    /// sha384WithRSAEncryption.
    RsaPkcs1Sha384,
    /// sha512WithRSAEncryption.
    RsaPkcs1Sha512,
    /// RSASSA-PSS, SHA-256, MGF1-SHA-256, 32-byte salt.
    RsaPssSha256,
    /// RSASSA-PSS, SHA-384, MGF1-SHA-384, 48-byte salt.
    RsaPssSha384,
    /// RSASSA-PSS, SHA-512, MGF1-SHA-512, 64-byte salt.
    RsaPssSha512,
    /// Ed25519 (PureEdDSA: signs the whole message).
    Ed25519,
}

impl SigAlg {
    /// Every algorithm, for tests and fixtures.
    pub const ALL: [SigAlg; 9] = [
        SigAlg::EcdsaSha256,
        SigAlg::EcdsaSha384,
        SigAlg::RsaPkcs1Sha256,
        SigAlg::RsaPkcs1Sha384,
        SigAlg::RsaPkcs1Sha512,
        SigAlg::RsaPssSha256,
        SigAlg::RsaPssSha384,
        SigAlg::RsaPssSha512,
        SigAlg::Ed25519,
    ];

    /// A short stable name (fixture file names).
    pub const fn name(self) -> &'static str {
        match self {
            SigAlg::EcdsaSha256 => "ecdsa-sha256",
            SigAlg::EcdsaSha384 => "ecdsa-sha384",
            SigAlg::RsaPkcs1Sha256 => "rsa-pkcs1-sha256",
            SigAlg::RsaPkcs1Sha384 => "rsa-pkcs1-sha384",
            SigAlg::RsaPkcs1Sha512 => "rsa-pkcs1-sha512",
            SigAlg::RsaPssSha256 => "rsa-pss-sha256",
            SigAlg::RsaPssSha384 => "rsa-pss-sha384",
            SigAlg::RsaPssSha512 => "rsa-pss-sha512",
            SigAlg::Ed25519 => "ed25519",
        }
    }

    /// The AlgorithmIdentifier DER (RFC 3279, 4055, 5758, 8410).
    pub fn algorithm_identifier(self) -> Vec<u8> {
        let pss = |hash: &[u8], salt: u8| {
            let hash_alg = derw::seq(&[&derw::oid(hash), &[0x05, 0x00]]);
            let mgf = derw::seq(&[&derw::oid(oids::MGF1), &hash_alg]);
            let params = derw::seq(&[
                &derw::tlv(0xa0, &hash_alg),
                &derw::tlv(0xa1, &mgf),
                &derw::tlv(0xa2, &[0x02, 0x01, salt]),
            ]);
            derw::seq(&[&derw::oid(oids::RSASSA_PSS), &params])
        };
        match self {
            SigAlg::EcdsaSha256 => derw::seq(&[&derw::oid(oids::ECDSA_WITH_SHA256)]),
            SigAlg::EcdsaSha384 => derw::seq(&[&derw::oid(oids::ECDSA_WITH_SHA384)]),
            SigAlg::RsaPkcs1Sha256 => derw::seq(&[&derw::oid(oids::SHA256_WITH_RSA), &[0x05, 0x00]]),
            SigAlg::RsaPkcs1Sha384 => derw::seq(&[&derw::oid(oids::SHA384_WITH_RSA), &[0x05, 0x00]]),
            SigAlg::RsaPkcs1Sha512 => derw::seq(&[&derw::oid(oids::SHA512_WITH_RSA), &[0x05, 0x00]]),
            SigAlg::RsaPssSha256 => pss(oids::SHA256, 32),
            SigAlg::RsaPssSha384 => pss(oids::SHA384, 48),
            SigAlg::RsaPssSha512 => pss(oids::SHA512, 64),
            SigAlg::Ed25519 => derw::seq(&[&derw::oid(oids::ED25519)]),
        }
    }

    fn hasher(self) -> Hasher {
        match self {
            SigAlg::EcdsaSha256 | SigAlg::RsaPkcs1Sha256 | SigAlg::RsaPssSha256 => Hasher::Sha256(Sha256::new()),
            SigAlg::EcdsaSha384 | SigAlg::RsaPkcs1Sha384 | SigAlg::RsaPssSha384 => Hasher::Sha384(Sha384::new()),
            SigAlg::RsaPkcs1Sha512 | SigAlg::RsaPssSha512 => Hasher::Sha512(Sha512::new()),
            SigAlg::Ed25519 => Hasher::Whole(Vec::new()),
        }
    }
}

/// What the signer is given: a digest, or (Ed25519) the whole message.
enum Hasher {
    Sha256(Sha256),
    Sha384(Sha384),
    Sha512(Sha512),
    Whole(Vec<u8>),
}

impl Hasher {
    fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha384(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
            Hasher::Whole(v) => v.extend_from_slice(data),
        }
    }

    fn finish(self) -> Vec<u8> {
        match self {
            Hasher::Sha256(h) => h.finalize().to_vec(),
            Hasher::Sha384(h) => h.finalize().to_vec(),
            Hasher::Sha512(h) => h.finalize().to_vec(),
            Hasher::Whole(v) => v,
        }
    }
}

enum KeyMaterial {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    Rsa(Box<rsa::PrivateKey>),
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

/// A CA private key and the algorithm it signs with.
pub struct CaKey {
    key: KeyMaterial,
    alg: SigAlg,
    spki: Vec<u8>,
}

/// PKCS#8 prefix of an Ed25519 private key (RFC 8410): the 32-byte seed follows.
const ED25519_PKCS8_PREFIX: &[u8] =
    &[0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

/// Deterministic "randomness" for the PSS salt: fixtures must regenerate byte for byte. A
/// salt needs to be unique, not secret; this is only ever used to sign test CRLs.
struct FixtureSalt(u64);

impl rsa::rand_core::TryRng for FixtureSalt {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(self.try_next_u64()? as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        Ok(self.0 ^ (self.0 >> 29))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for chunk in dst.chunks_mut(8) {
            let v = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        Ok(())
    }
}
impl rsa::rand_core::TryCryptoRng for FixtureSalt {}

impl CaKey {
    /// Read an unencrypted PKCS#8 key (`-----BEGIN PRIVATE KEY-----`): ECDSA P-256 or P-384,
    /// RSA or Ed25519. The algorithm defaults to SHA-256 (ECDSA P-256, RSA PKCS#1 v1.5),
    /// SHA-384 (P-384) or Ed25519; change it with [`CaKey::with_algorithm`].
    pub fn from_pkcs8_pem(text: &str) -> Result<Self, SignError> {
        let blocks = crlkit_der::pem::decode_all(text.as_bytes()).map_err(|_| SignError::NoPrivateKey)?;
        let block = blocks.iter().find(|b| b.label == "PRIVATE KEY").ok_or(SignError::NoPrivateKey)?;
        Self::from_pkcs8_der(&block.der)
    }

    /// True when the text holds an `ENCRYPTED PRIVATE KEY` block (a passphrase is needed).
    pub fn is_encrypted_pem(text: &str) -> bool {
        text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    }

    /// Read an encrypted PKCS#8 key (`-----BEGIN ENCRYPTED PRIVATE KEY-----`), as `openssl
    /// genpkey -aes256` or `openssl pkcs8 -topk8` write it: PBES2 with PBKDF2 or scrypt and AES.
    pub fn from_encrypted_pkcs8_pem(text: &str, passphrase: &[u8]) -> Result<Self, SignError> {
        let blocks = crlkit_der::pem::decode_all(text.as_bytes()).map_err(|_| SignError::NoPrivateKey)?;
        let block = blocks.iter().find(|b| b.label == "ENCRYPTED PRIVATE KEY").ok_or(SignError::NoPrivateKey)?;
        let info =
            pkcs8::EncryptedPrivateKeyInfoRef::try_from(block.der.as_slice()).map_err(|_| SignError::UnsupportedKey)?;
        let plain = info.decrypt(passphrase).map_err(|_| SignError::DecryptionFailed)?;
        Self::from_pkcs8_der(plain.as_bytes())
    }

    /// Read an unencrypted PKCS#8 DER key.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, SignError> {
        if let Ok(k) = p256::ecdsa::SigningKey::from_pkcs8_der(der) {
            return Self::from_material(KeyMaterial::P256(k));
        }
        if let Ok(k) = p384::ecdsa::SigningKey::from_pkcs8_der(der) {
            return Self::from_material(KeyMaterial::P384(k));
        }
        if let Some(seed) = der.strip_prefix(ED25519_PKCS8_PREFIX) {
            let seed: &[u8; 32] = seed.try_into().map_err(|_| SignError::UnsupportedKey)?;
            return Self::from_material(KeyMaterial::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(seed))));
        }
        let k = rsa::PrivateKey::from_pkcs8_der(der).map_err(|_| SignError::UnsupportedKey)?;
        Self::from_material(KeyMaterial::Rsa(Box::new(k)))
    }

    /// The key with its SubjectPublicKeyInfo and default algorithm.
    fn from_material(key: KeyMaterial) -> Result<Self, SignError> {
        let spki_err = |_| SignError::UnsupportedKey;
        let (spki, alg) = match &key {
            KeyMaterial::P256(k) => {
                (k.verifying_key().to_public_key_der().map_err(spki_err)?.into_vec(), SigAlg::EcdsaSha256)
            }
            KeyMaterial::P384(k) => {
                (k.verifying_key().to_public_key_der().map_err(spki_err)?.into_vec(), SigAlg::EcdsaSha384)
            }
            KeyMaterial::Ed25519(k) => (
                derw::seq(&[
                    &derw::seq(&[&derw::oid(oids::ED25519)]),
                    &derw::tlv(0x03, &[&[0u8][..], k.verifying_key().as_bytes()].concat()),
                ]),
                SigAlg::Ed25519,
            ),
            KeyMaterial::Rsa(k) => (
                rsa::PublicKey::from(k.as_ref()).to_public_key_der().map_err(spki_err)?.into_vec(),
                SigAlg::RsaPkcs1Sha256,
            ),
        };
        Ok(Self { key, alg, spki })
    }

    /// Sign with another algorithm the key supports.
    pub fn with_algorithm(mut self, alg: SigAlg) -> Result<Self, SignError> {
        let fits = matches!(
            (&self.key, alg),
            (KeyMaterial::P256(_), SigAlg::EcdsaSha256 | SigAlg::EcdsaSha384)
                | (KeyMaterial::P384(_), SigAlg::EcdsaSha384)
                | (
                    KeyMaterial::Rsa(_),
                    SigAlg::RsaPkcs1Sha256
                        | SigAlg::RsaPkcs1Sha384
                        | SigAlg::RsaPkcs1Sha512
                        | SigAlg::RsaPssSha256
                        | SigAlg::RsaPssSha384
                        | SigAlg::RsaPssSha512
                )
                | (KeyMaterial::Ed25519(_), SigAlg::Ed25519)
        );
        if !fits {
            return Err(SignError::AlgorithmMismatch);
        }
        self.alg = alg;
        Ok(self)
    }

    /// The algorithm this key signs with.
    pub const fn algorithm(&self) -> SigAlg {
        self.alg
    }

    /// The signature AlgorithmIdentifier (DER) this key signs with.
    pub fn algorithm_identifier(&self) -> Vec<u8> {
        self.alg.algorithm_identifier()
    }

    /// The public key as SubjectPublicKeyInfo DER.
    pub fn subject_public_key_info(&self) -> &[u8] {
        &self.spki
    }

    /// Key identifier: the leftmost 160 bits of the SHA-256 of the SPKI (RFC 7093 section 2).
    pub fn key_identifier(&self) -> [u8; 20] {
        let d = Sha256::digest(&self.spki);
        let mut id = [0u8; 20];
        id.copy_from_slice(&d[..20]);
        id
    }

    /// Sign `message` (hashing it with the algorithm's digest).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let mut h = self.alg.hasher();
        h.update(message);
        self.sign_prepared(&h.finish())
    }

    /// Sign a digest from [`SigAlg::hasher`] (for Ed25519: the whole message). Returns the
    /// signatureValue bytes (DER ECDSA-Sig-Value, the RSA signature, or 64 Ed25519 bytes).
    fn sign_prepared(&self, prepared: &[u8]) -> Result<Vec<u8>, SignError> {
        use rsa::signature::SignatureEncoding;
        use rsa::signature::hazmat::RandomizedPrehashSigner;
        let failed = |_| SignError::SigningFailed;
        Ok(match (&self.key, self.alg) {
            (KeyMaterial::P256(k), _) => {
                let sig: p256::ecdsa::Signature = k.sign_prehash(prepared).map_err(failed)?;
                sig.to_der().as_bytes().to_vec()
            }
            (KeyMaterial::P384(k), _) => {
                let sig: p384::ecdsa::Signature = k.sign_prehash(prepared).map_err(failed)?;
                sig.to_der().as_bytes().to_vec()
            }
            (KeyMaterial::Ed25519(k), _) => {
                use ed25519_dalek::Signer as _;
                k.sign(prepared).to_bytes().to_vec()
            }
            (KeyMaterial::Rsa(k), alg) => {
                let k = (**k).clone();
                let mut salt =
                    FixtureSalt(u64::from_le_bytes(prepared[..8].try_into().map_err(|_| SignError::SigningFailed)?));
                match alg {
                    SigAlg::RsaPkcs1Sha256 => {
                        rsa::pkcs1v15::SigningKey::<Sha256>::new(k).sign_prehash(prepared).map_err(failed)?.to_vec()
                    }
                    SigAlg::RsaPkcs1Sha384 => {
                        rsa::pkcs1v15::SigningKey::<Sha384>::new(k).sign_prehash(prepared).map_err(failed)?.to_vec()
                    }
                    SigAlg::RsaPkcs1Sha512 => {
                        rsa::pkcs1v15::SigningKey::<Sha512>::new(k).sign_prehash(prepared).map_err(failed)?.to_vec()
                    }
                    SigAlg::RsaPssSha256 => rsa::pss::SigningKey::<Sha256>::new(k)
                        .sign_prehash_with_rng(&mut salt, prepared)
                        .map_err(failed)?
                        .to_vec(),
                    SigAlg::RsaPssSha384 => rsa::pss::SigningKey::<Sha384>::new(k)
                        .sign_prehash_with_rng(&mut salt, prepared)
                        .map_err(failed)?
                        .to_vec(),
                    SigAlg::RsaPssSha512 => rsa::pss::SigningKey::<Sha512>::new(k)
                        .sign_prehash_with_rng(&mut salt, prepared)
                        .map_err(failed)?
                        .to_vec(),
                    _ => return Err(SignError::AlgorithmMismatch),
                }
            }
        })
    }
}

/// A self-signed CA certificate made by [`self_signed_ca`].
pub struct CaCert {
    /// The certificate, DER.
    pub der: Vec<u8>,
    /// Its subject (= issuer) Name, DER.
    pub subject: Vec<u8>,
    /// Its subjectKeyIdentifier.
    pub key_id: [u8; 20],
}

impl CaCert {
    /// The certificate as PEM (`-----BEGIN CERTIFICATE-----`).
    pub fn pem(&self) -> String {
        let pem = crlkit_der::pem::encode(&self.der);
        String::from_utf8_lossy(&pem).replace("X509 CRL", "CERTIFICATE")
    }
}

/// A self-signed v3 CA certificate: `CN=<common_name>, O=crlkit test`, basicConstraints CA,
/// keyUsage keyCertSign + cRLSign, subject key identifier. For tests and fixtures.
pub fn self_signed_ca(key: &CaKey, common_name: &str, not_before: i64, not_after: i64) -> CaCert {
    let subject = derw::name(&[(oids::O, "crlkit test"), (oids::CN, common_name)]);
    let key_id = key.key_identifier();
    let alg = key.algorithm_identifier();
    let serial = derw::uint(&key_id[..16]);
    let validity = derw::seq(&[&derw::time(not_before), &derw::time(not_after)]);
    let exts = [
        derw::extension(oids::BASIC_CONSTRAINTS, true, &derw::seq(&[&[0x01, 0x01, 0xff]])),
        // keyCertSign (bit 5) and cRLSign (bit 6): 0000 0110, one unused bit.
        derw::extension(oids::KEY_USAGE, true, &[0x03, 0x02, 0x01, 0x06]),
        derw::extension(oids::SUBJECT_KEY_ID, false, &derw::tlv(0x04, &key_id)),
    ];
    let exts = derw::tlv(0xa3, &derw::tlv(0x30, &exts.concat()));
    let version = derw::tlv(0xa0, &[0x02, 0x01, 0x02]);
    let tbs =
        derw::seq(&[&version, &serial, &alg, &subject, &validity, &subject, key.subject_public_key_info(), &exts]);
    let sig = key.sign(&tbs).expect("signing with a freshly loaded key");
    let mut bits = vec![0u8];
    bits.extend(sig);
    let der = derw::seq(&[&tbs, &alg, &derw::tlv(0x03, &bits)]);
    CaCert { der, subject, key_id }
}

/// The CRL-wide fields.
#[derive(Clone, Debug)]
pub struct CrlParams {
    /// The issuer Name, DER.
    pub issuer: Vec<u8>,
    /// thisUpdate, Unix seconds.
    pub this_update: i64,
    /// nextUpdate, Unix seconds.
    pub next_update: Option<i64>,
    /// cRLNumber.
    pub crl_number: u64,
    /// authorityKeyIdentifier keyIdentifier.
    pub authority_key_id: Option<[u8; 20]>,
    /// A critical issuingDistributionPoint naming this URI (distributionPoint fullName), as
    /// AWS Private CA writes into each partition of a partitioned CRL.
    pub issuing_distribution_point: Option<String>,
}

impl CrlParams {
    /// Parameters for a CRL issued by `ca`, with its key identifier as AKI.
    pub fn for_ca(ca: &CaCert, this_update: i64, next_update: Option<i64>, crl_number: u64) -> Self {
        Self {
            issuer: ca.subject.clone(),
            this_update,
            next_update,
            crl_number,
            authority_key_id: Some(ca.key_id),
            issuing_distribution_point: None,
        }
    }
}

/// The issuingDistributionPoint value for one URI: `SEQUENCE { [0] { [0] { [6] uri } } }`.
fn idp_value(uri: &str) -> Vec<u8> {
    derw::seq(&[&derw::tlv(0xa0, &derw::tlv(0xa0, &derw::tlv(0x86, uri.as_bytes())))])
}

/// Encoded size of one entry.
fn entry_content_len(e: &EntrySpec) -> usize {
    let serial = derw::header_len(e.serial().len()) + e.serial().len();
    let time = 2 + derw::encodable(e.revocation).der_content().2;
    serial + time + extensions_len(e).map_or(0, |l| derw::header_len(l) + l)
}

fn extensions_len(e: &EntrySpec) -> Option<usize> {
    let mut n = 0;
    if e.reason.is_some() {
        n += 12;
    }
    if e.invalidity.is_some() {
        n += 26;
    }
    (n > 0).then_some(n)
}

fn encode_entry(e: &EntrySpec, out: &mut Vec<u8>) {
    let content = entry_content_len(e);
    derw::header(out, 0x30, content);
    derw::header(out, 0x02, e.serial().len());
    out.extend_from_slice(e.serial());
    let (tag, buf, n) = derw::encodable(e.revocation).der_content();
    out.extend_from_slice(&[tag, n as u8]);
    out.extend_from_slice(&buf[..n]);
    if let Some(len) = extensions_len(e) {
        derw::header(out, 0x30, len);
        if let Some(r) = e.reason {
            // SEQUENCE { OID reasonCode, OCTET STRING { ENUMERATED r } }
            out.extend_from_slice(&[0x30, 0x0a, 0x06, 0x03]);
            out.extend_from_slice(oids::REASON_CODE);
            out.extend_from_slice(&[0x04, 0x03, 0x0a, 0x01, r]);
        }
        if let Some(t) = e.invalidity {
            out.extend_from_slice(&[0x30, 0x18, 0x06, 0x03]);
            out.extend_from_slice(oids::INVALIDITY_DATE);
            out.extend_from_slice(&[0x04, 0x11]);
            derw::push_generalized_time(out, t);
        }
    }
}

/// Write a signed CRL with the entries `entries()` yields, and return its size.
///
/// `entries` is called three times (sizes, hash, write) and must yield the same entries each
/// time; that is what keeps memory flat whatever the number of entries. A time outside years
/// 0..=9999 (which no CRL can encode) is refused with `InvalidInput` before anything is written.
pub fn write_crl<W, I>(out: W, params: &CrlParams, key: &CaKey, entries: impl Fn() -> I) -> io::Result<u64>
where
    W: Write,
    I: Iterator<Item = EntrySpec>,
{
    let encodable = |what: &str, t: i64| {
        crlkit_der::Time::from_unix(t).map(|_| ()).ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("{what} {t} is outside years 0000-9999"))
        })
    };
    encodable("thisUpdate", params.this_update)?;
    if let Some(uri) = &params.issuing_distribution_point
        && (uri.is_empty() || !uri.bytes().all(|b| b.is_ascii_graphic()))
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "an issuing distribution point URI is printable ASCII without spaces (IA5String)",
        ));
    }
    if let Some(n) = params.next_update {
        encodable("nextUpdate", n)?;
    }
    let alg = key.algorithm_identifier();
    // Pass 1: sizes, and every time checked.
    let mut revoked_len = 0usize;
    for e in entries() {
        encodable("a revocation date", e.revocation)?;
        if let Some(t) = e.invalidity {
            encodable("an invalidity date", t)?;
        }
        let c = entry_content_len(&e);
        revoked_len += derw::header_len(c) + c;
    }
    let mut head = Vec::new();
    head.extend_from_slice(&[0x02, 0x01, 0x01]);
    head.extend_from_slice(&alg);
    head.extend_from_slice(&params.issuer);
    head.extend_from_slice(&derw::time(params.this_update));
    if let Some(n) = params.next_update {
        head.extend_from_slice(&derw::time(n));
    }
    if revoked_len > 0 {
        derw::header(&mut head, 0x30, revoked_len);
    }
    let mut exts = Vec::new();
    if let Some(id) = params.authority_key_id {
        exts.extend(derw::extension(oids::AUTHORITY_KEY_ID, false, &derw::seq(&[&derw::tlv(0x80, &id)])));
    }
    exts.extend(derw::extension(oids::CRL_NUMBER, false, &derw::uint(&params.crl_number.to_be_bytes())));
    if let Some(uri) = &params.issuing_distribution_point {
        exts.extend(derw::extension(oids::ISSUING_DISTRIBUTION_POINT, true, &idp_value(uri)));
    }
    let exts = derw::tlv(0xa0, &derw::tlv(0x30, &exts));
    let tbs_content = head.len() + revoked_len + exts.len();
    let mut tbs_head = Vec::new();
    derw::header(&mut tbs_head, 0x30, tbs_content);

    // Pass 2: hash (Ed25519: collect, it signs the whole message).
    let mut hasher = key.alg.hasher();
    hasher.update(&tbs_head);
    hasher.update(&head);
    for_each_chunk(&entries, |chunk| {
        hasher.update(chunk);
        Ok(())
    })?;
    hasher.update(&exts);
    let sig = key.sign_prepared(&hasher.finish()).map_err(io::Error::other)?;
    let mut tail = alg.clone();
    derw::header(&mut tail, 0x03, sig.len() + 1);
    tail.push(0);
    tail.extend_from_slice(&sig);

    // Pass 3: write.
    let total_content = tbs_head.len() + tbs_content + tail.len();
    let mut outer = Vec::new();
    derw::header(&mut outer, 0x30, total_content);
    let mut w = io::BufWriter::with_capacity(1 << 20, out);
    w.write_all(&outer)?;
    w.write_all(&tbs_head)?;
    w.write_all(&head)?;
    for_each_chunk(&entries, |chunk| w.write_all(chunk))?;
    w.write_all(&exts)?;
    w.write_all(&tail)?;
    w.flush()?;
    Ok((outer.len() + total_content) as u64)
}

fn for_each_chunk<I: Iterator<Item = EntrySpec>>(
    entries: &impl Fn() -> I,
    mut f: impl FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<()> {
    let mut buf = Vec::with_capacity(1 << 16);
    for e in entries() {
        encode_entry(&e, &mut buf);
        if buf.len() >= (1 << 16) - 128 {
            f(&buf)?;
            buf.clear();
        }
    }
    if !buf.is_empty() {
        f(&buf)?;
    }
    Ok(())
}
