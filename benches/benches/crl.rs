//! Criterion benches of the performance core at 10k and 1M entries: parse (header only),
//! iterate (every entry), validate (parallel), PEM encode, PEM decode.
//!
//! `cargo bench -p crlkit-benches`; inputs are generated in memory from the fixture key.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use crlkit_benches::{crlkit_iterate, synthetic_crl, webpki_iterate, workspace_root};
use crlkit_der::CrlRef;

fn benches(c: &mut Criterion) {
    for (count, label) in [(10_000u64, "10k"), (1_000_000, "1m")] {
        let der = synthetic_crl(workspace_root(), count);
        let pem = crlkit_der::pem::encode(&der);
        let mut g = c.benchmark_group(format!("crl_{label}"));
        g.throughput(Throughput::Bytes(der.len() as u64));
        if count > 100_000 {
            g.sample_size(10);
        }
        g.bench_function(BenchmarkId::new("parse", label), |b| b.iter(|| CrlRef::from_der(&der).unwrap()));
        g.bench_function(BenchmarkId::new("iterate", label), |b| b.iter(|| crlkit_iterate(&der)));
        g.bench_function(BenchmarkId::new("iterate_webpki", label), |b| b.iter(|| webpki_iterate(&der)));
        g.bench_function(BenchmarkId::new("validate", label), |b| {
            b.iter(|| CrlRef::from_der(&der).unwrap().validate().unwrap())
        });
        g.bench_function(BenchmarkId::new("pem_encode", label), |b| b.iter(|| crlkit_der::pem::encode(&der)));
        g.throughput(Throughput::Bytes(pem.len() as u64));
        g.bench_function(BenchmarkId::new("pem_decode", label), |b| {
            b.iter(|| crlkit_der::pem::decode_all(&pem).unwrap())
        });
        g.finish();
    }
}

criterion_group!(crl, benches);
criterion_main!(crl);
