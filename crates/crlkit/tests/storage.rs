//! End-to-end tests of `upload`, `pull` and `stage` against a real S3 server (moto, started by
//! `cargo xtask test` on 127.0.0.1) and the local filesystem: byte-identical round trips, the
//! metadata, the refusal to replace a newer CRL, bundles that changed, a truncated download,
//! and wrong credentials with authentication on.

#![cfg(feature = "online")]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::*;

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", stdout(out), stderr(out)))
}

fn make_crl(dir: &Path, name: &str, entries: u64, number: u64) -> std::path::PathBuf {
    let crl = dir.join(name);
    let out = crlkit(&[
        "gen",
        "--entries",
        &entries.to_string(),
        "--out",
        crl.to_str().unwrap(),
        "--seed",
        "11",
        "--crl-number",
        &number.to_string(),
        "--ca-out",
        dir.join("ca.pem").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    crl
}

/// SHA-256, hex, through `sha256sum` (an oracle apart from crlkit's own).
fn sha256sum(bytes: &[u8]) -> String {
    use std::io::Write;
    let mut child = Command::new("sha256sum").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap().split_whitespace().next().unwrap().to_owned()
}

fn openssl_pem(der: &Path) -> Vec<u8> {
    let out =
        Command::new("openssl").args(["crl", "-inform", "DER", "-outform", "PEM", "-in"]).arg(der).output().unwrap();
    assert!(out.status.success());
    out.stdout
}

#[test]
fn a_45_mb_pem_round_trips_through_s3_byte_for_byte_with_its_metadata() {
    let endpoint = s3_endpoint();
    let dir = tempdir("s3-big");
    let bucket = format!("crlkit-big-{}", std::process::id());
    create_bucket(&endpoint, &bucket);
    let der = make_crl(&dir, "big.crl", 880_000, 7);
    let expected = openssl_pem(&der);
    assert!(expected.len() > 44_000_000 && expected.len() < 50_000_000, "{} bytes", expected.len());
    // 880,000 entries: over the default 500,000 quota, as after AWS raised it.
    let out = crlkit_s3(
        &endpoint,
        &[
            "upload",
            der.to_str().unwrap(),
            &format!("s3://{bucket}/crl/"),
            "--json",
            "--max-entries",
            "1000000",
            "--sse",
            "AES256",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    let up = &v["uploads"][0];
    assert_eq!((up["result"].as_str(), up["key"].as_str()), (Some("uploaded"), Some("crl/big.pem")));
    assert_eq!(up["size"].as_u64(), Some(expected.len() as u64));
    // The object, as boto3 sees it: the PEM OpenSSL makes, and crlkit's facts as metadata.
    let python = std::env::var("CRLKIT_TEST_PYTHON").expect("CRLKIT_TEST_PYTHON: run through `cargo xtask test`");
    let read = r#"
import boto3, hashlib, json, sys
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
o = s3.get_object(Bucket=sys.argv[2], Key="crl/big.pem")
print(json.dumps({"sha256": hashlib.sha256(o["Body"].read()).hexdigest(), "metadata": o["Metadata"],
                  "sse": o.get("ServerSideEncryption")}))
"#;
    let out = Command::new(python).args(["-c", read, &endpoint, &bucket]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let expected_sha = sha256sum(&expected);
    assert_eq!(seen["sha256"], expected_sha.as_str(), "stored bytes differ from openssl's PEM");
    assert_eq!(seen["sse"], "AES256", "--sse AES256 reached the server");
    let meta = &seen["metadata"];
    assert_eq!((meta["crlkit-crl-number"].as_str(), meta["crlkit-entries"].as_str()), (Some("7"), Some("880000")));
    assert_eq!(meta["crlkit-sha256"], expected_sha.as_str());
    assert!(meta["crlkit-issuer"].as_str().unwrap().contains("crlkit throwaway CA"), "{meta}");
    // And back down, validated on the way, as PEM and as DER.
    let pem_back = dir.join("back.pem");
    let out = crlkit_s3(&endpoint, &["pull", &format!("s3://{bucket}/crl/big.pem"), "-o", pem_back.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::read(&pem_back).unwrap() == expected);
    let der_back = dir.join("back.der");
    let out = crlkit_s3(
        &endpoint,
        &["pull", &format!("s3://{bucket}/crl/big.pem"), "--to", "der", "-o", der_back.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::read(&der_back).unwrap() == std::fs::read(&der).unwrap());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_stale_crl_never_replaces_a_fresh_one_and_the_same_bytes_are_a_no_op() {
    let endpoint = s3_endpoint();
    let dir = tempdir("s3-stale");
    let bucket = format!("crlkit-stale-{}", std::process::id());
    create_bucket(&endpoint, &bucket);
    let two = make_crl(&dir, "two.crl", 100, 2);
    let one = make_crl(&dir, "one.crl", 90, 1);
    let url = format!("s3://{bucket}/crl/ca.pem");
    let ca = dir.join("ca.pem");
    let up = |crl: &Path| crlkit_s3(&endpoint, &["upload", crl.to_str().unwrap(), &url, "--ca", ca.to_str().unwrap()]);
    let first = up(&two);
    assert_eq!(first.status.code(), Some(0), "{}{}", stdout(&first), stderr(&first));
    assert!(stdout(&first).contains("uploaded CRL number 2"), "{}", stdout(&first));
    let again = up(&two);
    assert_eq!(again.status.code(), Some(0));
    assert!(stdout(&again).contains("already holds this CRL"), "{}", stdout(&again));
    let older = up(&one);
    assert_eq!(older.status.code(), Some(1), "{}", stdout(&older));
    assert!(
        stdout(&older).contains("REFUSED") && stdout(&older).contains("number 2, this one 1"),
        "{}",
        stdout(&older)
    );
    // Still number 2 there.
    let listed = crlkit_s3(&endpoint, &["pull", &format!("s3://{bucket}/crl/"), "--long", "--json"]);
    assert_eq!(json(&listed)["objects"][0]["crl"]["crl_number"], "2");
    // A truncated object is refused on the way down, and leaves no file.
    let bytes = std::fs::read(&two).unwrap();
    let (status, _) = http(&endpoint, "PUT", &format!("/{bucket}/crl/cut.crl"), &bytes[..bytes.len() - 9]);
    assert_eq!(status, 200);
    let target = dir.join("cut.crl");
    let out = crlkit_s3(&endpoint, &["pull", &format!("s3://{bucket}/crl/cut.crl"), "-o", target.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("error[truncated]"), "{}", stderr(&out));
    assert!(!target.exists(), "no file from a truncated download");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn staged_bundles_are_reproducible_and_refused_when_changed() {
    let endpoint = s3_endpoint();
    let dir = tempdir("stage");
    let crl = make_crl(&dir, "pca.crl", 300, 4);
    let ca = dir.join("ca.pem");
    let stage = |out: &Path| {
        crlkit(&["stage", crl.to_str().unwrap(), "--out", out.to_str().unwrap(), "--ca", ca.to_str().unwrap()])
    };
    let (a, b) = (dir.join("a"), dir.join("b"));
    assert!(stage(&a).status.success());
    assert!(stage(&b).status.success());
    for f in ["pca.pem", "manifest.json", "manifest.sha256", "README.txt"] {
        assert_eq!(std::fs::read(a.join(f)).unwrap(), std::fs::read(b.join(f)).unwrap(), "{f} differs between runs");
    }
    assert_eq!(std::fs::read(a.join("pca.pem")).unwrap(), openssl_pem(&crl));
    let readme = std::fs::read_to_string(a.join("README.txt")).unwrap();
    assert!(
        readme.contains("crlkit upload . s3://BUCKET/") && readme.contains("aws s3 cp pca.pem s3://BUCKET/crl/pca.pem")
    );
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(a.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["files"][0]["key"], "crl/pca.pem");
    assert_eq!(manifest["files"][0]["facts"]["crl_number"], "4");
    // Into a directory that is not empty: refused.
    assert_eq!(stage(&a).status.code(), Some(2));
    // Blocking preflight findings (over a lowered quota): not staged, exit 1, no directory.
    let blocked = dir.join("blocked");
    let out = crlkit(&["stage", crl.to_str().unwrap(), "--out", blocked.to_str().unwrap(), "--max-entries", "10"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("NOT staged") && stdout(&out).contains("entry-count"), "{}", stdout(&out));
    assert!(!blocked.exists());
    let out =
        crlkit(&["upload", crl.to_str().unwrap(), &format!("file://{}/", blocked.display()), "--max-entries", "10"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("REFUSED by preflight"), "{}", stdout(&out));
    assert!(!blocked.exists(), "nothing uploaded");

    // The connected side: the bundle as staged goes up whole.
    let bucket = format!("crlkit-stage-{}", std::process::id());
    create_bucket(&endpoint, &bucket);
    let out = crlkit_s3(&endpoint, &["upload", a.to_str().unwrap(), &format!("s3://{bucket}/")]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains(&format!("s3://{bucket}/crl/pca.pem: uploaded")), "{}", stdout(&out));

    // A byte flipped, a file missing, a file added, the manifest edited: each refused before
    // anything is sent, naming the problem.
    let copy = |name: &str| {
        let d = dir.join(name);
        std::fs::create_dir(&d).unwrap();
        for f in ["pca.pem", "manifest.json", "manifest.sha256", "README.txt"] {
            std::fs::copy(b.join(f), d.join(f)).unwrap();
        }
        d
    };
    let flipped = copy("flipped");
    let mut pem = std::fs::read(flipped.join("pca.pem")).unwrap();
    pem[100] ^= 1;
    std::fs::write(flipped.join("pca.pem"), pem).unwrap();
    let missing = copy("missing");
    std::fs::remove_file(missing.join("pca.pem")).unwrap();
    let extra = copy("extra");
    std::fs::write(extra.join("other.pem"), b"x").unwrap();
    let edited = copy("edited");
    let m = std::fs::read_to_string(edited.join("manifest.json")).unwrap().replace("crl/pca.pem", "crl/other.pem");
    std::fs::write(edited.join("manifest.json"), m).unwrap();
    for (d, code, name) in [
        (&flipped, "bundle-changed-file", "pca.pem"),
        (&missing, "bundle-missing-file", "pca.pem"),
        (&extra, "bundle-extra-file", "other.pem"),
        (&edited, "bundle-manifest", "manifest"),
    ] {
        let out = crlkit_s3(&endpoint, &["upload", d.to_str().unwrap(), &format!("s3://{bucket}/other/")]);
        assert_eq!(out.status.code(), Some(2), "{code}");
        let err = stderr(&out);
        assert!(
            err.contains(&format!("error[{code}]")) && err.contains(name) && err.contains("nothing was uploaded"),
            "{err}"
        );
    }
    // A manifest whose key would escape the target or overwrite the ledger, its checksum made
    // to match: refused before anything is sent.
    for (i, key) in ["../escape.pem", "/abs.pem", "crl//pca.pem", "./pca.pem", ".crlkit/ledger.json"].iter().enumerate()
    {
        let d = copy(&format!("bad-key-{i}"));
        let m =
            std::fs::read_to_string(d.join("manifest.json")).unwrap().replace("\"crl/pca.pem\"", &format!("{key:?}"));
        assert!(m.contains(&format!("{key:?}")), "the key was replaced");
        std::fs::write(d.join("manifest.json"), &m).unwrap();
        std::fs::write(
            d.join("manifest.sha256"),
            format!("{}  manifest.json\n", crlkit_upload::sha256_hex(m.as_bytes())),
        )
        .unwrap();
        let out = crlkit_s3(&endpoint, &["upload", d.to_str().unwrap(), &format!("s3://{bucket}/other/")]);
        assert_eq!(out.status.code(), Some(2), "{key}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("error[bundle-bad-key]") && err.contains("nothing was uploaded"), "{key}: {err}");
    }
    let listed = crlkit_s3(&endpoint, &["pull", &format!("s3://{bucket}/other/"), "--json"]);
    assert!(json(&listed)["objects"].as_array().unwrap().is_empty(), "nothing sent for a refused bundle");
    let all = json(&crlkit_s3(&endpoint, &["pull", &format!("s3://{bucket}/"), "--json"]));
    let keys: Vec<&str> = all["objects"].as_array().unwrap().iter().map(|o| o["key"].as_str().unwrap()).collect();
    assert!(!keys.iter().any(|k| k.contains("escape") || k.contains("abs.pem")), "{keys:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn file_and_memory_targets_need_no_cloud() {
    let dir = tempdir("file-target");
    let crl = make_crl(&dir, "ca.crl", 50, 3);
    let store = dir.join("store");
    let url = format!("file://{}/", store.display());
    let out = crlkit(&["upload", crl.to_str().unwrap(), &url]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read(store.join("ca.pem")).unwrap(), openssl_pem(&crl));
    assert_eq!(dir_entries(&store), ["ca.pem"], "no lock or temporary file in the store");
    let listed = crlkit(&["pull", &url, "--long"]);
    assert!(stdout(&listed).contains("ca.pem  number 3"), "{}", stdout(&listed));
    let out = crlkit(&["upload", crl.to_str().unwrap(), "memory://scratch/crl/ca.pem"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Plain HTTP to a remote endpoint is refused before anything is sent.
    let out =
        crlkit(&["upload", crl.to_str().unwrap(), "s3://bucket-x/k.pem", "--endpoint-url", "http://s3.example.com"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("error[insecure-endpoint]"), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

/// With authentication on (moto's INITIAL_NO_AUTH_ACTION_COUNT), the right key works and a
/// wrong secret is refused with a clear error.
#[test]
fn a_wrong_secret_is_refused_clearly() {
    let moto = std::env::var("CRLKIT_MOTO_SERVER").expect("CRLKIT_MOTO_SERVER: run through `cargo xtask test`");
    let python = std::env::var("CRLKIT_TEST_PYTHON").expect("CRLKIT_TEST_PYTHON: run through `cargo xtask test`");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = Command::new(moto)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .env("INITIAL_NO_AUTH_ACTION_COUNT", "3")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let endpoint = format!("http://127.0.0.1:{port}");
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed().as_secs() < 60, "moto did not start");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Three unauthenticated calls make a user allowed to use S3; the bucket is made with its key.
    let setup = r#"
import boto3, json, sys
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="x", aws_secret_access_key="x")
iam.create_user(UserName="crlkit")
iam.put_user_policy(UserName="crlkit", PolicyName="s3", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
key = iam.create_access_key(UserName="crlkit")["AccessKey"]
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
                  aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
s3.create_bucket(Bucket="crlkit-auth")
print(key["AccessKeyId"], key["SecretAccessKey"])
"#;
    let out = Command::new(python).args(["-c", setup, &endpoint]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let keys = String::from_utf8(out.stdout).unwrap();
    let (id, secret) = keys.trim().split_once(' ').unwrap();
    let dir = tempdir("auth");
    let crl = make_crl(&dir, "ca.crl", 20, 1);
    let upload = |secret: &str| {
        Command::new(env!("CARGO_BIN_EXE_crlkit"))
            .args(["upload", crl.to_str().unwrap(), "s3://crlkit-auth/ca.pem", "--endpoint-url", &endpoint])
            .env("AWS_ACCESS_KEY_ID", id)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .output()
            .unwrap()
    };
    let good = upload(secret);
    let wrong = upload("not-the-secret");
    // The same key through a profile whose credentials come from credential_process, as the
    // AWS CLI resolves it: no key in the environment at all.
    let config = dir.join("aws-config");
    std::fs::write(
        &config,
        format!(
            "[profile proc]\ncredential_process = /bin/echo '{{\"Version\": 1, \"AccessKeyId\": \"{id}\", \"SecretAccessKey\": \"{secret}\"}}'\nregion = us-east-1\n"
        ),
    )
    .unwrap();
    let (two, _) = (make_crl(&dir, "two.crl", 20, 2), ());
    let via_profile = Command::new(env!("CARGO_BIN_EXE_crlkit"))
        .args([
            "upload",
            two.to_str().unwrap(),
            "s3://crlkit-auth/ca.pem",
            "--endpoint-url",
            &endpoint,
            "--profile",
            "proc",
            "--sse",
            "AES256",
        ])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_CONFIG_FILE", &config)
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(good.status.code(), Some(0), "{}", stderr(&good));
    assert_eq!(via_profile.status.code(), Some(0), "credential_process profile: {}", stderr(&via_profile));
    assert!(stdout(&via_profile).contains("uploaded CRL number 2"), "{}", stdout(&via_profile));
    assert_eq!(wrong.status.code(), Some(2), "{}", stdout(&wrong));
    let err = stderr(&wrong);
    assert!(err.starts_with("crlkit: error[credentials]: "), "{err}");
    assert!(
        err.contains("SignatureDoesNotMatch") && err.contains("help: credentials resolve as for the AWS CLI"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
