//! The fleet file: every CA whose CRLs crlkit keeps in ELB trust stores, where each CA's CRL is
//! (a Private CA's ARN, or an object and the bundle it verifies against), the prefix its PEMs and
//! ledger go under, and the trust stores (any regions) that must hold it. `crlkit sync --fleet`
//! on one machine and the Lambda handler read the same file, so outgrowing cron changes where
//! the work runs, not what it does. The format, with a commented example: docs/FLEET.md.
//!
//! Everything is checked when the file is read, before any call: a bad ARN, an unknown key, a
//! CA without trust stores or without a source is an error naming its line.

use std::path::{Path, PathBuf};

pub mod metrics;
pub mod run;

use crlkit_elb::TrustStoreArn;
use crlkit_pca::CaArn;
use crlkit_upload::Target;
use serde::Deserialize;

/// A fleet file, read and checked.
#[derive(Clone, Debug)]
pub struct Fleet {
    /// Every CA, in the file's order.
    pub cas: Vec<FleetCa>,
}

/// One CA of the fleet.
#[derive(Clone, Debug)]
pub struct FleetCa {
    /// Where its CRL is.
    pub source: CaSource,
    /// The S3 prefix its PEMs and ledger go under (the CA's own `to`, else the file's).
    pub to: Target,
    /// The trust stores that must hold its CRL, each called in its ARN's region.
    pub trust_stores: Vec<TrustStoreArn>,
}

impl Fleet {
    /// The fleet's Private CA `arn` alone (an event or an operator names one CA); `None` when
    /// the fleet does not name it: a CA not in the fleet is never synced.
    pub fn only(&self, arn: &CaArn) -> Option<Fleet> {
        let cas: Vec<FleetCa> =
            self.cas.iter().filter(|c| matches!(&c.source, CaSource::PrivateCa(a) if a == arn)).cloned().collect();
        (!cas.is_empty()).then_some(Fleet { cas })
    }
}

impl FleetCa {
    /// The CA's name in reports: its ARN, or its CRL object's URL.
    pub fn name(&self) -> String {
        match &self.source {
            CaSource::PrivateCa(arn) => arn.as_str().to_owned(),
            CaSource::Object { from, .. } => from.url(),
        }
    }
}

/// Where a CA's CRL is found.
#[derive(Clone, Debug)]
pub enum CaSource {
    /// An AWS Private CA: its CRL objects (every partition) and its certificate and chain come
    /// from its ARN (`ca_crl::locate`).
    PrivateCa(CaArn),
    /// A CRL object and the CA bundle it must verify against.
    Object {
        /// The CRL object.
        from: Target,
        /// The bundle.
        bundle: BundleSource,
    },
}

/// Where a CA bundle is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BundleSource {
    /// A local file (relative paths are relative to the fleet file).
    Path(PathBuf),
    /// An object (`s3://`, `file://`).
    Object(Target),
}

