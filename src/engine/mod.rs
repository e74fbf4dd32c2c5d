//! Discrete-event simulation kernel: integer simulated time, a future-event list ordered by
//! `(time, insertion sequence)`, cancellable timers and portable seeded RNG streams.
//!
//! The kernel is generic over the event type and knows nothing about Kubernetes or Argo; the
//! domain (see `crate::world`) owns one closed `enum Event` and an exhaustive `match`. Left out
//! on purpose: wall-clock time, global RNGs, trait-object handlers, and floating-point time.

mod held;
mod queue;
mod rng;
mod time;

pub use held::{HELD_STREAMS, HeldStreams};
pub use queue::{EventQueue, Step, TimerId};
pub use rng::{RngStream, derive_seed};
pub use time::{MICROS_PER_SEC, OptTime, SimTime, ceil_to_u64};
