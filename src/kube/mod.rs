//! Kubernetes models: client-side rate limiting, the apiserver's admission and size limits, the
//! scheduler's fit and score, and the node inventory. Each file says what it leaves out.

pub mod apf;
pub mod apiserver;
pub mod fitindex;
pub mod nodes;
pub mod passsum;
pub mod ratelimit;
pub mod sharing;
pub mod storage;
