//! `cargo xtask bench --only lambda`: the Lambda function as Lambda runs it (the `lambda`-profile
//! x86_64 build `cargo xtask lambda` makes, under cargo-lambda's runtime emulator), against moto
//! and the trust-store emulator (started here):
//!
//! - cold start: process start to ready (configuration read, credentials resolved, the runtime
//!   API polled: the next thing it does is the event's first API call);
//! - an invocation with nothing new, one CA and one trust store: wall time through the Invoke
//!   API, and the calls it makes (ELB from the emulator's log, S3 from moto's request recorder);
//! - the same for one CA and 50 trust stores, each Describe answered after 50 ms (a far region),
//!   next to what a small Python function does to find nothing new: boto3 making the same reads
//!   one after another (HEAD of the source, one Describe per trust store), timed warm (clients
//!   made and connected first) as crlkit's invocations are (the process already running);
//! - the packages' sizes, when `cargo xtask lambda` has built them.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::bench_sync::{LATENCY_MS, delay_describes, elb_calls};

/// Set-up: the bucket, the CA bundle, 51 trust stores (one for the single case, 50 for the
/// fleet; their ARNs printed, one per line).
const SETUP: &str = r#"
import boto3, sys
elb_endpoint, s3_endpoint, bucket, bundle, crl = sys.argv[1:6]
s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
elb = boto3.client("elbv2", endpoint_url=elb_endpoint, region_name="us-east-1")
s3.create_bucket(Bucket=bucket)
with open(bundle, "rb") as f:
    s3.put_object(Bucket=bucket, Key="ca/ca.pem", Body=f.read())
    f.seek(0)
    s3.put_object(Bucket=bucket, Key="config/ca.pem", Body=f.read())
with open(crl, "rb") as f:
    s3.put_object(Bucket=bucket, Key="pca/ca.crl", Body=f.read())
for i in range(51):
    t = elb.create_trust_store(Name=f"lambdabench{i}", CaCertificatesBundleS3Bucket=bucket, CaCertificatesBundleS3Key="ca/ca.pem")
    print(t["TrustStores"][0]["TrustStoreArn"])
"#;

/// The peer: a small Python function's reads to find that nothing changed, timed warm (clients
/// made and connected first, as in a warm Lambda container): the seconds, printed.
const PEER: &str = r#"
import boto3, sys, time
elb_endpoint, s3_endpoint, bucket, key = sys.argv[1:5]
s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
elb = boto3.client("elbv2", endpoint_url=elb_endpoint, region_name="us-east-1")
s3.head_object(Bucket=bucket, Key=key)
started = time.perf_counter()
s3.head_object(Bucket=bucket, Key=key)
for arn in sys.argv[5:]:
    elb.describe_trust_store_revocations(TrustStoreArn=arn)
print(time.perf_counter() - started)
"#;

/// A child process killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One HTTP/1.1 request; the status.
fn request(port: u16, method: &str, path: &str, body: &str) -> Result<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0))
}

fn port_of(endpoint: &str) -> Result<u16> {
    endpoint.rsplit(':').next().and_then(|p| p.parse().ok()).context("an endpoint with a port")
}

