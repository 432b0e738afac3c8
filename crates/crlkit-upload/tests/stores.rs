//! The upload rules on every backend: memory:// and file:// in process, S3 against the local
//! moto server the test command starts (conditional headers, metadata, versions, a server that
//! stops part-way). No mock: the S3 tests speak HTTP to a real S3 implementation.

mod common;

use std::sync::Arc;

use bytes::Bytes;
use common::*;
use crlkit_upload::{AwsOptions, Refusal, Store, StoreErrorKind, StoreOptions, Target, UploadResult, upload_crl};

fn s3_options(endpoint: &str) -> StoreOptions {
    StoreOptions {
        aws: AwsOptions { endpoint: Some(endpoint.to_owned()), ..AwsOptions::default() },
        ..StoreOptions::default()
    }
}

async fn open(url: &str, opts: &StoreOptions) -> Store {
    Store::open(&Target::parse(url).unwrap(), opts).await.unwrap()
}

/// Upload, refusal of older and equal numbers, identical no-op, metadata, replacement.
async fn upload_rules(store: &Store, key: &str) {
    let (two, two_facts) = crl(2, 40);
    let (one, one_facts) = crl(1, 30);
    let (three, three_facts) = crl(3, 50);
    let r = upload_crl(store, key, &two, &two_facts, false).await.unwrap();
    assert!(matches!(r, UploadResult::Uploaded { replaced: None, attempts: 1, .. }), "{r:?}");
    // Identical bytes again: a no-op.
    assert!(matches!(upload_crl(store, key, &two, &two_facts, false).await.unwrap(), UploadResult::Identical { .. }));
    // An older number never replaces a newer one; neither does another CRL with the same number.
    let r = upload_crl(store, key, &one, &one_facts, false).await.unwrap();
    assert!(
        matches!(&r, UploadResult::Refused(Refusal::NotNewer { existing }) if existing.crl_number.as_deref() == Some("2")),
        "{r:?}"
    );
    let (two_again, two_again_facts) = crl(2, 41);
    let r = upload_crl(store, key, &two_again, &two_again_facts, false).await.unwrap();
    assert!(matches!(r, UploadResult::Refused(Refusal::NotNewer { .. })), "{r:?}");
    // Another issuer's CRL does not replace it either.
    let (other, other_facts) = crl_of("other CA", 9, 5);
    let r = upload_crl(store, key, &other, &other_facts, false).await.unwrap();
    assert!(matches!(r, UploadResult::Refused(Refusal::OtherIssuer { .. })), "{r:?}");
    // A newer one does, and says what it replaced.
    let r = upload_crl(store, key, &three, &three_facts, false).await.unwrap();
    match r {
        UploadResult::Uploaded { replaced: Some(old), .. } => assert_eq!(old.crl_number.as_deref(), Some("2")),
        other => panic!("{other:?}"),
    }
    let (info, stored) = store.get(key, None).await.unwrap().unwrap();
    assert_eq!(stored, three, "the bytes read back are the bytes sent");
    if store.keeps_metadata() {
        let facts = crlkit_upload::CrlFacts::from_metadata(&info.metadata, info.size).expect("crlkit metadata");
        assert_eq!(facts, three_facts);
    }
}

