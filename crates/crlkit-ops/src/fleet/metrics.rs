//! A fleet run as CloudWatch Embedded Metric Format records: JSON objects that, printed one per
//! line to a Lambda's log, CloudWatch turns into metrics with no API call and no SDK. The
//! caller prints them; this module only builds them.
//!
//! Two kinds of record (docs/FLEET.md lists every metric):
//! - one per trust store and CRL (a partitioned CRL: one per partition), with the dimensions
//!   `CA` and `TrustStore`: the age of the CRL the trust store holds, the seconds to its
//!   nextUpdate, its files and entries against the quotas, what the run did, and, when this run
//!   registered it, the lag from the CRL's thisUpdate to its registration (how long a
//!   revocation took to reach the load balancers);
//! - one per run, without dimensions, that the alarms watch: failures (a CA or trust store that
//!   failed, a CRL a check refused), the least time to a nextUpdate and the least quota headroom
//!   of the fleet, the run's duration.

use serde_json::{Map, Value, json};

use super::run::FleetReport;
use crate::sync::{StoreSync, TrustStoreSync};

/// The namespace metrics go to unless the deployment names another.
pub const DEFAULT_NAMESPACE: &str = "crlkit";

/// What a run's records say besides the report.
#[derive(Clone, Debug)]
pub struct RunFacts<'a> {
    /// The CloudWatch namespace.
    pub namespace: &'a str,
    /// When the run ended, Unix milliseconds (the records' timestamp; ages are judged then).
    pub now_ms: i64,
    /// How long the run took.
    pub duration_ms: u64,
    /// What started it: `crl-generation`, `schedule`, `direct`, `cli`.
    pub trigger: &'a str,
    /// The trust stores' quotas, for the headroom.
    pub quotas: crlkit_elb::register::Quotas,
}

/// One EMF record: `metrics` (name, unit, value) under `dimensions` (name, value), with
/// `properties` beside them (searchable in the logs, not metrics).
fn record(
    facts: &RunFacts<'_>,
    dimensions: &[(&str, &str)],
    metrics: &[(&str, &str, f64)],
    properties: &[(&str, Value)],
) -> Value {
    let mut out = Map::new();
    out.insert(
        "_aws".into(),
        json!({
            "Timestamp": facts.now_ms,
            "CloudWatchMetrics": [{
                "Namespace": facts.namespace,
                "Dimensions": [dimensions.iter().map(|(k, _)| *k).collect::<Vec<_>>()],
                "Metrics": metrics.iter().map(|(name, unit, _)| json!({"Name": name, "Unit": unit})).collect::<Vec<_>>(),
            }],
        }),
    );
    for (k, v) in dimensions {
        out.insert((*k).into(), Value::from(*v));
    }
    for (name, _, v) in metrics {
        out.insert((*name).into(), json!(v));
    }
    for (k, v) in properties {
        out.insert((*k).into(), v.clone());
    }
    Value::Object(out)
}

/// Unix seconds of an RFC 3339 time as the ledger and reports write it.
fn unix(rfc3339: &str) -> Option<i64> {
    crlkit_der::Time::from_rfc3339(rfc3339).map(|t| t.unix())
}

/// Percent of `max` still free with `used` taken, to two decimals.
fn headroom(used: u64, max: u64) -> f64 {
    if max == 0 { 0.0 } else { (10_000.0 * max.saturating_sub(used) as f64 / max as f64).round() / 100.0 }
}

fn action(t: &TrustStoreSync) -> &'static str {
    match &t.result {
        StoreSync::UpToDate { .. } => "up-to-date",
        StoreSync::NotNewer { .. } => "not-newer",
        StoreSync::Registered { registration } if registration.refused() => "refused",
        StoreSync::Registered { registration } if registration.failed().is_some() => "failed",
        StoreSync::Registered { registration } if registration.changed() => "registered",
        StoreSync::Registered { .. } => "already-registered",
        StoreSync::Failed { .. } => "failed",
    }
}

