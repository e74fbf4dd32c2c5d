//! Line numbers for key paths in block-style YAML. serde_norway reports positions only on
//! errors, so, as `scenario::diag` does for TOML, the text is scanned: each line becomes
//! tokens (`- ` sequence markers and `key:` keys, with their columns), and a path such as
//! `spec.templates[2].dag.tasks[1].depends` is walked through them by indentation.
//!
//! Left out: flow collections (`{name: a, value: b}`) and multi-line quoted scalars: a path
//! into them resolves to the line of the innermost block-style key that encloses it.

use super::yaml::strip_comment;

/// One step of a path into a document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Seg {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

/// Dotted form of a path: `spec.templates[2].dag`.
pub(crate) fn dotted(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => {
                s.push('[');
                s.push_str(&i.to_string());
                s.push(']');
            }
        }
    }
    s
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Dash,
    Key(String),
    Other,
}

#[derive(Debug, Clone)]
struct Tok {
    line: usize,
    col: usize,
    kind: Kind,
}

/// Token index of one document.
#[derive(Debug, Clone, Default)]
pub(crate) struct LineIndex {
    toks: Vec<Tok>,
    /// For each token, the index just past its value (a key) or item (a dash): the next
    /// sibling, so a lookup walks siblings instead of every token below them.
    next: Vec<usize>,
    first_line: usize,
}

/// A plain or quoted key at the start of `s`, followed by `:` and a blank or the end.
fn leading_key(s: &str) -> Option<(String, &str)> {
    let (key, rest) = if let Some(q) = s.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let end = s[1..].find(q)? + 1;
        (s[1..end].to_string(), &s[end + 1..])
    } else {
        if s.starts_with(['[', '{', '|', '>', '&', '*', '!', '%', '@', '`', '#']) {
            return None;
        }
        let mut idx = None;
        let b = s.as_bytes();
        for (i, &c) in b.iter().enumerate() {
            if c == b':' && (i + 1 == b.len() || b[i + 1] == b' ' || b[i + 1] == b'\t') {
                idx = Some(i);
                break;
            }
        }
        let i = idx?;
        (s[..i].trim_end().to_string(), &s[i..])
    };
    let rest = rest.trim_start();
    let after = rest.strip_prefix(':')?;
    if !(after.is_empty() || after.starts_with([' ', '\t'])) {
        return None;
    }
    Some((key, after.trim()))
}

fn opens_block_scalar(value: &str) -> bool {
    let v = value.trim_end_matches(|c: char| c == '-' || c == '+' || c.is_ascii_digit());
    v == "|" || v == ">"
}

/// `next[i]`: the first token after `i` that is not inside it. A key's value ends at a token
/// left of it or at a non-dash token in its column (a sequence may sit in the key's column); a
/// dash's item ends at a token left of it or at the next dash in its column.
fn siblings(toks: &[Tok]) -> Vec<usize> {
    let n = toks.len();
    let mut next = vec![n; n];
    // Next token with a smaller column: a monotonic stack, right to left.
    let mut next_lt = vec![n; n];
    let mut stack: Vec<usize> = Vec::new();
    for i in (0..n).rev() {
        while let Some(&j) = stack.last() {
            if toks[j].col >= toks[i].col {
                stack.pop();
            } else {
                break;
            }
        }
        next_lt[i] = stack.last().copied().unwrap_or(n);
        stack.push(i);
    }
    // Next token in the same column that is (not) a dash.
    let mut last_dash: std::collections::BTreeMap<usize, usize> = Default::default();
    let mut last_other: std::collections::BTreeMap<usize, usize> = Default::default();
    for i in (0..n).rev() {
        let t = &toks[i];
        let same = match t.kind {
            Kind::Dash => last_dash.get(&t.col),
            Kind::Key(_) => last_other.get(&t.col),
            Kind::Other => None,
        };
        next[i] = match t.kind {
            Kind::Other => i + 1,
            _ => same.copied().unwrap_or(n).min(next_lt[i]),
        };
        if t.kind == Kind::Dash {
            last_dash.insert(t.col, i);
        } else {
            last_other.insert(t.col, i);
        }
    }
    next
}

