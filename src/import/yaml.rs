//! Bounded YAML front end: hostile input (alias bombs, deep nesting, huge documents) is refused
//! with a clear message in bounded time and memory, before and while the generic tree is built.
//!
//! Three gates, in order:
//! 1. size: a file above [`MAX_FILE_BYTES`] (or inputs above [`MAX_TOTAL_BYTES`]) is not parsed;
//! 2. a lexical pre-scan ([`prescan`]) bounds flow nesting (`[[[[…`), block nesting (`- - - …`)
//!    and an estimate of the node count, because libyaml builds every event of a document in
//!    memory before serde sees it (a 10 MiB `[[[[…` costs 1.7 GB and 30 s);
//! 3. the tree is built by a budgeted visitor that counts every node *after* alias expansion
//!    (serde_norway's own repetition limit allows `100 × events` alias jumps, i.e. quadratic
//!    output) and every level of depth.
//!
//! Documents are split on `---` / `...` lines here rather than by the parser, so each document
//! knows the file line it starts at (for `file:line` diagnostics). Left out: YAML tags (the tag
//! is dropped and the tagged value kept), complex mapping keys (refused), multi-line quoted
//! scalars in the pre-scan (brackets inside them count as nesting, which can only over-refuse).

use super::locate::LineIndex;
use crate::scenario::diag::Diagnostic;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::cell::Cell;
use std::fmt;

/// Largest accepted input file.
pub const MAX_FILE_BYTES: usize = 10 << 20;
/// Largest accepted sum of all inputs of one import.
pub const MAX_TOTAL_BYTES: usize = 64 << 20;
/// Most YAML nodes (scalars, sequences, mappings; aliases expanded) of one import.
pub const MAX_NODES: usize = 1_000_000;
/// Deepest accepted nesting of sequences and mappings.
pub const MAX_DEPTH: usize = 64;

/// One YAML document of an input.
#[derive(Debug, Clone)]
pub(crate) struct Doc {
    /// Index of the source (input file) it came from.
    pub source: usize,
    /// 0-based position among the documents of its source.
    pub index: usize,
    /// 1-based line of the source where the document starts.
    pub first_line: usize,
    /// The document as a generic tree.
    pub value: Value,
    /// Line lookup for key paths.
    pub lines: LineIndex,
}

fn diag(file: &str, line: Option<usize>, column: Option<usize>, message: String) -> Diagnostic {
    Diagnostic {
        file: file.to_string(),
        line,
        column,
        key: None,
        message,
        help: None,
    }
}

