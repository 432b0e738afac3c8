//! `cargo xtask bench --only storage`: the storage end next to plain transfers in the same run,
//! against a local moto server (started here) and the local filesystem.
//!
//! - `crlkit upload` of a 45 MB PEM (preflight, PEM conversion, metadata, the conditional put
//!   with x-amz-checksum-sha256, and the read-back check moto's endpoint gets) into moto, next
//!   to boto3 `put_object` + `get_object` (the same transfers); the same upload with
//!   `--upload-check checksum` (what AWS's own S3 gets: no read-back), next to boto3
//!   `put_object` with the checksum; and boto3 `put_object` alone;
//! - the same upload into `file://`, next to `cp`;
//! - `crlkit pull` of the 5M-entry DER CRL (validated as it streams) into a file, next to boto3
//!   `get_object` into a file.
//!
//! Whole processes on both sides (python's start-up counts against boto3, as crlkit's counts
//! against it); medians, and the time crlkit adds over the plain transfer.

use std::path::Path;
use std::process::Command;

use anyhow::{Result, bail};

use crate::bench::{measure, medians};

/// boto3 doing one transfer: `put FILE KEY`, `putsum FILE KEY` (with x-amz-checksum-sha256),
/// `putget FILE KEY`, `get KEY FILE`.
const BOTO3: &str = r#"
import boto3, sys
op, a, b, endpoint, bucket = sys.argv[1:6]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
if op in ("put", "putget", "putsum"):
    with open(a, "rb") as f:
        if op == "putsum":
            s3.put_object(Bucket=bucket, Key=b, Body=f.read(), ChecksumAlgorithm="SHA256")
        else:
            s3.put_object(Bucket=bucket, Key=b, Body=f.read())
    if op == "putget":
        s3.get_object(Bucket=bucket, Key=b)["Body"].read()
else:
    with open(b, "wb") as f:
        f.write(s3.get_object(Bucket=bucket, Key=a)["Body"].read())
"#;

