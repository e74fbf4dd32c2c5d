//! Template resolution cost: how many WorkflowTemplate GETs validating a workflow makes in
//! Argo v3.6, where `WrapWorkflowTemplateInterface` GETs on every call with no cache.
//!
//! Derivation (argo-facts §5.2): resolving a `templateRef` not yet stored costs 1 GET, and
//! `WithWorkflowTemplate` always costs 1 more; `validateSteps`/`validateDAG` validate every
//! step/task holder twice, while template bodies are memoised. Net: ≈3 GETs for the first use
//! of each distinct templateRef, ≈2 for every later task using one, plus ≈3 for a top-level
//! `workflowTemplateRef`. The same count is paid by the submitter (CLI in kube mode, or the
//! Argo Server without its v3.7 informer cache) and again by the controller on the first
//! reconcile (through its workflow clientset). `withItems` does not multiply validation.

use crate::scenario::WorkflowSpec;
use crate::scenario::defaults as d;
use std::collections::BTreeSet;

/// GETs one validation of `spec` makes.
pub fn validation_gets(spec: &WorkflowSpec) -> u32 {
    let mut seen = BTreeSet::new();
    let mut gets = 0;
    for t in &spec.tasks {
        if let Some(r) = &t.template_ref {
            gets += if seen.insert(r.as_str()) {
                d::TEMPLATE_REF_FIRST_GETS
            } else {
                d::TEMPLATE_REF_LATER_GETS
            };
        }
    }
    if spec.workflow_template_ref.is_some() {
        gets += d::WORKFLOW_TEMPLATE_REF_GETS;
    }
    gets
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;

    fn spec(tasks: &[Option<&str>], wftmpl: bool) -> WorkflowSpec {
        let mut t = String::from(
            "[[cluster.pools]]\nname='p'\ncpu='4'\nmemory='8Gi'\nprice_per_hour=1.0\nnodes=1\n[[submissions]]\nworkflow='w'\n[[workflows]]\nname='w'\n",
        );
        if wftmpl {
            t.push_str("workflow_template_ref = 'tmpl'\n");
        }
        for (i, r) in tasks.iter().enumerate() {
            t.push_str(&format!(
                "[[workflows.tasks]]\nname='t{i}'\nduration='1s'\n"
            ));
            if let Some(r) = r {
                t.push_str(&format!("template_ref='{r}'\n"));
            }
        }
        parse("t.toml", &t).expect("valid").workflows.remove(0)
    }

    #[test]
    fn no_refs_no_gets() {
        assert_eq!(validation_gets(&spec(&[None, None], false)), 0);
    }

    #[test]
    fn first_use_three_later_two() {
        // Reference sheet §5.2: ≈3 GETs for the first occurrence of each distinct templateRef,
        // ≈2 for each later task that uses one.
        assert_eq!(validation_gets(&spec(&[Some("a")], false)), 3);
        assert_eq!(
            validation_gets(&spec(&[Some("a"), Some("a"), Some("a")], false)),
            3 + 2 + 2
        );
        assert_eq!(
            validation_gets(&spec(&[Some("a"), Some("b"), None, Some("a")], false)),
            3 + 3 + 2
        );
    }

    #[test]
    fn workflow_template_ref_adds_three() {
        assert_eq!(validation_gets(&spec(&[Some("a")], true)), 6);
        assert_eq!(validation_gets(&spec(&[None], true)), 3);
    }
}
