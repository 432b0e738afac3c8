//! The built function end to end under a real Lambda runtime emulator: cargo-lambda's
//! (`cargo-lambda lambda watch --only-lambda-apis`, installed by `cargo xtask test`) serves the
//! Lambda runtime API, the `crlkit-lambda` binary polls it as it polls AWS's, and each kind of
//! event is invoked through the emulator's Invoke API, against moto and the ELB emulator.

mod common;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

/// A child process killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `crlkit-lambda`, built beside this test by `cargo test --workspace`.
fn function_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().and_then(Path::parent).unwrap().join("crlkit-lambda");
    assert!(bin.exists(), "{} not built: run the workspace's tests (cargo xtask test)", bin.display());
    bin
}

/// One HTTP/1.1 POST to the emulator: status and body.
fn post(port: u16, path: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(300))).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = out.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    // A chunked answer: the JSON is between the size lines.
    let body = if out.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body.lines().filter(|l| !l.chars().all(|c| c.is_ascii_hexdigit())).collect::<Vec<_>>().join("")
    } else {
        body
    };
    (status, body)
}

/// Wait until something listens on `port`.
fn listening(port: u16, what: &str) {
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(60), "{what} did not listen on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_built_function_answers_each_kind_of_event_under_the_runtime_emulator() {
    let w = world("runtime");
    let ts = w.trust_stores("rt");
    let fleet = w.fleet("runtime.toml", "fleet", &ts);
    let port = free_port();
    let emulator = Killed(
        Command::new(var("CRLKIT_CARGO_LAMBDA"))
            .args(["lambda", "watch", "--only-lambda-apis", "--invoke-address", "127.0.0.1", "--invoke-port"])
            .arg(port.to_string())
            // It reads the workspace's metadata (and builds nothing: --only-lambda-apis).
            .current_dir(PathBuf::from(var("CARGO_MANIFEST_DIR")).join("../.."))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting cargo-lambda's runtime emulator"),
    );
    listening(port, "cargo-lambda watch");
    let started = Instant::now();
    let mut function = Killed(
        Command::new(function_binary())
            .env("AWS_LAMBDA_RUNTIME_API", format!("http://127.0.0.1:{port}/.rt"))
            .env("AWS_LAMBDA_FUNCTION_NAME", "_")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("CRLKIT_FLEET", &fleet)
            .env("CRLKIT_METRICS_NAMESPACE", "crlkit-test")
            .env("AWS_ENDPOINT_URL_S3", var("CRLKIT_S3_ENDPOINT"))
            .env("AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2", var("CRLKIT_ELB_ENDPOINT"))
            .env("AWS_ENDPOINT_URL_ACM_PCA", var("CRLKIT_S3_ENDPOINT"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    // Its log, one JSON object per line, read as it comes.
    let (lines_tx, lines) = std::sync::mpsc::channel::<Value>();
    let stdout = function.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str(&line) {
                let _ = lines_tx.send(v);
            }
        }
    });
    let ready = lines.recv_timeout(Duration::from_secs(60)).expect("the function's ready line");
    assert_eq!(ready["message"], "crlkit-lambda ready", "{ready}");
    eprintln!("cold start (process start to ready): {:?}, init {} ms", started.elapsed(), ready["init_ms"]);
    let invoke = |event: &Value| post(port, "/2015-03-31/functions/_/invocations", &event.to_string());
    let log_until_report = || -> Vec<Value> {
        let mut log = Vec::new();
        while let Ok(v) = lines.recv_timeout(Duration::from_secs(5)) {
            let done = v.get("report").is_some();
            log.push(v);
            if done {
                break;
            }
        }
        log
    };

    // Each kind, through the emulator, as EventBridge and an operator would send them.
    let (status, body) = invoke(&generation(&w.a_arn, "success"));
    assert_eq!(status, 200, "{body}");
    let result: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (result["trigger"].as_str(), result["report"]["changed"].as_bool()),
        (Some("crl-generation"), Some(true))
    );
    let log = log_until_report();
    assert_eq!(records(&log).iter().filter(|r| r["Action"] == "registered").count(), 2, "{log:?}");
    assert_eq!(w.end_state(&ts, &[]).0, [vec![5], vec![], vec![5], vec![]]);

    let (status, body) = invoke(&generation(&w.b_arn, "failure"));
    assert_ne!(status, 200, "{body}");
    let error: Value = serde_json::from_str(&body).unwrap_or(json!({"raw": body}));
    assert_eq!(error["errorType"], "crl-generation-failed", "{error}");
    let failure = lines.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(failure["CrlGenerationFailures"], 1.0, "{failure}");

    let (status, body) = invoke(&schedule());
    assert_eq!(status, 200, "{body}");
    log_until_report();
    assert_eq!(w.end_state(&ts, &[]).0, [vec![3, 4, 5], vec![3, 4, 7], vec![5, 7], vec![3, 4, 7]]);

    let invoked = Instant::now();
    let (status, body) = invoke(&json!({"ca_arn": w.a_arn}));
    assert_eq!(status, 200, "{body}");
    let result: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(result["report"]["changed"], false, "{result}");
    eprintln!("an invocation with nothing new, through the emulator: {:?}", invoked.elapsed());
    drop(emulator);
}
