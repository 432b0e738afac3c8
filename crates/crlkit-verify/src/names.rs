//! Distinguished-name matching for issuer lookup (RFC 5280 7.1, simplified).
//!
//! Names match when they have the same RDNs in the same order, each with the same set of
//! attribute types, and values that are equal after normalisation: string types are decoded
//! (PrintableString and UTF8String compare equal), leading and trailing white space removed,
//! inner runs of white space folded to one space, and case folded. Other values must be
//! byte-identical. Byte-identical names always match.

use crlkit_der::{AttributeRef, NameRef};

fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

fn same_value(a: &AttributeRef<'_>, b: &AttributeRef<'_>) -> bool {
    match (a.text(), b.text()) {
        (Some(x), Some(y)) => normalize(&x) == normalize(&y),
        _ => a.tag == b.tag && a.value == b.value,
    }
}

/// Do two names denote the same entity?
pub fn names_match(a: &NameRef<'_>, b: &NameRef<'_>) -> bool {
    if a.der() == b.der() {
        return true;
    }
    let (x, y): (Vec<_>, Vec<_>) = (a.attributes().collect(), b.attributes().collect());
    if x.len() != y.len() || x.last().map(|v| v.rdn) != y.last().map(|v| v.rdn) {
        return false;
    }
    // Every attribute of an RDN in `a` has a partner in the same RDN of `b` (and counts match).
    let rdns = x.last().map_or(0, |v| v.rdn + 1);
    (0..rdns).all(|r| {
        let xs: Vec<_> = x.iter().filter(|v| v.rdn == r).collect();
        let ys: Vec<_> = y.iter().filter(|v| v.rdn == r).collect();
        xs.len() == ys.len() && xs.iter().all(|p| ys.iter().any(|q| p.oid == q.oid && same_value(p, q)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(rdns: &[(u8, &[u8])]) -> Vec<u8> {
        // CN attributes with the given string tag and value, one per RDN.
        let mut body = Vec::new();
        for (tag, value) in rdns {
            let mut ava = vec![0x06, 0x03, 0x55, 0x04, 0x03, *tag, value.len() as u8];
            ava.extend_from_slice(value);
            let mut seq = vec![0x30, ava.len() as u8];
            seq.extend(ava);
            body.push(0x31);
            body.push(seq.len() as u8);
            body.extend(seq);
        }
        let mut v = vec![0x30, body.len() as u8];
        v.extend(body);
        v
    }

    #[test]
    fn normalised_matching() {
        let a = name(&[(0x13, b"Test Intermediate CA")]);
        let b = name(&[(0x0c, b"tEST   iNTERMEDIATE ca ")]);
        let c = name(&[(0x0c, b"Other CA")]);
        let two = name(&[(0x0c, b"Test Intermediate CA"), (0x0c, b"x")]);
        fn n(d: &[u8]) -> NameRef<'_> {
            NameRef::from_der(d).unwrap()
        }
        assert!(names_match(&n(&a), &n(&b)));
        assert!(!names_match(&n(&a), &n(&c)));
        assert!(!names_match(&n(&a), &n(&two)));
        assert!(names_match(&n(&two), &n(&two)));
    }
}