pub fn run(root: &Path, scratch: &Path, runs: usize) -> Result<()> {
    let venv = crate::servers::ensure_venv(root)?;
    let function = crate::lambda::build_one(root, "x86_64")?;
    let moto = crate::servers::Moto::start(root, &venv)?;
    let mut env = moto.test_env(&venv);
    let emulator = crate::servers::Emulator::start(root, &moto.endpoint, &env)?;
    env.push(("AWS_ENDPOINT_URL_S3".into(), moto.endpoint.clone()));
    env.push(("AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2".into(), emulator.endpoint.clone()));
    let python = venv.join("bin/python");
    let s = |p: &Path| p.to_str().expect("UTF-8 paths").to_owned();
    let bucket = "crlkit-lambda-bench";

    // A CRL fresh now, of the fixture CA (the function judges freshness at the time it runs).
    let ca = crlkit_sign::CaKey::from_pkcs8_pem(&std::fs::read_to_string(root.join("fixtures/keys/ca.p256.key.pem"))?)?;
    let ca_cert = crlkit_sign::self_signed_ca(&ca, "lambda bench", 1_735_689_600, 2_051_222_400);
    let cert = scratch.join("lambda-bench-ca.pem");
    std::fs::write(&cert, ca_cert.pem())?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() as i64;
    let crl = scratch.join("lambda-bench.crl");
    let params = crlkit_sign::CrlParams::for_ca(&ca_cert, now - 60, Some(now + 7 * 86_400), 1);
    let entries = crlkit_sign::Synthetic { seed: 7, count: 1000, newest: now - 60 };
    crlkit_sign::write_crl(std::fs::File::create(&crl)?, &params, &ca, || entries.iter())?;

    let out = Command::new(&python)
        .args(["-c", SETUP, &emulator.endpoint, &moto.endpoint, bucket, &s(&cert), &s(&crl)])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .context("running the set-up script")?;
    if !out.status.success() {
        bail!("set-up failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let arns: Vec<String> = String::from_utf8(out.stdout)?.lines().map(str::to_owned).collect();
    let (single, fifty) = (&arns[50..], &arns[..50]);
    // The fleet file is read on every invocation: each case puts its own.
    let put_fleet = |stores: &[String], to: &str| -> Result<()> {
        let list: Vec<String> = stores.iter().map(|a| format!("{a:?}")).collect();
        let text = format!(
            "[[ca]]\nsource = \"s3://{bucket}/pca/ca.crl\"\nbundle = \"ca.pem\"\nto = \"s3://{bucket}/{to}/\"\n\
             trust_stores = [{}]\n",
            list.join(", ")
        );
        let file = scratch.join("lambda-bench-fleet.toml");
        std::fs::write(&file, text)?;
        let put = "import boto3, sys\nboto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1')\
                   .put_object(Bucket=sys.argv[2], Key='config/fleet.toml', Body=open(sys.argv[3], 'rb').read())";
        crate::run(Command::new(&python).args(["-c", put, &moto.endpoint, bucket, &s(&file)]).envs(env.clone()))
    };

    // cargo-lambda's runtime emulator, and the function under it.
    let rt_port = crate::servers::free_port()?;
    let _watch = Killed(
        crate::lambda::cargo_lambda(&venv)
            .args(["lambda", "watch", "--only-lambda-apis", "--invoke-address", "127.0.0.1", "--invoke-port"])
            .arg(rt_port.to_string())
            .current_dir(root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting cargo-lambda watch")?,
    );
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", rt_port)).is_err() {
        if started.elapsed() > Duration::from_secs(60) {
            bail!("cargo-lambda watch did not listen");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let spawn = || -> Result<(Killed, Duration)> {
        let started = Instant::now();
        let mut child = Command::new(&function)
            .env("AWS_LAMBDA_RUNTIME_API", format!("http://127.0.0.1:{rt_port}/.rt"))
            .env("AWS_LAMBDA_FUNCTION_NAME", "_")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("CRLKIT_FLEET", format!("s3://{bucket}/config/fleet.toml"))
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let mut first = String::new();
        BufReader::new(child.stdout.take().context("stdout")?).read_line(&mut first)?;
        if !first.contains("crlkit-lambda ready") {
            bail!("the function did not start: {first}");
        }
        Ok((Killed(child), started.elapsed()))
    };
    let invoke = |body: &str| -> Result<f64> {
        let started = Instant::now();
        let status = request(rt_port, "POST", "/2015-03-31/functions/_/invocations", body)?;
        if status != 200 {
            bail!("invocation answered {status}");
        }
        Ok(started.elapsed().as_secs_f64())
    };
    let moto_port = port_of(&moto.endpoint)?;
    let recording = crate::target_dir(root).join(format!("moto-{moto_port}.recording"));

    // Cold starts: a fresh process each time (the first one is kept to serve the invocations).
    let mut cold = Vec::new();
    let mut serving = None;
    for _ in 0..runs {
        let (child, took) = spawn()?;
        cold.push(took.as_secs_f64());
        serving = Some(child);
    }
    let _serving = serving.context("at least one run")?;

    let mut rows = Vec::new();
    for (label, stores, to) in [("1 CA, 1 trust store", single, "one"), ("1 CA, 50 trust stores", fifty, "fifty")] {
        put_fleet(stores, to)?;
        invoke(r#"{"fleet": true}"#)?; // registers everywhere
        delay_describes(&emulator.endpoint, stores, &(2 * (runs + 1)).to_string())?;
        let before = elb_calls(&emulator.endpoint, stores)?;
        let _ = std::fs::remove_file(&recording);
        request(moto_port, "POST", "/moto-api/recorder/start-recording", "")?;
        let mut ours = Vec::new();
        for _ in 0..runs {
            ours.push(invoke(r#"{"fleet": true}"#)?);
        }
        request(moto_port, "POST", "/moto-api/recorder/stop-recording", "")?;
        let s3_calls = std::fs::read_to_string(&recording).map(|r| r.lines().count()).unwrap_or(0);
        let elb = elb_calls(&emulator.endpoint, stores)? - before;
        let mut peer = Vec::new();
        for _ in 0..runs {
            let out = Command::new(&python)
                .args(["-c", PEER, &emulator.endpoint, &moto.endpoint, bucket, "pca/ca.crl"])
                .args(stores)
                .envs(env.iter().map(|(k, v)| (k, v)))
                .output()?;
            if !out.status.success() {
                bail!("the boto3 reads failed: {}", String::from_utf8_lossy(&out.stderr));
            }
            peer.push(String::from_utf8(out.stdout)?.trim().parse::<f64>().context("the reads' seconds")?);
        }
        ours.sort_by(f64::total_cmp);
        peer.sort_by(f64::total_cmp);
        let per_run = |n: usize| n as f64 / runs as f64;
        rows.push((label, ours[ours.len() / 2], per_run(elb), per_run(s3_calls), peer[peer.len() / 2]));
    }
    drop(emulator);
    drop(moto);

    cold.sort_by(f64::total_cmp);
    println!();
    println!(
        "Lambda function (x86_64, `lambda` profile) under cargo-lambda's runtime emulator, medians of {runs} runs"
    );
    println!(
        "cold start, process start to ready (the next step is the event's first API call): {:.3} s",
        cold[cold.len() / 2]
    );
    println!("an invocation with nothing new (each Describe answered after {LATENCY_MS} ms):");
    println!("{:<24} {:>10} {:>10} {:>10} {:>16}  ratio", "", "crlkit s", "ELB calls", "S3 calls", "boto3 reads s");
    for (label, ours, elb, s3, peer) in &rows {
        println!("{label:<24} {ours:>10.3} {elb:>10.1} {s3:>10.1} {peer:>16.3}  {:.2}x the reads' time", ours / peer);
    }
    for (arch, _) in crate::lambda::ARCHITECTURES {
        let zip = crate::lambda::package(root, arch);
        match std::fs::metadata(&zip) {
            Ok(m) => println!("package {arch}: {} bytes ({:.1} MiB)", m.len(), m.len() as f64 / f64::from(1 << 20)),
            Err(_) => println!("package {arch}: not built (cargo xtask lambda)"),
        }
    }
    let _ = std::fs::remove_file(&crl);
    Ok(())
}
