//! Argument groups several commands share, each defined once with one help text and
//! flattened into the commands that take it (`#[command(flatten)]`), and the value parsers for
//! times, durations and the libraries' named values.

use std::marker::PhantomData;

use clap::Args;
use clap::builder::TypedValueParser;

use crate::support::input::{Format, Source};
pub use crate::support::time::{parse_duration, parse_time};

/// `--json`.
#[derive(Args, Debug, Clone, Copy)]
pub struct JsonArg {
    /// Machine-readable output (documented in docs/JSON.md).
    #[arg(long)]
    pub json: bool,
}

/// `--lenient`.
#[derive(Args, Debug, Clone, Copy)]
pub struct LenientArg {
    /// Accept BER length forms (re-encoded to DER) and harmless RFC 5280 profile deviations.
    #[arg(long)]
    pub lenient: bool,
}

/// `--at`.
#[derive(Args, Debug, Clone, Copy)]
pub struct AtArg {
    /// Judge freshness at this time instead of now: RFC 3339 (2026-12-01T00:00:00Z), a date, or
    /// @UNIX-SECONDS.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub at: Option<i64>,
}

impl AtArg {
    /// The time given, or now.
    pub fn or_now(self) -> i64 {
        self.at.unwrap_or_else(crate::support::time::now)
    }
}

/// `--max-entries`: a raised revoked-entry quota, one help text for every command that takes it
/// (`preflight`, `stage`, `upload`, `publish`, `register`, `sync`).
#[derive(Args, Debug, Clone, Copy)]
pub struct MaxEntriesArg {
    /// The trust store's revoked-entry quota, if AWS raised it from 500,000.
    #[arg(long, value_name = "N")]
    pub max_entries: Option<u64>,
}

/// What preflight judges against: a CA bundle, a time, a raised quota (`preflight`, `upload`).
#[derive(Args, Debug, Clone)]
pub struct PreflightArgs {
    /// Also verify against this CA bundle and check the bundle against ELB's rules.
    #[arg(long, value_name = "BUNDLE")]
    pub ca: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub at: AtArg,
    #[command(flatten)]
    pub quota: MaxEntriesArg,
}

impl PreflightArgs {
    /// The CA bundle, loaded, if one was given.
    pub fn bundle(&self) -> Result<Option<crlkit_verify::CaBundle>, crate::support::failure::Failure> {
        self.ca.as_deref().map(crate::support::certs::load_bundle).transpose()
    }
}

/// The CRLs a command reads: one file or stdin, or many files and directories (walked
/// recursively for .crl, .der and .pem).
#[derive(Args, Debug, Clone)]
pub struct CrlInputs {
    /// Input CRL files (DER or PEM) or directories (walked for .crl, .der, .pem), or `-` for
    /// stdin.
    #[arg(value_name = "CRL", required = true, num_args = 1..)]
    pub inputs: Vec<String>,
    /// With many inputs: stop at the first broken file.
    #[arg(long)]
    pub fail_fast: bool,
    /// With directories: follow symlinks that lead out of a directory given.
    #[arg(long)]
    pub follow_symlinks: bool,
}

/// One input or many, as typed.
pub enum CrlSources {
    One(Source),
    Many(ManyPaths),
}

/// Many inputs: paths and how to take them.
pub struct ManyPaths {
    pub paths: Vec<std::path::PathBuf>,
    pub fail_fast: bool,
    pub follow_symlinks: bool,
}

impl CrlInputs {
    /// One file or stdin, or many (several, or a directory).
    pub fn resolve(&self) -> Result<CrlSources, crate::support::failure::Failure> {
        let many = self.inputs.len() > 1 || std::path::Path::new(&self.inputs[0]).is_dir();
        if !many {
            return Ok(CrlSources::One(Source::parse(&self.inputs[0])));
        }
        if self.inputs.iter().any(|i| i == "-") {
            return Err(crate::support::failure::Failure::usage(
                "stdin (-) is one input: read it alone, not beside other files",
            ));
        }
        Ok(CrlSources::Many(ManyPaths {
            paths: self.inputs.iter().map(std::path::PathBuf::from).collect(),
            fail_fast: self.fail_fast,
            follow_symlinks: self.follow_symlinks,
        }))
    }
}

