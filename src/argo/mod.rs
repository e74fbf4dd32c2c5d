//! Argo Workflows models: the controller's work queue and the per-workflow state the
//! controller keeps (node statuses, their size in the Workflow object, readiness of tasks).

pub mod cpu;
pub mod templates;
pub mod workflow;
pub mod workqueue;