/// Split a source into its documents and build each one's tree within the shared `budget`.
pub(crate) fn load_documents(
    source: usize,
    file: &str,
    text: &str,
    budget: &Cell<usize>,
) -> Result<Vec<Doc>, Box<Diagnostic>> {
    if text.len() > MAX_FILE_BYTES {
        return Err(Box::new(diag(
            file,
            None,
            None,
            format!(
                "input is {} bytes, above the {} byte limit of the importer (Argo itself refuses Workflow objects above etcd's 1.5 MiB)",
                text.len(),
                MAX_FILE_BYTES
            ),
        )));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    prescan(text).map_err(|(line, msg)| Box::new(diag(file, Some(line), None, msg)))?;
    let mut docs = Vec::new();
    for (first_line, chunk) in split_documents(text) {
        for d in serde_norway::Deserializer::from_str(chunk) {
            let seed = Seed { budget, depth: 0 };
            let value = seed.deserialize(d).map_err(|e| {
                let (line, col) = match e.location() {
                    Some(l) => (Some(first_line + l.line() - 1), Some(l.column())),
                    None => (Some(first_line), None),
                };
                Box::new(diag(
                    file,
                    line,
                    col,
                    format!("YAML: {}", strip_marks(&e.to_string())),
                ))
            })?;
            if value.is_null() {
                continue;
            }
            docs.push(Doc {
                source,
                index: docs.len(),
                first_line,
                value,
                lines: LineIndex::new(chunk, first_line),
            });
        }
    }
    Ok(docs)
}

/// Remove libyaml's chunk-relative " at line N column M" (we report file lines ourselves).
fn strip_marks(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(i) = rest.find(" at line ") {
        out.push_str(&rest[..i]);
        let after = &rest[i + " at line ".len()..];
        let digits = after
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(after.len());
        let tail = &after[digits..];
        if digits > 0 && tail.starts_with(" column ") {
            let t = &tail[" column ".len()..];
            let d2 = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
            rest = &t[d2..];
        } else {
            out.push_str(" at line ");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

fn is_doc_marker(line: &str) -> bool {
    for m in ["---", "..."] {
        if let Some(rest) = line.strip_prefix(m)
            && (rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
        {
            return true;
        }
    }
    false
}

/// `(first line, text)` of each document; a `---` line belongs to the document it opens.
fn split_documents(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0usize;
    let mut start_line = 1usize;
    let mut offset = 0usize;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if is_doc_marker(line) && offset > start {
            out.push((start_line, &text[start..offset]));
            start = offset;
            start_line = i + 1;
        }
        if line.starts_with("...") && is_doc_marker(line) {
            // `...` ends a document: the next one starts after it.
            out.push((start_line, &text[start..offset + line.len()]));
            start = offset + line.len();
            start_line = i + 2;
        }
        offset += line.len();
    }
    if start < text.len() {
        out.push((start_line, &text[start..]));
    }
    out.retain(|(_, c)| {
        c.lines().any(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#') && !is_doc_marker(l) && !t.starts_with('%')
        })
    });
    out
}

/// Lexical bounds checked before libyaml sees the text: flow nesting, `- - -` nesting on one
/// line, and an upper estimate of the node count. Returns the offending line on refusal.
pub(crate) fn prescan(text: &str) -> Result<(), (usize, String)> {
    let mut nodes: usize = 0;
    let mut flow_depth: usize = 0;
    // Block scalar (`key: |`): lines indented more than this belong to it.
    let mut block_parent: Option<usize> = None;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let indent = raw.len() - raw.trim_start_matches(' ').len();
        let trimmed = raw.trim();
        if let Some(p) = block_parent {
            if trimmed.is_empty() || (indent > p && !is_doc_marker(raw)) {
                continue;
            }
            block_parent = None;
        }
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        nodes += 1;
        let body = strip_comment(raw);
        let mut dashes = 0usize;
        let mut rest = body.trim_start();
        while rest == "-" || rest.starts_with("- ") || rest.starts_with("-\t") {
            dashes += 1;
            rest = rest[1..].trim_start();
        }
        if dashes > MAX_DEPTH {
            return Err((
                line_no,
                format!("YAML nesting deeper than {MAX_DEPTH} levels (`- - - …`); refused"),
            ));
        }
        nodes += dashes;
        let mut quote: Option<char> = None;
        let mut prev = ' ';
        // Last non-blank character before the current one (None at the start of the line).
        let mut prev_ns: Option<char> = None;
        for c in body.chars() {
            // Where a value may start: a quote or bracket there opens a quoted scalar or a
            // flow collection; elsewhere (`echo a[0]`) it is part of a plain scalar.
            let value_start = match prev_ns {
                None => true,
                Some(p) if flow_depth > 0 => matches!(p, '[' | '{' | ',' | ':' | '?'),
                Some(p) => matches!(p, ':' | '-' | '?'),
            };
            match quote {
                Some(q) => {
                    if c == q && !(q == '"' && prev == '\\') {
                        quote = None;
                    }
                }
                None => match c {
                    '"' | '\'' if value_start => quote = Some(c),
                    '[' | '{' if value_start || flow_depth > 0 => {
                        flow_depth += 1;
                        nodes += 1;
                        if flow_depth > MAX_DEPTH {
                            return Err((
                                line_no,
                                format!(
                                    "YAML nesting deeper than {MAX_DEPTH} levels (`[[[…` or `{{{{{{…`); refused"
                                ),
                            ));
                        }
                    }
                    ']' | '}' if flow_depth > 0 => flow_depth -= 1,
                    ',' | ':' => nodes += 1,
                    '*' if value_start => nodes += 1,
                    _ => {}
                },
            }
            prev = c;
            if !c.is_whitespace() {
                prev_ns = Some(c);
            }
        }
        if nodes > MAX_NODES {
            return Err((
                line_no,
                format!("more than {MAX_NODES} YAML nodes; refused (split the input)"),
            ));
        }
        // A block scalar indicator at the end of the line: `key: |`, `- >-`, `key: |2`.
        let b = body.trim_end();
        let ind = b.trim_end_matches(|c: char| c == '-' || c == '+' || c.is_ascii_digit());
        if flow_depth == 0
            && (ind.ends_with(" |") || ind.ends_with(" >") || ind == "|" || ind == ">")
        {
            block_parent = Some(indent);
        }
    }
    Ok(())
}

/// The line without a trailing `# comment` (a `#` after whitespace, outside quotes).
pub(crate) fn strip_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) => {
                if c == q && !(q == '"' && prev == '\\') {
                    quote = None;
                }
            }
            None => match c {
                '#' if prev == ' ' || prev == '\t' || i == 0 => return &line[..i],
                '"' | '\''
                    if prev == ' ' || prev == ':' || prev == '[' || prev == ',' || i == 0 =>
                {
                    quote = Some(c)
                }
                _ => {}
            },
        }
        prev = c;
    }
    line
}