pub fn run(root: &Path, crlkit: &Path, scratch: &Path, runs: usize, big_der: &Path) -> Result<()> {
    let venv = crate::servers::ensure_venv(root)?;
    let moto = crate::servers::Moto::start(root, &venv)?;
    let python = venv.join("bin/python");
    let mut env = moto.test_env(&venv);
    env.push(("AWS_ENDPOINT_URL_S3".into(), moto.endpoint.clone()));
    let bucket = "crlkit-bench";
    let status = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-X", "PUT"])
        .arg(format!("{}/{bucket}", moto.endpoint))
        .status();
    if !status.is_ok_and(|s| s.success()) {
        bail!("creating the benchmark bucket failed");
    }
    let boto3 = |args: &[&str]| -> Result<crate::bench::Sample> {
        let mut all = vec!["-c", BOTO3];
        all.extend_from_slice(args);
        all.extend_from_slice(&[&moto.endpoint, bucket]);
        measure_env(&python, &all, scratch, &env)
    };

    // The 45 MB PEM: 880,000 entries.
    let der = scratch.join("storage-45mb.crl");
    let pem = scratch.join("storage-45mb.pem");
    let s = |p: &Path| p.to_str().expect("UTF-8 paths").to_owned();
    crate::run(Command::new(crlkit).args(["gen", "--entries", "880000", "--seed", "4", "--out", &s(&der)]))?;
    crate::run(Command::new(crlkit).args(["convert", &s(&der), "-o", &s(&pem)]))?;
    let pem_len = std::fs::metadata(&pem)?.len();
    eprintln!("bench storage: {} bytes of PEM, {runs} runs each", pem_len);
    let (mut ours, mut ours_sum, mut put, mut putsum, mut putget, mut ours_file, mut cp) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let store_dir = scratch.join("storage-store");
    for i in 0..runs {
        // A fresh key each time: a repeat of the same bytes would be crlkit's no-op.
        let key = format!("s3://{bucket}/up/{i}.pem");
        let args = ["upload", &s(&pem), &key, "--max-entries", "1000000"];
        ours.push(measure_env(crlkit, &args, scratch, &env)?);
        let key = format!("s3://{bucket}/upsum/{i}.pem");
        let args = ["upload", &s(&pem), &key, "--max-entries", "1000000", "--upload-check", "checksum"];
        ours_sum.push(measure_env(crlkit, &args, scratch, &env)?);
        put.push(boto3(&["put", &s(&pem), &format!("boto3/{i}.pem")])?);
        putsum.push(boto3(&["putsum", &s(&pem), &format!("boto3sum/{i}.pem")])?);
        putget.push(boto3(&["putget", &s(&pem), &format!("boto3get/{i}.pem")])?);
        let _ = std::fs::remove_dir_all(&store_dir);
        let url = format!("file://{}/", store_dir.display());
        ours_file.push(measure_env(crlkit, &["upload", &s(&pem), &url, "--max-entries", "1000000"], scratch, &env)?);
        let _ = std::fs::remove_dir_all(&store_dir);
        std::fs::create_dir_all(&store_dir)?;
        cp.push(measure(Path::new("cp"), &[&s(&pem), &s(&store_dir.join("x.pem"))], None, true, scratch)?);
    }

    // pull of the big DER CRL, uploaded once as it is.
    let big = s(big_der);
    let big_len = std::fs::metadata(big_der)?.len();
    boto3(&["put", &big, "pull/big.crl"])?;
    let (mut pulled, mut got) = (Vec::new(), Vec::new());
    let out = scratch.join("pulled.crl");
    for _ in 0..runs {
        let _ = std::fs::remove_file(&out);
        pulled.push(measure_env(
            crlkit,
            &["pull", &format!("s3://{bucket}/pull/big.crl"), "-o", &s(&out)],
            scratch,
            &env,
        )?);
        if std::fs::read(&out)? != std::fs::read(big_der)? {
            bail!("pulled bytes differ");
        }
        let _ = std::fs::remove_file(&out);
        got.push(boto3(&["get", "pull/big.crl", &s(&out)])?);
    }
    drop(moto);

    let m = |v: &[crate::bench::Sample]| medians(v);
    println!();
    println!("storage, medians of {runs} runs (same machine, same run; whole processes on both sides)");
    println!("{:<44} {:>9} {:>9}  vs plain transfer", "measurement", "s", "MiB RSS");
    let line = |what: &str, (secs, rss): (f64, u64), base: Option<(&str, f64)>| {
        let cmp = base.map_or(String::new(), |(name, b)| format!("{:.2}x {name} ({:+.3} s)", secs / b, secs - b));
        println!("{what:<44} {secs:>9.3} {:>9.0}  {cmp}", rss as f64 / 1024.0);
    };
    let (put_s, putget_s, cp_s, got_s) = (m(&put).0, m(&putget).0, m(&cp).0, m(&got).0);
    line(&format!("crlkit upload {pem_len} B PEM -> moto, read back"), m(&ours), Some(("boto3 put+get", putget_s)));
    line("crlkit upload, --upload-check checksum", m(&ours_sum), Some(("boto3 put+sum", m(&putsum).0)));
    line("boto3 put_object", m(&put), None);
    line("boto3 put_object, x-amz-checksum-sha256", m(&putsum), Some(("boto3 put", put_s)));
    line("boto3 put_object + get_object", m(&putget), Some(("boto3 put", put_s)));
    line("crlkit upload -> file://", m(&ours_file), Some(("cp", cp_s)));
    line(&format!("crlkit pull {big_len} B DER, validated"), m(&pulled), Some(("boto3 get", got_s)));
    line("boto3 get_object -> file", m(&got), None);
    println!(
        "the checksum in place of the read-back saves crlkit {:.3} s ({:.2}x); a get costs boto3 {:.3} s over a put, \
         the checksum {:.3} s",
        m(&ours).0 - m(&ours_sum).0,
        m(&ours).0 / m(&ours_sum).0,
        putget_s - put_s,
        m(&putsum).0 - put_s
    );
    println!(
        "crlkit upload adds {:.3} s over boto3 put+get ({:.1} MB/s end to end); pull adds {:.3} s over boto3 get ({:.0} MB/s)",
        m(&ours).0 - putget_s,
        pem_len as f64 / 1e6 / m(&ours).0,
        m(&pulled).0 - got_s,
        big_len as f64 / 1e6 / m(&pulled).0
    );
    let _ = std::fs::remove_file(&der);
    let _ = std::fs::remove_file(&pem);
    let _ = std::fs::remove_dir_all(&store_dir);
    Ok(())
}

/// [`measure`] with the environment of the storage tests (test credentials, no AWS
/// configuration files, the moto endpoint).
fn measure_env(
    program: &Path,
    args: &[&str],
    scratch: &Path,
    env: &[(String, String)],
) -> Result<crate::bench::Sample> {
    crate::bench::measure_with_env(program, args, None, true, scratch, &[0], env)
}