/// Where and how to reach an object store: the AWS CLI's flags, each defaulting to what the
/// AWS configuration says.
#[derive(Args, Debug, Clone, Default)]
pub struct StoreArgs {
    /// AWS profile (default: AWS_PROFILE, else `default`): static keys, assume-role, SSO,
    /// credential_process.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// S3 endpoint (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's endpoint_url).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Allow plain HTTP to an endpoint that is not on this machine (also AWS_ALLOW_HTTP=true).
    #[arg(long)]
    pub allow_http: bool,
    /// Server-side encryption of what is written: AES256 or aws:kms (default: the bucket's).
    #[arg(long, value_name = "ALG", value_parser = ["AES256", "aws:kms"])]
    pub sse: Option<String>,
    /// The KMS key for --sse aws:kms (default: the account's aws/s3 key).
    #[arg(long, value_name = "KEY-ID")]
    pub sse_kms_key_id: Option<String>,
    /// Use an S3 Bucket Key with --sse aws:kms.
    #[arg(long)]
    pub bucket_key: bool,
    /// How long to wait for a connection to S3 or ELB [default: 60s, as the AWS CLI's
    /// --cli-connect-timeout].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub connect_timeout: Option<i64>,
    /// How long to wait for an answer to start or go on [default: 60s, as the AWS CLI's
    /// --cli-read-timeout]; an S3 transfer as a whole also gets the time a 50 MB CRL needs on a
    /// slow link.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub read_timeout: Option<i64>,
    /// How an S3 upload is known to have arrived whole. Every PUT carries its SHA-256
    /// (x-amz-checksum-sha256), which S3 checks on arrival: `checksum` trusts that check,
    /// `read-back` reads the object again and compares; `auto` trusts it on AWS's own endpoints
    /// only (an S3-compatible store may take the header unchecked).
    #[arg(long, value_name = "HOW", value_parser = ["auto", "checksum", "read-back"], default_value = "auto")]
    pub upload_check: String,
}

impl StoreArgs {
    /// The store options these flags mean.
    pub fn options(&self) -> Result<crlkit_upload::StoreOptions, crate::support::failure::Failure> {
        use crlkit_upload::Sse;
        let kms_only = self.sse_kms_key_id.is_some() || self.bucket_key;
        let sse = match self.sse.as_deref() {
            None if kms_only => {
                return Err(crate::support::failure::Failure::usage(
                    "--sse-kms-key-id and --bucket-key need --sse aws:kms",
                ));
            }
            None => Sse::BucketDefault,
            Some("AES256") if kms_only => {
                return Err(crate::support::failure::Failure::usage("--sse AES256 takes no KMS key or bucket key"));
            }
            Some("AES256") => Sse::Aes256,
            _ => Sse::Kms { key_id: self.sse_kms_key_id.clone(), bucket_key: self.bucket_key },
        };
        Ok(crlkit_upload::StoreOptions {
            aws: crlkit_upload::AwsOptions {
                profile: self.profile.clone(),
                region: self.region.clone(),
                endpoint: self.endpoint_url.clone(),
                allow_http: self.allow_http,
                connect_timeout: seconds(self.connect_timeout, "--connect-timeout")?,
                read_timeout: seconds(self.read_timeout, "--read-timeout")?,
            },
            sse,
            max_retries: None,
            upload_check: match self.upload_check.as_str() {
                "checksum" => crlkit_upload::UploadCheck::Checksum,
                "read-back" => crlkit_upload::UploadCheck::ReadBack,
                _ => crlkit_upload::UploadCheck::Auto,
            },
        })
    }
}

/// A timeout flag: at least one second.
fn seconds(value: Option<i64>, flag: &str) -> Result<Option<std::time::Duration>, crate::support::failure::Failure> {
    match value {
        Some(s) if s < 1 => Err(crate::support::failure::Failure::usage(format!("{flag}: at least 1s"))),
        other => Ok(other.map(|s| std::time::Duration::from_secs(s as u64))),
    }
}

/// Which output format a command writes when `--to` is not given.
pub trait DefaultFormat: Clone + Send + Sync + 'static {
    /// Its name on the command line. (A name, not `Format` with `default_value_t`: clap keeps
    /// that default in a static shared by every instance of the generic.)
    const NAME: &'static str;
}

/// PEM unless asked otherwise (`convert`: what ALB wants).
#[derive(Clone, Copy, Debug)]
pub struct PemByDefault;
impl DefaultFormat for PemByDefault {
    const NAME: &'static str = "pem";
}

/// DER unless asked otherwise (`gen`, `sign`: what a CA writes).
#[derive(Clone, Copy, Debug)]
pub struct DerByDefault;
impl DefaultFormat for DerByDefault {
    const NAME: &'static str = "der";
}

/// `--to pem|der`, with the command's default.
#[derive(Args, Debug, Clone)]
pub struct ToArg<D: DefaultFormat> {
    /// Output format.
    #[arg(long, value_enum, value_name = "FORMAT", default_value = D::NAME)]
    pub to: Format,
    #[arg(skip)]
    _default: PhantomData<D>,
}

