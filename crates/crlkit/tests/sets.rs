//! Many inputs for `inspect`, `list`, `verify` and `preflight`, and partitioned CRL sets: a set of
//! 12 partitions of one CA (distinct IDPs, made by `crlkit gen --idp`) inspected as one table,
//! preflighted, staged with one manifest and uploaded to moto as a unit; sets that break each
//! rule refused by preflight with their own codes; `pull --out-dir` of a prefix.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

const AT: &str = "2026-12-02T00:00:00Z";

/// A CA key and certificate made by OpenSSL (cRLSign, valid from now for ten years).
fn make_ca(dir: &Path) -> (PathBuf, PathBuf) {
    let (key, cert) = (dir.join("ca.key"), dir.join("ca.pem"));
    let o = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .args([
            "-days",
            "3650",
            "-subj",
            "/CN=Partitioned Test CA",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
        ])
        .output()
        .expect("openssl");
    assert!(o.status.success(), "openssl req: {}", String::from_utf8_lossy(&o.stderr));
    (key, cert)
}

/// One partition: `seed` picks its serials, `idp` names it.
fn partition(ca: &(PathBuf, PathBuf), out: &Path, seed: u64, idp: &str, number: u64, next_update: &str) {
    let o = crlkit(&[
        "gen",
        "--entries",
        "300",
        "--seed",
        &seed.to_string(),
        "--ca-cert",
        ca.1.to_str().unwrap(),
        "--ca-key",
        ca.0.to_str().unwrap(),
        "--idp",
        idp,
        "--crl-number",
        &number.to_string(),
        "--this-update",
        "2026-12-01T00:00:00Z",
        "--next-update",
        next_update,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "gen: {}", stderr(&o));
}

/// `n` partitions with distinct IDPs and serials, all CRL number 7, into `dir`.
fn make_set(ca: &(PathBuf, PathBuf), dir: &Path, n: u64) {
    std::fs::create_dir_all(dir).unwrap();
    for i in 1..=n {
        partition(ca, &dir.join(format!("part-{i:02}.crl")), i, &format!("http://crl.example/p{i}.crl"), 7, "30d");
    }
}

fn json(o: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(o), stderr(o)))
}

