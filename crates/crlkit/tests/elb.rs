//! End to end against the local S3 server (moto) and the trust-store emulator that
//! `cargo xtask test` starts: publish, register, revocations and sync, with the quotas,
//! throttling, expired credentials and `--plan`.

#![cfg(feature = "online")]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;

/// Monday 2026-11-02: the synthetic CRLs below are fresh then.
const AT: &str = "2026-11-02T00:00:00Z";

fn elb_endpoint() -> String {
    std::env::var("CRLKIT_ELB_ENDPOINT")
        .expect("CRLKIT_ELB_ENDPOINT is not set: run the tests with `cargo xtask test`, which starts the emulator")
}

/// `crlkit ARGS` with S3 at moto and ELB at the emulator, to run or spawn.
fn crlkit_command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_crlkit"));
    c.args(args)
        .env("AWS_ENDPOINT_URL_S3", s3_endpoint())
        .env("AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2", elb_endpoint())
        .env("AWS_ENDPOINT_URL_ACM_PCA", s3_endpoint());
    c
}

/// `crlkit ARGS` with S3 at moto and ELB at the emulator, run to the end.
fn run(args: &[&str]) -> Output {
    crlkit_command(args).output().unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", stdout(o), stderr(o)))
}

/// boto3 (the test venv's), for what crlkit does not do: creating trust stores, adding a file
/// by hand, listing what the emulator holds.
fn boto3(script: &str, args: &[&str]) -> String {
    let python = std::env::var("CRLKIT_TEST_PYTHON").expect("CRLKIT_TEST_PYTHON: run with `cargo xtask test`");
    let prelude = "import boto3, sys, json\n\
        elb = boto3.client('elbv2', endpoint_url=sys.argv[1], region_name=sys.argv[2])\n\
        s3 = boto3.client('s3', endpoint_url=sys.argv[3], region_name='us-east-1')\n";
    let out = Command::new(python)
        .args(["-c", &format!("{prelude}{script}"), &elb_endpoint(), args[0], &s3_endpoint()])
        .args(&args[1..])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out).trim().to_owned()
}

/// A trust store named `name` in `region` trusting the synthetic CA, with emulator tags.
fn trust_store(bucket: &str, region: &str, name: &str, tags: &[(&str, &str)]) -> String {
    let tags: Vec<String> = tags.iter().map(|(k, v)| format!("{{'Key':'{k}','Value':'{v}'}}")).collect();
    boto3(
        &format!(
            "print(elb.create_trust_store(Name=sys.argv[4], CaCertificatesBundleS3Bucket=sys.argv[5], \
             CaCertificatesBundleS3Key='ca/ca.pem'{})['TrustStores'][0]['TrustStoreArn'])",
            if tags.is_empty() { String::new() } else { format!(", Tags=[{}]", tags.join(",")) }
        ),
        &[region, name, bucket],
    )
}

/// Revocation IDs and counts the emulator holds for `arn`.
fn live(arn: &str) -> Vec<(i64, u64)> {
    let region = arn.split(':').nth(3).unwrap();
    let out = boto3(
        "r = elb.describe_trust_store_revocations(TrustStoreArn=sys.argv[4])['TrustStoreRevocations']\n\
         print(json.dumps([[x['RevocationId'], x['NumberOfRevokedEntries']] for x in r]))",
        &[region, arn],
    );
    serde_json::from_str::<Vec<(i64, u64)>>(&out).unwrap()
}

struct Ca {
    key: crlkit_sign::CaKey,
    cert: crlkit_sign::CaCert,
}

fn ca() -> Ca {
    let key =
        crlkit_sign::CaKey::from_pkcs8_pem(&std::fs::read_to_string(fixture("keys/ca.p256.key.pem")).unwrap()).unwrap();
    let cert = crlkit_sign::self_signed_ca(&key, "synthetic", 1_735_689_600, 2_051_222_400);
    Ca { key, cert }
}

/// A DER CRL of `ca` numbered `number` with `count` entries, fresh at [`AT`] for a week.
fn crl(ca: &Ca, path: &Path, number: u64, count: u64) {
    let this = 1_793_491_200 + number as i64 * 60;
    let params = crlkit_sign::CrlParams::for_ca(&ca.cert, this, Some(1_794_096_000), number);
    let entries = crlkit_sign::Synthetic { seed: number, count, newest: this };
    crlkit_sign::write_crl(std::fs::File::create(path).unwrap(), &params, &ca.key, || entries.iter()).unwrap();
}

/// A bucket with the CA bundle at `ca/ca.pem`, and the bundle on disk.
fn setup(name: &str) -> (String, TempDir, Ca) {
    let bucket = format!("elb-{name}-{}", std::process::id());
    create_bucket(&s3_endpoint(), &bucket);
    let dir = tempdir(&format!("elb-{name}"));
    let ca = ca();
    let bundle = dir.join("ca.pem");
    std::fs::write(&bundle, ca.cert.pem()).unwrap();
    boto3(
        "s3.put_object(Bucket=sys.argv[4], Key='ca/ca.pem', Body=open(sys.argv[5], 'rb').read())",
        &["us-east-1", &bucket, bundle.to_str().unwrap()],
    );
    (bucket, dir, ca)
}

#[test]
fn publish_then_publish_again_is_a_no_op_and_revocations_joins_the_ledger() {
    let (bucket, dir, ca) = setup("publish");
    let arn = trust_store(&bucket, "us-east-1", &format!("pub{}", std::process::id()), &[]);
    let one = dir.join("ca.crl");
    crl(&ca, &one, 5, 1000);
    let to = format!("s3://{bucket}/crl/");
    let bundle = dir.join("ca.pem");
    let args = [
        "publish",
        one.to_str().unwrap(),
        "--to",
        &to,
        "--ca",
        bundle.to_str().unwrap(),
        "--at",
        AT,
        "--trust-store-arn",
        &arn,
        "--json",
    ];
    let o = run(&args);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    let reg = &v["crls"][0]["registrations"][0];
    assert_eq!((reg["result"].as_str(), reg["elb_entries"].as_u64()), (Some("added"), Some(1000)), "{v}");
    let id = reg["revocation_id"].as_i64().unwrap();
    assert_eq!(live(&arn), [(id, 1000)]);

    // The same CRL again: nothing uploaded, nothing added, the existing ID reported.
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["crls"][0]["upload"], "identical");
    assert_eq!(v["crls"][0]["registrations"][0]["result"], "already-registered");
    assert_eq!(v["crls"][0]["registrations"][0]["revocation_id"].as_i64(), Some(id));
    assert_eq!(live(&arn), [(id, 1000)], "no second add");

    // A file added by hand is of unknown source; judged now, the CRL is stale: exit 1.
    boto3(
        "elb.add_trust_store_revocations(TrustStoreArn=sys.argv[4], RevocationContents=[{'S3Bucket': sys.argv[5], 'S3Key': 'crl/ca.pem'}])",
        &["us-east-1", &arn, &bucket],
    );
    let o = run(&["revocations", "--trust-store-arn", &arn, "--ledger", &to, "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    let states: Vec<&str> = v["revocations"].as_array().unwrap().iter().map(|r| r["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["stale", "unknown-source"], "{v}");
    assert_eq!(v["revocations"][0]["crl_number"], "5");
    assert_eq!(v["revocations"][0]["source"], format!("s3://{bucket}/crl/ca.pem"));
    // Fresh at AT, but the file of unknown source holds a CRL of the issuer crlkit manages
    // here: a second source of truth no rotation retires, so still exit 1.
    let o = run(&["revocations", "--trust-store-arn", &arn, "--ledger", &to, "--at", AT, "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(json(&o)["revocations"][1]["problems"], serde_json::json!(["unknown-of-managed-issuer"]));
    // A publish --replace reads it, finds it a second copy of its own CRL, adopts and removes it.
    let mut replace = args.to_vec();
    replace.push("--replace");
    let o = run(&replace);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let reg = &json(&o)["crls"][0]["registrations"][0];
    assert_eq!(
        (reg["result"].as_str(), reg["adopted"].as_array().map(Vec::len)),
        (Some("already-registered"), Some(1))
    );
    assert_eq!(live(&arn), [(id, 1000)], "the copy is gone");
    let o = run(&["revocations", "--trust-store-arn", &arn, "--ledger", &to, "--at", AT]);
    assert_eq!(o.status.code(), Some(0), "fresh at {AT}, nothing wrong: {}", stderr(&o));
    // Without --ledger: the trust store names its ledger (tagged when crlkit added the CRL).
    let o = run(&["revocations", "--trust-store-arn", &arn, "--at", AT, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    assert_eq!(v["ledgers"], serde_json::json!([format!("{to}.crlkit/ledger.json")]), "{v}");
    assert_eq!(v["revocations"][0]["crl_number"], "5", "joined with the tagged ledger: {v}");
    // A trust store crlkit never added to names none: say so, exit 2.
    let bare = trust_store(&bucket, "us-east-1", &format!("bare{}", std::process::id()), &[]);
    let o = run(&["revocations", "--trust-store-arn", &bare]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("names no ledger") && stderr(&o).contains("--ledger"), "{}", stderr(&o));
}

/// The region each S3 request for `bucket` was signed for (its `Authorization` credential
/// scope), from moto's request recording.
fn signed_regions(recording: &str, bucket: &str) -> Vec<String> {
    recording
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| e["url"].as_str().is_some_and(|u| u.contains(&format!("/{bucket}/"))))
        .filter_map(|e| {
            let auth = e["headers"]["Authorization"].as_str()?.to_owned();
            // Credential=KEY/DATE/REGION/s3/aws4_request
            auth.split("Credential=").nth(1)?.split('/').nth(2).map(str::to_owned)
        })
        .collect()
}

#[test]
fn source_and_destination_buckets_in_two_regions() {
    let (bucket, dir, ca) = setup("regions");
    let arn = trust_store(&bucket, "us-east-1", &format!("regions{}", std::process::id()), &[]);
    let pca = format!("elb-pca-eu-{}", std::process::id());
    boto3(
        "s3.create_bucket(Bucket=sys.argv[4], CreateBucketConfiguration={'LocationConstraint': 'eu-west-1'})",
        &["us-east-1", &pca],
    );
    let source = format!("s3://{pca}/crl/ca.crl");
    issue(&ca, &dir, &source, 4, 5);
    let (to, bundle) = (format!("s3://{bucket}/crl/"), dir.join("ca.pem"));
    let endpoint = s3_endpoint();
    let recorded = |args: &[&str]| {
        http(&endpoint, "POST", "/moto-api/recorder/reset-recording", b"");
        let (status, _) = http(&endpoint, "POST", "/moto-api/recorder/start-recording", b"");
        assert_eq!(status, 200);
        let mut a = vec!["sync", "--from", &source, "--ca", bundle.to_str().unwrap(), "--to", &to, "--at", AT];
        a.extend(["--trust-store-arn", &arn, "--json"]);
        a.extend(args);
        let o = run(&a);
        http(&endpoint, "POST", "/moto-api/recorder/stop-recording", b"");
        assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
        let (_, recording) = http(&endpoint, "GET", "/moto-api/recorder/download-recording", b"");
        (json(&o), String::from_utf8_lossy(&recording).into_owned())
    };
    let pem_url = format!("/{bucket}/crl/ca.pem");
    // The PEM's requests; a read-back is a GET of what was just written: If-Match its ETag
    // (the emulator's GET, when ELB copies the CRL, has none).
    let pem_calls = |recording: &str| -> Vec<String> {
        let calls = recording.lines().filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok());
        let of_pem =
            calls.filter(|e| e["url"].as_str().is_some_and(|u| u.split('?').next().unwrap().ends_with(&pem_url)));
        of_pem
            .map(|e| {
                let headers = e["headers"].as_object().cloned().unwrap_or_default();
                let if_match = headers.keys().any(|k| k.eq_ignore_ascii_case("if-match"));
                format!("{}{}", e["method"].as_str().unwrap_or(""), if if_match { " if-match" } else { "" })
            })
            .collect()
    };
    // No --source-region: the bucket's region is found from S3 (HeadBucket), and said.
    let (report, recording) = recorded(&[]);
    assert_eq!(report["trust_stores"][0]["registration"]["result"], "added");
    assert_eq!(report["source_region"], "eu-west-1", "{report}");
    let (from, into) = (signed_regions(&recording, &pca), signed_regions(&recording, &bucket));
    assert!(!from.is_empty() && from.iter().all(|r| r == "eu-west-1"), "the source, in its region: {from:?}");
    assert!(!into.is_empty() && into.iter().all(|r| r == "us-east-1"), "the destination, in the run's: {into:?}");
    // moto takes the checksum header unchecked: on its endpoint the PEM is read back.
    assert_eq!(report["upload_checked"], "read-back", "{report}");
    let calls = pem_calls(&recording);
    assert_eq!(
        calls.iter().skip_while(|m| !m.starts_with("PUT")).filter(|m| *m == "GET if-match").count(),
        1,
        "{calls:?}"
    );
    // The PEM's PUT carried x-amz-checksum-sha256, S3's check on arrival: the SHA-256 of the
    // bytes stored, as Python computes it.
    let sent: Vec<String> = recording
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| {
            e["method"] == "PUT" && e["url"].as_str().is_some_and(|u| u.ends_with(&format!("/{bucket}/crl/ca.pem")))
        })
        .filter_map(|e| {
            let headers = e["headers"].as_object()?.clone();
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("x-amz-checksum-sha256"))
                .map(|(_, v)| v.as_str().unwrap_or("").to_owned())
        })
        .collect();
    let stored = boto3(
        "import base64, hashlib\n\
         b = s3.get_object(Bucket=sys.argv[4], Key=sys.argv[5])['Body'].read()\n\
         print(base64.b64encode(hashlib.sha256(b).digest()).decode())",
        &["us-east-1", &bucket, "crl/ca.pem"],
    );
    assert_eq!(sent, [stored], "one PUT of the PEM, its checksum that of the bytes stored");
    // The next CRL, the region given, and told the store checks the checksum: no read-back.
    issue(&ca, &dir, &source, 5, 6);
    let (report, recording) = recorded(&["--source-region", "eu-west-1", "--upload-check", "checksum"]);
    assert_eq!(report["trust_stores"][0]["registration"]["result"], "added", "{report}");
    assert_eq!(report["upload_checked"], "checksum", "{report}");
    let from = signed_regions(&recording, &pca);
    assert!(!from.is_empty() && from.iter().all(|r| r == "eu-west-1"), "{from:?}");
    let calls = pem_calls(&recording);
    assert!(calls.iter().any(|m| m.starts_with("PUT")), "{calls:?}");
    assert!(
        !calls.iter().skip_while(|m| !m.starts_with("PUT")).any(|m| m == "GET if-match"),
        "not read back: {calls:?}"
    );
}

