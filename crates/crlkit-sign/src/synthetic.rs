//! Deterministic synthetic revoked entries, for fixtures and benchmarks.

/// One revoked entry to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntrySpec {
    serial: [u8; 21],
    serial_len: u8,
    /// revocationDate, Unix seconds.
    pub revocation: i64,
    /// reasonCode value, if any.
    pub reason: Option<u8>,
    /// invalidityDate, Unix seconds, if any.
    pub invalidity: Option<i64>,
}

impl EntrySpec {
    /// An entry with the given serial INTEGER content octets (at most 21, minimal encoding).
    pub fn new(serial_content: &[u8], revocation: i64, reason: Option<u8>, invalidity: Option<i64>) -> Self {
        assert!(!serial_content.is_empty() && serial_content.len() <= 21, "serial content must be 1..=21 octets");
        let mut serial = [0u8; 21];
        serial[..serial_content.len()].copy_from_slice(serial_content);
        Self { serial, serial_len: serial_content.len() as u8, revocation, reason, invalidity }
    }

    /// The serial's INTEGER content octets.
    pub fn serial(&self) -> &[u8] {
        &self.serial[..usize::from(self.serial_len)]
    }
}

/// Synthetic entries: positive serials of 16 to 20 random octets, revocation dates spread over
/// the year before `newest`, a reason code on about half of the entries and an invalidity date
/// on about one in ten. The same seed always gives the same entries.
#[derive(Clone, Copy, Debug)]
pub struct Synthetic {
    /// RNG seed.
    pub seed: u64,
    /// Number of entries.
    pub count: u64,
    /// The latest possible revocation date (usually thisUpdate), Unix seconds.
    pub newest: i64,
}

/// Reasons real CAs use, weighted towards the common ones.
const REASONS: [u8; 16] = [1, 1, 1, 1, 4, 4, 4, 5, 5, 5, 3, 3, 0, 0, 9, 6];

impl Synthetic {
    /// The entries, in order.
    pub fn iter(&self) -> impl Iterator<Item = EntrySpec> + use<> {
        let mut rng = Xoshiro::new(self.seed);
        let newest = self.newest;
        (0..self.count).map(move |_| {
            let r = rng.next();
            let len = 16 + (r % 5) as usize;
            let mut mag = [0u8; 20];
            let mut i = 0;
            while i < len {
                let v = rng.next().to_le_bytes();
                let take = (len - i).min(8);
                mag[i..i + take].copy_from_slice(&v[..take]);
                i += take;
            }
            if mag[0] == 0 {
                mag[0] = 1;
            }
            let mut content = [0u8; 21];
            let n = if mag[0] & 0x80 != 0 {
                content[1..=len].copy_from_slice(&mag[..len]);
                len + 1
            } else {
                content[..len].copy_from_slice(&mag[..len]);
                len
            };
            let revocation = newest - ((r >> 8) % (365 * 86_400)) as i64;
            let reason = ((r >> 40) & 1 == 0).then(|| REASONS[((r >> 41) & 15) as usize]);
            let invalidity = (r >> 45).is_multiple_of(10).then(|| revocation - ((r >> 50) % (30 * 86_400)) as i64);
            EntrySpec::new(&content[..n], revocation, reason, invalidity)
        })
    }
}

/// xoshiro256** seeded through splitmix64: small, fast, and fixed forever (fixtures depend on it).
struct Xoshiro([u64; 4]);

impl Xoshiro {
    fn new(seed: u64) -> Self {
        let mut sm = seed;
        let mut next = || {
            sm = sm.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = sm;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Self([next(), next(), next(), next()])
    }

    fn next(&mut self) -> u64 {
        let s = &mut self.0;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_in_spec() {
        let s = Synthetic { seed: 42, count: 2000, newest: 1_800_000_000 };
        let a: Vec<_> = s.iter().collect();
        let b: Vec<_> = s.iter().collect();
        assert_eq!(a, b);
        let with_reason = a.iter().filter(|e| e.reason.is_some()).count();
        assert!((800..1200).contains(&with_reason), "about half have a reason: {with_reason}");
        let with_invalidity = a.iter().filter(|e| e.invalidity.is_some()).count();
        assert!((100..350).contains(&with_invalidity), "about a tenth: {with_invalidity}");
        for e in &a {
            let s = crlkit_der::SerialRef::from_der_content(e.serial()).expect("minimal");
            assert!(!s.is_negative());
            assert!((16..=20).contains(&s.magnitude_len()));
            assert!(e.revocation <= 1_800_000_000);
        }
    }
}
