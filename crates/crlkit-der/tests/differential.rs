//! rasn-pkix as an independent second decoder: on every input both accept (fixtures and the
//! corpus), the entry counts, serials and revocation times agree.

mod common;

use crlkit_der::CrlRef;

fn rasn_entries(der: &[u8]) -> Option<Vec<(Vec<u8>, i64)>> {
    let crl: rasn_pkix::CertificateList = rasn::der::decode(der).ok()?;
    let revoked = crl.tbs_cert_list.revoked_certificates;
    Some(
        revoked
            .iter()
            .map(|r| {
                // rasn's own DER encoding of the INTEGER: tag, short or long length, content.
                let tlv = rasn::der::encode(&r.user_certificate).expect("encodes");
                let header = if tlv[1] < 0x80 { 2 } else { 2 + usize::from(tlv[1] & 0x7f) };
                let serial = tlv[header..].to_vec();
                let time = match &r.revocation_date {
                    rasn_pkix::Time::Utc(t) => t.timestamp(),
                    rasn_pkix::Time::General(t) => t.timestamp(),
                };
                (serial, time)
            })
            .collect(),
    )
}

fn crlkit_entries(der: &[u8]) -> Option<Vec<(Vec<u8>, i64)>> {
    let crl = CrlRef::from_der(der).ok()?;
    crl.validate().ok()?;
    Some(
        crl.entries()
            .map(|e| {
                let e = e.unwrap();
                (e.serial().der_content().to_vec(), e.revocation_date().unix())
            })
            .collect(),
    )
}

#[test]
fn crlkit_and_rasn_agree_where_both_accept() {
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    let fixtures = common::fixtures_dir();
    for name in common::walk(&fixtures).into_iter().filter(|n| n.starts_with("crl.") && n.ends_with(".der")) {
        inputs.push((name.clone(), std::fs::read(fixtures.join(&name)).unwrap()));
    }
    let corpus = common::corpus_dir();
    for path in common::walk(&corpus) {
        if path.ends_with(".tsv") || path.ends_with(".md") || common::is_certificate_file(&path) {
            continue;
        }
        let bytes = std::fs::read(corpus.join(&path)).unwrap();
        if let Ok(crls) = common::crls_in(&bytes) {
            inputs.extend(crls.into_iter().enumerate().map(|(i, d)| (format!("{path}#{i}"), d)));
        }
    }
    let mut both = 0;
    for (name, der) in &inputs {
        if let (Some(ours), Some(theirs)) = (crlkit_entries(der), rasn_entries(der)) {
            assert_eq!(ours.len(), theirs.len(), "{name}: entry count");
            assert_eq!(ours, theirs, "{name}: serials and times");
            both += 1;
        }
    }
    // Sanity: the comparison covered most inputs (rasn rejects a few we accept, and vice versa).
    assert!(both > 100, "only {both} inputs accepted by both");
}