/// A CA in moto's Private CA whose certificate is `bundle`, writing its CRL to `bucket` as
/// `crl_config` (a Python dict's inside) says.
fn private_ca(bucket: &str, bundle: &Path, crl_config: &str) -> String {
    boto3(
        &format!(
            "pca = boto3.client('acm-pca', endpoint_url=sys.argv[3], region_name='eu-west-1')\n\
             a = pca.create_certificate_authority(CertificateAuthorityConfiguration={{'KeyAlgorithm': 'EC_prime256v1', \
             'SigningAlgorithm': 'SHA256WITHECDSA', 'Subject': {{'CommonName': 'synthetic'}}}}, \
             CertificateAuthorityType='ROOT', RevocationConfiguration={{'CrlConfiguration': {{'Enabled': True, \
             'ExpirationInDays': 7, 'S3BucketName': sys.argv[4]{crl_config}}}}})['CertificateAuthorityArn']\n\
             pca.import_certificate_authority_certificate(CertificateAuthorityArn=a, Certificate=open(sys.argv[5], 'rb').read())\n\
             print(a)"
        ),
        &["us-east-1", bucket, bundle.to_str().unwrap()],
    )
}

#[test]
fn sync_from_a_private_ca_finds_its_crl_and_its_certificates() {
    let (bucket, dir, ca) = setup("from-ca");
    let arn = trust_store(&bucket, "us-east-1", &format!("fromca{}", std::process::id()), &[]);
    let ca_arn = private_ca(&bucket, &dir.join("ca.pem"), ", 'CustomPath': 'pki/crls'");
    let id = ca_arn.rsplit('/').next().unwrap();
    // Where Private CA writes it: <CustomPath>/<CA id>.crl.
    let source = format!("s3://{bucket}/pki/crls/{id}.crl");
    issue(&ca, &dir, &source, 7, 9);
    let to = format!("s3://{bucket}/crl/");
    // No --from, no --ca: both come from the CA's ARN.
    let o = run(&["sync", "--from-ca", &ca_arn, "--to", &to, "--at", AT, "--trust-store-arn", &arn, "--json"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    assert_eq!(v["source"], source.as_str(), "{v}");
    assert_eq!(v["trust_stores"][0]["registration"]["result"], "added", "{v}");
    assert_eq!(live(&arn).iter().map(|(_, n)| *n).collect::<Vec<_>>(), [9]);
    // The complete CRL pulled from the CA's ARN alone.
    let pulled = dir.join("pulled.crl");
    let o = run(&["pull", "--ca-arn", &ca_arn, "-o", pulled.to_str().unwrap()]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let stored = boto3(
        "print(s3.get_object(Bucket=sys.argv[4], Key=sys.argv[5])['Body'].read().decode())",
        &["us-east-1", &bucket, &format!("pki/crls/{id}.crl")],
    );
    assert_eq!(std::fs::read_to_string(&pulled).unwrap().trim_end(), stored, "the object as stored");
    // A partitioned CA that has written no partition yet, or a CA with no CRL: refused by name,
    // nothing sent.
    for (config, why) in [(", 'CrlType': 'PARTITIONED'", "no partition of its CRL"), ("", "")] {
        let other = if why.is_empty() {
            boto3(
                "pca = boto3.client('acm-pca', endpoint_url=sys.argv[3], region_name='eu-west-1')\n\
                 print(pca.create_certificate_authority(CertificateAuthorityConfiguration={'KeyAlgorithm': \
                 'EC_prime256v1', 'SigningAlgorithm': 'SHA256WITHECDSA', 'Subject': {'CommonName': 'x'}}, \
                 CertificateAuthorityType='ROOT')['CertificateAuthorityArn'])",
                &["us-east-1"],
            )
        } else {
            private_ca(&bucket, &dir.join("ca.pem"), config)
        };
        let o = run(&["sync", "--from-ca", &other, "--to", &to, "--at", AT, "--trust-store-arn", &arn]);
        assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains("error[no-complete-crl]") && e.contains(if why.is_empty() { "not enabled" } else { why }),
            "{e}"
        );
    }
}

/// The policy AWS documents for Private CA's CRL bucket, scoped to the account by
/// `condition` (`""`: no condition).
fn pca_bucket_policy(bucket: &str, condition: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"acm-pca.amazonaws.com"}},
        "Action":["s3:PutObject","s3:PutObjectAcl","s3:GetBucketAcl","s3:GetBucketLocation"],
        "Resource":["arn:aws:s3:::{bucket}/*","arn:aws:s3:::{bucket}"]{condition}}}]}}"#
    )
}

const SCOPED: &str = r#","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}"#;

/// `s3.<call>(Bucket=bucket, **kwargs)` through boto3, `kwargs` a Python literal.
fn s3_call(call: &str, bucket: &str, kwargs: &str) {
    boto3(&format!("s3.{call}(Bucket=sys.argv[4]{kwargs})"), &["us-east-1", bucket]);
}

/// `doctor --json` with `args`: the exit code, `(check, status, code)` of every line, the report.
fn doctor(args: &[&str]) -> (Option<i32>, Vec<(String, String, String)>, serde_json::Value) {
    let mut a = vec!["doctor", "--json"];
    a.extend_from_slice(args);
    let o = run(&a);
    let v = json(&o);
    let lines = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let f = |k: &str| c[k].as_str().unwrap().to_owned();
            (f("check"), f("status"), f("code"))
        })
        .collect();
    (o.status.code(), lines, v)
}

/// The codes of the lines that are not `ok`.
fn not_ok(lines: &[(String, String, String)]) -> Vec<&str> {
    lines.iter().filter(|l| l.1 != "ok").map(|l| l.2.as_str()).collect()
}

