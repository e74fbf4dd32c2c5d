//! Tests of the event queue: order against a binary heap (proptest), lanes, held and
//! external streams, cancellation, splits.
use super::*;

#[test]
fn equal_times_are_fifo() {
    let mut q = EventQueue::new();
    for i in 0..100 {
        q.schedule_at(SimTime(5), i);
    }
    let got: Vec<i32> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
    assert_eq!(got, (0..100).collect::<Vec<_>>());
}

/// A bucket larger than `KEEP_CAPACITY` is split with its lower buckets sized first; the
/// pops are still in (time, seq) order.
#[test]
fn a_large_bucket_splits_in_order() {
    let mut q = EventQueue::new();
    let mut want = Vec::new();
    for i in 0..3000u64 {
        let t = 1_000_000 + (i * 7919) % 4096;
        q.schedule_at(SimTime(t), i);
        want.push((t, i));
    }
    want.sort();
    let got: Vec<_> = std::iter::from_fn(|| q.pop().map(|(t, e)| (t.0, e))).collect();
    assert_eq!(got, want);
}

/// Splits of a large bucket that go all to `due` (one time), mostly to one lower bucket,
/// or evenly to many: the pops match a sort of the keys.
#[test]
fn large_splits_of_every_shape_pop_in_order() {
    for shape in 0..3u64 {
        let mut q = EventQueue::new();
        let mut want = Vec::new();
        for i in 0..1000u64 {
            let t = match shape {
                0 => 5,
                1 => (1 << 20) | ((i % 3) << 19) | (i % 7),
                _ => (1 << 20) | (i * 997 % 1000),
            };
            q.schedule_at(SimTime(t), i);
            want.push((t, i));
        }
        want.sort();
        let got: Vec<_> = std::iter::from_fn(|| q.pop().map(|(t, e)| (t.0, e))).collect();
        assert_eq!(got, want, "shape {shape}");
    }
}

/// Discarding drops what is pending, keeps the clock and the count, and the queue still
/// orders what comes next.
#[test]
fn discarded_entries_never_fire() {
    let mut q = EventQueue::new();
    q.schedule_at(SimTime(5), 1);
    q.pop();
    q.schedule_at(SimTime(7), 2);
    q.schedule_at(SimTime(1 << 40), 3);
    q.discard_pending();
    assert_eq!((q.pending(), q.delivered(), q.now()), (0, 1, SimTime(5)));
    q.schedule_at(SimTime(9), 5);
    q.schedule_at(SimTime(8), 4);
    let got: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
    assert_eq!(got, vec![4, 5]);
}

#[test]
fn orders_by_time_then_seq() {
    let mut q = EventQueue::new();
    q.schedule_at(SimTime(30), "c");
    q.schedule_at(SimTime(10), "a");
    q.schedule_at(SimTime(20), "b1");
    q.schedule_at(SimTime(20), "b2");
    let got: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
    assert_eq!(got, vec!["a", "b1", "b2", "c"]);
    assert_eq!(q.now(), SimTime(30));
}

#[test]
fn cancelled_timers_never_fire() {
    let mut q = EventQueue::new();
    let a = q.schedule_at(SimTime(1), 1);
    q.schedule_at(SimTime(2), 2);
    let c = q.schedule_at(SimTime(3), 3);
    q.cancel(a);
    q.cancel(c);
    q.cancel(c);
    assert_eq!(q.pop(), Some((SimTime(2), 2)));
    assert_eq!(q.pop(), None);
    assert_eq!(q.delivered(), 1);
}

#[test]
fn past_is_clamped_to_now() {
    let mut q = EventQueue::new();
    q.schedule_at(SimTime(10), 0);
    q.pop();
    q.schedule_at(SimTime(3), 1);
    assert_eq!(q.pop(), Some((SimTime(10), 1)));
}

#[test]
fn pop_until_respects_limit() {
    let mut q = EventQueue::new();
    q.schedule_at(SimTime(10), 0);
    assert_eq!(q.pop_until(SimTime(9)), None);
    assert_eq!(q.pop_until(SimTime(10)), Some((SimTime(10), 0)));
}

#[test]
fn scheduling_before_a_peeked_minimum_still_orders() {
    // pop_until(limit) settles the minimum at 100 without popping; an event scheduled
    // before it afterwards takes the non-monotone path and must come out first.
    let mut q = EventQueue::new();
    q.schedule_at(SimTime(100), "late");
    q.schedule_at(SimTime(200), "later");
    assert_eq!(q.pop_until(SimTime(50)), None);
    q.schedule_at(SimTime(60), "early");
    let got: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
    assert_eq!(got, vec!["early", "late", "later"]);
}

/// A lane's front pops before a heap whose first entry was cancelled: skipping it does
/// not settle the heap past the lane's time, so the heap's reference time stays at or
/// below the clock and a later schedule takes the plain path (no re-bucketing).
#[test]
fn a_lane_pop_never_settles_the_heap_past_the_clock() {
    let mut q = EventQueue::new();
    let dead = q.schedule_at(SimTime(5), "cancelled");
    q.schedule_at(SimTime(1_000), "heap");
    q.schedule_stream(7, SimTime(10), "lane");
    q.cancel(dead);
    assert_eq!(q.pop(), Some((SimTime(10), "lane")));
    assert!(
        q.last <= q.now.0,
        "reference {} past the clock {}",
        q.last,
        q.now.0
    );
    q.schedule_at(SimTime(50), "later");
    let got: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
    assert_eq!(got, vec!["later", "heap"]);
}

