//! Engine micro-benchmark: the same "hold" event stream (pop one event, schedule one at a
//! pseudo-random delay) through `argosim::engine::EventQueue` and through a bare
//! `BinaryHeap<Reverse<(time, seq, payload)>>` loop. The ratio of the two is the kernel's
//! overhead (clock, cancellation check, FIFO tie-break bookkeeping).
//!
//! Run: `cargo bench --bench engine`

use argosim::engine::{EventQueue, SimTime};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

const PENDING: u64 = 1_000;
const STEPS: u64 = 100_000;

fn main() {
    divan::main();
}

#[inline]
fn next_delay(x: &mut u64) -> u64 {
    // xorshift64: cheap, deterministic delays in [1, 1_000_000] µs.
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    1 + (*x % 1_000_000)
}

#[divan::bench]
fn engine_hold() -> u64 {
    let mut q: EventQueue<u32> = EventQueue::new();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for i in 0..PENDING {
        q.schedule_in(SimTime(next_delay(&mut x)), i as u32);
    }
    let mut acc = 0u64;
    for _ in 0..STEPS {
        let (_, ev) = q.pop().expect("non-empty");
        acc = acc.wrapping_add(u64::from(ev));
        q.schedule_in(SimTime(next_delay(&mut x)), ev);
    }
    acc
}

#[divan::bench]
fn bare_heap_hold() -> u64 {
    let mut heap: BinaryHeap<Reverse<(u64, u64, u32)>> = BinaryHeap::new();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut seq = 0u64;
    let mut now = 0u64;
    for i in 0..PENDING {
        heap.push(Reverse((now + next_delay(&mut x), seq, i as u32)));
        seq += 1;
    }
    let mut acc = 0u64;
    for _ in 0..STEPS {
        let Reverse((t, _, ev)) = heap.pop().expect("non-empty");
        now = t;
        acc = acc.wrapping_add(u64::from(ev));
        heap.push(Reverse((now + next_delay(&mut x), seq, ev)));
        seq += 1;
    }
    acc
}
