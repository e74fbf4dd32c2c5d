//! RFC 3339 timestamps as Kubernetes writes them (`metav1.Time`: whole seconds, `Z`;
//! `metav1.MicroTime` and other writers may add a fraction or an offset), to and from seconds
//! since the Unix epoch. Leap seconds are not represented (as in Go's `time`).

/// Days from 1970-01-01 to the civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count from 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parse `2024-05-01T10:22:43Z`, `2024-05-01T10:22:43.123456Z` or `...+02:00` into seconds
/// since the epoch; `None` if it is not such a timestamp.
pub fn parse_rfc3339(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.len() < 20 || !s.is_char_boundary(10) || !s.is_char_boundary(19) {
        return None;
    }
    let (date, rest) = s.split_at(10);
    let sep = rest.as_bytes()[0];
    if sep != b'T' && sep != b't' && sep != b' ' {
        return None;
    }
    let (clock, mut zone) = rest[1..].split_at(8);
    let d: Vec<&str> = date.split('-').collect();
    let c: Vec<&str> = clock.split(':').collect();
    if d.len() != 3 || c.len() != 3 || d[0].len() != 4 {
        return None;
    }
    let (y, mo, da) = (num(d[0])? as i64, num(d[1])?, num(d[2])?);
    let (h, mi, se) = (num(c[0])?, num(c[1])?, num(c[2])?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&da) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut frac = 0.0;
    if let Some(f) = zone.strip_prefix('.') {
        let n = f.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 || n > 9 {
            return None;
        }
        frac = format!("0.{}", &f[..n]).parse::<f64>().ok()?;
        zone = &f[n..];
    }
    let offset = match zone {
        "Z" | "z" => 0i64,
        z if z.len() == 6 && (z.starts_with('+') || z.starts_with('-')) && &z[3..4] == ":" => {
            let v = (num(&z[1..3])? as i64) * 3600 + (num(&z[4..6])? as i64) * 60;
            if z.starts_with('-') { -v } else { v }
        }
        _ => return None,
    };
    let secs = days_from_civil(y, mo, da) * 86_400 + (h * 3600 + mi * 60 + se) as i64 - offset;
    Some(secs as f64 + frac)
}

/// Format seconds since the epoch as Kubernetes' `metav1.Time` does: truncated to the whole
/// second, `Z` (e.g. `2024-05-01T10:22:43Z`).
pub fn format_rfc3339(t: f64) -> String {
    let secs = t.floor() as i64;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let r = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        r / 3600,
        r % 3600 / 60,
        r % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0.0));
        // `date -d 2018-08-01T10:22:43Z +%s`
        assert_eq!(parse_rfc3339("2018-08-01T10:22:43Z"), Some(1_533_118_963.0));
        assert_eq!(
            parse_rfc3339("2018-08-01T12:22:43+02:00"),
            Some(1_533_118_963.0)
        );
        assert_eq!(
            parse_rfc3339("2024-02-29T23:59:59.5Z"),
            Some(1_709_251_199.5)
        );
        assert_eq!(format_rfc3339(1_533_118_963.9), "2018-08-01T10:22:43Z");
        assert_eq!(format_rfc3339(1_709_251_199.5), "2024-02-29T23:59:59Z");
    }

    #[test]
    fn refuses_what_is_not_a_timestamp() {
        for s in [
            "",
            "2018-08-01",
            "2018-13-01T00:00:00Z",
            "2018-08-01T25:00:00Z",
            "2018-08-01T10:22:43",
            "2018-08-01T10:22:43+0200",
            "x018-08-01T10:22:43Z",
            "2018-08-01T10:22:43.Z",
            "2018-08-01T10:2é:43Z",
        ] {
            assert_eq!(parse_rfc3339(s), None, "{s}");
        }
    }

    #[test]
    fn round_trip_over_centuries() {
        for t in [
            -2_208_988_800.0,
            0.0,
            951_782_400.0,
            4_102_444_800.0,
            1_234_567_890.0,
        ] {
            assert_eq!(parse_rfc3339(&format_rfc3339(t)), Some(t));
        }
    }
}
