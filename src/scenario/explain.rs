//! `argosim explain KEY`, like `kubectl explain`: the type, default, upstream flag and meaning
//! of a scenario key. The entries are parsed from `docs/scenario.md` itself (embedded at build
//! time), so the reference and `explain` cannot drift; a test checks that every key the schema
//! accepts has an entry and every entry is a key the schema accepts.
//!
//! A section is a heading naming a table (`` ## `[controller]` ``, `` ### `[[cluster.pools]]` ``)
//! or a sub-table of the last one (`` #### `retry` ``); its first `| Key | ...` table lists its
//! keys. Headings that name no table (Units, Validation, ...) end a section.

/// The scenario reference, embedded.
pub const SCENARIO_DOC: &str = include_str!("../../docs/scenario.md");

/// One documented key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Dotted path without indices, e.g. `cluster.pools.nodes`; top-level keys have no dot.
    pub key: String,
    /// The section's table path (`""` at top level), e.g. `cluster.pools`.
    pub section: String,
    /// Whether the section is an array of tables (`[[...]]`).
    pub array: bool,
    /// Column name → cell text (Type, Default, Mirrors, Meaning, ...), in column order.
    pub fields: Vec<(String, String)>,
}

impl Entry {
    /// The cell of column `name`, if the table has it.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The backticked names of a cell, e.g. `` `[apiserver]`, `[scheduler]` `` → both.
fn ticked(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn cells(line: &str) -> Vec<String> {
    let t = line.trim().trim_start_matches('|').trim_end_matches('|');
    // `\|` inside a cell is an escaped pipe.
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev = '\0';
    for ch in t.chars() {
        if ch == '|' && prev != '\\' {
            out.push(cur.trim().to_string());
            cur.clear();
        } else {
            cur.push(ch);
        }
        prev = ch;
    }
    out.push(cur.trim().to_string());
    out.iter().map(|c| c.replace("\\|", "|")).collect()
}

/// Every documented key, in document order.
pub fn entries() -> Vec<Entry> {
    let mut out = Vec::new();
    let mut section: Option<(String, bool)> = None;
    let mut last_table: Option<(String, bool)> = None;
    let mut header: Option<Vec<String>> = None;
    let mut taken = false;
    for line in SCENARIO_DOC.lines() {
        if line.starts_with('#') {
            header = None;
            taken = false;
            let names = ticked(line);
            section = match names.first() {
                _ if line.trim_start_matches('#').trim() == "Top level" => {
                    Some((String::new(), false))
                }
                Some(n) if n.starts_with("[[") => {
                    let s = n.trim_matches(|c| c == '[' || c == ']').to_string();
                    last_table = Some((s.clone(), true));
                    Some((s, true))
                }
                Some(n) if n.starts_with('[') => {
                    let s = n.trim_matches(|c| c == '[' || c == ']').to_string();
                    last_table = Some((s.clone(), false));
                    Some((s, false))
                }
                Some(n) if line.starts_with("####") => last_table
                    .as_ref()
                    .map(|(t, _)| (format!("{t}.{n}"), false)),
                _ => None,
            };
            continue;
        }
        let Some((sec, array)) = &section else {
            continue;
        };
        if line.starts_with("| Key |") {
            if !taken {
                header = Some(cells(line));
                taken = true;
            }
            continue;
        }
        let Some(cols) = &header else {
            continue;
        };
        if !line.starts_with("| `") {
            if !line.starts_with('|') {
                header = None;
            }
            continue;
        }
        let row = cells(line);
        for name in ticked(&row[0]) {
            let name = name.trim_matches(|c| c == '[' || c == ']').to_string();
            let key = if sec.is_empty() {
                name
            } else {
                format!("{sec}.{name}")
            };
            out.push(Entry {
                key,
                section: sec.clone(),
                array: *array,
                fields: cols
                    .iter()
                    .skip(1)
                    .cloned()
                    .zip(row.iter().skip(1).cloned())
                    .collect(),
            });
        }
    }
    out
}

/// `cluster.pools[0].nodes` → `cluster.pools.nodes`.
pub fn normalize(key: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for ch in key.trim().chars() {
        match ch {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(ch),
            _ => {}
        }
    }
    out.trim_matches('.').to_string()
}

/// The text `argosim explain KEY` prints, or an error with a did-you-mean.
pub fn explain(key: &str) -> Result<String, String> {
    let all = entries();
    let mut k = normalize(key);
    // A `[[controllers]]` entry takes the `[controller]` keys.
    if let Some(rest) = k.strip_prefix("controllers.") {
        k = format!("controller.{rest}");
    }
    if let Some(e) = all.iter().find(|e| e.key == k) {
        let mut s = e.key.clone();
        if let Some(t) = e.field("Type") {
            s.push_str(&format!(" ({})", t.replace('`', "")));
        }
        s.push('\n');
        for col in ["Default", "Mirrors"] {
            if let Some(v) = e.field(col) {
                s.push_str(&format!(
                    "  {:<9} {}\n",
                    format!("{}:", col.to_lowercase()),
                    v.replace('`', "")
                ));
            }
        }
        if let Some(m) = e.field("Meaning") {
            s.push_str(&format!("  {}\n", m.replace('`', "")));
        }
        let children: Vec<&Entry> = all.iter().filter(|c| c.section == k).collect();
        if !children.is_empty() {
            s.push_str(&format!(
                "  keys: {}\n",
                children
                    .iter()
                    .map(|c| c.key.rsplit('.').next().unwrap_or(""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        return Ok(s);
    }
    let children: Vec<&Entry> = all.iter().filter(|c| c.section == k).collect();
    if !children.is_empty() {
        let mut s = format!("[{k}] keys:\n");
        for c in children {
            s.push_str(&format!(
                "  {:<28} {}\n",
                c.key,
                c.field("Type").unwrap_or("").replace('`', "")
            ));
        }
        return Ok(s);
    }
    let help = crate::scenario::diag::did_you_mean(&k, all.iter().map(|e| e.key.as_str()))
        .map(|d| format!(" (did you mean `{d}`?)"))
        .unwrap_or_default();
    Err(format!(
        "no scenario key `{key}`{help}; see docs/scenario.md"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controller_qps_has_its_type_default_flag_and_meaning() {
        let t = explain("controller.qps").unwrap();
        assert!(t.starts_with("controller.qps (float)"), "{t}");
        assert!(t.contains("default:  20"), "{t}");
        assert!(t.contains("mirrors:  --qps"), "{t}");
        assert!(t.contains("QPS of each controller clientset"), "{t}");
    }

    #[test]
    fn indices_are_ignored_and_typos_get_a_suggestion() {
        assert!(
            explain("cluster.pools[1].max_nodes")
                .unwrap()
                .starts_with("cluster.pools.max_nodes")
        );
        let e = explain("controller.qsp").unwrap_err();
        assert!(e.contains("did you mean `controller.qps`?"), "{e}");
        let c = explain("controllers[1].qps").unwrap();
        assert!(c.starts_with("controller.qps"), "{c}");
        let t = explain("controller").unwrap();
        assert!(
            t.contains("keys: name, namespace, instance_id, shards, qps, burst"),
            "{t}"
        );
    }
}
