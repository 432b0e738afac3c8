//! The handler in process, with events as AWS sends them, against the local S3 and Private CA
//! (moto) and the ELB trust-store emulator that `cargo xtask test` starts: the end state of every
//! trust store and ledger, the metric records parsed back, fifty invocations at once, and the
//! same fleet through `crlkit sync --fleet` and through the handler ending the same.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use crlkit_lambda::{CRL_GENERATION, Config, Endpoints, Handler};
use serde_json::{Value, json};

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run the tests with `cargo xtask test`"))
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Run `script` in the test venv's Python with boto3 clients at the local servers; its stdout.
fn python(script: &str, arg: &Value) -> String {
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

struct Ca {
    key: crlkit_sign::CaKey,
    cert: crlkit_sign::CaCert,
    pem: PathBuf,
}

fn ca(dir: &Path, key: &str, name: &str) -> Ca {
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
fn crl(ca: &Ca, dir: &Path, number: u64, count: u64, idp: Option<&str>) -> PathBuf {
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
fn put(bucket: &str, objects: &[(String, &Path)]) {
    let objects: Vec<Value> = objects.iter().map(|(k, p)| json!([k, p])).collect();
    python(
        "for key, path in arg['objects']: s3.put_object(Bucket=arg['bucket'], Key=key, Body=open(path, 'rb').read())",
        &json!({"bucket": bucket, "objects": objects}),
    );
}

/// Three CAs and their CRLs in one bucket, as `a_fleet_of_three_cas_reaches_four_trust_stores_in_two_regions`
/// (crates/crlkit/tests/elb.rs) has them: A a complete Private CA, B a partitioned one (two
/// partitions under `parts/`), C an offline CA whose CRL and bundle are objects.
struct World {
    bucket: String,
    dir: PathBuf,
    a: Ca,
    a_arn: String,
    b_arn: String,
}

fn world(tag: &str) -> World {
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
    fn trust_stores(&self, tag: &str) -> Vec<String> {
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
    fn fleet(&self, name: &str, prefix: &str, ts: &[String]) -> String {
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

    async fn handler(&self, fleet: &str) -> Handler {
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
    fn end_state(&self, ts: &[String], ledgers: &[&str]) -> (Vec<Vec<u64>>, Vec<Vec<LedgerSlot>>) {
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
type LedgerSlot = (usize, String, String, String);

/// What the emulator logged of calls to `arn`, one action per line.
fn elb_calls(arn: &str) -> Vec<String> {
    let out = python(
        "import urllib.request, urllib.parse\n\
         body = urllib.parse.urlencode({'TrustStoreArn': arg['arn']}).encode()\n\
         print(urllib.request.urlopen(arg['elb'] + '/_calls', body).read().decode(), end='')",
        &json!({"arn": arn}),
    );
    out.lines().map(str::to_owned).collect()
}

fn generation(ca: &str, result: &str) -> Value {
    json!({
        "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718", "detail-type": CRL_GENERATION,
        "source": "aws.acm-pca", "account": "123456789012", "time": "2026-12-07T10:00:00Z", "region": "eu-west-1",
        "resources": [ca], "detail": if result == "success" { json!({"result": "success"}) } else {
            json!({"result": "failure", "reason": "Failed to write CRL to S3. Check your S3 bucket permissions."})
        }
    })
}

fn schedule() -> Value {
    json!({
        "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", "detail-type": "Scheduled Event",
        "source": "aws.events", "account": "123456789012", "time": "2026-12-07T10:00:00Z", "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/crlkit-fleet-schedule"], "detail": {}
    })
}

/// The EMF records of a log (every line with `_aws`), each checked against the format: a
/// millisecond timestamp, every dimension a string at the top, every metric a number there.
fn records(log: &[Value]) -> Vec<&Value> {
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

fn run_record(log: &[Value]) -> &Value {
    records(log).into_iter().find(|r| r.get("RunDurationMs").is_some()).expect("a run record")
}

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
