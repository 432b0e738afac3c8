//! What the function's tests share: the local servers' endpoints, CAs and their CRLs in moto's
//! S3 and Private CA, trust stores in the emulator, events as AWS sends them, and the end state
//! read back (through boto3, independent of crlkit).

#![allow(dead_code)] // each test file uses its part

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use crlkit_lambda::{CRL_GENERATION, Config, Endpoints, Handler};
use serde_json::{Value, json};

pub fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run the tests with `cargo xtask test`"))
}

pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Run `script` in the test venv's Python with boto3 clients at the local servers; its stdout.
pub fn python(script: &str, arg: &Value) -> String {
    let prelude = "import boto3, sys, json\n\
        arg = json.loads(sys.argv[1])\n\
        s3 = boto3.client('s3', endpoint_url=arg['s3'], region_name='us-east-1')\n\
        def elb(region): return boto3.client('elbv2', endpoint_url=arg['elb'], region_name=region)\n";
    let mut arg = arg.clone();
    arg["s3"] = var("CRLKIT_S3_ENDPOINT").into();
    arg["elb"] = var("CRLKIT_ELB_ENDPOINT").into();
    let out = Command::new(var("CRLKIT_TEST_PYTHON"))
        .args(["-c", &format!("{prelude}{script}"), &arg.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

pub struct Ca {
    pub key: crlkit_sign::CaKey,
    pub cert: crlkit_sign::CaCert,
    pub pem: PathBuf,
}

pub fn ca(dir: &Path, key: &str, name: &str) -> Ca {
    let root = PathBuf::from(var("CARGO_MANIFEST_DIR")).join("../../fixtures/keys");
    let key =
        crlkit_sign::CaKey::from_pkcs8_pem(&std::fs::read_to_string(root.join(format!("{key}.key.pem"))).unwrap())
            .unwrap();
    let cert = crlkit_sign::self_signed_ca(&key, name, 1_735_689_600, 2_051_222_400);
    let pem = dir.join(format!("{name}.pem"));
    std::fs::write(&pem, cert.pem()).unwrap();
    Ca { key, cert, pem }
}

/// A CRL of `ca` numbered `number` with `count` entries, fresh now for a week, a partition when
/// `idp` is given; its file.
pub fn crl(ca: &Ca, dir: &Path, number: u64, count: u64, idp: Option<&str>) -> PathBuf {
    let file =
        dir.join(format!("{}-{number}-{}.crl", ca.cert.pem().len(), idp.unwrap_or("whole").replace(['/', ':'], "_")));
    let this = now() - 600 + number as i64;
    let mut params = crlkit_sign::CrlParams::for_ca(&ca.cert, this, Some(now() + 7 * 86_400), number);
    params.issuing_distribution_point = idp.map(str::to_owned);
    let entries = crlkit_sign::Synthetic { seed: number * 100 + count, count, newest: this };
    crlkit_sign::write_crl(std::fs::File::create(&file).unwrap(), &params, &ca.key, || entries.iter()).unwrap();
    file
}

/// Objects put into `bucket` (key, file).
pub fn put(bucket: &str, objects: &[(String, &Path)]) {
    let objects: Vec<Value> = objects.iter().map(|(k, p)| json!([k, p])).collect();
    python(
        "for key, path in arg['objects']: s3.put_object(Bucket=arg['bucket'], Key=key, Body=open(path, 'rb').read())",
        &json!({"bucket": bucket, "objects": objects}),
    );
}

/// Three CAs and their CRLs in one bucket, as `a_fleet_of_three_cas_reaches_four_trust_stores_in_two_regions`
/// (crates/crlkit/tests/elb.rs) has them: A a complete Private CA, B a partitioned one (two
/// partitions under `parts/`), C an offline CA whose CRL and bundle are objects.
pub struct World {
    pub bucket: String,
    pub dir: PathBuf,
    pub a: Ca,
    pub a_arn: String,
    pub b_arn: String,
}

pub fn world(tag: &str) -> World {
    let bucket = format!("lambda-{tag}-{}", std::process::id());
    let dir = std::env::temp_dir().join(format!("crlkit-lambda-test-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (a, b, c) = (ca(&dir, "ca.p256", "fleet-a"), ca(&dir, "ca.p384", "fleet-b"), ca(&dir, "ca.rsa2048", "fleet-c"));
    let cas = python(
        "s3.create_bucket(Bucket=arg['bucket'])\n\
         pca = boto3.client('acm-pca', endpoint_url=arg['s3'], region_name='eu-west-1')\n\
         out = []\n\
         for cert, extra in arg['cas']:\n\
         \x20   crl = dict(Enabled=True, ExpirationInDays=7, S3BucketName=arg['bucket'], **extra)\n\
         \x20   a = pca.create_certificate_authority(CertificateAuthorityConfiguration={'KeyAlgorithm': 'EC_prime256v1', \
         'SigningAlgorithm': 'SHA256WITHECDSA', 'Subject': {'CommonName': 'x'}}, CertificateAuthorityType='ROOT', \
         RevocationConfiguration={'CrlConfiguration': crl})['CertificateAuthorityArn']\n\
         \x20   pca.import_certificate_authority_certificate(CertificateAuthorityArn=a, Certificate=open(cert, 'rb').read())\n\
         \x20   out.append(a)\n\
         print(json.dumps(out))",
        &json!({"bucket": bucket, "cas": [[a.pem, {}], [b.pem, {"CrlType": "PARTITIONED", "CustomPath": "parts"}]]}),
    );
    let cas: Vec<String> = serde_json::from_str(&cas).unwrap();
    let a_id = cas[0].rsplit('/').next().unwrap().to_owned();
    let (b1, b2) = (
        crl(&b, &dir, 4, 3, Some("http://crl.example/b1.crl")),
        crl(&b, &dir, 4, 4, Some("http://crl.example/b2.crl")),
    );
    put(
        &bucket,
        &[
            ("ca/ca.pem".into(), &a.pem),
            (format!("crl/{a_id}.crl"), &crl(&a, &dir, 3, 5, None)),
            ("parts/7e570000-0001-4000-8000-000000000000.crl".into(), &b1),
            ("parts/7e570000-0002-4000-8000-000000000000.crl".into(), &b2),
            ("offline/root.crl".into(), &crl(&c, &dir, 9, 7, None)),
            ("config/fleet-c.pem".into(), &c.pem),
        ],
    );
    World { bucket, dir, a, a_arn: cas[0].clone(), b_arn: cas[1].clone() }
}

impl World {
    /// Four trust stores, two in us-east-1 and two in eu-west-1.
    pub fn trust_stores(&self, tag: &str) -> Vec<String> {
        let out = python(
            "print(json.dumps([elb(r).create_trust_store(Name=n, CaCertificatesBundleS3Bucket=arg['bucket'], \
             CaCertificatesBundleS3Key='ca/ca.pem')['TrustStores'][0]['TrustStoreArn'] for r, n in arg['stores']]))",
            &json!({"bucket": self.bucket, "stores": [
                ["us-east-1", format!("{tag}a{}", std::process::id())],
                ["us-east-1", format!("{tag}b{}", std::process::id())],
                ["eu-west-1", format!("{tag}c{}", std::process::id())],
                ["eu-west-1", format!("{tag}d{}", std::process::id())],
            ]}),
        );
        serde_json::from_str(&out).unwrap()
    }

    /// The fleet file for trust stores `ts`, its PEMs under `<prefix>/` and `<prefix>-offline/`,
    /// written to `config/<name>` (C's bundle beside it, named relatively).
    pub fn fleet(&self, name: &str, prefix: &str, ts: &[String]) -> String {
        let b = &self.bucket;
        let text = format!(
            "to = \"s3://{b}/{prefix}/\"\n\
             [[ca]]\narn = \"{}\"\ntrust_stores = [\"{}\", \"{}\"]\n\
             [[ca]]\narn = \"{}\"\ntrust_stores = [\"{}\", \"{}\", \"{}\"]\n\
             [[ca]]\nsource = \"s3://{b}/offline/root.crl\"\nbundle = \"fleet-c.pem\"\n\
             to = \"s3://{b}/{prefix}-offline/\"\ntrust_stores = [\"{}\", \"{}\", \"{}\"]\n",
            self.a_arn, ts[0], ts[2], self.b_arn, ts[0], ts[1], ts[3], ts[1], ts[2], ts[3]
        );
        let file = self.dir.join(name);
        std::fs::write(&file, text).unwrap();
        put(&self.bucket, &[(format!("config/{name}"), &file)]);
        format!("s3://{b}/config/{name}")
    }

    pub async fn handler(&self, fleet: &str) -> Handler {
        let config = Config {
            fleet: fleet.to_owned(),
            namespace: "crlkit-test".into(),
            lease_wait: std::time::Duration::from_secs(120),
            quotas: Default::default(),
            endpoints: Endpoints {
                s3: Some(var("CRLKIT_S3_ENDPOINT")),
                elb: Some(var("CRLKIT_ELB_ENDPOINT")),
                pca: Some(var("CRLKIT_S3_ENDPOINT")),
            },
        };
        Handler::new(config).await.unwrap()
    }

    /// Each trust store's live files (entry counts, sorted), and each ledger's entries as
    /// (trust store index, issuer, IDP, CRL number), sorted.
    pub fn end_state(&self, ts: &[String], ledgers: &[&str]) -> (Vec<Vec<u64>>, Vec<Vec<LedgerSlot>>) {
        let out = python(
            "live = [sorted(x['NumberOfRevokedEntries'] for x in elb(a.split(':')[3]).describe_trust_store_revocations(\
             TrustStoreArn=a)['TrustStoreRevocations']) for a in arg['ts']]\n\
             ledgers = [json.loads(s3.get_object(Bucket=arg['bucket'], Key=k + '.crlkit/ledger.json')['Body'].read()) \
             for k in arg['ledgers']]\n\
             print(json.dumps([live, ledgers]))",
            &json!({"bucket": self.bucket, "ts": ts, "ledgers": ledgers}),
        );
        let (live, ledgers): (Vec<Vec<u64>>, Vec<Value>) = serde_json::from_str(&out).unwrap();
        let ledgers = ledgers
            .iter()
            .map(|l| {
                let mut entries: Vec<LedgerSlot> = l["entries"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| {
                        let t = ts.iter().position(|t| e["trust_store_arn"] == t.as_str()).unwrap();
                        let crl = &e["crl"];
                        let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
                        (t, text(&crl["issuer"]), text(&crl["idp"]), text(&crl["crl_number"]))
                    })
                    .collect();
                entries.sort();
                entries
            })
            .collect();
        (live, ledgers)
    }
}

/// A ledger entry as compared: trust store (index), issuer, IDP, CRL number.
pub type LedgerSlot = (usize, String, String, String);

/// What the emulator logged of calls to `arn`, one action per line.
pub fn elb_calls(arn: &str) -> Vec<String> {
    let out = python(
        "import urllib.request, urllib.parse\n\
         body = urllib.parse.urlencode({'TrustStoreArn': arg['arn']}).encode()\n\
         print(urllib.request.urlopen(arg['elb'] + '/_calls', body).read().decode(), end='')",
        &json!({"arn": arn}),
    );
    out.lines().map(str::to_owned).collect()
}

pub fn generation(ca: &str, result: &str) -> Value {
    json!({
        "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718", "detail-type": CRL_GENERATION,
        "source": "aws.acm-pca", "account": "123456789012", "time": "2026-12-07T10:00:00Z", "region": "eu-west-1",
        "resources": [ca], "detail": if result == "success" { json!({"result": "success"}) } else {
            json!({"result": "failure", "reason": "Failed to write CRL to S3. Check your S3 bucket permissions."})
        }
    })
}

pub fn schedule() -> Value {
    json!({
        "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", "detail-type": "Scheduled Event",
        "source": "aws.events", "account": "123456789012", "time": "2026-12-07T10:00:00Z", "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/crlkit-fleet-schedule"], "detail": {}
    })
}

/// The EMF records of a log (every line with `_aws`), each checked against the format: a
/// millisecond timestamp, every dimension a string at the top, every metric a number there.
pub fn records(log: &[Value]) -> Vec<&Value> {
    let records: Vec<&Value> = log.iter().filter(|l| l.get("_aws").is_some()).collect();
    for r in &records {
        let directive = &r["_aws"]["CloudWatchMetrics"][0];
        assert!(r["_aws"]["Timestamp"].as_i64().unwrap() > 1_700_000_000_000, "{r}");
        assert_eq!(directive["Namespace"], "crlkit-test", "{r}");
        for d in directive["Dimensions"][0].as_array().unwrap() {
            assert!(r[d.as_str().unwrap()].is_string(), "{r}");
        }
        for m in directive["Metrics"].as_array().unwrap() {
            assert!(r[m["Name"].as_str().unwrap()].is_number(), "{r}");
        }
        // Each record is one log line: it reads back with the same fields.
        let line = serde_json::from_str::<Value>(&r.to_string()).unwrap();
        assert_eq!(
            line.as_object().unwrap().keys().collect::<Vec<_>>(),
            r.as_object().unwrap().keys().collect::<Vec<_>>()
        );
    }
    records
}

pub fn run_record(log: &[Value]) -> &Value {
    records(log).into_iter().find(|r| r.get("RunDurationMs").is_some()).expect("a run record")
}
