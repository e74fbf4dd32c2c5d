//! Engine micro-benchmark: the same "hold" event stream (pop one event, schedule one at a
//! pseudo-random delay) through `argosim::engine::EventQueue` and through a bare
//! `BinaryHeap<Reverse<(time, seq, payload)>>` loop. The ratio of the two is the kernel's
//! overhead (clock, cancellation check, FIFO tie-break bookkeeping). The `_real_event` pair
//! does the same with the simulator's own 16-byte `world::Event` as the payload.
//!
//! Run: `cargo bench --bench engine`

use argosim::engine::{EventQueue, SimTime};
use argosim::world::Event;
use argosim::world::kubelet::{KubeletEvent, KubeletStage};
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

/// The simulator's real payload: `world::Event` (16 bytes), as the world queues it.
fn real_event(i: u32) -> Event {
    Event::Kubelet(KubeletEvent::Stage {
        pod: i,
        stage: KubeletStage::MainExit,
    })
}

fn event_pod(ev: &Event) -> u64 {
    match ev {
        Event::Kubelet(KubeletEvent::Stage { pod, .. }) => u64::from(*pod),
        _ => 0,
    }
}

/// The hold stream through `EventQueue<world::Event>`.
#[divan::bench]
fn engine_hold_real_event() -> u64 {
    let mut q: EventQueue<Event> = EventQueue::new();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for i in 0..PENDING {
        q.schedule_in(SimTime(next_delay(&mut x)), real_event(i as u32));
    }
    let mut acc = 0u64;
    for _ in 0..STEPS {
        let (_, ev) = q.pop().expect("non-empty");
        acc = acc.wrapping_add(event_pod(&ev));
        q.schedule_in(SimTime(next_delay(&mut x)), ev);
    }
    acc
}

/// Heap entry of the bare loop with the real payload: ordered by `(time, seq)` only.
struct BareEntry(u64, u64, Event);

impl PartialEq for BareEntry {
    fn eq(&self, o: &Self) -> bool {
        (self.0, self.1) == (o.0, o.1)
    }
}
impl Eq for BareEntry {}
impl PartialOrd for BareEntry {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for BareEntry {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (o.0, o.1).cmp(&(self.0, self.1))
    }
}

/// The hold stream through a bare `BinaryHeap` carrying the same `world::Event` payload.
#[divan::bench]
fn bare_heap_hold_real_event() -> u64 {
    let mut heap: BinaryHeap<BareEntry> = BinaryHeap::new();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut seq = 0u64;
    let mut now = 0u64;
    for i in 0..PENDING {
        heap.push(BareEntry(
            now + next_delay(&mut x),
            seq,
            real_event(i as u32),
        ));
        seq += 1;
    }
    let mut acc = 0u64;
    for _ in 0..STEPS {
        let BareEntry(t, _, ev) = heap.pop().expect("non-empty");
        now = t;
        acc = acc.wrapping_add(event_pod(&ev));
        heap.push(BareEntry(now + next_delay(&mut x), seq, ev));
        seq += 1;
    }
    acc
}