/// A value parser for a library's enum from its own names (`SerialFormat::ALL`,
/// `SerialFormat::name`): the possible values come from the library, so there is nothing to
/// keep in step by hand.
pub fn named<T: Copy + Send + Sync + 'static>(
    all: &'static [T],
    name: fn(T) -> &'static str,
) -> impl TypedValueParser<Value = T> {
    clap::builder::PossibleValuesParser::new(all.iter().map(|v| name(*v)))
        .map(move |s| *all.iter().find(|v| name(**v) == s).expect("clap accepted a possible value"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Pem {
        #[command(flatten)]
        to: ToArg<PemByDefault>,
        #[arg(long, value_parser = named(&crlkit_serial::SerialFormat::ALL, crlkit_serial::SerialFormat::name))]
        format: Option<crlkit_serial::SerialFormat>,
    }

    #[derive(Parser, Debug)]
    struct Der {
        #[command(flatten)]
        to: ToArg<DerByDefault>,
    }

    #[test]
    fn to_defaults_per_command_and_named_values() {
        assert_eq!(Pem::try_parse_from(["x"]).unwrap().to.to, Format::Pem);
        assert_eq!(Der::try_parse_from(["x"]).unwrap().to.to, Format::Der);
        assert_eq!(Der::try_parse_from(["x", "--to", "pem"]).unwrap().to.to, Format::Pem);
        let p = Pem::try_parse_from(["x", "--format", "openssl"]).unwrap();
        assert_eq!(p.format, Some(crlkit_serial::SerialFormat::Openssl));
        assert!(Pem::try_parse_from(["x", "--format", "octal"]).is_err());
    }
}

/// The ledger's lease (`register`, `publish`, `sync`): one run at a time decides and changes the
/// trust stores of a ledger.
#[cfg(feature = "online")]
#[derive(Args, Debug, Clone)]
pub struct LeaseArgs {
    /// How long to wait while another run holds the ledger's lease, before giving up (exit 75).
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = parse_duration)]
    lease_wait: i64,
    /// How long this run's lease lasts between renewals: a run that crashed keeps others out
    /// this long.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    lease_ttl: i64,
}

#[cfg(feature = "online")]
impl LeaseArgs {
    /// The lease options, owned by this process on this host.
    pub fn options(&self) -> Result<crlkit_elb::lease::LeaseOptions, crate::support::failure::Failure> {
        if self.lease_ttl < 10 {
            return Err(crate::support::failure::Failure::usage(
                "--lease-ttl: at least 10s (renewals happen every third of it)",
            ));
        }
        Ok(crlkit_elb::lease::LeaseOptions {
            ttl: std::time::Duration::from_secs(self.lease_ttl as u64),
            wait: std::time::Duration::from_secs(self.lease_wait as u64),
            owner: crlkit_elb::lease::default_owner(),
        })
    }
}

/// Which trust stores, how to reach ELB, and how a registration may proceed (`register`,
/// `publish`, `sync`).
#[cfg(feature = "online")]
#[derive(Args, Debug, Clone)]
pub struct ElbArgs {
    /// Trust store ARN; several after one flag, or the flag repeated. Each is called in its
    /// ARN's region.
    #[arg(long = "trust-store-arn", value_name = "ARN", required = true, num_args = 1..)]
    pub trust_store_arns: Vec<String>,
    /// ELB endpoint (default: AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2, AWS_ENDPOINT_URL, the
    /// profile's endpoint_url).
    #[arg(long, value_name = "URL")]
    pub elb_endpoint_url: Option<String>,
    /// Revocation files per trust store, if AWS raised the quota from 30.
    #[arg(long, value_name = "N", default_value = "30")]
    pub max_files: u64,
    /// When a --replace swap cannot fit old and new files at once, remove the old ones first.
    /// Until the add completes, clients the old CRL revoked are ACCEPTED; the output says so.
    #[arg(long)]
    pub remove_first: bool,
    /// Once the CRL is live and its count checked, also remove the trust store's foreign files:
    /// those the ledger does not know whose content is no CRL crlkit registered (nor an older
    /// one of a slot it manages). Without it they are listed and never touched.
    #[arg(long)]
    pub prune_foreign: bool,
    /// Do every offline check, then print the API calls (and `aws` CLI commands) a run would
    /// make, without sending anything or needing credentials.
    #[arg(long)]
    pub plan: bool,
}

#[cfg(feature = "online")]
impl ElbArgs {
    /// The ARNs, parsed.
    pub fn arns(&self) -> Result<Vec<crlkit_elb::TrustStoreArn>, crate::support::failure::Failure> {
        let mut out: Vec<crlkit_elb::TrustStoreArn> = Vec::new();
        for a in &self.trust_store_arns {
            let arn = crlkit_elb::TrustStoreArn::parse(a).map_err(|e| crate::support::elb::failure(&e))?;
            if !out.contains(&arn) {
                out.push(arn);
            }
        }
        Ok(out)
    }

    /// The quotas to plan against.
    pub fn quotas(&self, quota: MaxEntriesArg) -> crlkit_elb::register::Quotas {
        crlkit_elb::register::Quotas {
            max_entries: quota.max_entries.unwrap_or(crlkit_elb::quotas::MAX_REVOKED_ENTRIES),
            max_files: self.max_files,
        }
    }
}
