//! Kubernetes and Go units for scenario values: CPU quantities (`500m`, `2`), byte quantities
//! (`2Gi`, `500M`, `1536`), and Go durations (`90s`, `1h30m`, `500ms`, plus `d` for days).
//! Left out: exponent notation (`1e3`) and sub-microsecond durations.

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

fn split_number(s: &str) -> (&str, &str) {
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    (&s[..end], &s[end..])
}

/// Parse a decimal number into an exact multiple of `1/scale` units, or None if not exact.
fn exact(num: &str, mult: u128) -> Option<u128> {
    let (int, frac) = match num.split_once('.') {
        Some((i, f)) => (i, f),
        None => (num, ""),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 18
    {
        return None;
    }
    let i: u128 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let f: u128 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    let denom = 10u128.pow(frac.len() as u32);
    let total = i
        .checked_mul(mult)?
        .checked_add(f.checked_mul(mult)? / denom)?;
    if !(f * mult).is_multiple_of(denom) {
        return None;
    }
    Some(total)
}

/// Kubernetes CPU quantity to millicores: `500m` → 500, `2` → 2000, `1.5` → 1500.
pub fn parse_cpu(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let bad = || {
        format!(
            "invalid CPU quantity {s:?}: expected cores (\"2\", \"1.5\") or millicores (\"500m\")"
        )
    };
    let (num, unit) = split_number(t);
    let mult = match unit {
        "" => 1000,
        "m" => 1,
        _ => return Err(bad()),
    };
    exact(num, mult)
        .and_then(|v| u64::try_from(v).ok())
        .ok_or_else(bad)
}

/// Kubernetes byte quantity: `2Gi`, `1.5Ki`, `500M`, `100k`, `1536`.
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let bad = || {
        format!(
            "invalid byte quantity {s:?}: expected e.g. \"512Mi\", \"2Gi\", \"500M\" or a number of bytes"
        )
    };
    let (num, unit) = split_number(t);
    let mult: u128 = match unit {
        "" => 1,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        "Pi" => 1 << 50,
        "Ei" => 1 << 60,
        "k" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        "P" => 1_000_000_000_000_000,
        "E" => 1_000_000_000_000_000_000,
        _ => return Err(bad()),
    };
    exact(num, mult)
        .and_then(|v| u64::try_from(v).ok())
        .ok_or_else(bad)
}

/// Go duration to microseconds: `1h30m`, `1.5h`, `90s`, `500ms`, `250us`/`250µs`, `0`; `d` = 24h.
pub fn parse_duration(s: &str) -> Result<u64, String> {
    let t = s.trim();
    if t == "0" {
        return Ok(0);
    }
    let bad = |why: &str| format!("invalid duration {s:?}: {why}");
    if t.is_empty() {
        return Err(bad("empty"));
    }
    if t.starts_with('-') {
        return Err(bad("must not be negative"));
    }
    let mut rest = t;
    let mut total_ns: u128 = 0;
    while !rest.is_empty() {
        let (num, after) = split_number(rest);
        if num.is_empty() {
            return Err(bad("expected a number"));
        }
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let unit = &after[..unit_len];
        let ns: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "d" => 86_400_000_000_000,
            "" => {
                return Err(bad(&format!(
                    "missing unit; write e.g. \"{num}s\" or \"{num}ms\""
                )));
            }
            u => {
                return Err(bad(&format!(
                    "unknown unit {u:?} (use ns, us, ms, s, m, h, d)"
                )));
            }
        };
        let v = exact(num, ns).ok_or_else(|| bad("too many decimals or too large"))?;
        total_ns = total_ns.checked_add(v).ok_or_else(|| bad("too large"))?;
        rest = &after[unit_len..];
    }
    if !total_ns.is_multiple_of(1_000) {
        return Err(bad("finer than a microsecond"));
    }
    u64::try_from(total_ns / 1_000).map_err(|_| bad("too large"))
}

