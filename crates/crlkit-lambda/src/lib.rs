//! crlkit on AWS Lambda: the handler that keeps a fleet's trust stores on its CAs' newest CRLs,
//! run by EventBridge. ELB copies a CRL once and never reads S3 again, so every CRL Private CA
//! writes must be synced; the event is best effort, the schedule the backstop.
//!
//! | event | what it does |
//! |---|---|
//! | `ACM Private CA CRL Generation` (`aws.acm-pca`), `detail.result` `success` | syncs that CA (it must be in the fleet) |
//! | the same, `failure` | syncs nothing; an error result and the `CrlGenerationFailures` metric |
//! | `Scheduled Event` (`aws.events`) | syncs the whole fleet |
//! | `{"ca_arn": "..."}` (an operator's direct invocation) | syncs that CA |
//! | `{"fleet": true}` (direct) | syncs the whole fleet |
//!
//! The work is `crlkit_ops::fleet::run::sync_fleet`, the code `crlkit sync --fleet` runs; the
//! state is the ledger and its lease in S3, so invocations that overlap (an event and the
//! schedule, a retry, fifty at once) wait for the lease and find the work done. Nothing here
//! prints: [`Handler::handle`] returns the result and the log lines (CloudWatch Embedded
//! Metric Format records, then the report), and `main` writes them.
//!
//! Configuration is the environment ([`Config::from_env`]): `CRLKIT_FLEET` (the fleet file:
//! a path in the package, or an `s3://` object read on each invocation so it can change
//! without a deploy), and optional `CRLKIT_METRICS_NAMESPACE`, `CRLKIT_LEASE_WAIT_SECONDS`,
//! `CRLKIT_MAX_FILES`, `CRLKIT_MAX_ENTRIES`; AWS's own variables for the credential chain,
//! region and endpoints (`AWS_ENDPOINT_URL_S3` and the like).

#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_lambda_events::eventbridge::EventBridgeEvent;
use crlkit_elb::lease::LeaseOptions;
use crlkit_elb::register::Quotas;
use crlkit_ops::connect::Connection;
use crlkit_ops::fleet::metrics::{self, RunFacts};
use crlkit_ops::fleet::run::{FleetReport, FleetRequest, sync_fleet};
use crlkit_ops::register::Rotation;
use crlkit_pca::CaArn;
use serde_json::{Value, json};

/// The detail-type of Private CA's event after it writes (or fails to write) a CRL.
pub const CRL_GENERATION: &str = "ACM Private CA CRL Generation";

/// How the function is set up.
#[derive(Clone, Debug)]
pub struct Config {
    /// The fleet file: a path, or an object URL (`s3://bucket/key`).
    pub fleet: String,
    /// The CloudWatch namespace of the metrics.
    pub namespace: String,
    /// How long an invocation waits for a ledger's lease held by another one (which is doing
    /// the same work) before it leaves that ledger to it.
    pub lease_wait: Duration,
    /// The trust stores' quotas, if AWS raised them.
    pub quotas: Quotas,
    /// Endpoints other than AWS's variables say (`AWS_ENDPOINT_URL_<SERVICE>`, which the
    /// function reads as the AWS CLI does): for tests against local servers.
    pub endpoints: Endpoints,
}

/// Endpoints given outright (`None`: AWS's variables, then the service's own).
#[derive(Clone, Debug, Default)]
pub struct Endpoints {
    /// S3.
    pub s3: Option<String>,
    /// ELB.
    pub elb: Option<String>,
    /// Private CA.
    pub pca: Option<String>,
}

