//! CronWorkflow schedules as a submission interval. argosim's submissions are a fixed (or
//! Poisson) stream, so a schedule becomes its interval when it is periodic
//! (`*/15 * * * *` → 15m, `0 * * * *` → 1h, `0 2 * * *` → 24h, `0 9 * * 1` → 7d) and its mean
//! interval otherwise (`0 9,17 * * *` → 12h, marked inexact), computed over a day, a week or a
//! 365-day year. Supports the standard five fields (`*`, lists, ranges, steps, month and day
//! names, `?`), the descriptors `@hourly` … `@yearly` and `@every <duration>`, and a leading
//! `CRON_TZ=`/`TZ=` (ignored: time zones and daylight saving do not change the interval).
//!
//! Left out: the phase of the schedule (the first run is at the submission's `start`),
//! seconds fields, `L`/`W`/`#` extensions.

const MIN_US: u64 = 60_000_000;

/// Interval of a schedule in microseconds, and whether the schedule is exactly periodic.
pub(crate) fn interval(schedule: &str) -> Result<(u64, bool), String> {
    let mut s = schedule.trim();
    if let Some(rest) = s.strip_prefix("CRON_TZ=").or_else(|| s.strip_prefix("TZ=")) {
        s = rest
            .split_once(char::is_whitespace)
            .map_or("", |(_, r)| r)
            .trim();
    }
    let day = 24 * 60 * MIN_US;
    match s {
        "@yearly" | "@annually" => return Ok((365 * day, true)),
        "@monthly" => return Ok((365 * day / 12, false)),
        "@weekly" => return Ok((7 * day, true)),
        "@daily" | "@midnight" => return Ok((day, true)),
        "@hourly" => return Ok((60 * MIN_US, true)),
        _ => {}
    }
    if let Some(d) = s.strip_prefix("@every") {
        let us = crate::units::parse_duration(d.trim()).map_err(|e| format!("@every: {e}"))?;
        if us == 0 {
            return Err("@every needs a positive duration".into());
        }
        return Ok((us, true));
    }
    let fields: Vec<&str> = s.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "expected 5 fields (minute hour day-of-month month day-of-week), got {}",
            fields.len()
        ));
    }
    let minutes = field(fields[0], 0, 59, &[])?;
    let hours = field(fields[1], 0, 23, &[])?;
    let dom = field(fields[2], 1, 31, &[])?;
    const MONTHS: [&str; 12] = [
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ];
    let months = field(fields[3], 1, 12, &MONTHS)?;
    const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
    let mut dow = field(fields[4], 0, 7, &DAYS)?;
    if dow[7] {
        dow[0] = true;
    }
    let per_day: Vec<u64> = (0..24)
        .filter(|&h| hours[h])
        .flat_map(|h| {
            (0..60)
                .filter(|&m| minutes[m])
                .map(move |m| (h * 60 + m) as u64)
        })
        .collect();
    if per_day.is_empty() {
        return Err("the schedule never fires".into());
    }
    let all = |f: &[bool], lo: usize, hi: usize| (lo..=hi).all(|i| f[i]);
    let dom_all = all(&dom, 1, 31);
    let dow_all = all(&dow, 0, 6);
    let months_all = all(&months, 1, 12);
    if dom_all && dow_all && months_all {
        return Ok(periodic(&per_day, 24 * 60));
    }
    if dom_all && months_all {
        let times: Vec<u64> = (0..7u64)
            .filter(|&d| dow[d as usize])
            .flat_map(|d| per_day.iter().map(move |m| d * 24 * 60 + m))
            .collect();
        return Ok(periodic(&times, 7 * 24 * 60));
    }
    // Day of month or month restricted: count firing days over a non-leap year (2023 starts
    // on a Sunday); cron fires when either restricted day field matches.
    const LEN: [usize; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut days = 0u64;
    let mut weekday = 0usize;
    for (mi, &len) in LEN.iter().enumerate() {
        for &dom_d in &dom[1..=len] {
            let day_ok = match (dom_all, dow_all) {
                (false, false) => dom_d || dow[weekday],
                (false, true) => dom_d,
                (true, false) => dow[weekday],
                (true, true) => true,
            };
            if months[mi + 1] && day_ok {
                days += 1;
            }
            weekday = (weekday + 1) % 7;
        }
    }
    if days == 0 {
        return Err("the schedule never fires in a year".into());
    }
    let runs = days * per_day.len() as u64;
    Ok((365 * day / runs, false))
}