fn blocking_set_codes(o: &std::process::Output) -> Vec<String> {
    let r = json(o);
    r["sets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "blocking")
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_partitioned_set_is_inspected_preflighted_staged_and_uploaded_as_one_unit() {
    let dir = tempdir("sets");
    let ca = make_ca(&dir);
    let set = dir.join("set");
    make_set(&ca, &set, 12);
    let s = set.to_str().unwrap();

    // inspect: every file, then one table of the set.
    let o = crlkit(&["inspect", s]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let table = text.split("partitioned set: ").nth(1).expect("a set table");
    assert!(table.starts_with("CN=Partitioned Test CA, AKI "), "{table}");
    assert!(table.contains("12 CRL(s), 3600 entries"), "{table}");
    let header = table.lines().nth(1).unwrap();
    for col in ["FILE", "IDP", "CRL NUMBER", "ENTRIES", "THIS UPDATE", "NEXT UPDATE"] {
        assert!(header.contains(col), "{header}");
    }
    for i in 1..=12 {
        let row = table.lines().find(|l| l.contains(&format!("part-{i:02}.crl"))).expect("a row per partition");
        assert!(row.contains(&format!("URI:http://crl.example/p{i}.crl ")), "{row}");
        assert!(row.contains(" 300 ") && row.contains("2026-12-01T00:00:00Z"), "{row}");
    }
    let r = json(&crlkit(&["inspect", s, "--json"]));
    assert_eq!(r["files"].as_array().unwrap().len(), 12);
    let parts = r["sets"][0]["partitions"].as_array().unwrap();
    assert_eq!(parts.len(), 12);
    assert_eq!(parts[0]["idp"], "URI:http://crl.example/p1.crl");
    assert_eq!(parts[0]["crl_number"], "7");
    assert_eq!(r["sets"][0]["entries"], 3600);
    assert_eq!(r["summary"]["ok"], 12);

    // preflight: the set is ready as one unit.
    let o = crlkit(&["preflight", s, "--ca", ca.1.to_str().unwrap(), "--at", AT, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(blocking_set_codes(&o).is_empty());
    assert_eq!(json(&o)["sets"][0]["files"].as_array().unwrap().len(), 12);

    // stage: one manifest entry for the set.
    let staged = dir.join("staged");
    let o = crlkit(&["stage", s, "--out", staged.to_str().unwrap(), "--ca", ca.1.to_str().unwrap(), "--at", AT]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(staged.join("manifest.json")).unwrap()).unwrap();
    let sets = m["sets"].as_array().unwrap();
    assert_eq!(sets.len(), 1);
    assert_eq!(sets[0]["partitions"].as_array().unwrap().len(), 12);
    assert_eq!((sets[0]["entries"].as_u64(), sets[0]["crl_number"].as_str()), (Some(3600), Some("7")));
    assert_eq!(sets[0]["preflight"]["ready"], true);
    let size: u64 = m["files"].as_array().unwrap().iter().map(|f| f["size"].as_u64().unwrap()).sum();
    assert_eq!(sets[0]["size"].as_u64(), Some(size));

    // A manifest whose set names a file it does not hold is refused whole, even with a
    // matching checksum.
    let tampered = dir.join("tampered");
    std::fs::create_dir_all(&tampered).unwrap();
    for e in std::fs::read_dir(&staged).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), tampered.join(e.file_name())).unwrap();
    }
    let mut bad = m.clone();
    bad["sets"][0]["partitions"][0] = "nope.pem".into();
    let mut bytes = serde_json::to_vec_pretty(&bad).unwrap();
    bytes.push(b'\n');
    std::fs::write(tampered.join("manifest.json"), &bytes).unwrap();
    std::fs::write(tampered.join("manifest.sha256"), format!("{}  manifest.json\n", crlkit_upload::sha256_hex(&bytes)))
        .unwrap();
    let url = format!("file://{}/", dir.join("nowhere").display());
    let o = crlkit(&["upload", tampered.to_str().unwrap(), &url, "--at", AT]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("error[bundle-manifest]") && stderr(&o).contains("nope.pem"), "{}", stderr(&o));

    if !cfg!(feature = "online") {
        // The offline build has no S3 (tests/offline.rs has the rest of it): it says so.
        let o = crlkit(&["upload", staged.to_str().unwrap(), "s3://crlkit-sets/", "--at", AT]);
        assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
        assert!(
            stderr(&o).contains("error[unsupported-scheme]") && stderr(&o).contains("offline build"),
            "{}",
            stderr(&o)
        );
        return;
    }
    // upload to moto: every partition, read back.
    let endpoint = s3_endpoint();
    let bucket = format!("crlkit-sets-{}", std::process::id());
    create_bucket(&endpoint, &bucket);
    let (root, crl) = (format!("s3://{bucket}/"), format!("s3://{bucket}/crl/"));
    let o = crlkit_s3(&endpoint, &["upload", staged.to_str().unwrap(), &root, "--at", AT, "--json"]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    let r = json(&o);
    assert_eq!(r["sets"][0]["stored"], true);
    assert!(r["uploads"].as_array().unwrap().iter().all(|u| u["result"] == "uploaded"), "{r}");
    // pull the prefix back: every partition, the same bytes.
    let pulled = dir.join("pulled");
    let o = crlkit_s3(&endpoint, &["pull", &crl, "--out-dir", pulled.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(json(&o)["summary"]["ok"], 12);
    for f in m["files"].as_array().unwrap() {
        let name = f["file"].as_str().unwrap();
        assert_eq!(std::fs::read(pulled.join(name)).unwrap(), std::fs::read(staged.join(name)).unwrap(), "{name}");
    }

    // A newer generation where one partition is older than what the bucket holds: none of it
    // is sent.
    let next = dir.join("next");
    make_set(&ca, &next, 12);
    for i in 1..=12 {
        let number = if i == 5 { 6 } else { 8 };
        partition(
            &ca,
            &next.join(format!("part-{i:02}.crl")),
            i,
            &format!("http://crl.example/p{i}.crl"),
            number,
            "30d",
        );
    }
    let o = crlkit_s3(&endpoint, &["upload", next.to_str().unwrap(), &crl, "--at", AT, "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let r = json(&o);
    assert_eq!(r["sets"][0]["stored"], false);
    assert!(r["uploads"].as_array().unwrap().iter().all(|u| u["result"] == "refused" && u["refusal"] == "set"), "{r}");
    let again = dir.join("again");
    let o = crlkit_s3(&endpoint, &["pull", &crl, "--out-dir", again.to_str().unwrap()]);
    assert!(o.status.success());
    for i in 1..=12 {
        let name = format!("part-{i:02}.pem");
        assert_eq!(std::fs::read(again.join(&name)).unwrap(), std::fs::read(staged.join(&name)).unwrap());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sets_that_break_a_rule_are_refused_by_preflight_each_with_its_code() {
    let dir = tempdir("sets-bad");
    let ca = make_ca(&dir);
    let check = |d: &Path| crlkit(&["preflight", d.to_str().unwrap(), "--at", AT, "--json"]);

    // 31 partitions: over the 30-file quota.
    let big = dir.join("big");
    make_set(&ca, &big, 31);
    let o = check(&big);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(blocking_set_codes(&o), ["set-too-many-files"]);
    let o = crlkit(&["preflight", big.to_str().unwrap(), "--at", AT, "--json", "--max-files", "40"]);
    assert_eq!(o.status.code(), Some(0), "a raised quota lets it through");
    // and 31 × 300 entries over a quota of 9,000.
    let o = crlkit(&[
        "preflight",
        big.to_str().unwrap(),
        "--at",
        AT,
        "--json",
        "--max-files",
        "40",
        "--max-entries",
        "9000",
    ]);
    assert_eq!(blocking_set_codes(&o), ["set-entry-count"]);

    // One stale partition.
    let stale = dir.join("stale");
    make_set(&ca, &stale, 4);
    partition(&ca, &stale.join("part-03.crl"), 3, "http://crl.example/p3.crl", 7, "12h");
    let o = check(&stale);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(blocking_set_codes(&o), ["set-stale-partition"]);
    let msg = json(&o)["sets"][0]["findings"].to_string();
    assert!(msg.contains("part-03.crl"), "names the stale partition: {msg}");

    // Mixed CRL numbers.
    let mixed = dir.join("mixed");
    make_set(&ca, &mixed, 4);
    partition(&ca, &mixed.join("part-02.crl"), 2, "http://crl.example/p2.crl", 6, "30d");
    let o = check(&mixed);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(blocking_set_codes(&o), ["set-mixed-crl-numbers"]);

    // Two partitions with one IDP; a serial in two partitions (the same seed twice).
    let twice = dir.join("twice");
    make_set(&ca, &twice, 3);
    partition(&ca, &twice.join("part-03.crl"), 3, "http://crl.example/p2.crl", 7, "30d");
    assert_eq!(blocking_set_codes(&check(&twice)), ["set-duplicate-idp"]);
    let dup = dir.join("dup");
    make_set(&ca, &dup, 3);
    partition(&ca, &dup.join("part-03.crl"), 2, "http://crl.example/p3.crl", 7, "30d");
    let o = check(&dup);
    assert_eq!(blocking_set_codes(&o), ["set-duplicate-serial"]);
    assert!(json(&o)["sets"][0]["findings"].to_string().contains("300 serial(s)"));

    // A write failing part-way (a directory where a partition's file should go): the error
    // names exactly what is stored and what is not.
    let target = dir.join("target");
    std::fs::create_dir_all(target.join("part-03.pem")).unwrap();
    let url = format!("file://{}/", target.display());
    let good = dir.join("good");
    make_set(&ca, &good, 4);
    let o = crlkit(&["upload", good.to_str().unwrap(), &url, "--at", AT]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains(&format!("stored before this failure (2 of 4): {url}part-01.pem, {url}part-02.pem")), "{err}");
    assert!(err.contains(&format!("not stored: {url}part-03.pem, {url}part-04.pem")), "{err}");
    assert!(err.contains("belongs to a partitioned set of 4 CRLs"), "{err}");
    assert!(target.join("part-02.pem").exists() && !target.join("part-04.pem").exists());

    // stage refuses a broken set (exit 1, nothing written) unless --force.
    let out = dir.join("staged");
    let o = crlkit(&["stage", mixed.to_str().unwrap(), "--out", out.to_str().unwrap(), "--at", AT]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("set-mixed-crl-numbers") && !out.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn many_inputs_for_inspect_list_verify_and_preflight() {
    let dir = tempdir("many");
    let tree = dir.join("tree");
    std::fs::create_dir_all(tree.join("sub")).unwrap();
    for (i, name) in ["b.crl", "a.crl", "sub/c.crl", "sub/d.crl"].iter().enumerate() {
        write_synthetic_crl(&tree.join(name), i as u64 + 1, 20 + i as u64);
    }
    let mut cut = std::fs::read(tree.join("sub/c.crl")).unwrap();
    cut.truncate(cut.len() - 10);
    std::fs::write(tree.join("sub/c.crl"), cut).unwrap();
    std::fs::write(tree.join("notes.txt"), "x").unwrap();
    let t = tree.to_str().unwrap();
    let want_order = ["a.crl", "b.crl", "sub/c.crl", "sub/d.crl"].map(|n| tree.join(n).display().to_string());

    for cmd in ["inspect", "preflight"] {
        let o = crlkit(&[cmd, t, "--json", "--at", AT][..if cmd == "inspect" { 3 } else { 5 }]);
        assert_eq!(o.status.code(), Some(2), "{cmd}: a broken file fails the run: {}", stderr(&o));
        let r = json(&o);
        let files: Vec<&str> = r["files"].as_array().unwrap().iter().map(|f| f["file"].as_str().unwrap()).collect();
        assert_eq!(files, want_order, "{cmd}: sorted input order");
        assert_eq!(r["files"][2]["error"]["code"], "truncated", "{cmd}: {}", r["files"][2]);
        assert_eq!((r["summary"]["ok"].as_u64(), r["summary"]["failed"].as_u64()), (Some(3), Some(1)), "{cmd}");
        assert_eq!(r["summary"]["skipped"], 1, "{cmd}");
        assert!(stderr(&o).contains(&format!("{}, byte", want_order[2])), "{cmd}: the full error: {}", stderr(&o));
    }
    // The same report whatever the thread count (timing aside).
    let strip = |o: &std::process::Output| {
        let mut r = json(o);
        r["summary"]["seconds"] = 0.into();
        r["summary"]["mb_per_s"] = 0.into();
        r
    };
    assert_eq!(
        strip(&crlkit(&["--threads", "1", "inspect", t, "--json"])),
        strip(&crlkit(&["--threads", "2", "inspect", t, "--json"]))
    );

    // list: every entry with its file, the broken file's entries absent.
    let o = crlkit(&["list", t, "--format", "csv"]);
    assert_eq!(o.status.code(), Some(2));
    let csv = stdout(&o);
    assert!(csv.starts_with("file,serial,revocation_time,reason,invalidity_date\n"));
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 20 + 21 + 23);
    assert!(rows[..20].iter().all(|r| r.starts_with(&format!("{},", want_order[0]))));
    assert!(!csv.contains("c.crl"));
    let one = stdout(&crlkit(&["list", tree.join("a.crl").to_str().unwrap()]));
    let many = stdout(&crlkit(&["list", t]));
    let prefix = format!("{}: ", want_order[0]);
    let a_lines: Vec<&str> = many.lines().filter_map(|l| l.strip_prefix(&prefix)).collect();
    assert_eq!(a_lines, one.lines().collect::<Vec<_>>(), "the same lines, with the file before them");
    let o = crlkit(&["list", t, "--format", "json"]);
    let entries: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON array");
    assert_eq!(entries.as_array().unwrap().len(), 64);
    assert_eq!(entries[0]["file"].as_str(), Some(want_order[0].as_str()));
    assert_eq!(
        stdout(&crlkit(&["--threads", "1", "list", t, "--format", "json"])),
        stdout(&o),
        "list output does not depend on the thread count"
    );

    // verify: exit 2 for the unreadable file, each other one verified.
    let ca = fixture("ca.p256.pem");
    let o = crlkit(&["verify", t, "--ca", ca.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(json(&o)["files"].as_array().unwrap().len(), 4);
    // --fail-fast: nothing after the first failure's window is started.
    let o = crlkit(&["--threads", "1", "inspect", t, "--fail-fast", "--json"]);
    assert_eq!(o.status.code(), Some(2));
    // stdin cannot be one of many.
    assert_eq!(crlkit(&["inspect", t, "-"]).status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sign_writes_an_idp_and_keeps_the_previous_one() {
    let dir = tempdir("sign-idp");
    let ca = make_ca(&dir);
    let csv = dir.join("revoked.csv");
    std::fs::write(&csv, "0a1b2c,2026-11-20T00:00:00Z,keyCompromise\n").unwrap();
    let first = dir.join("p1.crl");
    let sign = |out: &Path, extra: &[&str]| {
        let mut args = vec![
            "sign",
            "--ca-cert",
            ca.1.to_str().unwrap(),
            "--ca-key",
            ca.0.to_str().unwrap(),
            "--revoked",
            csv.to_str().unwrap(),
            "--this-update",
            "2026-12-01T00:00:00Z",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let o = crlkit(&args);
        assert!(o.status.success(), "{}", stderr(&o));
    };
    sign(&first, &["--idp", "http://crl.example/p1.crl"]);
    let second = dir.join("p1.next.crl");
    std::fs::write(&csv, "0a1b2d,2026-11-21T00:00:00Z,superseded\n").unwrap();
    sign(&second, &["--previous", first.to_str().unwrap()]);
    for f in [&first, &second] {
        let o =
            Command::new("openssl").args(["crl", "-inform", "DER", "-noout", "-text", "-in"]).arg(f).output().unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains("Issuing Distribution Point: critical"), "{text}");
        assert!(text.contains("URI:http://crl.example/p1.crl"), "{text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