#[test]
fn rules_on_memory_and_file() {
    let rt = runtime();
    rt.block_on(async {
        upload_rules(&open("memory://rules/", &StoreOptions::default()).await, "crl/ca.pem").await;
        let dir = std::env::temp_dir().join(format!("crlkit-upload-file-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let url = format!("file://{}/", dir.display());
        let store = open(&url, &StoreOptions::default()).await;
        let key = Target::parse(&url).unwrap().join("crl/ca.pem");
        upload_rules(&store, &key).await;
        let left: Vec<_> = std::fs::read_dir(dir.join("crl")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["ca.pem"], "no temporary or lock file left in the store");
        let _ = std::fs::remove_dir_all(&dir);
    });
}

/// Many uploaders of different CRL numbers at once: the highest number is what remains, every
/// time, on the stores whose conditional write is atomic (memory) or locked (file).
#[test]
fn racing_uploads_leave_the_highest_number() {
    let rt = runtime();
    let dir = std::env::temp_dir().join(format!("crlkit-upload-race-{}", std::process::id()));
    let crls: Vec<(Bytes, crlkit_upload::CrlFacts)> = (1..=8).map(|n| crl(n, 3)).collect();
    let crls = Arc::new(crls);
    for round in 0..12 {
        for url in [format!("memory://race{round}/"), format!("file://{}/r{round}/", dir.display())] {
            rt.block_on(async {
                let store = open(&url, &StoreOptions::default()).await;
                let key = Target::parse(&url).unwrap().join("ca.pem");
                // A different arrival order each round.
                let mut order: Vec<usize> = (0..8).collect();
                order.rotate_left(round % 8);
                if round % 2 == 1 {
                    order.reverse();
                }
                let tasks: Vec<_> = order
                    .into_iter()
                    .map(|i| {
                        let (store, key, crls) = (store.clone(), key.clone(), crls.clone());
                        tokio::spawn(async move { upload_crl(&store, &key, &crls[i].0, &crls[i].1, false).await })
                    })
                    .collect();
                for t in tasks {
                    let r = t.await.unwrap().unwrap();
                    assert!(
                        matches!(r, UploadResult::Uploaded { .. } | UploadResult::Refused(Refusal::NotNewer { .. })),
                        "{r:?}"
                    );
                }
                let (_, stored) = store.get(&key, None).await.unwrap().unwrap();
                assert_eq!(stored, crls[7].0, "{url}: the highest CRL number remains");
            });
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// On moto (an endpoint of its own) an upload is read back; told the store checks the
/// SHA-256 each PUT carries, it is not.
#[test]
fn s3_uploads_are_read_back_unless_the_store_checks_them_on_arrival() {
    use crlkit_upload::{Checked, UploadCheck};
    let endpoint = s3_endpoint();
    let bucket = bucket("check");
    create_bucket(&endpoint, &bucket, false);
    runtime().block_on(async {
        let (one, one_facts) = crl(1, 3);
        let (two, two_facts) = crl(2, 3);
        let store = open(&format!("s3://{bucket}/"), &s3_options(&endpoint)).await;
        assert!(!store.checks_on_arrival());
        let r = upload_crl(&store, "ca.pem", &one, &one_facts, false).await.unwrap();
        assert!(matches!(r, UploadResult::Uploaded { checked: Checked::ReadBack, .. }), "{r:?}");
        let opts = StoreOptions { upload_check: UploadCheck::Checksum, ..s3_options(&endpoint) };
        let store = open(&format!("s3://{bucket}/"), &opts).await;
        let r = upload_crl(&store, "ca.pem", &two, &two_facts, false).await.unwrap();
        assert!(matches!(r, UploadResult::Uploaded { checked: Checked::Checksum, .. }), "{r:?}");
        assert_eq!(store.get("ca.pem", None).await.unwrap().unwrap().1, two);
    });
}

#[test]
fn s3_rules_metadata_and_conditional_headers() {
    let endpoint = s3_endpoint();
    let bucket = bucket("rules");
    create_bucket(&endpoint, &bucket, false);
    let rt = runtime();
    rt.block_on(async {
        let store = open(&format!("s3://{bucket}/"), &s3_options(&endpoint)).await;
        upload_rules(&store, "crl/ca.pem").await;
        // The conditional headers, checked by the server itself: If-None-Match: * on an
        // existing key, and a stale If-Match, are both refused (412).
        use crlkit_upload::WriteMode;
        let (b, _) = crl(7, 1);
        let none = Default::default();
        let e = store.put("crl/ca.pem", b.clone(), &WriteMode::Create, &none).await.unwrap_err();
        assert_eq!(e.kind(), StoreErrorKind::Conflict, "{e}");
        let mut stale = store.head("crl/ca.pem").await.unwrap().unwrap();
        stale.e_tag = Some("\"0123456789abcdef0123456789abcdef\"".into());
        let e = store.put("crl/ca.pem", b, &WriteMode::Replace(stale), &none).await.unwrap_err();
        assert_eq!(e.kind(), StoreErrorKind::Conflict, "{e}");
    });
}

#[test]
fn s3_versioned_bucket_reports_the_version() {
    let endpoint = s3_endpoint();
    let bucket = bucket("versions");
    create_bucket(&endpoint, &bucket, true);
    let rt = runtime();
    rt.block_on(async {
        let store = open(&format!("s3://{bucket}/"), &s3_options(&endpoint)).await;
        let (one, one_facts) = crl(1, 2);
        let (two, two_facts) = crl(2, 2);
        let v1 = match upload_crl(&store, "ca.pem", &one, &one_facts, false).await.unwrap() {
            UploadResult::Uploaded { info, .. } => info.version.expect("a version id"),
            other => panic!("{other:?}"),
        };
        let v2 = match upload_crl(&store, "ca.pem", &two, &two_facts, false).await.unwrap() {
            UploadResult::Uploaded { info, .. } => info.version.expect("a version id"),
            other => panic!("{other:?}"),
        };
        assert_ne!(v1, v2);
        assert_eq!(store.head("ca.pem").await.unwrap().unwrap().version.as_deref(), Some(v2.as_str()));
    });
}

/// A proxy in front of moto that cuts connections after `cut_after` request bytes while `cuts`
/// (decremented at each cut) is above zero: the server "stops" part-way through an upload.
fn flaky_proxy(target: &str, cuts: Arc<std::sync::atomic::AtomicUsize>, cut_after: usize) -> String {
    use std::io::{Read, Write};
    use std::net::{Shutdown, TcpListener, TcpStream};
    use std::sync::atomic::Ordering;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let target = target.strip_prefix("http://").unwrap().to_owned();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let (cuts, target) = (cuts.clone(), target.clone());
            std::thread::spawn(move || {
                let Ok(server) = TcpStream::connect(&target) else { return };
                let (mut c_in, mut s_out) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let (mut s_in, mut c_out) = (server, client);
                let upstream = std::thread::spawn(move || {
                    let mut buf = [0u8; 16 << 10];
                    let mut sent = 0;
                    loop {
                        let n = match c_in.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        if sent + n > cut_after
                            && cuts.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |c| c.checked_sub(1)).is_ok()
                        {
                            let _ = s_out.shutdown(Shutdown::Both);
                            let _ = c_in.shutdown(Shutdown::Both);
                            return;
                        }
                        if s_out.write_all(&buf[..n]).is_err() {
                            break;
                        }
                        sent += n;
                    }
                    let _ = s_out.shutdown(Shutdown::Write);
                });
                let _ = std::io::copy(&mut s_in, &mut c_out);
                let _ = c_out.shutdown(Shutdown::Both);
                let _ = upstream.join();
            });
        }
    });
    format!("http://{addr}")
}

#[test]
fn s3_upload_interrupted_part_way_leaves_nothing_and_a_retry_succeeds() {
    let endpoint = s3_endpoint();
    let bucket = bucket("interrupted");
    create_bucket(&endpoint, &bucket, false);
    let cuts = Arc::new(std::sync::atomic::AtomicUsize::new(usize::MAX));
    let proxy = flaky_proxy(&endpoint, cuts.clone(), 200_000);
    let rt = runtime();
    rt.block_on(async {
        let mut opts = s3_options(&proxy);
        opts.max_retries = Some(1);
        let through_proxy = open(&format!("s3://{bucket}/"), &opts).await;
        let direct = open(&format!("s3://{bucket}/"), &s3_options(&endpoint)).await;
        let (big, facts) = crl(5, 20_000);
        assert!(big.len() > 1_000_000);
        let e = upload_crl(&through_proxy, "crl/big.pem", &big, &facts, false).await.unwrap_err();
        assert_eq!(e.kind(), StoreErrorKind::Store, "{e}");
        assert!(direct.head("crl/big.pem").await.unwrap().is_none(), "no partial object under the key");
        // The server is back: the same upload succeeds, whole.
        cuts.store(0, std::sync::atomic::Ordering::SeqCst);
        let r = upload_crl(&through_proxy, "crl/big.pem", &big, &facts, false).await.unwrap();
        assert!(matches!(r, UploadResult::Uploaded { .. }), "{r:?}");
        assert_eq!(direct.get("crl/big.pem", None).await.unwrap().unwrap().1, big);
        // One dropped connection in the middle of a transfer: retried with backoff, no error.
        cuts.store(1, std::sync::atomic::Ordering::SeqCst);
        let retrying = open(&format!("s3://{bucket}/"), &s3_options(&proxy)).await;
        let (bigger, bigger_facts) = crl(6, 20_000);
        let r = upload_crl(&retrying, "crl/big.pem", &bigger, &bigger_facts, false).await.unwrap();
        assert!(matches!(r, UploadResult::Uploaded { .. }), "{r:?}");
        assert_eq!(cuts.load(std::sync::atomic::Ordering::SeqCst), 0, "the connection was cut once");
        assert_eq!(direct.get("crl/big.pem", None).await.unwrap().unwrap().1, bigger);
    });
}

#[test]
fn missing_bucket_and_plain_http_to_a_remote_host_are_clear_errors() {
    let endpoint = s3_endpoint();
    let rt = runtime();
    rt.block_on(async {
        let store = open("s3://crlkit-no-such-bucket/", &s3_options(&endpoint)).await;
        let (b, f) = crl(1, 1);
        let e = upload_crl(&store, "x.pem", &b, &f, false).await.unwrap_err();
        assert!(matches!(e.kind(), StoreErrorKind::NotFound | StoreErrorKind::Store), "{e}");
        let remote = s3_options("http://s3.example.com");
        let e = Store::open(&Target::parse("s3://bucket-x/").unwrap(), &remote).await.unwrap_err();
        assert_eq!(e.kind(), StoreErrorKind::InsecureEndpoint, "{e}");
    });
}
