//! Storage as commands see it: target URLs from the command line, and storage errors (and the
//! failures of `crlkit_ops` flows) as failures with their stable code and what to do about them.

use crlkit_upload::{StoreError, StoreErrorKind, Target};

use crate::support::failure::Failure;

/// A storage error as a failure (`error[<code>]`, code from `StoreErrorKind::code`).
pub fn failure(e: &StoreError) -> Failure {
    let mut f = Failure::new(e.kind().code(), e.to_string());
    let help = match e.kind() {
        StoreErrorKind::Credentials => Some(
            "help: credentials resolve as for the AWS CLI: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, \
             AWS_PROFILE or --profile (static keys, assume-role, SSO: run `aws sso login`, credential_process), \
             web identity, ECS or instance metadata",
        ),
        StoreErrorKind::InsecureEndpoint => Some("help: --allow-http (or AWS_ALLOW_HTTP=true) permits plain HTTP"),
        StoreErrorKind::UnsupportedScheme => Some(
            "help: s3:// needs crlkit built with its default online feature (not --no-default-features); gs:// and \
                  az:// the gcp or azure feature",
        ),
        StoreErrorKind::Conflict => Some("help: other writers kept changing the object; run again"),
        _ => None,
    };
    f.detail.extend(help.map(str::to_owned));
    f
}

/// A flow's failure: its cause as a failure, then what the flow had done before it.
pub fn ops_failure(e: &crlkit_ops::OpsError) -> Failure {
    let mut f = match e.cause() {
        crlkit_ops::Cause::Store(s) => failure(s),
        crlkit_ops::Cause::Elb(s) => crate::support::elb::failure(s),
        _ => Failure::new(e.code(), e.to_string()),
    };
    f.detail.extend(e.context().iter().cloned());
    f
}

/// A target URL, or a usage failure.
pub fn target(url: &str) -> Result<Target, Failure> {
    Target::parse(url).map_err(|e| failure(&e))
}
