//! Diagnostics that name the file, the dotted key and the line: built from toml/serde errors
//! (via the error's byte span) and from semantic validation (via a key path located in the
//! text). The TOML scan is line-based: it tracks `[table]` / `[[array]]` headers (with array
//! indices) and `key =` lines; keys defined inside inline tables resolve to their outer key.

use std::fmt;

/// One problem in a scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// File name as given.
    pub file: String,
    /// 1-based line.
    pub line: Option<usize>,
    /// 1-based column.
    pub column: Option<usize>,
    /// Dotted key path, e.g. `workflows[0].tasks[2].cpu`.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": ")?;
        if let Some(k) = &self.key {
            write!(f, "{k}: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(h) = &self.help {
            write!(f, "\n  help: {h}")?;
        }
        Ok(())
    }
}

/// 1-based line and column (in chars) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut off = offset.min(text.len());
    while !text.is_char_boundary(off) {
        off -= 1;
    }
    let before = &text[..off];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Strip a trailing comment that is not inside a string.
fn strip_comment(line: &str) -> &str {
    let mut in_str: Option<char> = None;
    for (i, c) in line.char_indices() {
        match (in_str, c) {
            (None, '#') => return &line[..i],
            (None, '"') | (None, '\'') => in_str = Some(c),
            (Some(q), c2) if c2 == q => in_str = None,
            _ => {}
        }
    }
    line
}

fn unquote(k: &str) -> String {
    k.split('.')
        .map(|p| p.trim().trim_matches('"').trim_matches('\'').to_string())
        .collect::<Vec<_>>()
        .join(".")
}

/// Walks the text line by line, yielding for each line the dotted path it defines, if any.
fn scan(text: &str) -> Vec<Option<String>> {
    let mut out = Vec::new();
    let mut table = String::new();
    // Count of each array-of-tables path seen, keyed by its full indexed parent path.
    let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    let mut depth: i32 = 0;
    let mut current_key: Option<String> = None;
    for raw in text.lines() {
        let line = strip_comment(raw).trim();
        if depth > 0 {
            depth += bracket_delta(line);
            out.push(current_key.clone());
            continue;
        }
        if line.starts_with("[[") && line.ends_with("]]") {
            let name = unquote(&line[2..line.len() - 2]);
            let base = index_path(&table, &name);
            let n = counts.entry(base.clone()).or_insert(0);
            table = format!("{base}[{n}]");
            *n += 1;
            out.push(Some(table.clone()));
            current_key = None;
        } else if line.starts_with('[') && line.ends_with(']') {
            let name = unquote(&line[1..line.len() - 1]);
            table = index_path(&table, &name);
            out.push(Some(table.clone()));
            current_key = None;
        } else if let Some((k, v)) = line.split_once('=') {
            let key = unquote(k);
            let full = if table.is_empty() {
                key
            } else {
                format!("{table}.{key}")
            };
            depth = bracket_delta(v).max(0);
            current_key = Some(full.clone());
            out.push(Some(full));
        } else {
            out.push(None);
        }
    }
    out
}

/// Resolve a header name against the current table, reusing array indices of shared prefixes
/// (`[[workflows.tasks]]` under `workflows[1]` → `workflows[1].tasks`).
fn index_path(current: &str, name: &str) -> String {
    let cur: Vec<&str> = if current.is_empty() {
        vec![]
    } else {
        current.split('.').collect()
    };
    // Only keep indices for a prefix that matched contiguously from the start.
    let mut matched = true;
    let parts: Vec<String> = name
        .split('.')
        .enumerate()
        .map(|(i, p)| {
            if matched
                && let Some(c) = cur.get(i)
                && c.split('[').next() == Some(p)
            {
                return if i + 1 < name.split('.').count() {
                    c.to_string()
                } else {
                    p.to_string()
                };
            }
            matched = false;
            p.to_string()
        })
        .collect();
    parts.join(".")
}

fn bracket_delta(s: &str) -> i32 {
    let mut d = 0;
    let mut in_str: Option<char> = None;
    for c in s.chars() {
        match (in_str, c) {
            (None, '"') | (None, '\'') => in_str = Some(c),
            (Some(q), c2) if c2 == q => in_str = None,
            (None, '[') | (None, '{') => d += 1,
            (None, ']') | (None, '}') => d -= 1,
            _ => {}
        }
    }
    d
}

/// Dotted key path of the line containing byte `offset`.
pub fn key_path_at(text: &str, offset: usize) -> Option<String> {
    let (line, _) = line_col(text, offset);
    scan(text).get(line - 1).cloned().flatten()
}