impl LineIndex {
    /// Index `chunk`, whose first line is line `first_line` of its file.
    pub(crate) fn new(chunk: &str, first_line: usize) -> LineIndex {
        let mut toks = Vec::new();
        let mut block: Option<usize> = None;
        for (i, raw) in chunk.lines().enumerate() {
            let line = first_line + i;
            let indent = raw.len() - raw.trim_start_matches(' ').len();
            let body = strip_comment(raw).trim_end();
            if let Some(p) = block {
                if raw.trim().is_empty() || indent > p {
                    continue;
                }
                block = None;
            }
            if body.trim().is_empty() || body.starts_with("---") || body.starts_with("...") {
                continue;
            }
            let mut col = indent;
            let mut rest = &body[indent.min(body.len())..];
            loop {
                if rest == "-" || rest.starts_with("- ") || rest.starts_with("-\t") {
                    toks.push(Tok {
                        line,
                        col,
                        kind: Kind::Dash,
                    });
                    let after = &rest[1..];
                    let trimmed = after.trim_start();
                    col += 1 + (after.len() - trimmed.len());
                    rest = trimmed;
                    if rest.is_empty() {
                        break;
                    }
                    if opens_block_scalar(rest) {
                        block = Some(col.saturating_sub(2));
                        break;
                    }
                    continue;
                }
                match leading_key(rest) {
                    Some((k, value)) => {
                        if opens_block_scalar(value) {
                            block = Some(col);
                        }
                        toks.push(Tok {
                            line,
                            col,
                            kind: Kind::Key(k),
                        });
                    }
                    None => toks.push(Tok {
                        line,
                        col,
                        kind: Kind::Other,
                    }),
                }
                break;
            }
        }
        let next = siblings(&toks);
        LineIndex {
            toks,
            next,
            first_line,
        }
    }

    /// 1-based file line of `path`, or of its deepest block-style ancestor found; the
    /// document's first line when nothing matches.
    pub(crate) fn locate(&self, path: &[Seg]) -> usize {
        let mut best = self.toks.first().map_or(self.first_line, |t| t.line);
        let (mut start, mut end) = (0usize, self.toks.len());
        for seg in path {
            if start >= end {
                break;
            }
            let first = &self.toks[start];
            let col = first.col;
            match seg {
                Seg::Key(k) => {
                    if first.kind == Kind::Dash {
                        break;
                    }
                    // Walk the mapping's keys (tokens in its column), sibling to sibling.
                    let mut i = start;
                    let mut found = None;
                    while i < end {
                        let t = &self.toks[i];
                        if t.col != col {
                            break;
                        }
                        if let Kind::Key(name) = &t.kind
                            && name == k
                        {
                            found = Some(i);
                            break;
                        }
                        i = self.next[i].max(i + 1);
                    }
                    let Some(i) = found else { break };
                    best = self.toks[i].line;
                    end = self.next[i].min(end);
                    start = i + 1;
                }
                Seg::Index(n) => {
                    if first.kind != Kind::Dash {
                        break;
                    }
                    let mut i = start;
                    let mut k = 0;
                    while i < end && self.toks[i].col == col && self.toks[i].kind == Kind::Dash {
                        if k == *n {
                            break;
                        }
                        k += 1;
                        i = self.next[i].max(i + 1);
                    }
                    if k != *n
                        || i >= end
                        || self.toks[i].col != col
                        || self.toks[i].kind != Kind::Dash
                    {
                        break;
                    }
                    best = self.toks[i].line;
                    end = self.next[i].min(end);
                    start = i + 1;
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> Seg {
        Seg::Key(s.into())
    }

    const DOC: &str = "apiVersion: v1
kind: Workflow
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - name: A
        template: echo
      - name: B
        depends: \"A\"   # comment: x
        arguments:
          parameters: [{name: m, value: B}]
  - name: echo
    script:
      source: |
        templates:
        - name: fake
      image: busybox
    steps:
    - - name: s1
        template: echo
      - name: s2
    - - name: s3
";

    #[test]
    fn locates_block_paths() {
        let idx = LineIndex::new(DOC, 10);
        let line = |p: &[Seg]| idx.locate(p);
        assert_eq!(line(&[k("kind")]), 11);
        assert_eq!(line(&[k("spec"), k("templates"), Seg::Index(0)]), 15);
        let b = [
            k("spec"),
            k("templates"),
            Seg::Index(0),
            k("dag"),
            k("tasks"),
            Seg::Index(1),
        ];
        assert_eq!(line(&b), 20);
        let mut dep = b.to_vec();
        dep.push(k("depends"));
        assert_eq!(line(&dep), 21);
        // Into a flow mapping: the enclosing key's line.
        let mut fl = b.to_vec();
        fl.extend([k("arguments"), k("parameters"), Seg::Index(0), k("name")]);
        assert_eq!(line(&fl), 23);
        let img = [
            k("spec"),
            k("templates"),
            Seg::Index(1),
            k("script"),
            k("image"),
        ];
        assert_eq!(line(&img), 29);
        let s3 = [
            k("spec"),
            k("templates"),
            Seg::Index(1),
            k("steps"),
            Seg::Index(1),
            Seg::Index(0),
            k("name"),
        ];
        assert_eq!(line(&s3), 34);
        let s2 = [
            k("spec"),
            k("templates"),
            Seg::Index(1),
            k("steps"),
            Seg::Index(0),
            Seg::Index(1),
        ];
        assert_eq!(line(&s2), 33);
        // Unknown key: the deepest ancestor found.
        assert_eq!(line(&[k("spec"), k("nope")]), 12);
        assert_eq!(dotted(&s2), "spec.templates[1].steps[0][1]");
    }
}