/// One step of the reference comparison.
#[derive(Debug, Clone)]
enum Op {
    Schedule(u64),
    Cancel(usize),
    Pop,
    PopUntil(u64),
    /// Reserve a number for a timer due this far ahead, held in hand.
    Reserve(u64),
    /// Schedule one of the held timers under its number (or drop it if it is past).
    Release(usize),
    /// Schedule on stream `.0` (ten streams: more than the lanes) after `.1`; most
    /// streams keep one delay (in order), stream 0 takes any (out of order too).
    Stream(u64, u64),
    /// The caller holds an event of its own external stream (one delay: in order) under
    /// a reserved number; pops go through `pop_until_or` while it holds any.
    External(bool),
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        4 => prop_oneof![0u64..10, 0u64..1_000_000, 0u64..(1 << 40)].prop_map(Op::Schedule),
        1 => any::<usize>().prop_map(Op::Cancel),
        3 => Just(Op::Pop),
        1 => (0u64..2_000_000).prop_map(Op::PopUntil),
        1 => prop_oneof![0u64..10, 0u64..1_000_000].prop_map(Op::Reserve),
        1 => any::<usize>().prop_map(Op::Release),
        4 => (0u64..10, 0u64..1_000_000).prop_map(|(s, d)| Op::Stream(s, d)),
        2 => any::<bool>().prop_map(Op::External),
    ]
}

proptest::proptest! {
    /// The radix heap delivers exactly what a binary heap on `(time, seq)` with a
    /// cancelled set delivers, for any mix of schedules (short and long delays, equal
    /// times), cancels, pops and bounded pops, and timers held under a reserved number
    /// then scheduled later (they take the place their number gives them), and streams
    /// in FIFO lanes (in order or not, more streams than lanes).
    #[test]
    fn matches_a_binary_heap(ops in proptest::collection::vec(op(), 1..400)) {
        use std::cmp::Reverse;
        use std::collections::{BinaryHeap, HashSet};
        let mut q = EventQueue::new();
        let mut heap: BinaryHeap<Reverse<(u64, u64)>> = BinaryHeap::new();
        let mut dead: HashSet<u64> = HashSet::new();
        let (mut now, mut seq) = (0u64, 0u64);
        let mut ids: Vec<TimerId> = Vec::new();
        let mut held: Vec<(TimerId, u64)> = Vec::new();
        let mut ext: VecDeque<(SimTime, u64)> = VecDeque::new();
        // A pop through `pop_until_or` with the external stream's front competing, as
        // (time, event): the external one carries its number.
        let step = |q: &mut EventQueue<u64>, ext: &mut VecDeque<(SimTime, u64)>, limit| {
            match q.pop_until_or(SimTime(limit), ext.front().copied()) {
                Step::Event(t, e) => Some((t, e)),
                Step::External => ext.pop_front().map(|(t, s)| {
                    assert_eq!((q.now(), q.current().1), (t, s));
                    (t, s)
                }),
                Step::End => None,
            }
        };
        let live_top = |heap: &mut BinaryHeap<Reverse<(u64, u64)>>, dead: &mut HashSet<u64>| {
            while let Some(&Reverse((t, s))) = heap.peek() {
                if dead.remove(&s) {
                    heap.pop();
                } else {
                    return Some((t, s));
                }
            }
            None
        };
        for o in ops {
            match o {
                Op::Schedule(d) => {
                    ids.push(q.schedule_in(SimTime(d), seq));
                    heap.push(Reverse((now + d, seq)));
                    seq += 1;
                }
                Op::Cancel(i) if !ids.is_empty() => {
                    let id = ids[i % ids.len()];
                    q.cancel(id);
                    dead.insert(id.seq());
                }
                Op::Cancel(_) => {}
                Op::Stream(st, d) => {
                    let d = if st == 0 { d } else { st * 1_000 + st % 3 };
                    ids.push(q.schedule_stream(st, SimTime(now + d), seq));
                    heap.push(Reverse((now + d, seq)));
                    seq += 1;
                }
                Op::Reserve(d) => {
                    let id = q.reserve();
                    proptest::prop_assert_eq!(id.seq(), seq);
                    held.push((id, now + d));
                    seq += 1;
                }
                Op::Release(i) if !held.is_empty() => {
                    let (id, at) = held.swap_remove(i % held.len());
                    if at >= now {
                        ids.push(q.schedule_reserved(id, SimTime(at), id.seq()));
                        heap.push(Reverse((at, id.seq())));
                    }
                }
                Op::Release(_) => {}
                Op::External(now_too) => {
                    // 0 or 300 after now: in order while all use one delay... so the
                    // zero delay only while nothing external is held.
                    let d = if now_too && ext.is_empty() { 0 } else { 300 };
                    let id = q.reserve();
                    ext.push_back((SimTime(now + d), id.seq()));
                    heap.push(Reverse((now + d, id.seq())));
                    seq += 1;
                }
                Op::Pop => {
                    let want = live_top(&mut heap, &mut dead).map(|(t, s)| {
                        heap.pop();
                        now = t;
                        (SimTime(t), s)
                    });
                    let got = if ext.is_empty() {
                        q.pop()
                    } else {
                        step(&mut q, &mut ext, u64::MAX)
                    };
                    proptest::prop_assert_eq!(got, want);
                }
                Op::PopUntil(l) => {
                    let limit = now + l;
                    let want = match live_top(&mut heap, &mut dead) {
                        Some((t, s)) if t <= limit => {
                            heap.pop();
                            now = t;
                            Some((SimTime(t), s))
                        }
                        _ => None,
                    };
                    let got = if ext.is_empty() {
                        q.pop_until(SimTime(limit))
                    } else {
                        step(&mut q, &mut ext, limit)
                    };
                    proptest::prop_assert_eq!(got, want);
                }
            }
            proptest::prop_assert_eq!(q.now(), SimTime(now));
        }
    }
}
