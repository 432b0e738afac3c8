//! `CrlRef::entry_at` gives back exactly the entry an iteration gave.

use crlkit_der::CrlRef;

#[test]
fn entry_at_rereads_what_iteration_gave() {
    let der = std::fs::read(format!(
        "{}/../../fixtures/crl.p256.1k.der",
        std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let crl = CrlRef::from_der(&der).unwrap();
    for e in crl.entries().step_by(97) {
        let e = e.unwrap();
        let again = crl.entry_at(e.offset(), e.index()).unwrap();
        assert_eq!((again.der(), again.index(), again.serial()), (e.der(), e.index(), e.serial()));
    }
    let (data, base) = crl.revoked_der();
    assert!(crl.entry_at(base - 1, 0).is_err(), "before the entries");
    assert!(crl.entry_at(base + data.len() as u64, 0).is_err(), "after the entries");
    assert!(crl.entry_at(base + 1, 0).is_err(), "not at an entry boundary");
}
