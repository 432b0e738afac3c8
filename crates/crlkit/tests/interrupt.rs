//! Nothing half-done: real runs signalled part-way leave no file (nameless output survives even
//! SIGKILL; named temporary files are removed on SIGINT and SIGTERM), an input that changes
//! while it is read fails the command, two outputs appear together or not at all, and times
//! that no CRL can hold are refused rather than wrapped or clamped.

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};

mod common;

use common::*;

/// `crlkit convert - -o DIR/out.pem`, fed half of a large CRL, so it is certainly part-way:
/// the pipe holds 64 KiB, and writing 1 MB returns only once crlkit has read most of it.
fn convert_part_way(dir: &Path, der: &[u8], named: bool) -> (Child, std::process::ChildStdin) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_crlkit"));
    cmd.args(["convert", "-", "-o"]).arg(dir.join("out.pem"));
    if named {
        cmd.env("CRLKIT_TEMP_FILES", "named");
    }
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&der[..der.len() / 2]).unwrap();
    stdin.flush().unwrap();
    (child, stdin)
}

fn signal(child: &Child, name: &str) {
    let ok = Command::new("kill").args([&format!("-{name}"), &child.id().to_string()]).status().unwrap();
    assert!(ok.success());
}

/// The files of the output being written, as the process holds them: `(deleted)` for nameless.
fn open_outputs(child: &Child, dir: &Path) -> Vec<String> {
    let fds = std::fs::read_dir(format!("/proc/{}/fd", child.id())).unwrap();
    fds.flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .map(|target| target.display().to_string())
        .filter(|t| t.starts_with(&dir.display().to_string()))
        .collect()
}

