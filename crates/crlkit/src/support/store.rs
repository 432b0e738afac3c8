//! Stores as commands use them: opening one from the command line's flags, and storage errors
//! as failures with their stable code and what to do about them.

use crlkit_upload::{Store, StoreError, StoreErrorKind, StoreOptions, Target};

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
        StoreErrorKind::UnsupportedScheme => {
            Some("help: gs:// and az:// need crlkit built with the gcp or azure feature")
        }
        StoreErrorKind::Conflict => Some("help: other writers kept changing the object; run again"),
        _ => None,
    };
    f.detail.extend(help.map(str::to_owned));
    f
}

/// A target URL, or a usage failure.
pub fn target(url: &str) -> Result<Target, Failure> {
    Target::parse(url).map_err(|e| failure(&e))
}

/// Open the store `target` names.
pub async fn open(target: &Target, opts: &StoreOptions) -> Result<Store, Failure> {
    Store::open(target, opts).await.map_err(|e| failure(&e))
}

/// Open `target` with an AWS configuration already loaded (one chain for S3 and ELB).
pub async fn open_with(
    target: &Target,
    opts: &StoreOptions,
    sdk: &crlkit_upload::aws::SdkConfig,
) -> Result<Store, Failure> {
    Store::open_with(target, opts, Some(sdk)).await.map_err(|e| failure(&e))
}
