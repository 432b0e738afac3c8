//! Map a CRL's signature AlgorithmIdentifier and the issuer's key to an aws-lc-rs algorithm,
//! and verify over the exact tbsCertList bytes.
//!
//! Supported: RSA PKCS#1 v1.5 with SHA-256/384/512 (SHA-1 and 1024-bit keys as legacy, with a
//! warning), RSA-PSS with SHA-256/384/512 (MGF1 with the same digest, salt = digest length),
//! ECDSA P-256, P-384 and P-521 with SHA-256/384/512, Ed25519. Not supported: ECDSA with SHA-1
//! or SHA-224, RSA-PSS with other parameters; those are reported as unsupported, never as
//! invalid.

use std::fmt;

use aws_lc_rs::signature::{self as sig, VerificationAlgorithm};
use crlkit_der::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};

mod oid {
    pub const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    pub const RSASSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
    pub const SHA1_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05];
    pub const SHA256_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
    pub const SHA384_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c];
    pub const SHA512_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d];
    pub const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    pub const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    pub const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
    pub const P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];
    pub const ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
    pub const ECDSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
    pub const ECDSA_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04];
    pub const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
    pub const SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
    pub const SHA384: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
    pub const SHA512: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];
}

/// Why a signature check did not pass.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureError {
    /// The signature does not verify with this key.
    Invalid,
    /// The algorithm (or its parameters) is not one we can verify.
    Unsupported(String),
    /// The algorithm cannot be used with this kind of key (e.g. ECDSA with an RSA key).
    KeyMismatch {
        /// The signature algorithm.
        algorithm: String,
        /// The key algorithm.
        key: String,
    },
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid => f.write_str("signature does not verify"),
            Self::Unsupported(what) => write!(f, "unsupported: {what}"),
            Self::KeyMismatch { algorithm, key } => write!(f, "{algorithm} cannot be verified with a {key} key"),
        }
    }
}

/// What was verified, for the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureInfo {
    /// E.g. `ecdsa-with-SHA256 with a P-256 key`.
    pub description: String,
    /// A weakness worth a warning (SHA-1, RSA under 2048 bits).
    pub weakness: Option<String>,
}