impl Config {
    /// The configuration from the variables `get` returns (`std::env::var` in the function).
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Self, HandlerError> {
        let bad = |name: &str, v: &str| HandlerError::new("bad-config", format!("{name}={v:?}: not a whole number"));
        let number = |name: &str| -> Result<Option<u64>, HandlerError> {
            get(name).filter(|v| !v.is_empty()).map(|v| v.trim().parse::<u64>().map_err(|_| bad(name, &v))).transpose()
        };
        let fleet = get("CRLKIT_FLEET").filter(|v| !v.is_empty()).or_else(|| {
            // The fleet file packaged beside the bootstrap binary.
            get("LAMBDA_TASK_ROOT").map(|root| format!("{}/fleet.toml", root.trim_end_matches('/')))
        });
        let Some(fleet) = fleet else {
            return Err(HandlerError::new(
                "bad-config",
                "CRLKIT_FLEET is not set: name the fleet file (a path in the package, or s3://bucket/key)",
            ));
        };
        let defaults = Quotas::default();
        Ok(Self {
            fleet,
            namespace: get("CRLKIT_METRICS_NAMESPACE")
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| metrics::DEFAULT_NAMESPACE.to_owned()),
            lease_wait: Duration::from_secs(number("CRLKIT_LEASE_WAIT_SECONDS")?.unwrap_or(120)),
            quotas: Quotas {
                max_files: number("CRLKIT_MAX_FILES")?.unwrap_or(defaults.max_files),
                max_entries: number("CRLKIT_MAX_ENTRIES")?.unwrap_or(defaults.max_entries),
            },
            endpoints: Endpoints::default(),
        })
    }
}

/// Why an invocation failed: a stable code (docs/ERRORS.md; the Lambda's `errorType`) and
/// what happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandlerError {
    /// The code.
    pub code: &'static str,
    /// What happened, in sentences.
    pub message: String,
}

impl HandlerError {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

impl std::fmt::Display for HandlerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error[{}]: {}", self.code, self.message)
    }
}

impl std::error::Error for HandlerError {}

impl From<HandlerError> for lambda_runtime::Diagnostic {
    fn from(e: HandlerError) -> Self {
        Self { error_type: e.code.to_owned(), error_message: e.message }
    }
}

/// What an invocation was asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// Private CA wrote a CRL of this CA.
    CrlGenerated(CaArn),
    /// Private CA failed to write one (its `detail.reason`).
    CrlGenerationFailed {
        /// The CA, as the event names it.
        ca: String,
        /// Why, as Private CA said.
        reason: String,
    },
    /// The schedule: the whole fleet.
    Schedule,
    /// An operator named one CA.
    DirectCa(CaArn),
    /// An operator asked for the whole fleet.
    DirectFleet,
}

impl Trigger {
    /// What an event asks (see the crate documentation); anything else is `unknown-event`.
    pub fn of(event: &Value) -> Result<Self, HandlerError> {
        let unknown = |why: &str| HandlerError::new("unknown-event", format!("{why}: {event}"));
        if event.get("detail-type").is_some() {
            let e: EventBridgeEvent = serde_json::from_value(event.clone())
                .map_err(|e| unknown(&format!("not an EventBridge event ({e})")))?;
            return match (e.source.as_str(), e.detail_type.as_str()) {
                ("aws.acm-pca", CRL_GENERATION) => {
                    let ca = e
                        .resources
                        .as_deref()
                        .and_then(|r| r.first())
                        .cloned()
                        .ok_or_else(|| unknown("no CA in resources"))?;
                    match e.detail.get("result").and_then(Value::as_str) {
                        Some("success") => Ok(Trigger::CrlGenerated(parse_ca(&ca)?)),
                        Some("failure") => Ok(Trigger::CrlGenerationFailed {
                            ca,
                            reason: e
                                .detail
                                .get("reason")
                                .and_then(Value::as_str)
                                .unwrap_or("no reason given")
                                .to_owned(),
                        }),
                        _ => Err(unknown("a CRL Generation event without a result")),
                    }
                }
                ("aws.events", "Scheduled Event") => Ok(Trigger::Schedule),
                _ => Err(unknown("an event this function does not handle")),
            };
        }
        if let Some(ca) = event.get("ca_arn").and_then(Value::as_str) {
            return Ok(Trigger::DirectCa(parse_ca(ca)?));
        }
        if event.get("fleet").and_then(Value::as_bool) == Some(true) {
            return Ok(Trigger::DirectFleet);
        }
        Err(unknown(
            "expected Private CA's CRL Generation event, a Scheduled Event, {\"ca_arn\": ...} or {\"fleet\": true}",
        ))
    }

