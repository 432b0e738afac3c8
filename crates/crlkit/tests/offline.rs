//! The offline build (`cargo test -p crlkit --no-default-features`, which `cargo xtask test`
//! runs): the main job on local files works end to end, the ELB commands are listed and say
//! this build lacks them, and an s3:// URL is refused before anything is read.

#![cfg(not(feature = "online"))]

mod common;

use common::*;

#[test]
fn the_main_job_runs_on_local_files() {
    let dir = tempdir("offline-main-job");
    let (crl, ca, staged) = (dir.join("pca.crl"), dir.join("ca.pem"), dir.join("staged"));
    let path = |p: &std::path::Path| p.to_str().unwrap().to_owned();
    let o = crlkit(&["gen", "--entries", "100", "--out", &path(&crl), "--ca-out", &path(&ca)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = crlkit(&["stage", &path(&crl), "--out", &path(&staged), "--ca", &path(&ca)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let store = format!("file://{}/", path(&dir.join("store")));
    let o = crlkit(&["upload", &path(&staged), &store, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["uploads"][0]["result"], "uploaded", "{report}");
    let o = crlkit(&["pull", &format!("{store}crl/"), "--long", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let listed: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(listed["objects"][0]["crl"]["entries"], 100, "{listed}");
}

#[test]
fn elb_commands_say_this_build_lacks_them() {
    let help = stdout(&crlkit(&["--help"]));
    for command in ["register", "publish", "revocations", "sync", "revoke"] {
        assert!(help.contains(command), "{command} is listed: {help}");
        let o = crlkit(&[command, "--trust-store-arn", "arn:aws:elasticloadbalancing:eu-west-1:1:truststore/t/1"]);
        assert_eq!(o.status.code(), Some(2), "{command}");
        assert!(stderr(&o).starts_with("crlkit: error[offline-build]:"), "{command}: {}", stderr(&o));
    }
}

#[test]
fn s3_is_refused_before_anything_is_read() {
    let dir = tempdir("offline-s3");
    let out = dir.join("ca.crl");
    let o = crlkit(&["pull", "s3://bucket/crl/ca.crl", "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("error[unsupported-scheme]") && err.contains("online feature"), "{err}");
    assert!(!out.exists(), "nothing written");
}
