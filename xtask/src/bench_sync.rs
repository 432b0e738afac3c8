//! `cargo xtask bench --only sync`: an unchanged `sync` (the scheduled run that finds every
//! trust store up to date) for 1, 10 and 50 trust stores, against moto and the trust-store
//! emulator (started here), each `DescribeTrustStoreRevocations` answered after 50 ms (a
//! round trip to a far region), next to what a cron script does instead: a boto3 loop making
//! the same reads (HEAD of the source, one Describe per trust store), one after the other.
//!
//! Reported: wall time (medians, whole processes on both sides) and the ELB calls the crlkit run
//! made, read from the emulator's call log. crlkit reads the trust stores eight at a time, so 50
//! cost little more than 10.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::bench::{Sample, medians};

/// Per-call latency the emulator adds to each Describe of the revocations.
pub(crate) const LATENCY_MS: u64 = 50;
/// Trust-store counts measured.
const COUNTS: [usize; 3] = [1, 10, 50];

/// Set-up: the bucket, the CA bundle, 50 trust stores (their ARNs printed, one per line).
const SETUP: &str = r#"
import boto3, sys
elb_endpoint, s3_endpoint, bucket, bundle = sys.argv[1:5]
s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
elb = boto3.client("elbv2", endpoint_url=elb_endpoint, region_name="us-east-1")
s3.create_bucket(Bucket=bucket)
with open(bundle, "rb") as f:
    s3.put_object(Bucket=bucket, Key="ca/ca.pem", Body=f.read())
for i in range(50):
    t = elb.create_trust_store(Name=f"syncbench{i}", CaCertificatesBundleS3Bucket=bucket, CaCertificatesBundleS3Key="ca/ca.pem")
    print(t["TrustStores"][0]["TrustStoreArn"])
"#;

/// The peer: what a scheduled script does to see whether anything changed.
const PEER: &str = r#"
import boto3, sys
elb_endpoint, s3_endpoint, bucket, key = sys.argv[1:5]
s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
elb = boto3.client("elbv2", endpoint_url=elb_endpoint, region_name="us-east-1")
s3.head_object(Bucket=bucket, Key=key)
for arn in sys.argv[5:]:
    elb.describe_trust_store_revocations(TrustStoreArn=arn)
"#;

