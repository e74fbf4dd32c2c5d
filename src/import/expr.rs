//! The small part of Argo's expression languages the importer evaluates statically:
//! `{{inputs.parameters.x}}` / `{{workflow.parameters.x}}` substitution with literal values,
//! `when` conditions that become a single comparison of literals once substituted, the task
//! names of a `depends` expression, and Argo's quantity and duration spellings.
//!
//! Left out: `{{= expr}}` (expr-lang) and `{{item}}`, `{{steps.…}}`, `{{tasks.…}}` references,
//! which only exist at run time; `&&`/`||` inside `when`; `jsonpath`/`sprig` functions.

use std::collections::BTreeMap;

/// Parameter values in scope: `inputs.parameters` of the current template.
pub(crate) type Env = BTreeMap<String, String>;

/// Replace `{{inputs.parameters.X}}` and `{{workflow.parameters.X}}` whose value is known and
/// itself free of `{{`; everything else is left in place.
pub(crate) fn subst(s: &str, inputs: &Env, workflow: &Env) -> String {
    if !s.contains("{{") {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("{{") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(j) = after.find("}}") else {
            out.push_str(&rest[i..]);
            return out;
        };
        let inner = after[..j].trim();
        let value = if let Some(n) = inner.strip_prefix("inputs.parameters.") {
            inputs.get(n)
        } else if let Some(n) = inner.strip_prefix("workflow.parameters.") {
            workflow.get(n)
        } else {
            None
        };
        match value {
            Some(v) if !v.contains("{{") => out.push_str(v),
            _ => out.push_str(&rest[i..i + 2 + j + 2]),
        }
        rest = &after[j + 2..];
    }
    out.push_str(rest);
    out
}

/// True when no `{{…}}` reference is left.
pub(crate) fn resolved(s: &str) -> bool {
    !s.contains("{{")
}

fn unquote(s: &str) -> &str {
    let t = s.trim();
    for q in ['"', '\''] {
        if t.len() >= 2 && t.starts_with(q) && t.ends_with(q) {
            return &t[1..t.len() - 1];
        }
    }
    t
}

/// Evaluate a substituted `when` that is a literal (`true`) or one comparison of literals
/// (`heads == heads`, `3 < 10`); `None` when it needs run-time values or more syntax.
pub(crate) fn eval_when(expr: &str) -> Option<bool> {
    let e = expr.trim();
    if !resolved(e) || e.contains("&&") || e.contains("||") || e.contains('(') {
        return None;
    }
    match unquote(e) {
        "true" | "True" => return Some(true),
        "false" | "False" => return Some(false),
        _ => {}
    }
    for op in ["==", "!=", "<=", ">=", "<", ">", "=~", "!~"] {
        if let Some((a, b)) = e.split_once(op) {
            if b.contains(['=', '<', '>', '!']) {
                return None;
            }
            let (a, b) = (unquote(a), unquote(b));
            if let (Ok(x), Ok(y)) = (a.parse::<f64>(), b.parse::<f64>()) {
                return match op {
                    "==" => Some(x == y),
                    "!=" => Some(x != y),
                    "<=" => Some(x <= y),
                    ">=" => Some(x >= y),
                    "<" => Some(x < y),
                    ">" => Some(x > y),
                    _ => None,
                };
            }
            return match op {
                "==" => Some(a == b),
                "!=" => Some(a != b),
                _ => None,
            };
        }
    }
    None
}

/// Task names a `depends` expression mentions, in order, and whether the expression is exactly
/// "all of these succeeded" (only `&&`, bare names and `.Succeeded`).
pub(crate) fn depends_names(expr: &str, known: &dyn Fn(&str) -> bool) -> (Vec<String>, bool) {
    const RESULTS: [&str; 10] = [
        "Succeeded",
        "Failed",
        "Errored",
        "Skipped",
        "Omitted",
        "Daemoned",
        "Completed",
        "AnySucceeded",
        "AllFailed",
        "Any",
    ];
    let mut names: Vec<String> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut exact = !(expr.contains("||") || expr.contains('!'));
    for tok in expr.split(|c: char| c.is_whitespace() || matches!(c, '&' | '|' | '!' | '(' | ')')) {
        if tok.is_empty() {
            continue;
        }
        let name = if known(tok) {
            tok.to_string()
        } else if let Some((n, r)) = tok.rsplit_once('.')
            && RESULTS.contains(&r)
        {
            if r != "Succeeded" {
                exact = false;
            }
            n.to_string()
        } else {
            tok.to_string()
        };
        if seen.insert(name.clone()) {
            names.push(name);
        }
    }
    (names, exact)
}

