//! The handler in process, with events as AWS sends them, against the local S3 and Private CA
//! (moto) and the ELB trust-store emulator that `cargo xtask test` starts: the end state of every
//! trust store and ledger, the metric records parsed back, fifty invocations at once, and the
//! same fleet through `crlkit sync --fleet` and through the handler ending the same.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kind_of_event_ends_in_the_right_state_with_its_metrics() {
    let w = world("events");
    let ts = w.trust_stores("ev");
    let fleet = w.fleet("events.toml", "fleet", &ts);
    let h = w.handler(&fleet).await;
    let a_id = w.a_arn.rsplit('/').next().unwrap();

    // A's CRL Generation event: A alone, to its two trust stores.
    let inv = h.handle(&generation(&w.a_arn, "success"), "req-1").await;
    let result = inv.result.clone().unwrap();
    assert_eq!(result["trigger"], "crl-generation");
    assert_eq!(result["report"]["cas"].as_array().unwrap().len(), 1, "{result}");
    let (live, _) = w.end_state(&ts, &[]);
    assert_eq!(live, [vec![5], vec![], vec![5], vec![]]);
    let per_store: Vec<&Value> = records(&inv.log).into_iter().filter(|r| r.get("TrustStore").is_some()).collect();
    assert_eq!(per_store.len(), 2);
    for r in &per_store {
        assert_eq!((r["CA"].as_str(), r["Action"].as_str()), (Some(w.a_arn.as_str()), Some("registered")), "{r}");
        assert_eq!((r["RevokedEntries"].as_f64(), r["RevocationFiles"].as_f64()), (Some(5.0), Some(1.0)), "{r}");
        // Written ten minutes ago (less three seconds), registered now.
        let lag = r["RegistrationLagSeconds"].as_f64().unwrap();
        assert!((590.0..900.0).contains(&lag), "{r}");
        assert!(r["SecondsToNextUpdate"].as_f64().unwrap() > 6.0 * 86_400.0, "{r}");
    }
    let run = run_record(&inv.log);
    assert_eq!((run["SyncFailures"].as_f64(), run["TrustStoresChanged"].as_f64()), (Some(0.0), Some(2.0)), "{run}");
    assert_eq!(run["Trigger"], "crl-generation");

    // B's CRL Generation failed: an error, its metric, and nothing synced.
    let inv = h.handle(&generation(&w.b_arn, "failure"), "req-2").await;
    let e = inv.result.unwrap_err();
    assert_eq!(e.code, "crl-generation-failed");
    assert!(e.message.contains("bucket permissions"), "{e}");
    let r = records(&inv.log);
    assert_eq!(
        (r.len(), r[0]["CrlGenerationFailures"].as_f64(), r[0]["CA"].as_str()),
        (1, Some(1.0), Some(w.b_arn.as_str()))
    );
    assert_eq!(w.end_state(&ts, &[]).0, [vec![5], vec![], vec![5], vec![]]);

    // The schedule: the whole fleet.
    let inv = h.handle(&schedule(), "req-3").await;
    let result = inv.result.clone().unwrap();
    assert_eq!(result["report"]["changed"], true);
    let (live, ledgers) = w.end_state(&ts, &["fleet/", "fleet-offline/"]);
    assert_eq!(live, [vec![3, 4, 5], vec![3, 4, 7], vec![5, 7], vec![3, 4, 7]]);
    // Ledgers: A in trust stores 0 and 2, B's two partitions in 0, 1 and 3; C in 1, 2 and 3.
    let slots =
        |l: &[(usize, String, String, String)]| l.iter().map(|e| (e.0, e.2.clone(), e.3.clone())).collect::<Vec<_>>();
    let b1 = "URI:http://crl.example/b1.crl".to_owned();
    let b2 = "URI:http://crl.example/b2.crl".to_owned();
    let (none, three, four, nine) = (String::new(), "3".to_owned(), "4".to_owned(), "9".to_owned());
    assert_eq!(
        slots(&ledgers[0]),
        [
            (0, none.clone(), three.clone()),
            (0, b1.clone(), four.clone()),
            (0, b2.clone(), four.clone()),
            (1, b1.clone(), four.clone()),
            (1, b2.clone(), four.clone()),
            (2, none.clone(), three),
            (3, b1, four.clone()),
            (3, b2, four),
        ],
        "{:?}",
        ledgers[0]
    );
    assert_eq!(slots(&ledgers[1]), [(1, none.clone(), nine.clone()), (2, none.clone(), nine.clone()), (3, none, nine)]);
    let run = run_record(&inv.log);
    assert_eq!((run["Trigger"].as_str(), run["SyncFailures"].as_f64()), (Some("schedule"), Some(0.0)), "{run}");
    assert!(run["MinQuotaHeadroomPercent"].as_f64().unwrap() > 89.0, "{run}");

    // An operator's direct invocation of A: nothing new, nothing sent but reads.
    let before = elb_calls(&ts[0]).len();
    let inv = h.handle(&json!({"ca_arn": w.a_arn}), "req-4").await;
    let result = inv.result.unwrap();
    assert_eq!(result["report"]["changed"], false, "{result}");
    assert_eq!(result["report"]["cas"][0]["syncs"][0]["trust_stores"][0]["result"], "up-to-date");
    assert!(elb_calls(&ts[0])[before..].iter().all(|c| c.starts_with("Describe")));
    // (Trust store 2 also holds C's file, of another ledger: read once, found foreign.)
    let actions: Vec<&str> = records(&inv.log).iter().filter_map(|r| r["Action"].as_str()).collect();
    assert!(actions.iter().all(|a| ["up-to-date", "already-registered"].contains(a)), "{actions:?}");

    // A's next CRL, by its event: A's files replaced, the others untouched.
    put(&w.bucket, &[(format!("crl/{a_id}.crl"), &crl(&w.a, &w.dir, 4, 6, None))]);
    h.handle(&generation(&w.a_arn, "success"), "req-5").await.result.unwrap();
    assert_eq!(w.end_state(&ts, &[]).0, [vec![3, 4, 6], vec![3, 4, 7], vec![6, 7], vec![3, 4, 7]]);

    // A CA the fleet does not name is never synced; an event this function does not handle.
    let stranger = w.a_arn.replace(a_id, "00000000-0000-4000-8000-000000000000");
    assert_eq!(h.handle(&json!({"ca_arn": stranger}), "req-6").await.result.unwrap_err().code, "not-in-fleet");
    let ec2 = json!({"detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2", "detail": {}});
    assert_eq!(h.handle(&ec2, "req-7").await.result.unwrap_err().code, "unknown-event");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_invocations_at_once_for_one_ca_register_it_once() {
    let w = world("fifty");
    let ts = w.trust_stores("fifty");
    let fleet = w.fleet("fifty.toml", "fleet", &ts);
    // Fifty containers (each its own connection), one event each, all at once.
    let handlers = futures::future::join_all((0..50).map(|_| w.handler(&fleet))).await;
    let event = &generation(&w.a_arn, "success");
    let results = futures::future::join_all(
        handlers.iter().enumerate().map(|(i, h)| async move { h.handle(event, &format!("req-{i}")).await }),
    )
    .await;
    let mut changed = 0;
    for inv in &results {
        let r = inv.result.as_ref().unwrap_or_else(|e| panic!("{e}"));
        changed += usize::from(r["report"]["changed"] == true);
    }
    assert_eq!(changed, 1, "exactly one invocation changed anything");
    for t in [&ts[0], &ts[2]] {
        let calls = elb_calls(t);
        assert_eq!(calls.iter().filter(|c| *c == "AddTrustStoreRevocations").count(), 1, "{t}: {calls:?}");
    }
    let (live, ledgers) = w.end_state(&ts, &["fleet/"]);
    assert_eq!(live, [vec![5], vec![], vec![5], vec![]]);
    assert_eq!(ledgers[0].len(), 2, "one registration per trust store: {:?}", ledgers[0]);
}