fn trim_frac(int: u64, frac: u64, width: usize) -> String {
    if frac == 0 {
        return int.to_string();
    }
    let f = format!("{frac:0width$}");
    format!("{int}.{}", f.trim_end_matches('0'))
}

/// Microseconds as Go's `Duration.String()`: `1h30m0s`, `1m30s`, `1.5s`, `500ms`, `250µs`.
pub fn format_duration(us: u64) -> String {
    if us == 0 {
        return "0s".into();
    }
    if us < 1_000 {
        return format!("{us}µs");
    }
    if us < 1_000_000 {
        return format!("{}ms", trim_frac(us / 1_000, us % 1_000, 3));
    }
    let h = us / 3_600_000_000;
    let m = (us / 60_000_000) % 60;
    let s_us = us % 60_000_000;
    let secs = trim_frac(s_us / 1_000_000, s_us % 1_000_000, 6);
    if h > 0 {
        format!("{h}h{m}m{secs}s")
    } else if m > 0 {
        format!("{m}m{secs}s")
    } else {
        format!("{secs}s")
    }
}

/// Bytes with binary units and two decimals: `1.00 MiB`; below 1 KiB: `512 B`.
pub fn format_bytes(b: u64) -> String {
    const U: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    if b < 1024 {
        return format!("{b} B");
    }
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1024.0 && i < U.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    format!("{v:.2} {}", U[i])
}

/// Millicores as Kubernetes writes them: `2` for whole cores, else `15890m`.
pub fn format_cpu(m: u64) -> String {
    if m.is_multiple_of(1000) {
        (m / 1000).to_string()
    } else {
        format!("{m}m")
    }
}

/// CPU in millicores. Deserializes from `"500m"`, `"2"` or a number of cores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Cpu(pub u64);
/// Bytes. Deserializes from `"2Gi"` or an integer number of bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Bytes(pub u64);
/// A duration in microseconds. Deserializes from a Go duration string only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Dur(pub u64);

impl Dur {
    /// As fractional seconds.
    pub fn as_secs_f64(&self) -> f64 {
        self.0 as f64 / 1e6
    }
}

impl fmt::Display for Cpu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_cpu(self.0))
    }
}
impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_bytes(self.0))
    }
}
impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration(self.0))
    }
}

impl Serialize for Cpu {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{}m", self.0))
    }
}
impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}
impl Serialize for Dur {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(self.0))
    }
}

macro_rules! unit_visitor {
    ($ty:ident, $expect:expr, $parse:expr, $int:expr, $float:expr) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str($expect)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$ty, E> {
                        $parse(v).map($ty).map_err(E::custom)
                    }
                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<$ty, E> {
                        if v < 0 {
                            return Err(E::custom(format!("must not be negative (got {v})")));
                        }
                        $int(v as u64).map($ty).map_err(E::custom)
                    }
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<$ty, E> {
                        $int(v).map($ty).map_err(E::custom)
                    }
                    fn visit_f64<E: de::Error>(self, v: f64) -> Result<$ty, E> {
                        $float(v).map($ty).map_err(E::custom)
                    }
                }
                d.deserialize_any(V)
            }
        }
    };
}