pub fn run(root: &Path, crlkit: &Path, scratch: &Path, runs: usize) -> Result<()> {
    let venv = crate::servers::ensure_venv(root)?;
    let moto = crate::servers::Moto::start(root, &venv)?;
    let mut env = moto.test_env(&venv);
    let emulator = crate::servers::Emulator::start(root, &moto.endpoint, &env)?;
    env.push(("AWS_ENDPOINT_URL_S3".into(), moto.endpoint.clone()));
    env.push(("AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2".into(), emulator.endpoint.clone()));
    let python = venv.join("bin/python");
    let s = |p: &Path| p.to_str().expect("UTF-8 paths").to_owned();
    let (cert, key) = (root.join("fixtures/ca.p256.pem"), root.join("fixtures/keys/ca.p256.key.pem"));
    let bucket = "crlkit-sync-bench";

    let out = Command::new(&python)
        .args(["-c", SETUP, &emulator.endpoint, &moto.endpoint, bucket, &s(&cert)])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .context("running the set-up script")?;
    if !out.status.success() {
        bail!("set-up failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let arns: Vec<String> = String::from_utf8(out.stdout)?.lines().map(str::to_owned).collect();

    // The CA's CRL, in the "Private CA" bucket, then one sync that registers it everywhere.
    let crl = scratch.join("sync-bench.crl");
    let generate = ["gen", "--entries", "1000", "--seed", "7", "--ca-cert", &s(&cert), "--ca-key", &s(&key)];
    crate::run(Command::new(crlkit).args(generate).args(["--out", &s(&crl), "-q"]))?;
    let source = format!("s3://{bucket}/pca/ca.crl");
    crate::run(Command::new(crlkit).args(["upload", &s(&crl), &source, "--force"]).envs(env.clone()))?;
    let sync_args = |n: usize| -> Vec<String> {
        let mut a: Vec<String> = ["sync", "--from", &source, "--ca", &s(&cert), "--to", &format!("s3://{bucket}/crl/")]
            .iter()
            .map(|x| x.to_string())
            .collect();
        a.push("--trust-store-arn".into());
        a.extend(arns[..n].iter().cloned());
        a
    };
    crate::run(Command::new(crlkit).args(sync_args(arns.len())).envs(env.clone()))?;

    // Latency on every Describe from now on (enough for every run of both sides).
    let times = (COUNTS.len() * 2 * (runs + 1)).to_string();
    delay_describes(&emulator.endpoint, &arns, &times)?;
    let calls = |n: usize| elb_calls(&emulator.endpoint, &arns[..n]);

    let mut rows = Vec::new();
    for n in COUNTS {
        let args = sync_args(n);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let before = calls(n)?;
        let (mut ours, mut peer) = (Vec::<Sample>::new(), Vec::<Sample>::new());
        for _ in 0..runs {
            ours.push(crate::bench::measure_with_env(crlkit, &args, None, true, scratch, &[0], &env)?);
            let mut p = vec!["-c", PEER, &emulator.endpoint, &moto.endpoint, bucket, "pca/ca.crl"];
            p.extend(arns[..n].iter().map(String::as_str));
            peer.push(crate::bench::measure_with_env(&python, &p, None, true, scratch, &[0], &env)?);
        }
        // Both sides' calls are logged: the peer makes exactly one per trust store per run.
        let made = calls(n)? - before - n * runs;
        rows.push((n, medians(&ours).0, made as f64 / runs as f64, medians(&peer).0));
    }
    drop(emulator);
    drop(moto);

    println!();
    println!(
        "unchanged sync, medians of {runs} runs (each Describe answered after {LATENCY_MS} ms; whole processes on both sides)"
    );
    println!("{:<14} {:>10} {:>16} {:>14}  ratio", "trust stores", "crlkit s", "ELB calls/run", "boto3 loop s");
    for (n, ours, made, peer) in &rows {
        println!("{n:<14} {ours:>10.3} {made:>16.1} {peer:>14.3}  {:.2}x the loop's time", ours / peer);
    }
    if let (Some(one), Some(fifty)) = (rows.first(), rows.last()) {
        println!("50 trust stores cost {:.2}x one (the loop: {:.2}x)", fifty.1 / one.1, fifty.3 / one.3);
    }
    let _ = std::fs::remove_file(&crl);
    Ok(())
}

/// The emulator answers the next `times` `DescribeTrustStoreRevocations` of each of `arns`
/// after [`LATENCY_MS`] (a round trip to a far region).
pub(crate) fn delay_describes(endpoint: &str, arns: &[String], times: &str) -> Result<()> {
    for arn in arns {
        control(
            endpoint,
            "/_faults",
            &[
                ("TrustStoreArn", arn),
                ("Action", "DescribeTrustStoreRevocations"),
                ("Times", times),
                ("Kind", "delay"),
                ("Millis", &LATENCY_MS.to_string()),
            ],
        )?;
    }
    Ok(())
}

/// The ELB calls the emulator has logged for `arns`, all told.
pub(crate) fn elb_calls(endpoint: &str, arns: &[String]) -> Result<usize> {
    arns.iter().map(|a| Ok(control(endpoint, "/_calls", &[("TrustStoreArn", a)])?.lines().count())).sum()
}

/// POST a form to one of the emulator's test controls; its answer.
pub(crate) fn control(endpoint: &str, path: &str, fields: &[(&str, &str)]) -> Result<String> {
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "-f", "-X", "POST"]);
    for (k, v) in fields {
        cmd.args(["--data-urlencode", &format!("{k}={v}")]);
    }
    let out = cmd.arg(format!("{endpoint}{path}")).output().context("curl")?;
    if !out.status.success() {
        bail!("{path}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8(out.stdout)?)
}