/// Pick the aws-lc-rs algorithm for `alg` and `key`.
fn choose(
    alg: &AlgorithmIdentifierRef<'_>,
    key: &SubjectPublicKeyInfoRef<'_>,
) -> Result<(&'static dyn VerificationAlgorithm, SignatureInfo), SignatureError> {
    let a = alg.oid().as_bytes();
    let k = key.algorithm();
    let kind = k.oid().as_bytes();
    let mismatch = |key_name: &str| SignatureError::KeyMismatch { algorithm: alg.name(), key: key_name.into() };
    let info = |description: String, weakness: Option<String>| SignatureInfo { description, weakness };
    if kind == oid::RSA_ENCRYPTION || kind == oid::RSASSA_PSS {
        let bits = key.rsa_modulus_bits().unwrap_or(0);
        let legacy = bits < 2048;
        let weak_key = legacy.then(|| format!("RSA key of {bits} bits (under 2048)"));
        let desc = |name: &str| format!("{name} with an RSA-{bits} key");
        let pkcs1 = |modern: &'static sig::RsaParameters,
                     old: Option<&'static sig::RsaParameters>,
                     name: &str,
                     weak_hash: Option<&str>|
         -> Result<(&'static dyn VerificationAlgorithm, SignatureInfo), SignatureError> {
            let chosen: &'static sig::RsaParameters = if legacy {
                old.ok_or_else(|| SignatureError::Unsupported(format!("{name} with an RSA key of {bits} bits")))?
            } else {
                modern
            };
            let weakness = weak_hash.map(str::to_owned).or(weak_key.clone());
            Ok((chosen, info(desc(name), weakness)))
        };
        return match a {
            oid::SHA1_WITH_RSA => pkcs1(
                &sig::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
                Some(&sig::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY),
                "sha1WithRSAEncryption",
                Some("SHA-1 signature"),
            ),
            oid::SHA256_WITH_RSA => pkcs1(
                &sig::RSA_PKCS1_2048_8192_SHA256,
                Some(&sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY),
                "sha256WithRSAEncryption",
                None,
            ),
            oid::SHA384_WITH_RSA => pkcs1(&sig::RSA_PKCS1_2048_8192_SHA384, None, "sha384WithRSAEncryption", None),
            oid::SHA512_WITH_RSA => pkcs1(
                &sig::RSA_PKCS1_2048_8192_SHA512,
                Some(&sig::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY),
                "sha512WithRSAEncryption",
                None,
            ),
            oid::RSASSA_PSS => {
                let p = alg
                    .rsa_pss_params()
                    .map_err(|e| SignatureError::Unsupported(format!("RSASSA-PSS parameters: {e}")))?;
                let (chosen, name, len): (&'static sig::RsaParameters, _, u64) = match p.hash.as_bytes() {
                    oid::SHA256 => (&sig::RSA_PSS_2048_8192_SHA256, "RSASSA-PSS SHA-256", 32),
                    oid::SHA384 => (&sig::RSA_PSS_2048_8192_SHA384, "RSASSA-PSS SHA-384", 48),
                    oid::SHA512 => (&sig::RSA_PSS_2048_8192_SHA512, "RSASSA-PSS SHA-512", 64),
                    _ => return Err(SignatureError::Unsupported(format!("RSASSA-PSS with digest {}", p.hash))),
                };
                if p.mgf1_hash != p.hash || p.salt_len != len {
                    return Err(SignatureError::Unsupported(format!(
                        "{name} with MGF1 digest {} and a salt of {} bytes (only MGF1 with the same digest and a {len}-byte salt)",
                        p.mgf1_hash, p.salt_len
                    )));
                }
                if legacy {
                    return Err(SignatureError::Unsupported(format!("{name} with an RSA key of {bits} bits")));
                }
                Ok((chosen, info(desc(name), None)))
            }
            oid::ECDSA_SHA256 | oid::ECDSA_SHA384 | oid::ECDSA_SHA512 => Err(mismatch("RSA")),
            _ => Err(SignatureError::Unsupported(alg.name())),
        };
    }
    if kind == oid::EC_PUBLIC_KEY {
        let curve = k.named_curve().map(|c| c.as_bytes()).unwrap_or_default();
        let (chosen, name): (&'static sig::EcdsaVerificationAlgorithm, _) = match (curve, a) {
            (oid::P256, oid::ECDSA_SHA256) => (&sig::ECDSA_P256_SHA256_ASN1, "ecdsa-with-SHA256 with a P-256 key"),
            (oid::P256, oid::ECDSA_SHA384) => (&sig::ECDSA_P256_SHA384_ASN1, "ecdsa-with-SHA384 with a P-256 key"),
            (oid::P384, oid::ECDSA_SHA256) => (&sig::ECDSA_P384_SHA256_ASN1, "ecdsa-with-SHA256 with a P-384 key"),
            (oid::P384, oid::ECDSA_SHA384) => (&sig::ECDSA_P384_SHA384_ASN1, "ecdsa-with-SHA384 with a P-384 key"),
            (oid::P256, oid::ECDSA_SHA512) => (&sig::ECDSA_P256_SHA512_ASN1, "ecdsa-with-SHA512 with a P-256 key"),
            (oid::P384, oid::ECDSA_SHA512) => (&sig::ECDSA_P384_SHA512_ASN1, "ecdsa-with-SHA512 with a P-384 key"),
            (oid::P521, oid::ECDSA_SHA256) => (&sig::ECDSA_P521_SHA256_ASN1, "ecdsa-with-SHA256 with a P-521 key"),
            (oid::P521, oid::ECDSA_SHA384) => (&sig::ECDSA_P521_SHA384_ASN1, "ecdsa-with-SHA384 with a P-521 key"),
            (oid::P521, oid::ECDSA_SHA512) => (&sig::ECDSA_P521_SHA512_ASN1, "ecdsa-with-SHA512 with a P-521 key"),
            // Other ECDSA digests (SHA-1, SHA-224): not verified.
            (oid::P256 | oid::P384 | oid::P521, _) if a.starts_with(&oid::ECDSA_SHA256[..6]) => {
                return Err(SignatureError::Unsupported(alg.name()));
            }
            (oid::P256 | oid::P384 | oid::P521, _) => return Err(mismatch("ECDSA")),
            _ => {
                let c = k.named_curve().map(|c| c.name().map(str::to_owned).unwrap_or_else(|| c.to_string()));
                return Err(SignatureError::Unsupported(format!(
                    "ECDSA on curve {}",
                    c.unwrap_or_else(|| "(not a named curve)".into())
                )));
            }
        };
        return Ok((chosen, info(name.into(), None)));
    }
    if kind == oid::ED25519 {
        return if a == oid::ED25519 {
            Ok((&sig::ED25519, info("Ed25519".into(), None)))
        } else {
            Err(mismatch("Ed25519"))
        };
    }
    Err(SignatureError::Unsupported(format!("public key algorithm {}", k.name())))
}

/// Verify `signature` over `message` with the key in `key`, for the algorithm `alg`.
pub fn verify(
    alg: &AlgorithmIdentifierRef<'_>,
    key: &SubjectPublicKeyInfoRef<'_>,
    message: &[u8],
    signature: &[u8],
) -> Result<SignatureInfo, SignatureError> {
    let (algorithm, info) = choose(alg, key)?;
    sig::UnparsedPublicKey::new(algorithm, key.public_key())
        .verify(message, signature)
        .map_err(|_| SignatureError::Invalid)?;
    Ok(info)
}
