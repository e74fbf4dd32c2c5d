//! Template resolution cost: how many WorkflowTemplate GETs validating a workflow makes in
//! Argo v3.6, where `WrapWorkflowTemplateInterface` GETs on every call with no cache.
//!
//! Derivation (argo-facts §5.2, §11.2): resolving a `templateRef` not yet stored costs 1 GET,
//! and `WithWorkflowTemplate` always costs 1 more; `validateSteps`/`validateDAG` validate every
//! step/task holder twice, while template bodies are memoised. At submission that is ≈3 GETs for
//! the first use of each distinct templateRef and ≈2 for every later task using one, plus 4 for
//! a top-level `workflowTemplateRef` (`ValidateWorkflow` → `validateTemplateHolder` twice per
//! task plus the final "all templates resolvable" loop): 4 + 2N + k for N templateRef tasks
//! over k distinct templates. The controller re-validates on the first reconcile
//! (`setExecWorkflow`, workflow clientset) with the templates already in
//! `status.storedTemplates`: ≈3 + 2N, no first-use GETs. `withItems` does not multiply either.

use crate::scenario::WorkflowSpec;
use crate::scenario::defaults as d;
use std::collections::BTreeSet;

/// GETs the controller's re-validation of `spec` on its first reconcile makes: 2 per
/// templateRef task (both holder validations) plus 3 for a `workflowTemplateRef`; templates
/// stored at submission are not fetched again (argo-facts §11.2, derived).
pub fn controller_validation_gets(spec: &WorkflowSpec) -> u32 {
    let refs = spec
        .tasks
        .iter()
        .filter(|t| t.template_ref.is_some())
        .count() as u32;
    let top = if spec.workflow_template_ref.is_some() {
        d::WORKFLOW_TEMPLATE_REF_GETS - 1
    } else {
        0
    };
    top + d::TEMPLATE_REF_LATER_GETS * refs
}

/// GETs one submit-time validation of `spec` makes.
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
    fn workflow_template_ref_is_four_plus_two_n_plus_k() {
        // argo-facts §11.2 (workflow/validate/validate.go ValidateWorkflow): 4 + 2N + k.
        assert_eq!(validation_gets(&spec(&[Some("a")], true)), 4 + 2 + 1);
        assert_eq!(validation_gets(&spec(&[None], true)), 4);
        assert_eq!(
            validation_gets(&spec(&[Some("a"), Some("b"), Some("a")], true)),
            4 + 2 * 3 + 2
        );
    }

    #[test]
    fn controller_revalidation_uses_stored_templates() {
        // argo-facts §11.2 (setExecWorkflow with status.storedTemplates): ≈3 + 2N.
        assert_eq!(controller_validation_gets(&spec(&[None], false)), 0);
        assert_eq!(
            controller_validation_gets(&spec(&[Some("a"), Some("a")], false)),
            4
        );
        assert_eq!(
            controller_validation_gets(&spec(&[Some("a"), Some("b")], true)),
            3 + 4
        );
    }
}
