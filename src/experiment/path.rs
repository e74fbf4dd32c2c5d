//! Dotted key paths into a scenario document (`controller.qps`, `cluster.pools[0].nodes`,
//! `workflows[0].tasks[1].width`): parsing, reading and setting values in a `toml::Table`.
//!
//! Setting creates missing tables (`[scheduler]` absent → created) but never array entries: an
//! index must exist in the document. Left out: quoted keys containing dots, negative indices
//! and wildcards (`pools[*]`).

use std::fmt;

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A table key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// A parsed dotted path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPath {
    /// The steps, outermost first.
    pub segs: Vec<Seg>,
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.segs.iter().enumerate() {
            match s {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

fn key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

impl KeyPath {
    /// Parse `a.b[0].c`. Keys are `[A-Za-z0-9_-]+`; indices are decimal.
    pub fn parse(s: &str) -> Result<KeyPath, String> {
        let mut segs = Vec::new();
        let mut rest = s.trim();
        if rest.is_empty() {
            return Err("empty key path".into());
        }
        let mut expect_key = true;
        while !rest.is_empty() {
            if expect_key {
                let end = rest.find(|c: char| !key_char(c)).unwrap_or(rest.len());
                if end == 0 {
                    return Err(format!(
                        "invalid key path `{s}`: expected a key name at `{rest}`"
                    ));
                }
                segs.push(Seg::Key(rest[..end].to_string()));
                rest = &rest[end..];
                expect_key = false;
            } else if let Some(r) = rest.strip_prefix('.') {
                rest = r;
                expect_key = true;
                if rest.is_empty() {
                    return Err(format!("invalid key path `{s}`: ends with `.`"));
                }
            } else if let Some(r) = rest.strip_prefix('[') {
                let close = r
                    .find(']')
                    .ok_or_else(|| format!("invalid key path `{s}`: `[` without `]`"))?;
                let n: usize = r[..close].trim().parse().map_err(|_| {
                    format!(
                        "invalid key path `{s}`: `[{}]` is not an array index (use e.g. `[0]`)",
                        &r[..close]
                    )
                })?;
                segs.push(Seg::Index(n));
                rest = &r[close + 1..];
            } else {
                return Err(format!(
                    "invalid key path `{s}`: unexpected `{}`",
                    rest.chars().next().unwrap_or(' ')
                ));
            }
        }
        Ok(KeyPath { segs })
    }

    /// The value at this path, if present.
    pub fn get<'a>(&self, doc: &'a toml::Table) -> Option<&'a toml::Value> {
        let mut cur: Option<&toml::Value> = None;
        for (i, seg) in self.segs.iter().enumerate() {
            cur = match (i, seg, cur) {
                (0, Seg::Key(k), _) => doc.get(k),
                (_, Seg::Key(k), Some(toml::Value::Table(t))) => t.get(k),
                (_, Seg::Index(n), Some(toml::Value::Array(a))) => a.get(*n),
                _ => None,
            };
            cur?;
        }
        cur
    }

    /// Set the value at this path, creating missing tables on the way.
    pub fn set(&self, doc: &mut toml::Table, value: toml::Value) -> Result<(), String> {
        let Some((Seg::Key(first), rest)) = self.segs.split_first() else {
            return Err(format!("key path `{self}` must start with a key"));
        };
        if rest.is_empty() {
            doc.insert(first.clone(), value);
            return Ok(());
        }
        let next_is_index = matches!(rest[0], Seg::Index(_));
        if !doc.contains_key(first) {
            if next_is_index {
                return Err(format!(
                    "`{first}` is not in the scenario, so `{self}` has no entry to set"
                ));
            }
            doc.insert(first.clone(), toml::Value::Table(toml::Table::new()));
        }
        let cur = doc.get_mut(first).expect("inserted above");
        set_in(cur, rest, value, first.clone(), self)
    }
}

fn kind(v: &toml::Value) -> &'static str {
    match v {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "an integer",
        toml::Value::Float(_) => "a float",
        toml::Value::Boolean(_) => "a boolean",
        toml::Value::Datetime(_) => "a datetime",
        toml::Value::Array(_) => "an array",
        toml::Value::Table(_) => "a table",
    }
}

