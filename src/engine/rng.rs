//! Seeded, portable random-number streams, one per model component.
//!
//! Each stream's seed is derived from the master seed and the stream's name with SplitMix64
//! over an FNV-1a hash of the name, so adding draws to one component never shifts another
//! component's draws (common random numbers for what-if comparisons). The generator is
//! `Pcg64Mcg`, a named algorithm whose output is the same on every platform.

use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;

/// SplitMix64 finaliser: a bijective 64-bit mixer.
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Derive a child seed from a parent seed and a label (a component or a replication index).
pub fn derive_seed(parent: u64, label: &str) -> u64 {
    splitmix64(splitmix64(parent) ^ fnv1a(label))
}

/// A named random stream. Deref to the underlying generator to draw from it.
pub struct RngStream(Pcg64Mcg);

impl RngStream {
    /// The stream called `name` under `master_seed`.
    pub fn new(master_seed: u64, name: &str) -> Self {
        RngStream(Pcg64Mcg::seed_from_u64(derive_seed(master_seed, name)))
    }
}

impl std::ops::Deref for RngStream {
    type Target = Pcg64Mcg;
    fn deref(&self) -> &Pcg64Mcg {
        &self.0
    }
}
impl std::ops::DerefMut for RngStream {
    fn deref_mut(&mut self) -> &mut Pcg64Mcg {
        &mut self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn streams_are_independent_and_reproducible() {
        let mut a1 = RngStream::new(7, "scheduler");
        let mut a2 = RngStream::new(7, "scheduler");
        let mut b = RngStream::new(7, "kubelet");
        let x: Vec<u64> = (0..4).map(|_| a1.random()).collect();
        let y: Vec<u64> = (0..4).map(|_| a2.random()).collect();
        let z: Vec<u64> = (0..4).map(|_| b.random()).collect();
        assert_eq!(x, y);
        assert_ne!(x, z);
    }

    #[test]
    fn golden_first_draw() {
        // Pins the generator: a dependency upgrade that changes the stream fails here.
        let mut r = RngStream::new(42, "golden");
        let v: u64 = r.random();
        assert_eq!(v, GOLDEN);
    }
    const GOLDEN: u64 = 6_472_146_474_323_459_907;
}