    /// The name metrics and results give it.
    pub fn name(&self) -> &'static str {
        match self {
            Trigger::CrlGenerated(_) | Trigger::CrlGenerationFailed { .. } => "crl-generation",
            Trigger::Schedule => "schedule",
            Trigger::DirectCa(_) | Trigger::DirectFleet => "direct",
        }
    }
}

fn parse_ca(arn: &str) -> Result<CaArn, HandlerError> {
    CaArn::parse(arn).map_err(|e| HandlerError::new(e.code(), e.to_string()))
}

/// What an invocation came to: its result, and the lines to log (EMF records, then the report).
#[derive(Debug)]
pub struct Invocation {
    /// The function's result (the report, or why it failed).
    pub result: Result<Value, HandlerError>,
    /// One JSON object per log line.
    pub log: Vec<Value>,
}

/// The function: its configuration and one AWS connection, made once per container.
pub struct Handler {
    config: Config,
    conn: Connection,
}

impl Handler {
    /// Connect (the credential chain resolved now: a broken role fails the first invocation,
    /// not a call half-way).
    pub async fn new(config: Config) -> Result<Self, HandlerError> {
        let mut store = crlkit_upload::StoreOptions::default();
        store.aws.endpoint = config.endpoints.s3.clone();
        let conn = crlkit_ops::connect::connect(&store, config.endpoints.elb.as_deref())
            .await
            .map_err(|e| HandlerError::new(e.code(), e.to_string()))?;
        Ok(Self { config, conn })
    }

    /// Handle one event; `request_id` names this invocation as the lease's owner.
    pub async fn handle(&self, event: &Value, request_id: &str) -> Invocation {
        let started = Instant::now();
        let now_ms = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis()))
            .unwrap_or(i64::MAX);
        let facts = |trigger: &'static str| RunFacts {
            namespace: &self.config.namespace,
            now_ms,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            trigger,
            quotas: self.config.quotas,
        };
        let trigger = match Trigger::of(event) {
            Ok(t) => t,
            Err(e) => return Invocation { result: Err(e), log: Vec::new() },
        };
        if let Trigger::CrlGenerationFailed { ca, reason } = &trigger {
            let record = metrics::generation_failure(ca, &facts(trigger.name()));
            let e = HandlerError::new(
                "crl-generation-failed",
                format!(
                    "Private CA failed to generate {ca}'s CRL: {reason}. Nothing was synced; the trust stores keep the CRL they hold"
                ),
            );
            return Invocation { result: Err(e), log: vec![record] };
        }
        let fleet = match crlkit_ops::fleet::run::load(&self.conn, &self.config.fleet).await {
            Ok(f) => f,
            Err(e) => return Invocation { result: Err(HandlerError::new(e.code(), e.to_string())), log: Vec::new() },
        };
        let fleet = match &trigger {
            Trigger::CrlGenerated(ca) | Trigger::DirectCa(ca) => match fleet.only(ca) {
                Some(f) => f,
                None => {
                    let e = HandlerError::new(
                        "not-in-fleet",
                        format!("{ca} is not in the fleet file {}: nothing synced", self.config.fleet),
                    );
                    return Invocation { result: Err(e), log: Vec::new() };
                }
            },
            _ => fleet,
        };
        let report = self.sync(fleet, request_id, now_ms).await;
        let mut log = metrics::records(&report, &facts(trigger.name()));
        let body = json!({ "trigger": trigger.name(), "report": report });
        log.push(body.clone());
        Invocation { result: outcome(&report).map(|()| body), log }
    }

    async fn sync(&self, fleet: crlkit_ops::fleet::Fleet, request_id: &str, now_ms: i64) -> FleetReport {
        let now = now_ms.div_euclid(1000);
        let mut preflight = crlkit_elb::preflight::Options::at(now);
        preflight.max_entries = self.config.quotas.max_entries;
        let req = FleetRequest {
            fleet,
            pca_endpoint: self.config.endpoints.pca.clone(),
            preflight,
            rotation: Rotation {
                replace: true,
                remove_first: false,
                prune_foreign: false,
                quotas: self.config.quotas,
                now: crlkit_der::Time::from_unix(now).map_or_else(String::new, |t| t.to_string()),
            },
            lease: LeaseOptions {
                wait: self.config.lease_wait,
                owner: format!("crlkit-lambda request {request_id}"),
                ..LeaseOptions::new()
            },
        };
        sync_fleet(&self.conn, &req).await
    }
}