#[test]
fn interrupted_convert_leaves_nothing() {
    let dir = tempdir("interrupt");
    let crl = dir.join("big.der");
    write_synthetic_crl(&crl, 5, 50_000);
    let der = std::fs::read(&crl).unwrap();
    assert!(der.len() > 2_000_000);
    let out_dir = dir.join("out");
    std::fs::create_dir(&out_dir).unwrap();

    // Nameless: nothing to see while it runs (only a deleted-looking file it holds open), and
    // nothing after SIGKILL, which no handler can catch.
    let (mut child, stdin) = convert_part_way(&out_dir, &der, false);
    assert!(dir_entries(&out_dir).is_empty(), "no name while writing: {:?}", dir_entries(&out_dir));
    let held = open_outputs(&child, &out_dir);
    assert!(held.iter().any(|t| t.ends_with("(deleted)")), "an O_TMPFILE file is open: {held:?}");
    child.kill().unwrap();
    let status = child.wait().unwrap();
    drop(stdin);
    assert_eq!(status.signal(), Some(9));
    assert!(dir_entries(&out_dir).is_empty(), "SIGKILL left {:?}", dir_entries(&out_dir));

    // Named (as on filesystems without O_TMPFILE): the temporary exists while it runs, and
    // SIGINT or SIGTERM removes it; the process then dies of that signal.
    for (name, number) in [("INT", 2), ("TERM", 15)] {
        let (mut child, stdin) = convert_part_way(&out_dir, &der, true);
        let names = dir_entries(&out_dir);
        assert!(
            names.len() == 1 && names[0].starts_with(".out.pem.crlkit-tmp."),
            "a hidden temporary while writing: {names:?}"
        );
        signal(&child, name);
        let status = child.wait().unwrap();
        drop(stdin);
        assert_eq!(status.signal(), Some(number), "SIG{name}: died of it ({status})");
        assert!(dir_entries(&out_dir).is_empty(), "SIG{name} left {:?}", dir_entries(&out_dir));
    }

    // And a complete run still writes the file.
    let out = crlkit_stdin(&["convert", "-", "-o", out_dir.join("out.pem").to_str().unwrap()], &der);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(dir_entries(&out_dir), ["out.pem"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_crl_that_changes_while_it_is_read_fails_the_command() {
    let dir = tempdir("changed");
    let crl = dir.join("c.der");
    std::fs::copy(fixture("crl.p256.1k.der"), &crl).unwrap();
    let fifo = dir.join("serials");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    // check maps the CRL, then blocks reading the serials from the FIFO.
    let child = Command::new(env!("CARGO_BIN_EXE_crlkit"))
        .args(["check", "--crl", crl.to_str().unwrap(), "--serials-file", fifo.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Opening the FIFO for writing returns once crlkit opened it: the CRL is mapped by then.
    let mut writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    std::fs::OpenOptions::new().append(true).open(&crl).unwrap().write_all(b"\0").unwrap();
    writer.write_all(b"01\n").unwrap();
    drop(writer);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("error[input-changed]"), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "no answer from a changed input: {}", stdout(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gen_writes_the_crl_and_its_ca_together_or_neither() {
    let dir = tempdir("gen-both");
    let missing = dir.join("missing");
    let gen_into = |crl: &Path, ca: &Path| {
        crlkit(&["gen", "--entries", "10", "--out", crl.to_str().unwrap(), "--ca-out", ca.to_str().unwrap()])
    };
    let out = gen_into(&dir.join("x.crl"), &missing.join("ca.pem"));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(dir_entries(&dir).is_empty(), "no CRL without its CA: {:?}", dir_entries(&dir));
    let out = gen_into(&missing.join("x.crl"), &dir.join("ca.pem"));
    assert_eq!(out.status.code(), Some(2));
    assert!(dir_entries(&dir).is_empty(), "no CA without its CRL: {:?}", dir_entries(&dir));
    let out = gen_into(&dir.join("x.crl"), &dir.join("ca.pem"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(dir_entries(&dir), ["ca.pem", "x.crl"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn times_no_crl_can_hold_are_refused() {
    let dir = tempdir("times");
    let crl = fixture("crl.p256.1k.der");
    let bundle = fixture("ca.bundle.pem");
    for at in ["@9223372036854775807", "@-9223372036854775808", "@253402300800", "10000-01-01"] {
        let out = crlkit(&["verify", crl.to_str().unwrap(), "--ca", bundle.to_str().unwrap(), "--at", at]);
        assert_eq!(out.status.code(), Some(2), "--at {at}: {}", stderr(&out));
        assert!(stderr(&out).starts_with("crlkit: error[usage]: "), "--at {at}: {}", stderr(&out));
    }
    // The last second a CRL can hold is fine.
    let out = crlkit(&["preflight", crl.to_str().unwrap(), "--at", "9999-12-31T23:59:59Z", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // thisUpdate + nextUpdate past 9999: refused, nothing written.
    let target = dir.join("late.crl");
    let out = crlkit(&[
        "gen",
        "--entries",
        "3",
        "--out",
        target.to_str().unwrap(),
        "--this-update",
        "9999-12-31",
        "--next-update",
        "7d",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("nextUpdate"), "{}", stderr(&out));
    assert!(!target.exists());
    let huge =
        crlkit(&["gen", "--entries", "3", "--out", target.to_str().unwrap(), "--next-update", "99999999999999w"]);
    assert_eq!(huge.status.code(), Some(2));
    // sign: the same for its dates and for the CSV's.
    let key = fixture("keys/ca.p256.key.pem");
    let ca = fixture("ca.p256.pem");
    let csv = dir.join("r.csv");
    std::fs::write(&csv, "01,2026-11-01T00:00:00Z,keyCompromise\n").unwrap();
    let sign = |extra: &[&str]| {
        let mut args = vec![
            "sign",
            "--ca-cert",
            ca.to_str().unwrap(),
            "--ca-key",
            key.to_str().unwrap(),
            "--revoked",
            csv.to_str().unwrap(),
            "--out",
            target.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        crlkit(&args)
    };
    let out = sign(&["--this-update", "9999-12-30", "--next-update", "2w"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    std::fs::write(&csv, "01,@99999999999999,keyCompromise\n").unwrap();
    let out = sign(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("revocation_time"), "{}", stderr(&out));
    assert!(!target.exists());
    let _ = std::fs::remove_dir_all(&dir);
}