unit_visitor!(
    Cpu,
    "a CPU quantity like \"500m\" or \"2\"",
    parse_cpu,
    |v: u64| v
        .checked_mul(1000)
        .ok_or_else(|| "CPU quantity too large".to_string()),
    |v: f64| if v >= 0.0 && v.is_finite() && (v * 1000.0).fract() == 0.0 {
        Ok((v * 1000.0) as u64)
    } else {
        Err(format!(
            "invalid CPU quantity {v}: must be >= 0 with at most millicore precision"
        ))
    }
);
unit_visitor!(
    Bytes,
    "a byte quantity like \"2Gi\" or an integer",
    parse_bytes,
    |v: u64| Ok::<u64, String>(v),
    |v: f64| Err::<u64, String>(format!(
        "invalid byte quantity {v}: write an integer or a string like \"1.5Gi\""
    ))
);
unit_visitor!(
    Dur,
    "a duration like \"90s\" or \"1h30m\"",
    parse_duration,
    |v: u64| Err::<u64, String>(format!(
        "a bare number is ambiguous for a duration; write \"{v}s\" or \"{v}ms\""
    )),
    |v: f64| Err::<u64, String>(format!(
        "a bare number is ambiguous for a duration; write \"{v}s\" or \"{v}ms\""
    ))
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu() {
        assert_eq!(parse_cpu("500m"), Ok(500));
        assert_eq!(parse_cpu("2"), Ok(2000));
        assert_eq!(parse_cpu("1.5"), Ok(1500));
        assert_eq!(parse_cpu("0.1"), Ok(100));
        assert!(parse_cpu("0.0001").is_err());
        assert!(parse_cpu("-1").is_err());
        assert!(parse_cpu("").is_err());
        assert!(parse_cpu("abc").unwrap_err().contains("\"abc\""));
        assert_eq!(format_cpu(15890), "15890m");
        assert_eq!(format_cpu(2000), "2");
    }

    #[test]
    fn bytes() {
        assert_eq!(parse_bytes("2Gi"), Ok(2 << 30));
        assert_eq!(parse_bytes("1.5Ki"), Ok(1536));
        assert_eq!(parse_bytes("500M"), Ok(500_000_000));
        assert_eq!(parse_bytes("100k"), Ok(100_000));
        assert_eq!(parse_bytes("1536"), Ok(1536));
        assert!(parse_bytes("1.5").is_err());
        assert!(parse_bytes("-1Gi").is_err());
        assert!(parse_bytes("2GB").is_err());
        assert_eq!(parse_bytes("7Ei"), Ok(7 << 60));
        assert_eq!(parse_bytes("18E"), Ok(18_000_000_000_000_000_000));
        assert!(parse_bytes("16Ei").is_err(), "2^64 does not fit");
        assert_eq!(format_bytes(1_048_576), "1.00 MiB");
        assert_eq!(format_bytes(512), "512 B");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(90_000_000));
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000_000));
        assert_eq!(parse_duration("1.5h"), Ok(5_400_000_000));
        assert_eq!(parse_duration("500ms"), Ok(500_000));
        assert_eq!(parse_duration("250µs"), Ok(250));
        assert_eq!(parse_duration("250us"), Ok(250));
        assert_eq!(parse_duration("2d"), Ok(172_800_000_000));
        assert_eq!(parse_duration("0"), Ok(0));
        assert!(parse_duration("90").unwrap_err().contains("90s"));
        assert!(parse_duration("-5s").is_err());
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("1ns").is_err());
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(1_500_000), "1.5s");
        assert_eq!(format_duration(90_000_000), "1m30s");
        assert_eq!(format_duration(5_400_000_000), "1h30m0s");
        assert_eq!(format_duration(500_000), "500ms");
        assert_eq!(format_duration(250), "250µs");
    }

    #[test]
    fn serde_forms() {
        #[derive(Deserialize)]
        struct T {
            cpu: Cpu,
            mem: Bytes,
            d: Dur,
        }
        let t: T = toml::from_str("cpu = 0.5\nmem = \"1Gi\"\nd = \"1m\"").unwrap();
        assert_eq!(
            (t.cpu, t.mem, t.d),
            (Cpu(500), Bytes(1 << 30), Dur(60_000_000))
        );
        let t: T = toml::from_str("cpu = \"250m\"\nmem = 1024\nd = \"5s\"").unwrap();
        assert_eq!((t.cpu, t.mem), (Cpu(250), Bytes(1024)));
        let e = toml::from_str::<T>("cpu = 1\nmem = 1\nd = 90")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("ambiguous"), "{e}");
        let e = toml::from_str::<T>("cpu = \"x\"\nmem = 1\nd = \"1s\"")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("\"x\""), "{e}");
    }
}