/// Builds a [`Value`] while charging every node to a shared budget and bounding depth.
struct Seed<'a> {
    budget: &'a Cell<usize>,
    depth: usize,
}

impl Seed<'_> {
    fn charge<E: de::Error>(&self) -> Result<(), E> {
        let left = self.budget.get();
        if left == 0 {
            return Err(E::custom(format!(
                "more than {MAX_NODES} YAML nodes once aliases are expanded (an alias bomb?); refused"
            )));
        }
        self.budget.set(left - 1);
        Ok(())
    }
    fn child<E: de::Error>(&self) -> Result<Seed<'_>, E> {
        if self.depth >= MAX_DEPTH {
            return Err(E::custom(format!(
                "YAML nesting deeper than {MAX_DEPTH} levels; refused"
            )));
        }
        Ok(Seed {
            budget: self.budget,
            depth: self.depth + 1,
        })
    }
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

fn key_string<E: de::Error>(v: Value) -> Result<String, E> {
    match v {
        Value::String(s) => Ok(s),
        Value::Null => Ok("null".into()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Array(_) | Value::Object(_) => Err(E::custom(
            "complex mapping keys (a sequence or mapping as a key) are not supported",
        )),
    }
}

/// Apply a YAML merge key (`<<: *base` or `<<: [*a, *b]`): keys already present win.
fn merge_into(map: &mut Map<String, Value>, merged: Value) {
    match merged {
        Value::Object(m) => {
            for (k, v) in m {
                if !map.contains_key(&k) {
                    map.insert(k, v);
                }
            }
        }
        Value::Array(items) => {
            for it in items {
                if let Value::Object(_) = it {
                    merge_into(map, it);
                }
            }
        }
        _ => {}
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.charge()?;
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.charge()?;
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.charge()?;
        Ok(Value::Number(v.into()))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        self.charge()?;
        Ok(Value::String(v.to_string()))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        self.charge()?;
        Ok(Value::String(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        self.charge()?;
        Ok(Number::from_f64(v)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(v.to_string())))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.charge()?;
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.charge()?;
        Ok(Value::String(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        self.charge()?;
        Ok(Value::String(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.charge()?;
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.charge()?;
        Ok(Value::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.charge()?;
        let child = self.child()?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Seed {
            budget: child.budget,
            depth: child.depth,
        })? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.charge()?;
        let child = self.child()?;
        let mut out = Map::new();
        let mut merges = Vec::new();
        while let Some(k) = map.next_key_seed(Seed {
            budget: child.budget,
            depth: child.depth,
        })? {
            let key = key_string::<A::Error>(k)?;
            let v = map.next_value_seed(Seed {
                budget: child.budget,
                depth: child.depth,
            })?;
            if key == "<<" {
                merges.push(v);
            } else {
                out.insert(key, v);
            }
        }
        for m in merges {
            merge_into(&mut out, m);
        }
        Ok(Value::Object(out))
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        // A tagged value (`!Tag value`): keep the value, drop the tag.
        use de::VariantAccess;
        let (_tag, variant): (String, _) = data.variant()?;
        variant.newtype_variant_seed(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Vec<Doc>, Box<Diagnostic>> {
        let budget = Cell::new(MAX_NODES);
        load_documents(0, "t.yaml", text, &budget)
    }

    #[test]
    fn documents_and_lines() {
        let docs = load("# c\n---\na: 1\n---\n# only a comment\n---\nb: [1, 2]\n...\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].first_line, 2);
        assert_eq!(docs[1].first_line, 6);
        assert_eq!(docs[1].value["b"][1], 2);
    }

    #[test]
    fn merge_keys_and_tags() {
        let docs = load("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\nt: !Foo bar\n").unwrap();
        assert_eq!(docs[0].value["c"]["x"], 1);
        assert_eq!(docs[0].value["c"]["y"], 3);
        assert_eq!(docs[0].value["t"], "bar");
    }

    #[test]
    fn syntax_error_has_file_line() {
        let e = load("a: 1\n---\nb: [1, 2\nc: 3\n").unwrap_err();
        assert_eq!(e.file, "t.yaml");
        assert!(e.line.unwrap() >= 3, "{e}");
        assert!(!e.message.contains(" at line "), "{e}");
    }

    #[test]
    fn refuses_deep_flow_before_parsing() {
        let text = "[".repeat(1 << 20);
        let e = load(&text).unwrap_err();
        assert!(e.message.contains("nesting deeper"), "{e}");
        let text = format!("a: {}1{}\n", "[".repeat(70), "]".repeat(70));
        assert!(load(&text).unwrap_err().message.contains("nesting"));
        let text = format!("{}x\n", "- ".repeat(100));
        assert!(load(&text).unwrap_err().message.contains("nesting"));
    }

    #[test]
    fn refuses_alias_bomb() {
        let mut s = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let mut prev = 'a';
        for c in "bcdefghi".chars() {
            let refs = vec![format!("*{prev}"); 9].join(",");
            s.push_str(&format!("{c}: &{c} [{refs}]\n"));
            prev = c;
        }
        let t = std::time::Instant::now();
        let e = load(&s).unwrap_err();
        assert!(
            e.message.contains("alias") || e.message.contains("repetition"),
            "{e}"
        );
        assert!(t.elapsed().as_secs() < 5);
    }

    #[test]
    fn refuses_quadratic_aliases() {
        // One anchored list of 20,000 items aliased 20,000 times: 4e8 nodes if expanded.
        let s = format!(
            "a: &x [{}]\nb: [{}]\n",
            vec!["1"; 20_000].join(","),
            vec!["*x"; 20_000].join(",")
        );
        let e = load(&s).unwrap_err();
        assert!(e.message.contains("nodes"), "{e}");
    }

    #[test]
    fn block_scalars_do_not_count_as_nesting() {
        let text = format!(
            "script:\n  source: |\n    x = {}1{}\n    # not a comment: [\n  image: a\n",
            "[".repeat(100),
            "]".repeat(100)
        );
        let docs = load(&text).unwrap();
        assert_eq!(docs[0].value["script"]["image"], "a");
    }

    #[test]
    fn strip_marks_removes_positions() {
        assert_eq!(
            strip_marks("did not find x at line 2 column 1, while parsing"),
            "did not find x, while parsing"
        );
        assert_eq!(strip_marks("at line x"), "at line x");
    }
}