fn set_in(
    cur: &mut toml::Value,
    segs: &[Seg],
    value: toml::Value,
    here: String,
    full: &KeyPath,
) -> Result<(), String> {
    let (seg, rest) = segs.split_first().expect("non-empty");
    match seg {
        Seg::Key(k) => {
            let toml::Value::Table(t) = cur else {
                return Err(format!(
                    "`{here}` is {}, not a table, so `{full}` cannot be set",
                    kind(cur)
                ));
            };
            if rest.is_empty() {
                t.insert(k.clone(), value);
                return Ok(());
            }
            if !t.contains_key(k) {
                if matches!(rest[0], Seg::Index(_)) {
                    return Err(format!(
                        "`{here}.{k}` is not in the scenario, so `{full}` has no entry to set"
                    ));
                }
                t.insert(k.clone(), toml::Value::Table(toml::Table::new()));
            }
            let next = t.get_mut(k).expect("inserted above");
            set_in(next, rest, value, format!("{here}.{k}"), full)
        }
        Seg::Index(n) => {
            let toml::Value::Array(a) = cur else {
                return Err(format!(
                    "`{here}` is {}, not an array, so `{full}` cannot be set",
                    kind(cur)
                ));
            };
            let len = a.len();
            let Some(slot) = a.get_mut(*n) else {
                return Err(format!(
                    "index {n} is out of range: `{here}` has {len} entr{}",
                    if len == 1 { "y" } else { "ies" }
                ));
            };
            if rest.is_empty() {
                *slot = value;
                return Ok(());
            }
            set_in(slot, rest, value, format!("{here}[{n}]"), full)
        }
    }
}

/// A TOML value as the short text written in CSV cells and tables: strings without quotes,
/// numbers and booleans as TOML writes them, arrays and tables inline.
pub fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => {
            let s = f.to_string();
            if s.contains(['.', 'e', 'E', 'i', 'n']) {
                s
            } else {
                format!("{s}.0")
            }
        }
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Datetime(d) => d.to_string(),
        toml::Value::Array(_) | toml::Value::Table(_) => inline(v),
    }
}

fn inline(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => toml::Value::String(s.clone()).to_string(),
        toml::Value::Array(a) => {
            let items: Vec<String> = a.iter().map(inline).collect();
            format!("[{}]", items.join(", "))
        }
        toml::Value::Table(t) => {
            let items: Vec<String> = t
                .iter()
                .map(|(k, v)| format!("{k} = {}", inline(v)))
                .collect();
            format!("{{ {} }}", items.join(", "))
        }
        other => value_text(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> toml::Table {
        toml::from_str(
            r#"
name = "x"
[controller]
qps = 20
[[cluster.pools]]
name = "a"
nodes = 2
[[workflows]]
name = "w"
[[workflows.tasks]]
name = "t0"
[[workflows.tasks]]
name = "t1"
width = 3
"#,
        )
        .unwrap()
    }

    #[test]
    fn parse_and_display() {
        let p = KeyPath::parse("workflows[0].tasks[1].width").unwrap();
        assert_eq!(p.segs.len(), 5);
        assert_eq!(p.to_string(), "workflows[0].tasks[1].width");
        assert!(KeyPath::parse("a..b").is_err());
        assert!(KeyPath::parse("a.").is_err());
        assert!(KeyPath::parse("a[x]").is_err());
        assert!(KeyPath::parse("a[1").is_err());
        assert!(KeyPath::parse("").is_err());
    }

    #[test]
    fn set_get() {
        let mut d = doc();
        let set =
            |d: &mut toml::Table, p: &str, v: toml::Value| KeyPath::parse(p).unwrap().set(d, v);
        set(&mut d, "controller.qps", 50.into()).unwrap();
        set(&mut d, "scheduler.qps", 7.into()).unwrap();
        set(&mut d, "cluster.pools[0].nodes", 4.into()).unwrap();
        set(&mut d, "workflows[0].tasks[1].width", 9.into()).unwrap();
        let get = |d: &toml::Table, p: &str| KeyPath::parse(p).unwrap().get(d).cloned();
        assert_eq!(get(&d, "controller.qps"), Some(50.into()));
        assert_eq!(get(&d, "scheduler.qps"), Some(7.into()));
        assert_eq!(get(&d, "cluster.pools[0].nodes"), Some(4.into()));
        assert_eq!(get(&d, "workflows[0].tasks[1].width"), Some(9.into()));
        let e = set(&mut d, "cluster.pools[3].nodes", 1.into()).unwrap_err();
        assert!(
            e.contains("index 3 is out of range: `cluster.pools` has 1 entry"),
            "{e}"
        );
        let e = set(&mut d, "name.x", 1.into()).unwrap_err();
        assert!(e.contains("`name` is a string, not a table"), "{e}");
        let e = set(&mut d, "submissions[0].count", 1.into()).unwrap_err();
        assert!(e.contains("not in the scenario"), "{e}");
    }

    #[test]
    fn texts() {
        assert_eq!(value_text(&"10s".into()), "10s");
        assert_eq!(value_text(&2.0.into()), "2.0");
        assert_eq!(value_text(&2.5.into()), "2.5");
        let t: toml::Table =
            toml::from_str("v = { distribution = \"constant\", value = \"1m\" }").unwrap();
        assert_eq!(
            value_text(&t["v"]),
            "{ distribution = \"constant\", value = \"1m\" }"
        );
    }
}