/// Every record of a fleet run: one per trust store and CRL, then the run's.
pub fn records(report: &FleetReport, facts: &RunFacts<'_>) -> Vec<Value> {
    let now = facts.now_ms.div_euclid(1000);
    let mut out = Vec::new();
    let mut least_to_next: Option<f64> = None;
    let mut least_headroom: Option<f64> = None;
    let mut changed = 0u64;
    for ca in &report.cas {
        for sync in &ca.syncs {
            for t in &sync.trust_stores {
                let act = action(t);
                let failed = matches!(act, "failed" | "refused");
                changed += u64::from(matches!(act, "registered"));
                let mut metrics = vec![("SyncFailures", "Count", f64::from(u8::from(failed)))];
                if let Some(h) = &t.holds {
                    if let Some(this) = unix(&h.this_update) {
                        metrics.push(("CrlAgeSeconds", "Seconds", (now - this) as f64));
                        if h.added_now
                            && let Some(at) = unix(&h.registered_at)
                        {
                            metrics.push(("RegistrationLagSeconds", "Seconds", (at - this).max(0) as f64));
                        }
                    }
                    if let Some(next) = h.next_update.as_deref().and_then(unix) {
                        let to_next = (next - now) as f64;
                        metrics.push(("SecondsToNextUpdate", "Seconds", to_next));
                        least_to_next = Some(least_to_next.map_or(to_next, |l: f64| l.min(to_next)));
                    }
                    let room =
                        headroom(h.entries, facts.quotas.max_entries).min(headroom(h.files, facts.quotas.max_files));
                    least_headroom = Some(least_headroom.map_or(room, |l: f64| l.min(room)));
                    metrics.push(("RevokedEntries", "Count", h.entries as f64));
                    metrics.push(("RevocationFiles", "Count", h.files as f64));
                    metrics.push(("QuotaHeadroomPercent", "Percent", room));
                }
                let mut properties = vec![("Action", Value::from(act)), ("Source", Value::from(sync.source.as_str()))];
                if let Some(n) = t.holds.as_ref().and_then(|h| h.crl_number.as_deref()) {
                    properties.push(("CrlNumber", Value::from(n)));
                }
                out.push(record(facts, &[("CA", &ca.ca), ("TrustStore", &t.trust_store_arn)], &metrics, &properties));
            }
        }
    }
    let mut metrics = vec![
        ("SyncFailures", "Count", (report.failures() + report.refusals()) as f64),
        ("TrustStoresChanged", "Count", changed as f64),
        ("RunDurationMs", "Milliseconds", facts.duration_ms as f64),
    ];
    if let Some(l) = least_to_next {
        metrics.push(("MinSecondsToNextUpdate", "Seconds", l));
    }
    if let Some(l) = least_headroom {
        metrics.push(("MinQuotaHeadroomPercent", "Percent", l));
    }
    let failed: Vec<Value> =
        report.failed_cas().map(|(ca, e)| json!({"ca": ca, "code": e.code, "message": e.message})).collect();
    out.push(record(
        facts,
        &[],
        &metrics,
        &[
            ("Trigger", Value::from(facts.trigger)),
            ("CAs", Value::from(report.cas.len())),
            ("FailedCAs", Value::from(failed)),
        ],
    ));
    out
}