/// Interval of sorted firing minutes repeating every `period` minutes: exact when all gaps match.
fn periodic(times: &[u64], period: u64) -> (u64, bool) {
    if times.is_empty() {
        return (period * MIN_US, false);
    }
    let n = times.len() as u64;
    let gaps: Vec<u64> = times
        .windows(2)
        .map(|w| w[1] - w[0])
        .chain(std::iter::once(period - times[times.len() - 1] + times[0]))
        .collect();
    let exact = gaps.iter().all(|&g| g == gaps[0]);
    if exact {
        (gaps[0] * MIN_US, true)
    } else {
        (period * MIN_US / n, false)
    }
}

/// One field as a membership table indexed by value (`lo..=hi`).
fn field(f: &str, lo: usize, hi: usize, names: &[&str]) -> Result<Vec<bool>, String> {
    let mut set = vec![false; hi + 1];
    let num = |s: &str| -> Result<usize, String> {
        let up = s.to_ascii_uppercase();
        if let Some(i) = names.iter().position(|n| *n == up) {
            return Ok(i + lo);
        }
        let v: usize = s.parse().map_err(|_| format!("invalid value {s:?}"))?;
        if v < lo || v > hi {
            return Err(format!("{v} is outside {lo}-{hi}"));
        }
        Ok(v)
    };
    for part in f.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => {
                let st: usize = s.parse().map_err(|_| format!("invalid step {s:?}"))?;
                if st == 0 {
                    return Err("a step of 0".into());
                }
                (r, st)
            }
            None => (part, 1),
        };
        let (a, b) = match range {
            "*" | "?" => (lo, hi.min(if hi == 7 { 6 } else { hi })),
            r => match r.split_once('-') {
                Some((x, y)) => (num(x)?, num(y)?),
                None if step > 1 => (num(r)?, hi),
                None => {
                    let v = num(r)?;
                    (v, v)
                }
            },
        };
        if a > b {
            return Err(format!("range {a}-{b} is reversed"));
        }
        let mut v = a;
        while v <= b {
            set[v] = true;
            match v.checked_add(step) {
                Some(n) => v = n,
                None => break,
            }
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        let m = MIN_US;
        assert_eq!(interval("*/15 * * * *"), Ok((15 * m, true)));
        assert_eq!(interval("* * * * *"), Ok((m, true)));
        assert_eq!(interval("0 * * * *"), Ok((60 * m, true)));
        assert_eq!(interval("0 2 * * *"), Ok((24 * 60 * m, true)));
        assert_eq!(interval("0 9 * * MON"), Ok((7 * 24 * 60 * m, true)));
        assert_eq!(interval("0 9,17 * * *"), Ok((12 * 60 * m, false)));
        assert_eq!(interval("0 0 * * 1-5"), Ok((7 * 24 * 60 * m / 5, false)));
        assert_eq!(interval("@every 90s"), Ok((90_000_000, true)));
        assert_eq!(interval("CRON_TZ=UTC 30 * * * *"), Ok((60 * m, true)));
        let (monthly, exact) = interval("0 0 1 * *").unwrap();
        assert!(!exact && monthly > 28 * 24 * 60 * m && monthly < 32 * 24 * 60 * m);
        assert!(interval("61 * * * *").is_err());
        assert!(interval("* * *").is_err());
        assert!(interval("*/0 * * * *").is_err());
        assert!(interval("0 0 30 2 *").is_err());
    }
}
