//! Streams of events a component holds itself instead of queueing them: a FIFO per stream
//! (a fixed delay after now, so each stream is in time order), each entry under the sequence
//! number its queued event would have drawn ([`EventQueue::reserve`]). The component's owner
//! offers the earliest key to [`EventQueue::pop_until_or`], which runs it exactly where the
//! queued event would have popped: the order and numbering of events do not change, only
//! their trip through the queue (an append, a front pop and a dispatch) is saved.
//!
//! At most [`HELD_STREAMS`] streams at once (as the queue's lanes); an event of another
//! stream while all are busy is not held (`push` returns false and the caller queues it).

use super::{EventQueue, SimTime};
use std::collections::VecDeque;

/// Streams held at once.
pub const HELD_STREAMS: usize = 8;

/// An emptied FIFO keeps its room only up to this many entries, and only while this many
/// events are pending (held or queued): a small run holds no spare room.
const KEEP: usize = 128;
const KEEP_FROM: usize = 64;

/// One stream's FIFO: its stream (reassigned when it is empty) and its `(time, seq, item)`s.
type Fifo<T> = (u64, VecDeque<(u64, u64, T)>);

/// Held events of type `T`, FIFO per stream.
#[derive(Debug)]
pub struct HeldStreams<T> {
    /// The FIFOs (made on first use).
    fifos: Vec<Fifo<T>>,
    /// Bit `i` set when FIFO `i` holds entries.
    busy: u32,
    /// The earliest front: `(time, seq, fifo)`.
    first: Option<(u64, u64, usize)>,
    /// Entries held now.
    len: usize,
    /// Entries held so far.
    held: u64,
}

impl<T> Default for HeldStreams<T> {
    fn default() -> Self {
        HeldStreams {
            fifos: Vec::new(),
            busy: 0,
            first: None,
            len: 0,
            held: 0,
        }
    }
}

impl<T> HeldStreams<T> {
    /// Hold `item` of `stream` (a stream the caller schedules in time order: a fixed delay)
    /// at `at`, under the number `q` draws now. False, and nothing drawn, when no FIFO is
    /// free for the stream: the caller queues the event instead.
    #[inline]
    pub fn push(
        &mut self,
        q: &mut EventQueue<impl Sized>,
        stream: u64,
        at: SimTime,
        item: T,
    ) -> bool {
        let mut busy = self.busy;
        let mut found = None;
        while busy != 0 {
            let i = busy.trailing_zeros() as usize;
            busy &= busy - 1;
            if self.fifos[i].0 == stream {
                found = Some(i);
                break;
            }
        }
        let i = match found {
            Some(i) => i,
            None => {
                let i = (!self.busy).trailing_zeros() as usize;
                if i >= HELD_STREAMS {
                    return false;
                }
                if i == self.fifos.len() {
                    self.fifos.push((stream, VecDeque::new()));
                }
                self.fifos[i].0 = stream;
                self.busy |= 1 << i;
                i
            }
        };
        let time = at.max(q.now()).0;
        debug_assert!(
            self.fifos[i].1.back().is_none_or(|b| b.0 <= time),
            "a held stream out of time order"
        );
        let seq = q.reserve().seq();
        self.fifos[i].1.push_back((time, seq, item));
        self.len += 1;
        self.held += 1;
        if self.first.is_none_or(|(t, s, _)| (time, seq) < (t, s)) {
            self.first = Some((time, seq, i));
        }
        true
    }

    /// The key `(time, seq)` of the earliest held event, for [`EventQueue::pop_until_or`].
    #[inline]
    pub fn next(&self) -> Option<(SimTime, u64)> {
        self.first.map(|(t, s, _)| (SimTime(t), s))
    }

    /// Take the earliest held event (`queued`: the events in the event queue, for the room
    /// an emptied FIFO keeps).
    #[inline]
    pub fn pop(&mut self, queued: usize) -> Option<T> {
        let (_, _, i) = self.first.take()?;
        let fifo = &mut self.fifos[i].1;
        let (_, _, item) = fifo.pop_front()?;
        self.len -= 1;
        if fifo.is_empty() {
            self.busy &= !(1 << i);
            if fifo.capacity() > KEEP || self.len + queued < KEEP_FROM {
                *fifo = VecDeque::new();
            }
        }
        let mut busy = self.busy;
        while busy != 0 {
            let j = busy.trailing_zeros() as usize;
            busy &= busy - 1;
            if let Some(&(t, s, _)) = self.fifos[j].1.front()
                && self.first.is_none_or(|(bt, bs, _)| (t, s) < (bt, bs))
            {
                self.first = Some((t, s, j));
            }
        }
        Some(item)
    }

    /// Events held so far (all streams).
    pub fn held(&self) -> u64 {
        self.held
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Held streams pop in `(time, seq)` order across streams, under the numbers drawn when
    /// they were pushed; a ninth busy stream is refused.
    #[test]
    fn pops_in_key_order_and_refuses_a_ninth_stream() {
        let mut q: EventQueue<()> = EventQueue::new();
        let mut h = HeldStreams::default();
        assert!(h.push(&mut q, 30, SimTime(30), "c"));
        assert!(h.push(&mut q, 10, SimTime(10), "a"));
        assert!(h.push(&mut q, 30, SimTime(30), "d"));
        assert!(h.push(&mut q, 10, SimTime(10), "b"));
        assert_eq!(h.next(), Some((SimTime(10), 1)));
        for s in 100..106 {
            assert!(h.push(&mut q, s, SimTime(s), "x"));
        }
        assert!(!h.push(&mut q, 999, SimTime(999), "refused"));
        let order: Vec<_> = std::iter::from_fn(|| h.pop(0)).collect();
        assert_eq!(order[..4], ["a", "b", "c", "d"]);
        assert_eq!(h.held(), 10);
        assert!(h.push(&mut q, 999, SimTime(999), "now free"));
    }
}
