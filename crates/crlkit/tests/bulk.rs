//! `convert IN... --out-dir`: a directory of 200 CRLs (DER and PEM, nested, a few broken, a few
//! large) in one run: every output byte-identical to OpenSSL's, the broken ones listed with
//! nothing written for them, and the same bytes and report with one thread.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

fn openssl_pem(input: &Path, inform: &str) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(["crl", "-inform", inform, "-outform", "PEM", "-in"])
        .arg(input)
        .output()
        .expect("openssl");
    assert!(out.status.success(), "openssl on {}: {}", input.display(), String::from_utf8_lossy(&out.stderr));
    out.stdout
}

#[test]
fn two_hundred_crls_in_one_run() {
    let dir = tempdir("bulk");
    let tree = dir.join("in");
    let mut good = Vec::new();
    let mut broken = Vec::new();
    for i in 0..200u64 {
        let sub = tree.join(format!("ca{}/{}", i % 7, if i % 3 == 0 { "deep/er" } else { "" }));
        std::fs::create_dir_all(&sub).unwrap();
        let count = if i % 67 == 5 { 60_000 } else { i % 40 };
        let der_path = dir.join("tmp.der");
        write_synthetic_crl(&der_path, i + 1, count);
        let der = std::fs::read(&der_path).unwrap();
        let (name, bytes) = match i % 4 {
            0 | 1 => (format!("crl{i}.crl"), der.clone()),
            2 => (format!("crl{i}.pem"), crlkit_der::pem::encode(&der)),
            _ => (format!("crl{i}.der"), der.clone()),
        };
        let path = sub.join(&name);
        if i % 50 == 7 {
            // Broken: cut short, or one trailing byte.
            let mut b = bytes.clone();
            if i % 100 == 7 {
                b.truncate(b.len() / 2)
            } else {
                b.push(0)
            }
            std::fs::write(&path, b).unwrap();
            broken.push(path);
        } else {
            std::fs::write(&path, &bytes).unwrap();
            good.push(path);
        }
    }
    std::fs::write(tree.join("ca1/README.txt"), "not a CRL").unwrap();
    assert_eq!((good.len(), broken.len()), (196, 4));

    let run = |out: &str, threads: &str| {
        crlkit(&[
            "--threads",
            threads,
            "convert",
            tree.to_str().unwrap(),
            "--out-dir",
            dir.join(out).to_str().unwrap(),
            "--json",
        ])
    };
    let o = run("out", "2");
    assert_eq!(o.status.code(), Some(2), "broken files make the run fail: {}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let s = &report["summary"];
    assert_eq!((s["ok"].as_u64(), s["failed"].as_u64(), s["skipped"].as_u64()), (Some(196), Some(4), Some(1)), "{s}");
    let files = report["files"].as_array().unwrap();
    let inputs: Vec<&str> = files.iter().map(|f| f["input"].as_str().unwrap()).collect();
    let mut sorted = inputs.clone();
    sorted.sort();
    assert_eq!(inputs, sorted, "reported in sorted input order");
    let failed: Vec<&str> =
        files.iter().filter(|f| f["result"] == "failed").map(|f| f["input"].as_str().unwrap()).collect();
    let mut want: Vec<String> = broken.iter().map(|p| p.display().to_string()).collect();
    want.sort();
    assert_eq!(failed, want);
    assert!(stderr(&o).contains("error[bad-input]: 4 of 200 file(s)"), "{}", stderr(&o));

    for path in &good {
        let rel = path.strip_prefix(&tree).unwrap().with_extension("pem");
        let ours = std::fs::read(dir.join("out").join(&rel)).unwrap();
        let inform = if path.extension().unwrap() == "pem" { "PEM" } else { "DER" };
        assert!(ours == openssl_pem(path, inform), "{}: differs from openssl", rel.display());
    }
    for path in &broken {
        let rel = path.strip_prefix(&tree).unwrap().with_extension("pem");
        assert!(!dir.join("out").join(&rel).exists(), "{}: nothing written for a broken file", rel.display());
    }

    // One thread: the same bytes and the same report.
    let o1 = run("out1", "1");
    let strip = |v: &[u8], out: &str| {
        let mut r: serde_json::Value = serde_json::from_slice(v).unwrap();
        r["summary"]["seconds"] = 0.into();
        r["summary"]["mb_per_s"] = 0.into();
        r.to_string().replace(&dir.join(out).display().to_string(), "OUT")
    };
    assert_eq!(strip(&o1.stdout, "out1"), strip(&o.stdout, "out"));
    for path in &good {
        let rel = path.strip_prefix(&tree).unwrap().with_extension("pem");
        assert_eq!(
            std::fs::read(dir.join("out1").join(&rel)).unwrap(),
            std::fs::read(dir.join("out").join(&rel)).unwrap()
        );
    }
    // --fail-fast stops launching files after the first failure.
    let o = crlkit(&[
        "--threads",
        "1",
        "convert",
        tree.to_str().unwrap(),
        "--out-dir",
        dir.join("ff").to_str().unwrap(),
        "--json",
        "--fail-fast",
    ]);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["summary"]["failed"], 1, "{}", r["summary"]);
    assert!(r["summary"]["not_attempted"].as_u64().unwrap() > 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_output_never_replaces_an_input() {
    let dir = tempdir("bulk-self");
    let tree = dir.join("tree");
    std::fs::create_dir_all(tree.join("sub")).unwrap();
    write_synthetic_crl(&dir.join("x.der"), 3, 5);
    let pem = crlkit_der::pem::encode(&std::fs::read(dir.join("x.der")).unwrap());
    std::fs::write(tree.join("sub/a.pem"), &pem).unwrap();
    std::fs::copy(dir.join("x.der"), tree.join("b.crl")).unwrap();
    // Into its own tree: sub/a.pem would be written over itself.
    let o = crlkit(&["convert", tree.to_str().unwrap(), "--out-dir", tree.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is an input and would be overwritten"), "{}", stderr(&o));
    assert!(!tree.join("b.pem").exists(), "refused before anything is written");
    assert_eq!(std::fs::read(tree.join("sub/a.pem")).unwrap(), pem);
    // The same, named through another path to the same directory.
    let o = crlkit(&[
        "convert",
        tree.join("sub").to_str().unwrap(),
        "--out-dir",
        tree.join("sub/../sub").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // Beside the tree: fine.
    let o = crlkit(&["convert", tree.to_str().unwrap(), "--out-dir", dir.join("out").to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read(dir.join("out/sub/a.pem")).unwrap(), pem);
    let _ = std::fs::remove_dir_all(&dir);
}