/// The record of a CRL Private CA failed to generate (its `ACM Private CA CRL Generation`
/// event said `failure`): nothing is synced, and the alarm on `CrlGenerationFailures` fires.
pub fn generation_failure(ca: &str, facts: &RunFacts<'_>) -> Value {
    record(
        facts,
        &[],
        &[("CrlGenerationFailures", "Count", 1.0)],
        &[("CA", Value::from(ca)), ("Trigger", Value::from(facts.trigger))],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::run::{CaFailure, CaSync};
    use crate::sync::{Holding, SyncReport};

    fn sync_report(trust_stores: Vec<TrustStoreSync>) -> SyncReport {
        SyncReport {
            source: "s3://pca/crl/id.crl".into(),
            source_region: None,
            source_etag: None,
            source_version: None,
            downloaded: true,
            crl_number: Some("8".into()),
            refused: None,
            upload: None,
            upload_checked: None,
            changed: true,
            trust_stores,
            lease_held_by: None,
            crl: None,
            upload_url: None,
            upload_refusal: None,
        }
    }

    #[test]
    fn each_trust_store_and_the_run_become_records_cloudwatch_reads() {
        let holds = Holding {
            crl_number: Some("8".into()),
            this_update: "2026-12-07T10:00:00Z".into(),
            next_update: Some("2026-12-08T10:00:00Z".into()),
            registered_at: "2026-12-07T10:05:00Z".into(),
            added_now: false,
            files: 3,
            entries: 475_000,
        };
        let up = TrustStoreSync {
            trust_store_arn: "arn:eu".into(),
            result: StoreSync::UpToDate { revocation_id: 4, crl_number: Some("8".into()) },
            holds: Some(holds.clone()),
        };
        let failed = TrustStoreSync {
            trust_store_arn: "arn:us".into(),
            result: StoreSync::Failed { code: "throttled", message: "slow down".into() },
            holds: None,
        };
        let report = FleetReport {
            cas: vec![
                CaSync {
                    ca: "arn:ca1".into(),
                    to: "s3://b/crl/".into(),
                    crl_type: Some("COMPLETE"),
                    syncs: vec![sync_report(vec![up, failed])],
                    error: None,
                },
                CaSync {
                    ca: "arn:ca2".into(),
                    to: "s3://b/crl/".into(),
                    crl_type: None,
                    syncs: vec![],
                    error: Some(CaFailure { code: "not-found", message: "gone".into() }),
                },
            ],
            changed: false,
        };
        // An hour after thisUpdate.
        let facts = RunFacts {
            namespace: "crlkit",
            now_ms: 1_796_641_200_000,
            duration_ms: 1234,
            trigger: "schedule",
            quotas: Default::default(),
        };
        assert_eq!(unix("2026-12-07T10:00:00Z"), Some(1_796_637_600));
        let lines = records(&report, &facts);
        assert_eq!(lines.len(), 3);
        let eu = &lines[0];
        assert_eq!(eu["_aws"]["Timestamp"], 1_796_641_200_000i64);
        assert_eq!(eu["_aws"]["CloudWatchMetrics"][0]["Dimensions"], json!([["CA", "TrustStore"]]));
        assert_eq!((eu["CA"].as_str(), eu["TrustStore"].as_str()), (Some("arn:ca1"), Some("arn:eu")));
        assert_eq!(eu["CrlAgeSeconds"], 3600.0);
        assert_eq!(eu["SecondsToNextUpdate"], 82_800.0);
        assert_eq!(eu["QuotaHeadroomPercent"], 5.0, "475,000 of 500,000 entries: 5 % left");
        assert!(eu.get("RegistrationLagSeconds").is_none(), "registered by an earlier run");
        // Every metric named in the directive has its value at the top level.
        for m in eu["_aws"]["CloudWatchMetrics"][0]["Metrics"].as_array().unwrap() {
            assert!(eu[m["Name"].as_str().unwrap()].is_number(), "{m}");
        }
        assert_eq!((lines[1]["Action"].as_str(), lines[1]["SyncFailures"].as_f64()), (Some("failed"), Some(1.0)));
        let run = &lines[2];
        assert_eq!(run["_aws"]["CloudWatchMetrics"][0]["Dimensions"], json!([[]]));
        assert_eq!(run["SyncFailures"], 2.0, "one trust store and one CA");
        assert_eq!(run["MinQuotaHeadroomPercent"], 5.0);
        assert_eq!(run["MinSecondsToNextUpdate"], 82_800.0);
        assert_eq!(run["FailedCAs"][0]["code"], "not-found");

        let added = Holding { added_now: true, ..holds };
        let report = FleetReport {
            cas: vec![CaSync {
                ca: "arn:ca1".into(),
                to: "s3://b/crl/".into(),
                crl_type: None,
                syncs: vec![sync_report(vec![TrustStoreSync {
                    trust_store_arn: "arn:eu".into(),
                    result: StoreSync::UpToDate { revocation_id: 4, crl_number: None },
                    holds: Some(added),
                }])],
                error: None,
            }],
            changed: true,
        };
        assert_eq!(records(&report, &facts)[0]["RegistrationLagSeconds"], 300.0);
        let g = generation_failure("arn:ca1", &facts);
        assert_eq!((g["CrlGenerationFailures"].as_f64(), g["CA"].as_str()), (Some(1.0), Some("arn:ca1")));
    }
}