/// A fleet file that cannot be used: where and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FleetError {
    /// 1-based line of the problem, when it has one.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for FleetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for FleetError {}

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileForm {
    to: Option<toml::Spanned<String>>,
    #[serde(default)]
    ca: Vec<toml::Spanned<CaForm>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaForm {
    arn: Option<toml::Spanned<String>>,
    source: Option<toml::Spanned<String>>,
    bundle: Option<toml::Spanned<String>>,
    to: Option<toml::Spanned<String>>,
    #[serde(default)]
    trust_stores: Vec<toml::Spanned<String>>,
}

/// 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

/// Where a fleet file was read: its relative bundle paths are taken from there.
#[derive(Clone, Copy, Debug)]
pub enum Origin<'a> {
    /// A local file in this directory.
    Dir(&'a Path),
    /// An object (`s3://bucket/config/fleet.toml`): `bundle = "ca.pem"` is the object beside it.
    Object(&'a Target),
}

impl Origin<'_> {
    fn bundle(&self, name: &str) -> Result<BundleSource, crlkit_upload::StoreError> {
        Ok(match self {
            Origin::Dir(dir) => BundleSource::Path(dir.join(name)),
            Origin::Object(file) => {
                let dir = file.key().rfind('/').map_or("", |i| &file.key()[..=i]);
                BundleSource::Object(Target::parse(&file.url_of(&format!("{dir}{name}")))?)
            }
        })
    }
}

/// Read a fleet file's `text`, read at `origin`.
pub fn parse(text: &str, origin: Origin<'_>) -> Result<Fleet, FleetError> {
    let form: FileForm = toml::from_str(text).map_err(|e| FleetError {
        line: e.span().map(|s| line_of(text, s.start)),
        message: e.message().trim_end().to_owned(),
    })?;
    let at =
        |span: std::ops::Range<usize>, message: String| FleetError { line: Some(line_of(text, span.start)), message };
    let prefix = |v: &toml::Spanned<String>| -> Result<Target, FleetError> {
        let t = Target::parse(v.get_ref()).map_err(|e| at(v.span(), format!("to = {:?}: {e}", v.get_ref())))?;
        if t.scheme() != crlkit_upload::Scheme::S3 || !t.is_prefix() {
            return Err(at(
                v.span(),
                format!("to = {:?}: ELB reads S3: give a prefix, s3://bucket/prefix/", v.get_ref()),
            ));
        }
        Ok(t)
    };
    let default_to = form.to.as_ref().map(prefix).transpose()?;
    if form.ca.is_empty() {
        return Err(FleetError { line: None, message: "no [[ca]]: the fleet names no CA".into() });
    }
    let mut cas = Vec::with_capacity(form.ca.len());
    for spanned in &form.ca {
        let (span, ca) = (spanned.span(), spanned.get_ref());
        let source = match (&ca.arn, &ca.source, &ca.bundle) {
            (Some(arn), None, None) => {
                CaSource::PrivateCa(CaArn::parse(arn.get_ref()).map_err(|e| at(arn.span(), format!("arn: {e}")))?)
            }
            (None, Some(src), Some(bundle)) => {
                let from = Target::parse(src.get_ref()).map_err(|e| at(src.span(), format!("source: {e}")))?;
                if from.is_prefix() {
                    return Err(at(
                        src.span(),
                        format!("source = {:?}: name the CRL object, not a prefix", src.get_ref()),
                    ));
                }
                let b = bundle.get_ref();
                let bundle =
                    if b.contains("://") { Target::parse(b).map(BundleSource::Object) } else { origin.bundle(b) }
                        .map_err(|e| at(bundle.span(), format!("bundle: {e}")))?;
                CaSource::Object { from, bundle }
            }
            (Some(arn), _, _) => {
                return Err(at(
                    arn.span(),
                    "a CA is an arn (AWS Private CA: the CRL and bundle come from it) or a source and a bundle, \
                     not both"
                        .into(),
                ));
            }
            (None, Some(src), None) => {
                return Err(at(src.span(), "source without bundle: the CA bundle the CRL must verify against".into()));
            }
            (None, None, _) => {
                return Err(at(span, "a [[ca]] needs arn = \"...\" (Private CA) or source and bundle".into()));
            }
        };
        let to = match (&ca.to, &default_to) {
            (Some(v), _) => prefix(v)?,
            (None, Some(t)) => t.clone(),
            (None, None) => return Err(at(span, "no to = \"s3://...\" for this CA, and none at the top".into())),
        };
        if ca.trust_stores.is_empty() {
            return Err(at(span, "trust_stores is empty: the CA's CRL would go nowhere".into()));
        }
        let mut trust_stores: Vec<TrustStoreArn> = Vec::new();
        for t in &ca.trust_stores {
            let arn = TrustStoreArn::parse(t.get_ref()).map_err(|e| at(t.span(), format!("trust_stores: {e}")))?;
            if !trust_stores.contains(&arn) {
                trust_stores.push(arn);
            }
        }
        cas.push(FleetCa { source, to, trust_stores });
    }
    Ok(Fleet { cas })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PCA: &str = "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/0f1e2d3c";
    const EU: &str = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:truststore/eu/0123456789abcdef";
    const US: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:truststore/us/0123456789abcdef";

    fn read(text: &str) -> Result<Fleet, FleetError> {
        parse(text, Origin::Dir(Path::new("/etc/crlkit")))
    }

    #[test]
    fn the_documented_example_reads() {
        let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
        let doc = std::fs::read_to_string(std::path::Path::new(&root).join("../../docs/FLEET.md")).unwrap();
        let start = doc.find("```toml\n").expect("docs/FLEET.md has a toml example") + "```toml\n".len();
        let example = &doc[start..start + doc[start..].find("```").unwrap()];
        let fleet = read(example).unwrap();
        assert_eq!(fleet.cas.len(), 3);
        assert!(matches!(&fleet.cas[0].source, CaSource::PrivateCa(a) if a.region() == "eu-west-1"));
        assert_eq!(fleet.cas[0].trust_stores.len(), 2);
        let CaSource::Object { bundle, .. } = &fleet.cas[2].source else { panic!("an object source") };
        assert_eq!(bundle, &BundleSource::Path("/etc/crlkit/offline-root.pem".into()));
        assert_eq!(fleet.cas[2].to.url(), "s3://trust-crls/offline/");
        let file = Target::parse("s3://config/crlkit/fleet.toml").unwrap();
        let fleet = parse(example, Origin::Object(&file)).unwrap();
        let CaSource::Object { bundle, .. } = &fleet.cas[2].source else { panic!("an object source") };
        assert_eq!(bundle, &BundleSource::Object(Target::parse("s3://config/crlkit/offline-root.pem").unwrap()));
    }

    #[test]
    fn mistakes_are_named_with_their_line() {
        let ok =
            format!("to = \"s3://bkt/crl/\"\n[[ca]]\narn = \"{PCA}\"\ntrust_stores = [\"{EU}\", \"{US}\", \"{EU}\"]\n");
        assert_eq!(read(&ok).unwrap().cas[0].trust_stores.len(), 2, "a trust store named twice is one");
        let cases = [
            (ok.replace("arn = ", "arm = "), 3, "unknown field"),
            (ok.replace(PCA, "arn:aws:acm-pca:eu-west-1:1234:certificate-authority/x"), 3, "12 digits"),
            (ok.replace(US, "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/x"), 4, "trust_stores"),
            (ok.replace("s3://bkt/crl/", "s3://bkt/crl.pem"), 1, "prefix"),
            (ok.replace(&format!("arn = \"{PCA}\""), "source = \"s3://bkt/x.crl\""), 3, "bundle"),
            (
                ok.replace(&format!("arn = \"{PCA}\""), &format!("arn = \"{PCA}\"\nsource = \"s3://bkt/x.crl\"")),
                3,
                "not both",
            ),
            (ok.replace("to = \"s3://bkt/crl/\"\n", ""), 1, "no to"),
            (ok.replace(&format!("[\"{EU}\", \"{US}\", \"{EU}\"]"), "[]"), 2, "empty"),
            ("to = \"s3://bkt/\"\n[[ca\n".to_owned(), 2, ""),
        ];
        for (text, line, says) in cases {
            let e = read(&text).unwrap_err();
            assert_eq!(e.line, Some(line), "{text}\n{e}");
            assert!(e.message.contains(says), "{e}");
        }
        assert!(read("to = \"s3://bkt/\"\n").unwrap_err().message.contains("no [[ca]]"));
    }
}
