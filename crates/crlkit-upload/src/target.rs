//! Where CRLs go: a URL naming a store and a key (or a prefix, ending in `/`).

use std::path::PathBuf;

use crate::error::{StoreError, StoreErrorKind};

/// The kind of store a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// `s3://bucket/key`
    S3,
    /// `file:///absolute/path`: the local filesystem (the embedded default).
    File,
    /// `memory://name/key`: in this process only (tests).
    Memory,
    /// `gs://bucket/key` (feature `gcp`).
    Gcs,
    /// `az://container/key` (feature `azure`).
    Azure,
}

impl Scheme {
    /// The URL scheme, as typed.
    pub const fn name(self) -> &'static str {
        match self {
            Scheme::S3 => "s3",
            Scheme::File => "file",
            Scheme::Memory => "memory",
            Scheme::Gcs => "gs",
            Scheme::Azure => "az",
        }
    }
}

/// A parsed target URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    scheme: Scheme,
    /// Bucket or container (S3, GCS, Azure), store name (memory), empty for files.
    bucket: String,
    /// Object key or prefix, without a leading `/`. For `file://`, the path below `/`.
    key: String,
}

impl Target {
    /// Parse `s3://bucket/key`, `file:///path`, `memory://name/key`, `gs://…`, `az://…`.
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        let bad = |why: &str| StoreError::new(StoreErrorKind::BadTarget, format!("{url} ({why})"));
        let (scheme, rest) =
            url.split_once("://").ok_or_else(|| bad("expected s3://, file://, memory://, gs:// or az://"))?;
        let scheme = match scheme {
            "s3" => Scheme::S3,
            "file" => Scheme::File,
            "memory" => Scheme::Memory,
            "gs" => Scheme::Gcs,
            "az" | "azure" => Scheme::Azure,
            _ => return Err(bad("unknown scheme")),
        };
        if rest.contains('\\') || rest.split('/').any(|s| s == ".." || s == ".") {
            return Err(bad("no . or .. path segments"));
        }
        let (bucket, key) = match scheme {
            Scheme::File => {
                let path = rest.strip_prefix('/').ok_or_else(|| bad("file:// takes an absolute path: file:///dir/"))?;
                (String::new(), path.to_owned())
            }
            _ => {
                let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
                if bucket.is_empty() {
                    return Err(bad("no bucket"));
                }
                if scheme == Scheme::S3 && (bucket.len() < 3 || bucket.len() > 63) {
                    return Err(bad("S3 bucket names have 3 to 63 characters"));
                }
                (bucket.to_owned(), key.to_owned())
            }
        };
        if key.contains("//") {
            return Err(bad("empty path segment"));
        }
        Ok(Self { scheme, bucket, key })
    }

    /// The kind of store.
    pub const fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Bucket, container or memory store name (empty for `file://`).
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The key or prefix inside the store.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// True when the URL names a prefix (ends with `/`, or names the bucket itself).
    pub fn is_prefix(&self) -> bool {
        self.key.is_empty() || self.key.ends_with('/')
    }

    /// The key of `name` under this prefix.
    pub fn join(&self, name: &str) -> String {
        if self.key.is_empty() || self.key.ends_with('/') {
            format!("{}{name}", self.key)
        } else {
            format!("{}/{name}", self.key)
        }
    }

    /// The URL of `key` in this store.
    pub fn url_of(&self, key: &str) -> String {
        match self.scheme {
            Scheme::File => format!("file:///{key}"),
            s => format!("{}://{}/{key}", s.name(), self.bucket),
        }
    }

    /// The URL as given (normalised).
    pub fn url(&self) -> String {
        self.url_of(&self.key)
    }

    /// For `file://`, the local path of `key`.
    pub fn local_path(&self, key: &str) -> Option<PathBuf> {
        (self.scheme == Scheme::File).then(|| PathBuf::from("/").join(key))
    }
}

/// The directory, under a CRL prefix, of crlkit's own objects (the ledger, the lease): no CRL
/// key may name it.
pub const CRLKIT_DIR: &str = ".crlkit";

/// Check a key that came from outside (a staged manifest) before it is joined to a target: it
/// must be relative, with no empty, `.` or `..` segment, and never under [`CRLKIT_DIR`] (the
/// ledger and the lease live there). Returns why not.
pub fn check_relative_key(key: &str) -> Result<(), &'static str> {
    if key.is_empty() {
        return Err("it is empty");
    }
    if key.starts_with('/') {
        return Err("it is absolute");
    }
    if key.contains('\\') || key.chars().any(char::is_control) {
        return Err("it holds a backslash or a control character");
    }
    for segment in key.split('/') {
        match segment {
            "" => return Err("it has an empty segment (`//` or a trailing `/`)"),
            "." | ".." => return Err("it has a `.` or `..` segment"),
            CRLKIT_DIR => return Err("it names crlkit's own directory (the ledger and the lease live in .crlkit/)"),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn outside_keys_are_checked() {
        for good in ["crl/p1.pem", "a.pem", "x/y/z.pem", "..a.pem", ".well-known.pem"] {
            assert_eq!(check_relative_key(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "/abs.pem",
            "crl//a.pem",
            "crl/",
            "../up.pem",
            "crl/../../x.pem",
            "./a.pem",
            ".crlkit/ledger.json",
            "crl/.crlkit/lease.json",
            "a\\b.pem",
            "a\nb.pem",
        ] {
            assert!(check_relative_key(bad).is_err(), "{bad:?}");
        }
    }

    use super::*;

    #[test]
    fn urls() {
        let t = Target::parse("s3://bucket-1/crl/ID.crl").unwrap();
        assert_eq!((t.scheme(), t.bucket(), t.key(), t.is_prefix()), (Scheme::S3, "bucket-1", "crl/ID.crl", false));
        assert_eq!(t.url(), "s3://bucket-1/crl/ID.crl");
        let t = Target::parse("s3://bucket-1").unwrap();
        assert!(t.is_prefix());
        assert_eq!(t.join("x.pem"), "x.pem");
        let f = Target::parse("file:///tmp/store/").unwrap();
        assert_eq!((f.key(), f.join("a.pem")), ("tmp/store/", "tmp/store/a.pem".to_owned()));
        assert_eq!(f.url_of("tmp/store/a.pem"), "file:///tmp/store/a.pem");
        assert_eq!(f.local_path("tmp/a"), Some(PathBuf::from("/tmp/a")));
        let m = Target::parse("memory://t/p/").unwrap();
        assert_eq!((m.bucket(), m.key()), ("t", "p/"));
        for bad in
            ["bucket/key", "ftp://x/y", "s3://ab/k", "s3:///k", "file://relative/x", "s3://bkt/a/../b", "s3://bkt/a//b"]
        {
            let e = Target::parse(bad).unwrap_err();
            assert_eq!(e.kind(), StoreErrorKind::BadTarget, "{bad}");
        }
    }
}