#[test]
fn doctor_passes_a_correct_set_up_and_names_each_broken_one() {
    let (bucket, dir, ca) = setup("doctor");
    let arn = trust_store(&bucket, "us-east-1", &format!("doctor{}", std::process::id()), &[]);
    let ca_arn = private_ca(&bucket, &dir.join("ca.pem"), "");
    let id = ca_arn.rsplit('/').next().unwrap().to_owned();
    let source = format!("s3://{bucket}/crl/{id}.crl");
    issue(&ca, &dir, &source, 7, 9);
    // What AWS's instructions have the user do by hand, and Private CA do once it can write.
    s3_call("put_bucket_policy", &bucket, &format!(", Policy={:?}", pca_bucket_policy(&bucket, SCOPED)));
    s3_call("put_object", &bucket, ", Key='acm-pca-permission-test', Body=b''");
    let to = format!("s3://{bucket}/elb/");
    let o = run(&["sync", "--from-ca", &ca_arn, "--to", &to, "--at", AT, "--trust-store-arn", &arn]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let base = ["--ca-arn", ca_arn.as_str(), "--at", AT, "--trust-store-arn", arn.as_str()];
    let (code, lines, v) = doctor(&base);
    assert_eq!(code, Some(0), "{v}");
    let codes: Vec<&str> = lines.iter().map(|l| l.2.as_str()).collect();
    assert_eq!(
        codes,
        [
            "ca-active",
            "crl-enabled",
            "bucket-exists",
            "policy-grants-private-ca",
            "object-acl-allowed",
            "permission-test-present",
            "crl-valid",
            "caller-can-write",
            "trust-store-current",
            "quota-ok"
        ],
        "{v}"
    );
    assert!(lines.iter().all(|l| l.1 == "ok"), "{v}");
    // The write probe leaves nothing behind.
    let keys = boto3(
        "print(sorted(o['Key'] for o in s3.list_objects_v2(Bucket=sys.argv[4], Prefix='crl/').get('Contents', [])))",
        &["us-east-1", &bucket],
    );
    assert_eq!(keys, format!("['crl/{id}.crl']"));
    // The text form: one line per check, the verdict last.
    let o = run(&["doctor", "--ca-arn", &ca_arn, "--at", AT, "--no-write-probe"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("[policy-grants-private-ca]") && text.contains("[caller-write-not-tried]"), "{text}");
    assert!(text.trim_end().ends_with("everything as it should be"), "{text}");

    // Each broken set-up, one at a time, named by its own code (exit 1), then put right.
    let scoped = format!(", Policy={:?}", pca_bucket_policy(&bucket, SCOPED));
    type Change<'a> = &'a dyn Fn();
    let objects_only = format!(
        ", Policy={:?}",
        pca_bucket_policy(&bucket, SCOPED).replace(r#","s3:GetBucketAcl","s3:GetBucketLocation""#, "")
    );
    let broken: [(&str, Change, Change); 6] = [
        ("policy-missing", &|| s3_call("delete_bucket_policy", &bucket, ""), &|| {
            s3_call("put_bucket_policy", &bucket, &scoped)
        }),
        (
            "policy-without-conditions",
            &|| s3_call("put_bucket_policy", &bucket, &format!(", Policy={:?}", pca_bucket_policy(&bucket, ""))),
            &|| s3_call("put_bucket_policy", &bucket, &scoped),
        ),
        (
            "public-read-blocked",
            &|| {
                s3_call(
                    "put_public_access_block",
                    &bucket,
                    ", PublicAccessBlockConfiguration={'BlockPublicAcls': True, 'IgnorePublicAcls': True}",
                )
            },
            &|| s3_call("delete_public_access_block", &bucket, ""),
        ),
        ("policy-lacks-actions", &|| s3_call("put_bucket_policy", &bucket, &objects_only), &|| {
            s3_call("put_bucket_policy", &bucket, &scoped)
        }),
        (
            "acls-disabled",
            &|| {
                s3_call(
                    "put_bucket_ownership_controls",
                    &bucket,
                    ", OwnershipControls={'Rules': [{'ObjectOwnership': 'BucketOwnerEnforced'}]}",
                )
            },
            &|| s3_call("delete_bucket_ownership_controls", &bucket, ""),
        ),
        ("permission-test-missing", &|| s3_call("delete_object", &bucket, ", Key='acm-pca-permission-test'"), &|| {
            s3_call("put_object", &bucket, ", Key='acm-pca-permission-test', Body=b''")
        }),
    ];
    for (expected, breaks, mends) in broken {
        breaks();
        let (code, lines, v) = doctor(&base);
        assert_eq!((code, not_ok(&lines)), (Some(1), vec![expected]), "{v}");
        mends();
    }
    // A stale CRL: judged after its nextUpdate.
    let (code, lines, v) = doctor(&["--ca-arn", &ca_arn, "--at", "2026-12-01T00:00:00Z"]);
    assert_eq!((code, not_ok(&lines)), (Some(1), vec!["crl-stale"]), "{v}");
    // The trust store holds an older CRL number than the bucket's.
    issue(&ca, &dir, &source, 8, 10);
    let (code, lines, v) = doctor(&base);
    assert_eq!((code, not_ok(&lines)), (Some(1), vec!["trust-store-stale"]), "{v}");
    let stale = v["checks"].as_array().unwrap().iter().find(|c| c["code"] == "trust-store-stale").unwrap();
    assert_eq!(stale["subject"], arn.as_str());
    assert!(stale["message"].as_str().unwrap().contains("number 7"), "{stale}");
    // A CRL signed by another CA where this CA's should be.
    let other_key =
        crlkit_sign::CaKey::from_pkcs8_pem(&std::fs::read_to_string(fixture("keys/ca.p384.key.pem")).unwrap()).unwrap();
    let other =
        Ca { cert: crlkit_sign::self_signed_ca(&other_key, "other", 1_735_689_600, 2_051_222_400), key: other_key };
    issue(&other, &dir, &source, 9, 3);
    let (code, lines, v) = doctor(&["--ca-arn", &ca_arn, "--at", AT]);
    assert_eq!((code, not_ok(&lines)), (Some(1), vec!["crl-wrong-signer"]), "{v}");
    // CRL distribution off: said, and nothing else is read.
    let off = boto3(
        "pca = boto3.client('acm-pca', endpoint_url=sys.argv[3], region_name='eu-west-1')\n\
         print(pca.create_certificate_authority(CertificateAuthorityConfiguration={'KeyAlgorithm': \
         'EC_prime256v1', 'SigningAlgorithm': 'SHA256WITHECDSA', 'Subject': {'CommonName': 'x'}}, \
         CertificateAuthorityType='ROOT')['CertificateAuthorityArn'])",
        &["us-east-1"],
    );
    let (code, lines, v) = doctor(&["--ca-arn", &off]);
    assert_eq!((code, not_ok(&lines)), (Some(1), vec!["ca-not-active", "crl-disabled"]), "{v}");
    // A CA that does not exist cannot be checked at all: exit 2.
    let gone = ca_arn.replace(&id, "00000000-0000-0000-0000-000000000000");
    let o = run(&["doctor", "--ca-arn", &gone]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("error[ca-not-found]"), "{}", stderr(&o));
}

/// Partitions 1-3 of generation `generation` uploaded where Private CA writes them (GUID names
/// under `crl/`), beside another CA's CRL that must be left alone.
fn write_partitions(bucket: &str, dir: &Path, generation: u32) -> Vec<std::path::PathBuf> {
    let parts: Vec<_> = (1..=3).map(|p| partition(dir, generation, p, 5 + p as u64 + generation as u64)).collect();
    for (i, p) in parts.iter().enumerate() {
        let url = format!("s3://{bucket}/crl/5d0c3a7e-000{}-4c1a-9e0f-0123456789ab.crl", i + 1);
        let o = run(&["upload", p.to_str().unwrap(), &url, "--force"]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    parts
}

#[test]
fn a_partitioned_ca_is_found_from_its_arn_by_sync_and_pull() {
    let (bucket, dir, _) = setup("from-ca-parts");
    let arn = trust_store(&bucket, "us-east-1", &format!("fromcaparts{}", std::process::id()), &[]);
    let ca_arn = private_ca(&bucket, &dir.join("ca.pem"), ", 'CrlType': 'PARTITIONED'");
    write_partitions(&bucket, &dir, 1);
    // Another CA's CRL under the same path: not one of this CA's partitions.
    let other_key =
        crlkit_sign::CaKey::from_pkcs8_pem(&std::fs::read_to_string(fixture("keys/ca.p384.key.pem")).unwrap()).unwrap();
    let other =
        Ca { cert: crlkit_sign::self_signed_ca(&other_key, "other", 1_735_689_600, 2_051_222_400), key: other_key };
    issue(&other, &dir, &format!("s3://{bucket}/crl/99999999-0000-4000-8000-000000000000.crl"), 3, 4);
    let to = format!("s3://{bucket}/elb/");
    let sync = || run(&["sync", "--from-ca", &ca_arn, "--to", &to, "--at", AT, "--trust-store-arn", &arn, "--json"]);
    let o = sync();
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    assert_eq!((v["ca_arn"].as_str(), v["crl_type"].as_str()), (Some(ca_arn.as_str()), Some("PARTITIONED")), "{v}");
    let results = |v: &serde_json::Value| -> Vec<String> {
        v["partitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let t = &p["trust_stores"][0];
                t["registration"]["result"].as_str().or(t["result"].as_str()).unwrap().to_owned()
            })
            .collect()
    };
    assert_eq!(results(&v), ["added", "added", "added"], "{v}");
    assert_eq!(live(&arn).iter().map(|l| l.1).collect::<Vec<_>>(), [7, 8, 9]);
    // Nothing new: every partition up to date, nothing sent.
    let before = elb_calls(&arn).len();
    let v = json(&sync());
    assert_eq!(results(&v), ["up-to-date", "up-to-date", "up-to-date"], "{v}");
    assert!(elb_calls(&arn)[before..].iter().all(|c| c.starts_with("Describe")));
    // The next generation: each partition replaces its own older file, one slot at a time.
    write_partitions(&bucket, &dir, 2);
    let o = sync();
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(live(&arn).iter().map(|l| l.1).collect::<Vec<_>>(), [8, 9, 10]);
    // The text form says what it found.
    let o = run(&["sync", "--from-ca", &ca_arn, "--to", &to, "--at", AT, "--trust-store-arn", &arn]);
    assert!(stdout(&o).contains("a partitioned CRL, 3 partition(s)"), "{}", stdout(&o));
    // pull: one file per partition with --out-dir; one object asked of a partitioned CA is refused.
    let out = dir.join("pulled");
    let o = run(&["pull", "--ca-arn", &ca_arn, "--out-dir", out.to_str().unwrap(), "--to", "pem"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let mut names: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names.iter().all(|n| n.starts_with("5d0c3a7e-") && n.ends_with(".pem")), "{names:?}");
    let o = run(&["pull", "--ca-arn", &ca_arn, "-o", dir.join("one.crl").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("error[no-complete-crl]") && stderr(&o).contains("--out-dir"), "{}", stderr(&o));
}

#[test]
fn doctor_checks_every_partition_and_finds_one_missing() {
    let (bucket, dir, _) = setup("doctor-parts");
    let arn = trust_store(&bucket, "us-east-1", &format!("doctorparts{}", std::process::id()), &[]);
    let ca_arn = private_ca(
        &bucket,
        &dir.join("ca.pem"),
        ", 'CrlType': 'PARTITIONED', 'S3ObjectAcl': 'BUCKET_OWNER_FULL_CONTROL'",
    );
    s3_call("put_bucket_policy", &bucket, &format!(", Policy={:?}", pca_bucket_policy(&bucket, SCOPED)));
    s3_call("put_object", &bucket, ", Key='acm-pca-permission-test', Body=b''");
    // Public ACLs blocked: fine with BUCKET_OWNER_FULL_CONTROL.
    s3_call("put_public_access_block", &bucket, ", PublicAccessBlockConfiguration={'BlockPublicAcls': True}");
    // Private CA's partitions, each under a GUID name; the trust store holds all three.
    let parts: Vec<_> = (1..=3).map(|p| partition(&dir, 1, p, 5 + p as u64)).collect();
    let guids = [
        "5d0c3a7e-0001-4c1a-9e0f-aaaaaaaaaaaa",
        "5d0c3a7e-0002-4c1a-9e0f-bbbbbbbbbbbb",
        "5d0c3a7e-0003-4c1a-9e0f-cccccccccccc",
    ];
    for (p, g) in parts.iter().zip(guids) {
        let o = run(&["upload", p.to_str().unwrap(), &format!("s3://{bucket}/crl/{g}.crl"), "--force"]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let refs: Vec<&Path> = parts.iter().map(|p| p.as_path()).collect();
    let o = publish_staged(&dir, &refs, &format!("s3://{bucket}/elb/"), &arn, &[]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let base = ["--ca-arn", ca_arn.as_str(), "--at", AT, "--trust-store-arn", arn.as_str()];
    let (code, lines, v) = doctor(&base);
    assert_eq!(code, Some(0), "{v}");
    let count = |code: &str| lines.iter().filter(|l| l.2 == code).count();
    assert_eq!((count("crl-valid"), count("trust-store-current"), count("object-acl-allowed")), (3, 3, 1), "{v}");
    // One partition's object gone: the trust store still holds it, and it will never be updated.
    s3_call("delete_object", &bucket, &format!(", Key='crl/{}.crl'", guids[1]));
    let (code, lines, v) = doctor(&base);
    assert_eq!((code, not_ok(&lines)), (Some(1), vec!["partition-missing"]), "{v}");
    assert_eq!(lines.iter().filter(|l| l.2 == "crl-valid").count(), 2, "{v}");
}

/// CRL `number` of `ca` listing exactly `serials` (DER content octets), uploaded to `source`.
fn issue_listing(ca: &Ca, dir: &Path, source: &str, number: u64, serials: &[&[u8]]) {
    let file = dir.join(format!("listing-{number}.crl"));
    // Fresh now: `revoke --sync` preflights it at the time it runs.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let this = now - 600 + number as i64;
    let params = crlkit_sign::CrlParams::for_ca(&ca.cert, this, Some(now + 7 * 86_400), number);
    let entries = || serials.iter().map(|s| crlkit_sign::EntrySpec::new(s, this - 30, Some(1), None));
    crlkit_sign::write_crl(std::fs::File::create(&file).unwrap(), &params, &ca.key, entries).unwrap();
    let o = run(&["upload", file.to_str().unwrap(), source, "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn revoke_wait_watches_the_crl_until_a_newer_one_lists_the_serials() {
    let (bucket, dir, ca) = setup("revoke-wait");
    let ca_arn = private_ca(&bucket, &dir.join("ca.pem"), "");
    let id = ca_arn.rsplit('/').next().unwrap();
    let source = format!("s3://{bucket}/crl/{id}.crl");
    issue_listing(&ca, &dir, &source, 1, &[]);
    // --sync: then to the trust store, in the same run.
    let arn = trust_store(&bucket, "us-east-1", &format!("revokewait{}", std::process::id()), &[]);
    let to = format!("s3://{bucket}/trust/");
    let mut a = vec!["revoke", "--ca-arn", &ca_arn, "--serial", "0a:1b:2c", "--reason", "keyCompromise"];
    a.extend(["--wait", "--poll-interval", "1s", "--timeout", "60s", "--json"]);
    a.extend(["--sync", "--to", &to, "--trust-store-arn", &arn]);
    let child =
        crlkit_command(&a).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    // Private CA's part: a newer CRL that does not list it yet, then one that does.
    std::thread::sleep(std::time::Duration::from_secs(2));
    issue_listing(&ca, &dir, &source, 2, &[&[0x05]]);
    std::thread::sleep(std::time::Duration::from_secs(2));
    issue_listing(&ca, &dir, &source, 3, &[&[0x05], &[0x0a, 0x1b, 0x2c]]);
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    assert_eq!(v["serials"][0]["result"], "revoked", "{v}");
    assert_eq!(v["listed"]["crl_number"], "3", "not 2, which does not list it: {v}");
    assert_eq!(v["listed"]["crl_url"], source.as_str());
    assert!(v["listed"]["waited_seconds"].as_u64().unwrap() >= 3, "{v}");
    assert_eq!(v["sync"]["trust_stores"][0]["registration"]["result"], "added", "{v}");
    assert_eq!(v["sync"]["crl_number"], "3", "{v}");
    assert_eq!(live(&arn).iter().map(|(_, n)| *n).collect::<Vec<_>>(), [2], "the CRL that lists it, live");
    let steps: Vec<&str> = v["steps"].as_array().unwrap().iter().map(|s| s[0].as_str().unwrap()).collect();
    assert_eq!(steps, ["revoke", "wait", "sync"], "{v}");
    // No newer CRL within the timeout: exit 2, said so, the revocation stands.
    let mut a = vec!["revoke", "--ca-arn", &ca_arn, "--serial", "0a:1b:2d", "--reason", "keyCompromise"];
    a.extend(["--wait", "--poll-interval", "1s", "--timeout", "2s"]);
    let o = run(&a);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("error[wait-timeout]") && stdout(&o).contains("0a:1b:2d (--serial 0a:1b:2d): revoked"));
    // Listed, then a sync that cannot work (its bucket does not exist): the report is printed
    // whole (the revocation, the wait), then the failure, exit 2.
    let gone = format!("s3://{bucket}-gone/trust/");
    let mut a = vec!["revoke", "--ca-arn", &ca_arn, "--serial", "0a:1b:2e", "--reason", "keyCompromise"];
    a.extend([
        "--wait",
        "--poll-interval",
        "1s",
        "--timeout",
        "60s",
        "--sync",
        "--to",
        &gone,
        "--trust-store-arn",
        &arn,
    ]);
    let child =
        crlkit_command(&a).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_secs(2));
    issue_listing(&ca, &dir, &source, 4, &[&[0x05], &[0x0a, 0x1b, 0x2c], &[0x0a, 0x1b, 0x2e]]);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("0a:1b:2e (--serial 0a:1b:2e): revoked") && text.contains("lists every one of them"),
        "{text}"
    );
    assert!(text.contains("took: revoke") && text.contains("sync"), "{text}");
    assert!(stderr(&o).contains("error[") && stderr(&o).contains("-gone"), "{}", stderr(&o));
}

/// Partition `p` (its own IDP) of `ca`, number `number`, listing `serials`, fresh now, at `source`.
fn issue_partition(ca: &Ca, dir: &Path, source: &str, p: u32, number: u64, serials: &[&[u8]]) {
    let file = dir.join(format!("part-{p}-{number}.crl"));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let this = now - 600 + number as i64;
    let mut params = crlkit_sign::CrlParams::for_ca(&ca.cert, this, Some(now + 7 * 86_400), number);
    params.issuing_distribution_point = Some(format!("http://crl.example/p{p}.crl"));
    let entries = || serials.iter().map(|s| crlkit_sign::EntrySpec::new(s, this - 30, Some(1), None));
    crlkit_sign::write_crl(std::fs::File::create(&file).unwrap(), &params, &ca.key, entries).unwrap();
    let o = run(&["upload", file.to_str().unwrap(), source, "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn revoke_wait_on_a_partitioned_ca_watches_every_partition() {
    let (bucket, dir, ca) = setup("revoke-wait-parts");
    let ca_arn = private_ca(&bucket, &dir.join("ca.pem"), ", 'CrlType': 'PARTITIONED'");
    let part = |p: u32| format!("s3://{bucket}/crl/7e57a11e-000{p}-4000-8000-0123456789ab.crl");
    for p in 1..=3 {
        issue_partition(&ca, &dir, &part(p), p, 1, &[]);
    }
    let arn = trust_store(&bucket, "us-east-1", &format!("revokewaitparts{}", std::process::id()), &[]);
    let to = format!("s3://{bucket}/trust/");
    let mut a = vec!["revoke", "--ca-arn", &ca_arn, "--serial", "0a:1b:2c", "--serial", "0a:1b:2d"];
    a.extend(["--reason", "keyCompromise", "--wait", "--poll-interval", "1s", "--timeout", "60s", "--json"]);
    a.extend(["--sync", "--to", &to, "--trust-store-arn", &arn]);
    let child =
        crlkit_command(&a).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    // Private CA's part: each serial appears in its own partition, a poll apart; partition 2
    // never changes.
    std::thread::sleep(std::time::Duration::from_secs(2));
    issue_partition(&ca, &dir, &part(1), 1, 2, &[&[0x0a, 0x1b, 0x2c]]);
    std::thread::sleep(std::time::Duration::from_secs(2));
    issue_partition(&ca, &dir, &part(3), 3, 2, &[&[0x05], &[0x0a, 0x1b, 0x2d]]);
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    let listed = &v["listed"];
    assert_eq!(listed["partitions"], serde_json::json!([part(1), part(3)]), "{v}");
    assert!(listed["waited_seconds"].as_u64().unwrap() >= 3, "not before the second partition listed its serial: {v}");
    // Every partition taken to the trust store, each its own slot.
    let syncs = v["partition_syncs"].as_array().unwrap();
    assert_eq!(syncs.len(), 3, "{v}");
    assert!(syncs.iter().all(|s| s["trust_stores"][0]["registration"]["result"] == "added"), "{v}");
    assert_eq!(live(&arn).iter().map(|(_, n)| *n).collect::<Vec<_>>(), [1, 0, 2]);
}

#[test]
fn foreign_files_are_listed_and_go_only_with_prune_foreign() {
    let (bucket, dir, ca) = setup("chaos-prune");
    let arn = trust_store(&bucket, "us-east-1", &format!("prune{}", std::process::id()), &[]);
    // A CRL of a CA crlkit does not manage here, added by hand.
    let (other, other_pem) = (dir.join("other.crl"), dir.join("other.pem"));
    let o = run(&["gen", "--entries", "3", "--seed", "99", "--out", other.to_str().unwrap(), "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["convert", other.to_str().unwrap(), "-o", other_pem.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    boto3(
        "s3.put_object(Bucket=sys.argv[4], Key='hand/other.pem', Body=open(sys.argv[5], 'rb').read())\n\
         elb.add_trust_store_revocations(TrustStoreArn=sys.argv[6], RevocationContents=[{'S3Bucket': sys.argv[4], 'S3Key': 'hand/other.pem'}])",
        &["us-east-1", &bucket, other_pem.to_str().unwrap(), &arn],
    );
    let foreign = live(&arn)[0].0;
    let source = format!("s3://{bucket}/pca/crl/ca.crl");
    issue(&ca, &dir, &source, 3, 5);
    let (to, bundle) = (format!("s3://{bucket}/crl/"), dir.join("ca.pem"));
    let o = sync_json(&source, &bundle, &to, &[&arn]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let reg = &json(&o)["trust_stores"][0]["registration"];
    assert_eq!(reg["unknown_source"][0]["revocation_id"].as_i64(), Some(foreign), "listed: {reg}");
    assert_eq!(reg["pruned"], serde_json::json!([]), "and left in place: {reg}");
    assert_eq!(live(&arn).len(), 2);
    // Asked for: removed, once the CRL is live (it is), and said so.
    let mut a = vec!["sync", "--from", &source, "--ca", bundle.to_str().unwrap(), "--to", &to, "--at", AT];
    a.extend(["--trust-store-arn", &arn, "--prune-foreign", "--json"]);
    let o = run(&a);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let reg = &json(&o)["trust_stores"][0]["registration"];
    assert_eq!(reg["result"], "already-registered", "{reg}");
    assert_eq!(reg["pruned"][0]["revocation_id"].as_i64(), Some(foreign), "{reg}");
    assert_eq!(live(&arn).len(), 1, "only crlkit's CRL is left");
}

#[test]
fn a_trust_store_still_creating_fails_alone_and_the_rerun_registers() {
    let (bucket, dir, ca) = setup("chaos-creating");
    let ready = trust_store(&bucket, "us-east-1", &format!("ready{}", std::process::id()), &[]);
    let creating = trust_store(
        &bucket,
        "us-east-1",
        &format!("creating{}", std::process::id()),
        &[("crlkit-emulator:creating-describes", "1")],
    );
    let source = format!("s3://{bucket}/pca/crl/ca.crl");
    issue(&ca, &dir, &source, 3, 5);
    let (to, bundle) = (format!("s3://{bucket}/crl/"), dir.join("ca.pem"));
    let o = sync_json(&source, &bundle, &to, &[&ready, &creating]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    assert_eq!(v["trust_stores"][0]["registration"]["result"], "added", "{v}");
    assert_eq!(
        (v["trust_stores"][1]["result"].as_str(), v["trust_stores"][1]["code"].as_str()),
        (Some("failed"), Some("trust-store-not-ready")),
        "{v}"
    );
    assert!(live(&creating).is_empty(), "nothing added to a trust store that is not ACTIVE");
    // Once ACTIVE, the rerun registers it there and leaves the other alone.
    let o = sync_json(&source, &bundle, &to, &[&ready, &creating]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    assert_eq!(v["trust_stores"][0]["result"], "up-to-date", "{v}");
    assert_eq!(v["trust_stores"][1]["registration"]["result"], "added", "{v}");
    assert_eq!(live(&creating).len(), 1);
}

#[test]
fn sync_replaces_after_the_add_skips_what_it_has_and_serves_two_trust_stores() {
    let (bucket, dir, ca) = setup("sync");
    let pca = format!("elb-pca-{}", std::process::id());
    create_bucket(&s3_endpoint(), &pca);
    let east = trust_store(&bucket, "us-east-1", &format!("east{}", std::process::id()), &[]);
    // Throttled twice at first: the SDK's standard retries absorb it.
    let west = trust_store(
        &bucket,
        "eu-west-1",
        &format!("west{}", std::process::id()),
        &[("crlkit-emulator:throttle-first", "2")],
    );
    let source = format!("s3://{pca}/crl/1a2b3c4d.crl");
    let v1 = dir.join("v1.crl");
    crl(&ca, &v1, 7, 300);
    let o = run(&["upload", v1.to_str().unwrap(), &source, "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let to = format!("s3://{bucket}/crl/");
    let bundle = dir.join("ca.pem");
    let sync = |extra: &[&str]| {
        let mut a = vec![
            "sync",
            "--from",
            &source,
            "--ca",
            bundle.to_str().unwrap(),
            "--to",
            &to,
            "--at",
            AT,
            "--json",
            "--trust-store-arn",
            &east,
            &west,
        ];
        a.extend_from_slice(extra);
        run(&a)
    };
    let o = sync(&[]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    assert_eq!(v["downloaded"], true);
    for s in v["trust_stores"].as_array().unwrap() {
        assert_eq!(s["registration"]["result"], "added", "{v}");
    }
    let (e1, w1) = (live(&east), live(&west));
    assert_eq!((e1.len(), w1.len(), e1[0].1, w1[0].1), (1, 1, 300, 300));

    // Nothing new: a HEAD, no download, no change.
    let o = sync(&[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!((v["downloaded"].as_bool(), v["changed"].as_bool()), (Some(false), Some(false)), "{v}");
    assert!(v["trust_stores"].as_array().unwrap().iter().all(|s| s["result"] == "up-to-date"), "{v}");
    assert_eq!((live(&east), live(&west)), (e1.clone(), w1.clone()));

    // A newer CRL number: added, then the old ID removed, in both trust stores.
    let v2 = dir.join("v2.crl");
    crl(&ca, &v2, 8, 310);
    let o = run(&["upload", v2.to_str().unwrap(), &source, "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = sync(&[]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    for (s, old) in v["trust_stores"].as_array().unwrap().iter().zip([e1[0].0, w1[0].0]) {
        let r = &s["registration"];
        assert_eq!(
            (r["result"].as_str(), r["removed"][0].as_i64(), r["removed_first"].as_bool()),
            (Some("added"), Some(old), Some(false)),
            "{v}"
        );
    }
    let (e2, w2) = (live(&east), live(&west));
    assert_eq!((e2.len(), e2[0].1, w2.len(), w2[0].1), (1, 310, 1, 310));
    assert!(e2[0].0 > e1[0].0 && w2[0].0 > w1[0].0, "IDs only grow");
    let text = run(&[
        "sync",
        "--from",
        &source,
        "--ca",
        bundle.to_str().unwrap(),
        "--to",
        &to,
        "--at",
        AT,
        "--trust-store-arn",
        &east,
    ]);
    assert!(stdout(&text).contains("nothing changed"), "{}", stdout(&text));
}

#[test]
fn a_swap_over_500000_entries_is_refused_before_any_add() {
    let (bucket, dir, ca) = setup("quota");
    let arn = trust_store(&bucket, "us-east-1", &format!("quota{}", std::process::id()), &[]);
    let to = format!("s3://{bucket}/crl/");
    let (big, bigger) = (dir.join("ca.crl"), dir.join("next.crl"));
    crl(&ca, &big, 1, 260_000);
    crl(&ca, &bigger, 2, 250_000);
    let publish = |file: &Path, extra: &[&str]| {
        let mut a =
            vec!["publish", file.to_str().unwrap(), "--to", &to, "--at", AT, "--trust-store-arn", &arn, "--replace"];
        a.extend_from_slice(extra);
        run(&a)
    };
    let o = publish(&big, &[]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let before = live(&arn);
    assert_eq!(before.len(), 1);
    let o = publish(&bigger, &[]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("260000 entries + 250000 new = 510000 (max 500000)") && text.contains("--remove-first"),
        "{text}"
    );
    assert_eq!(live(&arn), before, "refused before any add");
    // --remove-first: the old file goes first, and the output says what that means.
    let o = publish(&bigger, &["--remove-first"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("BEFORE the add"), "{}", stdout(&o));
    let after = live(&arn);
    assert_eq!((after.len(), after[0].1), (1, 250_000));
}

#[test]
fn register_checks_the_object_and_reports_expired_credentials_and_missing_trust_stores() {
    let (bucket, dir, ca) = setup("register");
    let arn = trust_store(&bucket, "us-east-1", &format!("reg{}", std::process::id()), &[]);
    let der = dir.join("ca.crl");
    crl(&ca, &der, 3, 10);
    let o = run(&["upload", der.to_str().unwrap(), &format!("s3://{bucket}/raw/ca.der"), "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // upload writes PEM even under a .der name; a DER object put by someone else is refused.
    boto3(
        "s3.put_object(Bucket=sys.argv[4], Key='raw/real.der', Body=open(sys.argv[5],'rb').read())",
        &["us-east-1", &bucket, der.to_str().unwrap()],
    );
    let o = run(&["register", "--trust-store-arn", &arn, "--object", &format!("s3://{bucket}/raw/real.der")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("error[source]") && stderr(&o).contains("not PEM"), "{}", stderr(&o));
    let o = run(&["register", "--trust-store-arn", &arn, "--object", &format!("s3://{bucket}/raw/ca.der"), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(json(&o)["registrations"][0]["elb_entries"], 10);

    let missing = format!("{}ffff", &arn[..arn.len() - 4]);
    let o = run(&["register", "--trust-store-arn", &missing, "--object", &format!("s3://{bucket}/raw/ca.der")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("error[trust-store-not-found]"), "{}", stderr(&o));

    let o = Command::new(env!("CARGO_BIN_EXE_crlkit"))
        .args(["register", "--trust-store-arn", &arn, "--object", &format!("s3://{bucket}/raw/ca.der")])
        .env("AWS_ENDPOINT_URL_S3", s3_endpoint())
        .env("AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2", elb_endpoint())
        .env("AWS_ACCESS_KEY_ID", "crlkit-expired")
        .env("AWS_SECRET_ACCESS_KEY", "crlkit-expired-secret")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("error[credentials]") && e.contains("ExpiredToken"), "{e}");
}

#[test]
fn plan_needs_no_credentials_and_sends_nothing() {
    let dir = tempdir("elb-plan");
    let ca = ca();
    let file = dir.join("ca.crl");
    crl(&ca, &file, 4, 20);
    let arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:truststore/mtls/0123456789abcdef";
    let o = Command::new(env!("CARGO_BIN_EXE_crlkit"))
        .args([
            "publish",
            file.to_str().unwrap(),
            "--to",
            "s3://nowhere-bucket/crl/",
            "--at",
            AT,
            "--trust-store-arn",
            arn,
            "--replace",
            "--plan",
            "--json",
        ])
        .env_clear()
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["sent"], false);
    let actions: Vec<&str> = v["plan"].as_array().unwrap().iter().map(|c| c["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "GetObject",
            "PutObject",
            "HeadObject",
            "PutObject",
            "GetObject",
            "DescribeTrustStores",
            "GetObject",
            "DescribeTrustStoreRevocations",
            "GetTrustStoreRevocationContent",
            "GetObject",
            "PutObject",
            "GetObject",
            "PutObject",
            "AddTrustStoreRevocations",
            "GetObject",
            "PutObject",
            "RemoveTrustStoreRevocations",
            "GetObject",
            "PutObject",
            "AddTags",
            "PutObject"
        ]
    );
    // The plan is the run's own calls: the lease around it all, and each ledger change reads the
    // ledger and writes it back.
    let notes: Vec<&str> = v["plan"].as_array().unwrap().iter().map(|c| c["note"].as_str().unwrap()).collect();
    assert!(notes[1].starts_with("change: take the lease"), "{notes:?}");
    assert!(notes[10].starts_with("change, only if such a file was read"), "{notes:?}");
    assert!(notes[12].starts_with("change, write-ahead: the add about to be made"), "{notes:?}");
    assert!(notes[15].starts_with("change: record the new revocation ID"), "{notes:?}");
    assert!(notes[18].starts_with("change: drop the removed IDs"), "{notes:?}");
    assert!(notes[19].contains("the trust store names its ledger"), "{notes:?}");
    assert!(notes[20].starts_with("change: release the lease"), "{notes:?}");
    let put = &v["plan"][3];
    assert_eq!(put["params"]["Metadata"]["crlkit-crl-number"], "4", "publish knows the CRL: {put}");
    let add = v["plan"].as_array().unwrap().iter().find(|c| c["action"] == "AddTrustStoreRevocations").unwrap();
    assert_eq!(add["region"], "eu-west-1");
    assert!(add["aws_cli"].as_str().unwrap().starts_with("aws elbv2 add-trust-store-revocations --trust-store-arn"));
    assert!(add["note"].as_str().unwrap().contains("must be 20"));
    for cmd in [
        vec!["register", "--trust-store-arn", arn, "--object", "s3://my-crls/crl/ca.pem", "--plan"],
        vec![
            "sync",
            "--from",
            "s3://pca/crl/x.crl",
            "--ca",
            dir.join("ca.pem").to_str().unwrap(),
            "--to",
            "s3://my-crls/crl/",
            "--trust-store-arn",
            arn,
            "--plan",
        ],
    ] {
        std::fs::write(dir.join("ca.pem"), ca.cert.pem()).unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_crlkit")).args(&cmd).env_clear().output().unwrap();
        assert!(o.status.success(), "{cmd:?}: {}", stderr(&o));
        assert!(stdout(&o).contains("nothing was sent") && stdout(&o).contains("aws elbv2"), "{}", stdout(&o));
    }
    // sync's plan: the lease around everything, the source read, the PEM written beside the
    // others, then the registration, as the run makes them.
    let ca_pem = dir.join("ca.pem");
    let mut args = vec!["sync", "--from", "s3://pca/crl/x.crl", "--ca", ca_pem.to_str().unwrap()];
    args.extend(["--to", "s3://my-crls/crl/", "--trust-store-arn", arn, "--plan", "--json"]);
    let o = Command::new(env!("CARGO_BIN_EXE_crlkit")).args(&args).env_clear().output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&o);
    let calls: Vec<(String, String)> = v["plan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["action"].as_str().unwrap().to_owned(), c["params"]["Key"].as_str().unwrap_or("").to_owned()))
        .collect();
    let at = |action: &str, key: &str| calls.iter().position(|c| c.0 == action && c.1 == key);
    assert_eq!(calls[0], ("HeadObject".to_owned(), "crl/x.crl".to_owned()), "{calls:?}");
    let taken = at("PutObject", "crl/.crlkit/lease.json").unwrap();
    let download = at("GetObject", "crl/x.crl").unwrap();
    let pem = at("PutObject", "crl/x.pem").unwrap();
    let add = calls.iter().position(|c| c.0 == "AddTrustStoreRevocations").unwrap();
    assert!(taken < download && download < pem && pem < add, "{calls:?}");
    assert_eq!(calls.last().unwrap(), &("PutObject".to_owned(), "crl/.crlkit/lease.json".to_owned()));
    assert!(v["plan"].as_array().unwrap().last().unwrap()["note"].as_str().unwrap().contains("release the lease"));
    assert_eq!(v["plan"][pem]["params"]["Metadata"], serde_json::json!({}), "the CRL is read only when it runs");
}

/// Send a form to one of the emulator's test controls (`/_faults`, `/_calls`); its answer.
fn emulator_control(path: &str, fields: &[(&str, &str)]) -> String {
    use std::io::{Read as _, Write as _};
    let encode = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    let body: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
    let body = body.join("&");
    let endpoint = elb_endpoint();
    let mut conn = std::net::TcpStream::connect(endpoint.trim_start_matches("http://")).unwrap();
    write!(
        conn,
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    // The emulator keeps the connection open: read the head, then Content-Length bytes.
    let mut reader = std::io::BufReader::new(conn);
    let (mut head, mut line) = (String::new(), String::new());
    while line != "\r\n" {
        line.clear();
        assert!(std::io::BufRead::read_line(&mut reader, &mut line).unwrap() > 0, "the emulator hung up: {head}");
        head.push_str(&line);
    }
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let length = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase().strip_prefix("content-length:").map(|n| n.trim().parse::<usize>().unwrap())
        })
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    String::from_utf8(body).unwrap()
}

/// The next `times` calls of `action` on `arn` fail as `kind` says (`error`, `miscount`, ...).
fn fault(arn: &str, action: &str, times: u32, kind: &[(&str, &str)]) {
    let times = times.to_string();
    let mut fields = vec![("TrustStoreArn", arn), ("Action", action), ("Times", times.as_str())];
    fields.extend_from_slice(kind);
    emulator_control("/_faults", &fields);
}

/// How many times `action` was called on `arn`.
fn called(arn: &str, action: &str) -> usize {
    emulator_control("/_calls", &[("TrustStoreArn", arn)]).lines().filter(|l| *l == action).count()
}

/// CRL `number` of `ca` with `count` entries, written under `dir` and uploaded as the CA's CRL
/// object `source` (as Private CA would write it).
fn issue(ca: &Ca, dir: &Path, source: &str, number: u64, count: u64) {
    let file = dir.join(format!("{number}.crl"));
    crl(ca, &file, number, count);
    let o = run(&["upload", file.to_str().unwrap(), source, "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// `sync --json` of `source` into `to` for `arns`, at [`AT`].
fn sync_json(source: &str, bundle: &Path, to: &str, arns: &[&str]) -> Output {
    let mut a = vec!["sync", "--from", source, "--ca", bundle.to_str().unwrap(), "--to", to, "--at", AT, "--json"];
    a.push("--trust-store-arn");
    a.extend_from_slice(arns);
    run(&a)
}

#[test]
fn a_remove_that_failed_is_finished_by_the_next_sync() {
    let (bucket, dir, ca) = setup("chaos-remove");
    let arn = trust_store(&bucket, "us-east-1", &format!("rm{}", std::process::id()), &[]);
    let source = format!("s3://{bucket}/pca/crl/ca.crl");
    let (to, bundle) = (format!("s3://{bucket}/crl/"), dir.join("ca.pem"));
    issue(&ca, &dir, &source, 11, 40);
    let o = sync_json(&source, &bundle, &to, &[&arn]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let first = live(&arn);
    issue(&ca, &dir, &source, 12, 41);

    // The add of the newer CRL works; its remove of the old one fails on every retry.
    fault(&arn, "RemoveTrustStoreRevocations", 3, &[("Kind", "error"), ("Code", "InternalFailure")]);
    let o = sync_json(&source, &bundle, &to, &[&arn]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    let failed = &v["trust_stores"][0];
    assert_eq!((failed["result"].as_str(), failed["code"].as_str()), (Some("failed"), Some("elb-service")), "{v}");
    let e = failed["message"].as_str().unwrap();
    assert!(e.contains("removing what it supersedes") && e.contains("a rerun removes them"), "{e}");
    assert!(stderr(&o).contains("1 of 1 trust store(s) failed"), "{}", stderr(&o));
    let both = live(&arn);
    assert_eq!((both.len(), both[0], both[1].1), (2, first[0], 41), "nothing lowered: old and new are live");

    // The rerun finishes it: the old ID goes, nothing is added.
    let o = sync_json(&source, &bundle, &to, &[&arn]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    let reg = &v["trust_stores"][0]["registration"];
    assert_eq!((reg["result"].as_str(), reg["removed"][0].as_i64()), (Some("already-registered"), Some(first[0].0)));
    assert_eq!(v["changed"], true, "{v}");
    assert_eq!(live(&arn), [both[1]]);
    // And then it is up to date: a HEAD and a Describe, no change.
    let o = sync_json(&source, &bundle, &to, &[&arn]);
    let v = json(&o);
    assert_eq!((v["downloaded"].as_bool(), v["trust_stores"][0]["result"].as_str()), (Some(false), Some("up-to-date")));
    assert_eq!(
        (called(&arn, "AddTrustStoreRevocations"), called(&arn, "RemoveTrustStoreRevocations")),
        (2, 4),
        "two adds in all; three failed removes, then one"
    );
}

#[test]
fn a_miscount_alarms_on_every_run_until_fixed() {
    let (bucket, dir, ca) = setup("chaos-count");
    let arn = trust_store(&bucket, "us-east-1", &format!("count{}", std::process::id()), &[]);
    let source = format!("s3://{bucket}/pca/crl/ca.crl");
    let (to, bundle) = (format!("s3://{bucket}/crl/"), dir.join("ca.pem"));
    issue(&ca, &dir, &source, 21, 30);
    fault(&arn, "AddTrustStoreRevocations", 1, &[("Kind", "miscount"), ("By", "1")]);
    for run_no in 0..2 {
        let o = sync_json(&source, &bundle, &to, &[&arn]);
        assert_eq!(o.status.code(), Some(2), "run {run_no}: {}{}", stdout(&o), stderr(&o));
        let v = json(&o);
        let failed = &v["trust_stores"][0];
        assert_eq!(failed["code"], "entry-count-mismatch", "run {run_no}: {v}");
        assert!(failed["message"].as_str().unwrap().contains("31 entries by ELB's count"), "{v}");
        assert!(stderr(&o).contains("error[entry-count-mismatch]"), "{}", stderr(&o));
    }
    assert_eq!(called(&arn, "AddTrustStoreRevocations"), 1, "the miscounted file is not added again");
    let o = run(&["revocations", "--trust-store-arn", &arn, "--ledger", &to, "--at", AT, "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    assert_eq!(
        (v["with_problems"].as_u64(), v["revocations"][0]["problems"][0].as_str()),
        (Some(1), Some("count-mismatch"))
    );
}

/// Partition `p` of generation `generation` of the fixture CA (`dir/ca.pem`): `entries` entries,
/// its own IDP, the generation as CRL number.
fn partition(dir: &Path, generation: u32, p: u32, entries: u64) -> std::path::PathBuf {
    let (key, cert) = (fixture("keys/ca.p256.key.pem"), dir.join("ca.pem"));
    let file = dir.join(format!("g{generation}/p{p}.crl"));
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let o = run(&[
        "gen",
        "--entries",
        &entries.to_string(),
        "--seed",
        &format!("{generation}{p}"),
        "--ca-cert",
        cert.to_str().unwrap(),
        "--ca-key",
        key.to_str().unwrap(),
        "--idp",
        &format!("http://crl.example/p{p}.crl"),
        "--crl-number",
        &generation.to_string(),
        "--this-update",
        &format!("2026-11-01T00:0{generation}:00Z"),
        "--out",
        file.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    file
}

/// `files` staged, as an offline signing machine would, then published as staged with
/// `--replace` (and `extra`) to `to` for `arn`, `--json`.
fn publish_staged(dir: &Path, files: &[&Path], to: &str, arn: &str, extra: &[&str]) -> Output {
    let cert = dir.join("ca.pem");
    let bundle = files[0].parent().unwrap().join("staged");
    let _ = std::fs::remove_dir_all(&bundle);
    let mut a = vec!["stage"];
    a.extend(files.iter().map(|f| f.to_str().unwrap()));
    a.extend(["--out", bundle.to_str().unwrap(), "--ca", cert.to_str().unwrap(), "--at", AT]);
    let o = run(&a);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let mut a = vec!["publish", bundle.to_str().unwrap()];
    a.extend(["--to", to, "--at", AT, "--ca", cert.to_str().unwrap(), "--trust-store-arn", arn, "--replace"]);
    a.push("--json");
    a.extend_from_slice(extra);
    run(&a)
}

#[test]
fn each_partition_of_a_partitioned_crl_is_its_own_slot() {
    let (bucket, dir, _) = setup("chaos-slots");
    let arn = trust_store(&bucket, "us-east-1", &format!("slots{}", std::process::id()), &[]);
    let to = format!("s3://{bucket}/crl/");
    let publish = |files: &[&Path]| publish_staged(&dir, files, &to, &arn, &[]);
    // Generation 1, three partitions of one CA with one CRL number: all three registered.
    let g1: Vec<_> = (1..=3).map(|p| partition(&dir, 1, p, 20)).collect();
    let o = publish(&g1.iter().map(|p| p.as_path()).collect::<Vec<_>>());
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let first = live(&arn);
    assert_eq!(first.len(), 3, "no partition replaces another: {}", stdout(&o));
    // Generation 2 of partition 2 only: it replaces partition 2's generation 1, nothing else.
    let p2 = partition(&dir, 2, 2, 20);
    let o = publish(&[&p2]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let removed = json(&o)["crls"][0]["registrations"][0]["removed"].clone();
    assert_eq!(removed, serde_json::json!([first[1].0]), "{}", stdout(&o));
    let now: Vec<i64> = live(&arn).iter().map(|l| l.0).collect();
    assert_eq!((now.len(), now[0], now[1]), (3, first[0].0, first[2].0));
}

#[test]
fn a_partitioned_set_is_swapped_whole_partition_by_partition_or_not_at_all() {
    let (bucket, dir, _) = setup("chaos-generation");
    let arn = trust_store(&bucket, "us-east-1", &format!("generation{}", std::process::id()), &[]);
    let to = format!("s3://{bucket}/crl/");
    let paths = |v: &[std::path::PathBuf]| v.iter().map(|p| p.to_path_buf()).collect::<Vec<_>>();
    let g1: Vec<_> = (1..=4).map(|p| partition(&dir, 1, p, 20)).collect();
    let o = publish_staged(&dir, &g1.iter().map(|p| p.as_path()).collect::<Vec<_>>(), &to, &arn, &[]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let first = live(&arn);
    assert_eq!(first.iter().map(|l| l.1).collect::<Vec<_>>(), [20, 20, 20, 20]);
    // The next generation, partition 4 grown to 40 entries: swapped one partition at a time,
    // 80 live plus one new file at most, so at --max-entries 110 the last step (80 + 40) does
    // not fit: refused whole, before anything is sent, not left half done.
    let mut g2: Vec<_> = (1..=3).map(|p| partition(&dir, 2, p, 20)).collect();
    g2.push(partition(&dir, 2, 4, 40));
    let g2 = paths(&g2);
    let g2_refs: Vec<&Path> = g2.iter().map(|p| p.as_path()).collect();
    let before = elb_calls(&arn).len();
    let o = publish_staged(&dir, &g2_refs, &to, &arn, &["--max-entries", "110"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    for c in v["crls"].as_array().unwrap() {
        let reg = &c["registrations"][0];
        assert_eq!((reg["result"].as_str(), reg["refusal"].as_str()), (Some("refused"), Some("quota")), "{v}");
        assert!(reg["message"].as_str().unwrap().contains("does not fit at CRL 4"), "{v}");
    }
    let calls = elb_calls(&arn)[before..].to_vec();
    assert!(calls.iter().all(|c| c.starts_with("Describe")), "reads only: {calls:?}");
    assert_eq!(live(&arn), first, "nothing changed");
    // With room for it: every partition swapped, each count checked, each older partition removed
    // only after its successor was added, so no partition is ever without a CRL.
    let before = elb_calls(&arn).len();
    let o = publish_staged(&dir, &g2_refs, &to, &arn, &["--max-entries", "120"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    let calls = elb_calls(&arn)[before..].to_vec();
    let changes: Vec<&str> = calls
        .iter()
        .map(String::as_str)
        .filter(|c| c.ends_with("TrustStoreRevocations") && !c.starts_with("Describe"))
        .collect();
    let mut live_now: Vec<u64> = Vec::new();
    for (i, c) in v["crls"].as_array().unwrap().iter().enumerate() {
        let reg = &c["registrations"][0];
        assert_eq!(reg["result"], "added", "{v}");
        assert_eq!(reg["removed"], serde_json::json!([first[i].0]), "partition {}: its own older file", i + 1);
        live_now.push(reg["elb_entries"].as_u64().unwrap());
    }
    assert_eq!(live_now, [20, 20, 20, 40], "each count checked against crlkit's");
    let expected: Vec<&str> =
        (0..4).flat_map(|_| ["AddTrustStoreRevocations", "RemoveTrustStoreRevocations"]).collect();
    assert_eq!(changes, expected, "add then remove, partition by partition");
    // A partition whose bytes are already live is left untouched: the same generation again.
    let before = elb_calls(&arn).len();
    let o = publish_staged(&dir, &g2_refs, &to, &arn, &[]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    assert!(v["crls"].as_array().unwrap().iter().all(|c| c["registrations"][0]["result"] == "already-registered"));
    assert!(elb_calls(&arn)[before..].iter().all(|c| c.starts_with("Describe")), "nothing sent");
}

#[test]
fn one_failing_trust_store_does_not_stop_the_others() {
    let (bucket, dir, ca) = setup("chaos-three");
    let arns: Vec<String> =
        (0..3).map(|i| trust_store(&bucket, "us-east-1", &format!("three{i}x{}", std::process::id()), &[])).collect();
    let source = format!("s3://{bucket}/pca/crl/ca.crl");
    let (to, bundle) = (format!("s3://{bucket}/crl/"), dir.join("ca.pem"));
    issue(&ca, &dir, &source, 31, 25);
    // The middle one refuses the add (not retried).
    fault(&arns[1], "AddTrustStoreRevocations", 1, &[("Kind", "error"), ("Code", "AccessDenied")]);
    let all: Vec<&str> = arns.iter().map(String::as_str).collect();
    let o = sync_json(&source, &bundle, &to, &all);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    let results: Vec<&str> =
        v["trust_stores"].as_array().unwrap().iter().map(|t| t["result"].as_str().unwrap()).collect();
    assert_eq!(results, ["registered", "failed", "registered"], "{v}");
    assert!(v["trust_stores"][1]["message"].as_str().unwrap().contains("AccessDenied"), "{v}");
    assert_eq!((v["upload"].as_str(), v["changed"].as_bool()), (Some("uploaded"), Some(true)));
    assert!(stderr(&o).contains("1 of 3 trust store(s) failed") && stderr(&o).contains(&arns[1]), "{}", stderr(&o));
    assert_eq!((live(&arns[0]).len(), live(&arns[1]).len(), live(&arns[2]).len()), (1, 0, 1));
    // The rerun does the one left, and only it.
    let o = sync_json(&source, &bundle, &to, &all);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    let results: Vec<&str> =
        v["trust_stores"].as_array().unwrap().iter().map(|t| t["result"].as_str().unwrap()).collect();
    assert_eq!(results, ["up-to-date", "registered", "up-to-date"], "{v}");
    assert_eq!(arns.iter().map(|a| called(a, "AddTrustStoreRevocations")).collect::<Vec<_>>(), [1, 2, 1]);
    // publish and register the same way: the next CRL, the last trust store refusing the add.
    let next = dir.join("32.crl");
    crl(&ca, &next, 32, 26);
    fault(&arns[2], "AddTrustStoreRevocations", 1, &[("Kind", "error"), ("Code", "AccessDenied")]);
    let mut a = vec!["publish", next.to_str().unwrap(), "--to", &to, "--at", AT, "--replace", "--json"];
    for arn in &all {
        a.extend(["--trust-store-arn", arn]);
    }
    let o = run(&a);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    let results: Vec<&str> =
        v["crls"][0]["registrations"].as_array().unwrap().iter().map(|r| r["result"].as_str().unwrap()).collect();
    assert_eq!(results, ["added", "added", "failed"], "{v}");
    assert_eq!(v["crls"][0]["registrations"][2]["code"], "permission-denied", "{v}");
    assert!(stderr(&o).contains("1 of 3 registration(s) failed") && stderr(&o).contains(&arns[2]), "{}", stderr(&o));
    // register of what publish uploaded: the first two already have it, the third gets it.
    let (object, ledger) = (format!("{to}32.pem"), format!("{to}.crlkit/ledger.json"));
    let mut a = vec!["register", "--object", &object, "--ledger", &ledger];
    a.extend(["--replace", "--json"]);
    for arn in &all {
        a.extend(["--trust-store-arn", arn]);
    }
    fault(&arns[0], "DescribeTrustStores", 1, &[("Kind", "error"), ("Code", "AccessDenied")]);
    let o = run(&a);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    let results: Vec<&str> =
        v["registrations"].as_array().unwrap().iter().map(|r| r["result"].as_str().unwrap()).collect();
    assert_eq!(results, ["failed", "already-registered", "added"], "{v}");
    assert!(stderr(&o).contains("1 of 3 trust store(s) failed"), "{}", stderr(&o));
}

#[test]
fn eight_syncs_at_once_add_the_crl_once() {
    let (bucket, dir, ca) = setup("chaos-race");
    let arn = trust_store(&bucket, "us-east-1", &format!("race{}", std::process::id()), &[]);
    let source = format!("s3://{bucket}/pca/crl/ca.crl");
    let (to, bundle) = (format!("s3://{bucket}/crl/"), dir.join("ca.pem"));
    issue(&ca, &dir, &source, 41, 60);
    let runs: Vec<_> = (0..8)
        .map(|_| {
            crlkit_command(&["sync", "--from", &source, "--ca", bundle.to_str().unwrap(), "--to", &to, "--at", AT])
                .args(["--json", "--trust-store-arn", &arn])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut added = 0;
    for child in runs {
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
        let v = json(&o);
        added += usize::from(v["trust_stores"][0]["registration"]["result"] == "added");
    }
    assert_eq!((added, called(&arn, "AddTrustStoreRevocations")), (1, 1), "one run added it, the others found it");
    assert_eq!(live(&arn).len(), 1);

    // A lease held (by a run elsewhere): a run that will not wait exits 75 and does nothing; once
    // the holder's lease has expired (it crashed), it is taken over.
    let lease_key = "crl/.crlkit/lease.json";
    let put_lease = |expires_at: i64| {
        let lease = dir.join("lease.json");
        let record = format!(
            "{{\"format\":\"crlkit-lease/1\",\"owner\":\"crlkit pid 1 on elsewhere\",\"expires_at\":{expires_at}}}"
        );
        std::fs::write(&lease, record).unwrap();
        boto3(
            "s3.put_object(Bucket=sys.argv[4], Key=sys.argv[5], Body=open(sys.argv[6], 'rb').read())",
            &["us-east-1", &bucket, lease_key, lease.to_str().unwrap()],
        );
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    put_lease(now + 600);
    let o = run(&[
        "sync",
        "--from",
        &source,
        "--ca",
        bundle.to_str().unwrap(),
        "--to",
        &to,
        "--at",
        AT,
        "--trust-store-arn",
        &arn,
        "--lease-wait",
        "1s",
    ]);
    assert_eq!(o.status.code(), Some(75), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("crlkit pid 1 on elsewhere") && stdout(&o).contains("nothing was done"),
        "{}",
        stdout(&o)
    );
    // publish and register take the same lease: 75, nothing sent.
    let newer = dir.join("newer.crl");
    crl(&ca, &newer, 99, 5);
    let before = elb_calls(&arn).len();
    let mut publish = vec!["publish", newer.to_str().unwrap(), "--to", &to, "--at", AT, "--trust-store-arn", &arn];
    publish.extend(["--replace", "--lease-wait", "1s", "--json"]);
    let o = run(&publish);
    assert_eq!(o.status.code(), Some(75), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    assert_eq!(
        (v["lease_held_by"]["owner"].as_str(), v["crls"].as_array().map(Vec::len)),
        (Some("crlkit pid 1 on elsewhere"), Some(0))
    );
    let object = format!("{to}ca.pem");
    let o = run(&["register", "--trust-store-arn", &arn, "--object", &object, "--replace", "--lease-wait", "1s"]);
    assert_eq!(o.status.code(), Some(75), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("holds the ledger's lease"), "{}", stdout(&o));
    assert_eq!(elb_calls(&arn).len(), before, "nothing sent to the trust store");
    put_lease(now - 1);
    let o = run(&[
        "sync",
        "--from",
        &source,
        "--ca",
        bundle.to_str().unwrap(),
        "--to",
        &to,
        "--at",
        AT,
        "--trust-store-arn",
        &arn,
        "--lease-wait",
        "1s",
        "--json",
    ]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(json(&o)["trust_stores"][0]["result"], "up-to-date");
    assert_eq!(called(&arn, "AddTrustStoreRevocations"), 1);
}

#[test]
fn an_add_whose_answer_was_lost_or_whose_run_was_killed_is_adopted() {
    let (bucket, dir, ca) = setup("chaos-lost");
    let (lost, killed) = (
        trust_store(&bucket, "us-east-1", &format!("lost{}", std::process::id()), &[]),
        trust_store(&bucket, "us-east-1", &format!("killed{}", std::process::id()), &[]),
    );
    let (to, bundle) = (format!("s3://{bucket}/crl/"), dir.join("ca.pem"));
    let source = format!("s3://{bucket}/pca/crl/ca.crl");
    issue(&ca, &dir, &source, 51, 70);

    // The add takes effect and its answer is lost: the SDK's retry adds it again.
    fault(&lost, "AddTrustStoreRevocations", 1, &[("Kind", "drop-after-commit")]);
    let _ = sync_json(&source, &bundle, &to, &[&lost]);
    let adds = called(&lost, "AddTrustStoreRevocations");
    assert!(live(&lost).len() == adds && adds >= 1, "{:?}", live(&lost));
    // The next run reads the file it does not know, finds it is this CRL, keeps one copy.
    let o = sync_json(&source, &bundle, &to, &[&lost]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    assert_eq!(v["trust_stores"][0]["registration"]["result"], "already-registered", "{v}");
    assert_eq!(live(&lost).len(), 1, "one registration left");
    assert_eq!(called(&lost, "AddTrustStoreRevocations"), adds, "no add after the lost answer");
    let o = sync_json(&source, &bundle, &to, &[&lost]);
    assert_eq!(json(&o)["trust_stores"][0]["result"], "up-to-date", "converged");

    // A run killed while its add is in flight (the add then completes): the next run, once the
    // dead run's lease has expired, adopts the file instead of adding it again.
    fault(&killed, "AddTrustStoreRevocations", 1, &[("Kind", "delay"), ("Millis", "2000")]);
    let mut child =
        crlkit_command(&["sync", "--from", &source, "--ca", bundle.to_str().unwrap(), "--to", &to, "--at", AT])
            .args(["--trust-store-arn", &killed, "--lease-ttl", "10s"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
    let started = std::time::Instant::now();
    while called(&killed, "AddTrustStoreRevocations") == 0 {
        assert!(started.elapsed().as_secs() < 60, "the add was never sent");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap();
    let _ = child.wait();
    std::thread::sleep(std::time::Duration::from_millis(2500));
    assert_eq!(live(&killed).len(), 1, "the add completed after its run died");
    let o = sync_json(&source, &bundle, &to, &[&killed]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    let reg = &v["trust_stores"][0]["registration"];
    assert_eq!(
        (reg["result"].as_str(), reg["adopted"].as_array().map(Vec::len)),
        (Some("already-registered"), Some(1)),
        "{v}"
    );
    assert_eq!((live(&killed).len(), called(&killed, "AddTrustStoreRevocations")), (1, 1), "no second add");
}

#[test]
fn a_stalled_answer_fails_in_bounded_time() {
    let (bucket, dir, ca) = setup("chaos-stall");
    let arn = trust_store(&bucket, "us-east-1", &format!("stall{}", std::process::id()), &[]);
    let source = format!("s3://{bucket}/pca/crl/ca.crl");
    let (to, bundle) = (format!("s3://{bucket}/crl/"), dir.join("ca.pem"));
    issue(&ca, &dir, &source, 61, 10);
    // Every attempt's answer would take a minute: with a 1 s read timeout the run gives up on
    // this trust store after the SDK's three attempts, long before one answer would come.
    fault(&arn, "DescribeTrustStoreRevocations", 3, &[("Kind", "delay"), ("Millis", "60000")]);
    let started = std::time::Instant::now();
    let o = run(&[
        "sync",
        "--from",
        &source,
        "--ca",
        bundle.to_str().unwrap(),
        "--to",
        &to,
        "--at",
        AT,
        "--json",
        "--trust-store-arn",
        &arn,
        "--read-timeout",
        "1s",
    ]);
    assert!(started.elapsed() < std::time::Duration::from_secs(55), "not one full answer's wait");
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    assert_eq!(v["trust_stores"][0]["result"], "failed", "{v}");
    assert!(live(&arn).is_empty());
}

/// The ELB actions of a `--plan --json` output, in order.
fn planned_elb_actions(o: &Output) -> Vec<String> {
    assert!(o.status.success(), "{}{}", stdout(o), stderr(o));
    let v = json(o);
    v["plan"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["service"] == "elbv2")
        .map(|c| c["action"].as_str().unwrap().to_owned())
        .collect()
}

/// Every ELB call the emulator saw for `arn`, in order.
fn elb_calls(arn: &str) -> Vec<String> {
    emulator_control("/_calls", &[("TrustStoreArn", arn)]).lines().map(str::to_owned).collect()
}

/// Whether `run` is `plan` with some (conditional) calls left out.
fn within(run: &[String], plan: &[String]) -> bool {
    let mut planned = plan.iter();
    run.iter().all(|call| planned.any(|p| p == call))
}

#[test]
fn a_plan_lists_every_call_its_run_makes_in_order() {
    let (bucket, dir, ca) = setup("plan-run");
    let arn = trust_store(&bucket, "us-east-1", &format!("planrun{}", std::process::id()), &[]);
    let source = format!("s3://{bucket}/pca/crl/ca.crl");
    let (to, bundle) = (format!("s3://{bucket}/crl/"), dir.join("ca.pem"));
    let sync = |extra: &[&str]| {
        let mut a = vec!["sync", "--from", &source, "--ca", bundle.to_str().unwrap(), "--to", &to, "--at", AT];
        a.extend(["--trust-store-arn", &arn, "--json"]);
        a.extend_from_slice(extra);
        run(&a)
    };
    let plan = planned_elb_actions(&sync(&["--plan"]));
    // A new CRL, then a newer one (add, then remove), then an add whose answer is lost (adopted
    // by the next run): each run's calls are the plan's, some left out, none added or reordered.
    for (number, lost) in [(71, false), (72, false), (73, true)] {
        issue(&ca, &dir, &source, number, 5);
        if lost {
            fault(&arn, "AddTrustStoreRevocations", 1, &[("Kind", "drop-after-commit")]);
        }
        for _ in 0..2 {
            let before = elb_calls(&arn).len();
            let o = sync(&[]);
            assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
            let calls = elb_calls(&arn)[before..].to_vec();
            // The SDK's retry of a lost answer repeats the add: one planned call, sent twice.
            let mut sent = calls.clone();
            sent.dedup();
            assert!(within(&sent, &plan), "CRL {number}: the run called {calls:?}, the plan lists {plan:?}");
        }
    }
    // publish and register: the same.
    let pem = dir.join("p.crl");
    crl(&ca, &pem, 80, 5);
    let publish = |extra: &[&str]| {
        let mut a = vec!["publish", pem.to_str().unwrap(), "--to", &to, "--at", AT, "--trust-store-arn", &arn];
        a.extend(["--replace", "--json"]);
        a.extend_from_slice(extra);
        run(&a)
    };
    let plan = planned_elb_actions(&publish(&["--plan"]));
    let before = elb_calls(&arn).len();
    let o = publish(&[]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let calls = elb_calls(&arn)[before..].to_vec();
    assert!(within(&calls, &plan), "publish called {calls:?}, the plan lists {plan:?}");
    assert!(calls.contains(&"RemoveTrustStoreRevocations".to_owned()), "the older CRL was replaced: {calls:?}");
}

#[test]
fn ten_trust_stores_in_two_regions_are_synced_together() {
    let (bucket, dir, ca) = setup("many-stores");
    let arns: Vec<String> = (0..10)
        .map(|i| {
            let region = if i % 2 == 0 { "us-east-1" } else { "eu-west-1" };
            trust_store(&bucket, region, &format!("many{i}x{}", std::process::id()), &[])
        })
        .collect();
    let source = format!("s3://{bucket}/pca/crl/ca.crl");
    let (to, bundle) = (format!("s3://{bucket}/crl/"), dir.join("ca.pem"));
    let all: Vec<&str> = arns.iter().map(String::as_str).collect();
    for number in [91, 92] {
        issue(&ca, &dir, &source, number, 15);
        let o = sync_json(&source, &bundle, &to, &all);
        assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
        let v = json(&o);
        let reported: Vec<&str> =
            v["trust_stores"].as_array().unwrap().iter().map(|t| t["trust_store_arn"].as_str().unwrap()).collect();
        assert_eq!(reported, all, "reported in the order given");
        assert!(v["trust_stores"].as_array().unwrap().iter().all(|t| t["registration"]["result"] == "added"), "{v}");
    }
    for arn in &arns {
        assert_eq!((live(arn).len(), called(arn, "AddTrustStoreRevocations")), (1, 2), "{arn}");
    }
    let o = sync_json(&source, &bundle, &to, &all);
    let v = json(&o);
    assert!(v["trust_stores"].as_array().unwrap().iter().all(|t| t["result"] == "up-to-date"), "{v}");
}

/// A CA of its own: `key` a fixture key (`keys/<key>.key.pem`), `name` its subject; its
/// certificate written to `dir/<name>.pem`.
fn named_ca(key: &str, name: &str, dir: &Path) -> (Ca, std::path::PathBuf) {
    let key =
        crlkit_sign::CaKey::from_pkcs8_pem(&std::fs::read_to_string(fixture(&format!("keys/{key}.key.pem"))).unwrap())
            .unwrap();
    let cert = crlkit_sign::self_signed_ca(&key, name, 1_735_689_600, 2_051_222_400);
    let pem = dir.join(format!("{name}.pem"));
    std::fs::write(&pem, cert.pem()).unwrap();
    (Ca { key, cert }, pem)
}

/// A CRL of `ca` numbered `number` with `count` entries, fresh at [`AT`] for a week, a partition
/// when `idp` is given, uploaded to `url`.
fn issue_crl(ca: &Ca, dir: &Path, url: &str, number: u64, count: u64, idp: Option<&str>) {
    let file = dir.join(format!("issued-{}.crl", url.replace(['/', ':'], "_")));
    let this = 1_793_491_200 + number as i64 * 60;
    let mut params = crlkit_sign::CrlParams::for_ca(&ca.cert, this, Some(1_794_096_000), number);
    params.issuing_distribution_point = idp.map(str::to_owned);
    let entries = crlkit_sign::Synthetic { seed: number * 100 + count, count, newest: this };
    crlkit_sign::write_crl(std::fs::File::create(&file).unwrap(), &params, &ca.key, || entries.iter()).unwrap();
    let o = run(&["upload", file.to_str().unwrap(), url, "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// Entry counts of each live file of `arn`, sorted.
fn live_counts(arn: &str) -> Vec<u64> {
    let mut counts: Vec<u64> = live(arn).iter().map(|l| l.1).collect();
    counts.sort_unstable();
    counts
}

#[test]
fn a_fleet_of_three_cas_reaches_four_trust_stores_in_two_regions() {
    let (bucket, dir, _) = setup("fleet");
    let pid = std::process::id();
    let ts: Vec<String> = [("us-east-1", "a"), ("us-east-1", "b"), ("eu-west-1", "c"), ("eu-west-1", "d")]
        .iter()
        .map(|(region, n)| trust_store(&bucket, region, &format!("fleet{n}{pid}"), &[]))
        .collect();
    // Two Private CAs (one partitioned, under its own path) and an offline CA by object.
    let (a, a_pem) = named_ca("ca.p256", "fleet-a", &dir);
    let (b, b_pem) = named_ca("ca.p384", "fleet-b", &dir);
    let (c, _) = named_ca("ca.rsa2048", "fleet-c", &dir);
    let a_arn = private_ca(&bucket, &a_pem, "");
    let b_arn = private_ca(&bucket, &b_pem, ", 'CrlType': 'PARTITIONED', 'CustomPath': 'parts'");
    let a_source = format!("s3://{bucket}/crl/{}.crl", a_arn.rsplit('/').next().unwrap());
    issue_crl(&a, &dir, &a_source, 3, 5, None);
    for p in 1..=2u64 {
        let url = format!("s3://{bucket}/parts/7e570000-000{p}-4000-8000-000000000000.crl");
        issue_crl(&b, &dir, &url, 4, 2 + p, Some(&format!("http://crl.example/b{p}.crl")));
    }
    issue_crl(&c, &dir, &format!("s3://{bucket}/offline/root.crl"), 9, 7, None);
    let fleet = dir.join("fleet.toml");
    let text = format!(
        "to = \"s3://{bucket}/fleet/\"\n\
         [[ca]]\narn = \"{a_arn}\"\ntrust_stores = [\"{}\", \"{}\"]\n\
         [[ca]]\narn = \"{b_arn}\"\ntrust_stores = [\"{}\", \"{}\", \"{}\"]\n\
         [[ca]]\nsource = \"s3://{bucket}/offline/root.crl\"\nbundle = \"fleet-c.pem\"\n\
         to = \"s3://{bucket}/fleet-offline/\"\ntrust_stores = [\"{}\", \"{}\", \"{}\"]\n",
        ts[0], ts[2], ts[0], ts[1], ts[3], ts[1], ts[2], ts[3]
    );
    std::fs::write(&fleet, &text).unwrap();
    let sync = |extra: &[&str]| {
        let mut a = vec!["sync", "--fleet", fleet.to_str().unwrap(), "--at", AT];
        a.extend_from_slice(extra);
        run(&a)
    };

    // The plan: each Private CA found by two reads, then every trust store's calls.
    let o = sync(&["--plan", "--json"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let plan = json(&o);
    let actions: Vec<&str> = plan["plan"].as_array().unwrap().iter().map(|c| c["action"].as_str().unwrap()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "DescribeCertificateAuthority").count(), 2, "{actions:?}");
    assert_eq!(actions.iter().filter(|a| **a == "AddTrustStoreRevocations").count(), 8, "{actions:?}");
    assert!(plan.to_string().contains("<S3BucketName>"), "{plan}");

    let o = sync(&["--json"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    assert_eq!(v["changed"], true, "{v}");
    assert_eq!(
        v["cas"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["syncs"].as_array().unwrap().len(), c["crl_type"].clone()))
            .collect::<Vec<_>>(),
        [(1, "COMPLETE".into()), (2, "PARTITIONED".into()), (1, serde_json::Value::Null)],
        "{v}"
    );
    let end_state = || ts.iter().map(|t| live_counts(t)).collect::<Vec<_>>();
    assert_eq!(end_state(), [vec![3, 4, 5], vec![3, 4, 7], vec![5, 7], vec![3, 4, 7]]);
    // Each trust store says what it holds: metrics are made of this.
    let held = &v["cas"][0]["syncs"][0]["trust_stores"][0]["holds"];
    assert_eq!(
        (held["crl_number"].as_str(), held["files"].as_u64(), held["added_now"].as_bool()),
        (Some("3"), Some(1), Some(true)),
        "{v}"
    );

    // Nothing new: nothing changes. A trust store two ledgers share (B's prefix and C's) has
    // each ledger's files read once by the other, found foreign and left alone; after that,
    // only Describe calls.
    let calls_since = |before: &[usize]| -> Vec<Vec<String>> {
        ts.iter().zip(before).map(|(t, n)| elb_calls(t)[*n..].to_vec()).collect()
    };
    for round in 0..2 {
        let before: Vec<usize> = ts.iter().map(|t| elb_calls(t).len()).collect();
        let o = sync(&["--json"]);
        assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
        let v = json(&o);
        assert_eq!(v["changed"], false, "{v}");
        let sent = calls_since(&before);
        let allowed: &[&str] = if round == 0 { &["Describe", "GetTrustStoreRevocationContent"] } else { &["Describe"] };
        assert!(sent.iter().flatten().all(|c| allowed.iter().any(|a| c.starts_with(a))), "round {round}: {sent:?}");
    }
    // A's next CRL replaces A's file where A goes, and nowhere else.
    issue_crl(&a, &dir, &a_source, 4, 6, None);
    let o = sync(&[]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains(&format!("== {b_arn} (partitioned CRL)")), "{}", stdout(&o));
    assert_eq!(end_state(), [vec![3, 4, 6], vec![3, 4, 7], vec![6, 7], vec![3, 4, 7]]);

    // A CA that cannot be found fails alone: the others are synced, the report printed, exit 2.
    let gone = a_arn.replace(a_arn.rsplit('/').next().unwrap(), "00000000-0000-4000-8000-000000000000");
    std::fs::write(&fleet, format!("{text}[[ca]]\narn = \"{gone}\"\ntrust_stores = [\"{}\"]\n", ts[0])).unwrap();
    let o = sync(&["--json"]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    assert_eq!(v["cas"][3]["error"]["code"], "ca-not-found", "{v}");
    assert!(v["cas"].as_array().unwrap()[..3].iter().all(|c| c["error"].is_null()), "{v}");
    assert!(stderr(&o).contains("error[ca-not-found]") && stderr(&o).contains("1 of 4 CA(s) failed"), "{}", stderr(&o));
    // A mistake in the file is named by its line, before any call.
    std::fs::write(&fleet, text.replacen("trust_stores", "trust_store", 1)).unwrap();
    let o = sync(&[]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("error[bad-fleet]") && stderr(&o).contains("line 4"), "{}", stderr(&o));
}