/// An invocation fails (so Lambda retries it, then sends it to the dead-letter queue) when a CA
/// or a trust store failed, or a check refused a CRL; a ledger whose lease another invocation
/// held throughout is that invocation's work, not a failure.
fn outcome(report: &FleetReport) -> Result<(), HandlerError> {
    if let Some((ca, e)) = report.failed_cas().next() {
        return Err(HandlerError::new(
            e.code,
            format!("{} failure(s); the first, {ca}: {}", report.failures(), e.message),
        ));
    }
    for sync in report.syncs() {
        if let Some((arn, code, message)) = sync.failed().first() {
            return Err(HandlerError::new(
                code,
                format!("{} failure(s); the first, {arn}: {message}", report.failures()),
            ));
        }
    }
    if let Some(s) = report.syncs().find(|s| s.refused()) {
        return Err(HandlerError::new("refused", format!("{}: refused by a check (the report says which)", s.source)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CA: &str =
        "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/0f1e2d3c-aaaa-bbbb-cccc-123456789abc";

    fn generation(result: &str) -> Value {
        json!({
            "version": "0", "id": "event_ID", "detail-type": CRL_GENERATION, "source": "aws.acm-pca",
            "account": "123456789012", "time": "2019-11-04T21:07:08Z", "region": "eu-west-1",
            "resources": [CA], "detail": {"result": result, "reason": "Failed to write CRL to S3. Check your S3 bucket permissions."}
        })
    }

    #[test]
    fn events_are_read_as_aws_sends_them() {
        let ca = CaArn::parse(CA).unwrap();
        assert_eq!(Trigger::of(&generation("success")), Ok(Trigger::CrlGenerated(ca.clone())));
        assert!(matches!(
            Trigger::of(&generation("failure")),
            Ok(Trigger::CrlGenerationFailed { reason, .. }) if reason.contains("bucket permissions")
        ));
        let schedule = json!({
            "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "123456789012", "time": "2015-10-08T16:53:06Z", "region": "us-east-1",
            "resources": ["arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule"], "detail": {}
        });
        assert_eq!(Trigger::of(&schedule), Ok(Trigger::Schedule));
        assert_eq!(Trigger::of(&json!({"ca_arn": CA})), Ok(Trigger::DirectCa(ca)));
        assert_eq!(Trigger::of(&json!({"fleet": true})), Ok(Trigger::DirectFleet));
        for bad in [
            json!({}),
            json!({"ca_arn": "arn:aws:acm-pca:x"}),
            json!({"detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2", "detail": {}}),
        ] {
            assert!(Trigger::of(&bad).is_err(), "{bad}");
        }
        assert_eq!(Trigger::of(&json!({})).unwrap_err().code, "unknown-event");
    }

    #[test]
    fn configuration_comes_from_the_environment() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned())
        };
        let c = Config::from_env(env(&[("LAMBDA_TASK_ROOT", "/var/task")])).unwrap();
        assert_eq!(
            (c.fleet.as_str(), c.namespace.as_str(), c.lease_wait),
            ("/var/task/fleet.toml", "crlkit", Duration::from_secs(120))
        );
        let c = Config::from_env(env(&[("CRLKIT_FLEET", "s3://cfg/fleet.toml"), ("CRLKIT_MAX_FILES", "50")])).unwrap();
        assert_eq!((c.fleet.as_str(), c.quotas.max_files), ("s3://cfg/fleet.toml", 50));
        assert_eq!(Config::from_env(env(&[])).unwrap_err().code, "bad-config");
        assert_eq!(
            Config::from_env(env(&[("CRLKIT_FLEET", "f"), ("CRLKIT_MAX_FILES", "x")])).unwrap_err().code,
            "bad-config"
        );
    }
}