/// `crlkit`, built beside this test by `cargo test --workspace` (as `cargo xtask test` runs it).
fn crlkit_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().and_then(Path::parent).unwrap().join("crlkit");
    assert!(bin.exists(), "{} not built: run the workspace's tests (cargo xtask test)", bin.display());
    bin
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_fleet_from_the_command_line_and_from_the_handler_ends_the_same() {
    let w = world("same");
    let (cli_ts, lambda_ts) = (w.trust_stores("cli"), w.trust_stores("fn"));
    // The command line reads the local copy (its bundle, fleet-c.pem, beside it); the function
    // the object.
    w.fleet("cli.toml", "cli", &cli_ts);
    let lambda_fleet = w.fleet("fn.toml", "fn", &lambda_ts);
    let o = Command::new(crlkit_binary())
        .args(["sync", "--fleet", w.dir.join("cli.toml").to_str().unwrap(), "--json"])
        .env("AWS_ENDPOINT_URL_S3", var("CRLKIT_S3_ENDPOINT"))
        .env("AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2", var("CRLKIT_ELB_ENDPOINT"))
        .env("AWS_ENDPOINT_URL_ACM_PCA", var("CRLKIT_S3_ENDPOINT"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let h = w.handler(&lambda_fleet).await;
    h.handle(&schedule(), "req-same").await.result.unwrap();
    let cli = w.end_state(&cli_ts, &["cli/", "cli-offline/"]);
    let lambda = w.end_state(&lambda_ts, &["fn/", "fn-offline/"]);
    assert_eq!(
        cli.0,
        [vec![3, 4, 5], vec![3, 4, 7], vec![5, 7], vec![3, 4, 7]],
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert_eq!(cli, lambda);
}