/// An Argo duration: a Go duration (`2m`, `1h30m`) or a bare number of seconds (`"10"`, `10`).
pub(crate) fn argo_duration_us(s: &str) -> Option<u64> {
    let t = s.trim();
    if let Ok(secs) = t.parse::<u64>() {
        return secs.checked_mul(1_000_000);
    }
    if let Ok(secs) = t.parse::<f64>() {
        if (0.0..1e12).contains(&secs) {
            return Some((secs * 1e6).round() as u64);
        }
        return None;
    }
    crate::units::parse_duration(t).ok()
}

/// Kubernetes CPU quantity to millicores (also `1e3`-free numbers and YAML numbers).
pub(crate) fn cpu_millis(s: &str) -> Option<u64> {
    let t = s.trim();
    if let Ok(m) = crate::units::parse_cpu(t) {
        return Some(m);
    }
    // Finer than a millicore ("0.0001"): Kubernetes rounds up to 1m.
    let v: f64 = t.parse().ok()?;
    (0.0..1e9).contains(&v).then(|| (v * 1000.0).ceil() as u64)
}

/// Kubernetes memory quantity to bytes (`64Mi`, `1G`, `128974848`, `1e9`, `500m` millibytes).
pub(crate) fn bytes(s: &str) -> Option<u64> {
    let t = s.trim();
    if let Ok(b) = crate::units::parse_bytes(t) {
        return Some(b);
    }
    if let Some(num) = t.strip_suffix('m') {
        let v: f64 = num.parse().ok()?;
        return (v.is_finite() && v >= 0.0).then(|| (v / 1000.0).ceil() as u64);
    }
    let v: f64 = t.parse().ok()?;
    (0.0..1.8e19).contains(&v).then(|| v.ceil() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution() {
        let mut i = Env::new();
        i.insert("msg".into(), "hi".into());
        i.insert("later".into(), "{{item}}".into());
        let mut w = Env::new();
        w.insert("n".into(), "4".into());
        assert_eq!(
            subst(
                "{{inputs.parameters.msg}}-{{ workflow.parameters.n }}",
                &i,
                &w
            ),
            "hi-4"
        );
        assert_eq!(
            subst("{{inputs.parameters.later}} {{item}}", &i, &w),
            "{{inputs.parameters.later}} {{item}}"
        );
        assert_eq!(subst("a {{ b", &i, &w), "a {{ b");
    }

    #[test]
    fn when() {
        assert_eq!(eval_when("true == true"), Some(true));
        assert_eq!(eval_when("heads == tails"), Some(false));
        assert_eq!(eval_when("'a' != \"a\""), Some(false));
        assert_eq!(eval_when("3 < 10"), Some(true));
        assert_eq!(eval_when("{{steps.a.outputs.result}} == heads"), None);
        assert_eq!(eval_when("a == b && c == d"), None);
        assert_eq!(eval_when("false"), Some(false));
    }

    #[test]
    fn depends() {
        let known = |s: &str| ["A", "B", "C", "should-execute-2"].contains(&s);
        assert_eq!(
            depends_names("A && B", &known),
            (vec!["A".into(), "B".into()], true)
        );
        assert_eq!(
            depends_names("A && (C.Succeeded || C.Failed)", &known),
            (vec!["A".into(), "C".into()], false)
        );
        assert_eq!(
            depends_names("should-execute-2.Succeeded", &known),
            (vec!["should-execute-2".into()], true)
        );
        assert!(!depends_names("!A", &known).1);
    }

    #[test]
    fn quantities() {
        assert_eq!(cpu_millis("500m"), Some(500));
        assert_eq!(cpu_millis("0.0001"), Some(1));
        assert_eq!(bytes("64Mi"), Some(64 << 20));
        assert_eq!(bytes("1e3"), Some(1000));
        assert_eq!(bytes("1500m"), Some(2));
        assert_eq!(argo_duration_us("1"), Some(1_000_000));
        assert_eq!(argo_duration_us("2m"), Some(120_000_000));
        assert_eq!(argo_duration_us("x"), None);
    }
}