/// 1-based line where `path` is defined, or of its closest enclosing table that exists.
pub fn locate_key(text: &str, path: &str) -> Option<usize> {
    let lines = scan(text);
    let mut p = path.to_string();
    loop {
        if let Some(i) = lines.iter().position(|l| l.as_deref() == Some(p.as_str())) {
            return Some(i + 1);
        }
        // Strip the last component: `.key` or `[n]`.
        let cut = p.rfind(['.', '[']);
        match cut {
            Some(0) | None => return None,
            Some(i) => p.truncate(i),
        }
    }
}

/// Edit distance with adjacent transpositions (optimal string alignment), so `qsp` → `qps` is 1.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// The closest candidate within `max(1, len/3)` edits, first on ties.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(word, c);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Turn a toml deserialization error into a diagnostic with line, key and help.
pub fn from_toml_error(file: &str, text: &str, err: &toml::de::Error) -> Diagnostic {
    let msg = err.message().trim().to_string();
    let (line, column, mut key) = match err.span() {
        Some(span) => {
            let (l, c) = line_col(text, span.start);
            (Some(l), Some(c), key_path_at(text, span.start))
        }
        None => (None, None, None),
    };
    let mut help = None;
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        if let Some((name, tail)) = rest.split_once('`') {
            let expected: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
            help = did_you_mean(name, expected.iter().copied())
                .map(|s| format!("did you mean `{s}`?"))
                .or_else(|| {
                    (!expected.is_empty())
                        .then(|| format!("expected one of: {}", expected.join(", ")))
                });
            // The span covers the unknown key; make sure the path ends with it.
            if let Some(k) = &key
                && !k.ends_with(name)
            {
                key = Some(format!("{k}.{name}"));
            }
        }
    } else if let Some(rest) = msg.strip_prefix("missing field `")
        && let Some((name, _)) = rest.split_once('`')
    {
        key = Some(match key {
            Some(k) => format!("{k}.{name}"),
            None => name.to_string(),
        });
    }
    Diagnostic {
        file: file.to_string(),
        line,
        column,
        key,
        message: msg,
        help,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"# top comment [x] = y
name = "a"
[controller]
qps = 20 # a comment with = and [
"quoted key" = 1

[[workflows]]
name = "w0"
[[workflows.tasks]]
name = "t0"
[[workflows.tasks]]
name = "t1"
[[workflows]]
name = "w1"
[[workflows.tasks]]
name = "u0"
depends = [
  "a",
  "b",
]
cpu = "1"
"#;

    #[test]
    fn paths() {
        let at = |needle: &str| key_path_at(DOC, DOC.find(needle).unwrap());
        assert_eq!(at("qps").as_deref(), Some("controller.qps"));
        assert_eq!(
            at("\"quoted key\"").as_deref(),
            Some("controller.quoted key")
        );
        assert_eq!(at("\"t1\"").as_deref(), Some("workflows[0].tasks[1].name"));
        assert_eq!(at("\"u0\"").as_deref(), Some("workflows[1].tasks[0].name"));
        assert_eq!(
            at("\"b\"").as_deref(),
            Some("workflows[1].tasks[0].depends")
        );
        assert_eq!(at("cpu").as_deref(), Some("workflows[1].tasks[0].cpu"));
        assert_eq!(at("# top").as_deref(), None);
    }

    #[test]
    fn locate() {
        assert_eq!(locate_key(DOC, "controller.qps"), Some(4));
        assert_eq!(locate_key(DOC, "controller.burst"), Some(3));
        assert_eq!(locate_key(DOC, "workflows[1].tasks[0].cpu"), Some(21));
        assert_eq!(locate_key(DOC, "workflows[1].tasks[0].width"), Some(15));
        assert_eq!(locate_key(DOC, "nothing.here"), None);
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("ab", 99), (1, 3));
    }

    #[test]
    fn suggestions() {
        assert_eq!(did_you_mean("qsp", ["qps", "burst"]), Some("qps"));
        assert_eq!(did_you_mean("workers", ["qps", "burst"]), None);
        assert_eq!(
            did_you_mean(
                "workflow_worker",
                ["workflow_workers", "pod_cleanup_workers"]
            ),
            Some("workflow_workers")
        );
    }

    #[test]
    fn toml_unknown_field() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct C {
            qps: f64,
            burst: u32,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct F {
            controller: C,
        }
        let text = "[controller]\nqps = 1\nqsp = 2\nburst = 3\n";
        let e = toml::from_str::<F>(text).unwrap_err();
        let d = from_toml_error("f.toml", text, &e);
        assert_eq!(d.line, Some(3));
        assert_eq!(d.key.as_deref(), Some("controller.qsp"));
        assert_eq!(d.help.as_deref(), Some("did you mean `qps`?"));
        assert!(
            d.to_string()
                .starts_with("f.toml:3:1: controller.qsp: unknown field `qsp`")
        );
    }
}
