//! Run-time distributions of a step's main container.
//!
//! A scenario writes either a plain duration (`duration = "5m"`, constant) or a table
//! (`duration = { distribution = "lognormal", mean = "5m", stddev = "1m" }`). Supported:
//! constant, uniform (min, max), exponential (mean), normal (mean, stddev; truncated at zero)
//! and lognormal (mean, stddev of the duration itself, not of its logarithm). Empirical
//! distributions are left out.

use crate::engine::SimTime;
use crate::units::Dur;
use rand::RngExt;
use rand_distr::{Distribution, Exp, LogNormal, Normal};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A distribution of durations.
#[derive(Debug, Clone, PartialEq)]
pub enum DurationDist {
    /// Always the same.
    Constant(Dur),
    /// Uniform on `[min, max]`.
    Uniform {
        /// Lower bound.
        min: Dur,
        /// Upper bound.
        max: Dur,
    },
    /// Exponential with this mean.
    Exponential {
        /// Mean.
        mean: Dur,
    },
    /// Normal, truncated at zero by resampling-free clamping.
    Normal {
        /// Mean.
        mean: Dur,
        /// Standard deviation.
        stddev: Dur,
    },
    /// Lognormal parameterised by the mean and standard deviation of the duration.
    LogNormal {
        /// Mean.
        mean: Dur,
        /// Standard deviation.
        stddev: Dur,
    },
}

impl DurationDist {
    /// The distribution's mean.
    pub fn mean(&self) -> SimTime {
        match self {
            DurationDist::Constant(d) => SimTime(d.0),
            DurationDist::Uniform { min, max } => SimTime((min.0 + max.0) / 2),
            DurationDist::Exponential { mean }
            | DurationDist::Normal { mean, .. }
            | DurationDist::LogNormal { mean, .. } => SimTime(mean.0),
        }
    }

    /// Draw one duration.
    pub fn sample<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> SimTime {
        let secs = match self {
            DurationDist::Constant(d) => return SimTime(d.0),
            DurationDist::Uniform { min, max } => {
                if max.0 <= min.0 {
                    return SimTime(min.0);
                }
                return SimTime(rng.random_range(min.0..=max.0));
            }
            DurationDist::Exponential { mean } => match Exp::new(1.0 / mean.as_secs_f64()) {
                Ok(e) => e.sample(rng),
                Err(_) => 0.0,
            },
            DurationDist::Normal { mean, stddev } => {
                match Normal::new(mean.as_secs_f64(), stddev.as_secs_f64()) {
                    Ok(n) => n.sample(rng).max(0.0),
                    Err(_) => mean.as_secs_f64(),
                }
            }
            DurationDist::LogNormal { mean, stddev } => {
                let m = mean.as_secs_f64();
                let s = stddev.as_secs_f64();
                if m <= 0.0 {
                    0.0
                } else {
                    let sigma2 = (1.0 + (s * s) / (m * m)).ln();
                    let mu = m.ln() - sigma2 / 2.0;
                    match LogNormal::new(mu, sigma2.sqrt()) {
                        Ok(l) => l.sample(rng),
                        Err(_) => m,
                    }
                }
            }
        };
        SimTime::from_secs_f64_ceil(secs)
    }

    /// Check parameters; returns a message for the first problem.
    pub fn check(&self) -> Result<(), String> {
        match self {
            DurationDist::Uniform { min, max } if max.0 < min.0 => {
                Err(format!("uniform: max ({max}) is below min ({min})"))
            }
            DurationDist::Exponential { mean } if mean.0 == 0 => {
                Err("exponential: mean must be > 0".into())
            }
            DurationDist::LogNormal { mean, .. } if mean.0 == 0 => {
                Err("lognormal: mean must be > 0".into())
            }
            _ => Ok(()),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Constant,
    Uniform,
    Exponential,
    Normal,
    Lognormal,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    distribution: Kind,
    value: Option<Dur>,
    mean: Option<Dur>,
    stddev: Option<Dur>,
    min: Option<Dur>,
    max: Option<Dur>,
}

impl<'de> Deserialize<'de> for DurationDist {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DurationDist;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a duration like \"5m\" or a table like { distribution = \"lognormal\", mean = \"5m\", stddev = \"1m\" }",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DurationDist, E> {
                crate::units::parse_duration(v)
                    .map(|us| DurationDist::Constant(Dur(us)))
                    .map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<DurationDist, A::Error> {
                let t = Table::deserialize(de::value::MapAccessDeserializer::new(map))?;
                let need = |v: Option<Dur>, name: &str, kind: &str| {
                    v.ok_or_else(|| de::Error::custom(format!("{kind} needs `{name}`")))
                };
                let forbid = |present: bool, name: &str, kind: &str| {
                    if present {
                        Err(de::Error::custom(format!("{kind} does not take `{name}`")))
                    } else {
                        Ok(())
                    }
                };
                let dist = match t.distribution {
                    Kind::Constant => {
                        forbid(t.mean.is_some(), "mean", "constant")?;
                        DurationDist::Constant(need(t.value, "value", "constant")?)
                    }
                    Kind::Uniform => DurationDist::Uniform {
                        min: need(t.min, "min", "uniform")?,
                        max: need(t.max, "max", "uniform")?,
                    },
                    Kind::Exponential => {
                        forbid(t.stddev.is_some(), "stddev", "exponential")?;
                        DurationDist::Exponential {
                            mean: need(t.mean, "mean", "exponential")?,
                        }
                    }
                    Kind::Normal => DurationDist::Normal {
                        mean: need(t.mean, "mean", "normal")?,
                        stddev: need(t.stddev, "stddev", "normal")?,
                    },
                    Kind::Lognormal => DurationDist::LogNormal {
                        mean: need(t.mean, "mean", "lognormal")?,
                        stddev: need(t.stddev, "stddev", "lognormal")?,
                    },
                };
                dist.check().map_err(de::Error::custom)?;
                Ok(dist)
            }
        }
        de.deserialize_any(V)
    }
}

impl Serialize for DurationDist {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            DurationDist::Constant(d) => d.serialize(s),
            DurationDist::Uniform { min, max } => {
                let mut m = s.serialize_map(Some(3))?;
                m.serialize_entry("distribution", "uniform")?;
                m.serialize_entry("min", min)?;
                m.serialize_entry("max", max)?;
                m.end()
            }
            DurationDist::Exponential { mean } => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("distribution", "exponential")?;
                m.serialize_entry("mean", mean)?;
                m.end()
            }
            DurationDist::Normal { mean, stddev } | DurationDist::LogNormal { mean, stddev } => {
                let kind = if matches!(self, DurationDist::Normal { .. }) {
                    "normal"
                } else {
                    "lognormal"
                };
                let mut m = s.serialize_map(Some(3))?;
                m.serialize_entry("distribution", kind)?;
                m.serialize_entry("mean", mean)?;
                m.serialize_entry("stddev", stddev)?;
                m.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStream;

    #[derive(Deserialize)]
    struct W {
        d: DurationDist,
    }

    fn parse(s: &str) -> Result<DurationDist, String> {
        toml::from_str::<W>(s)
            .map(|w| w.d)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn parses_plain_and_tables() {
        assert_eq!(
            parse("d = \"5m\"").unwrap(),
            DurationDist::Constant(Dur(300_000_000))
        );
        assert!(matches!(
            parse("d = { distribution = \"lognormal\", mean = \"5m\", stddev = \"1m\" }").unwrap(),
            DurationDist::LogNormal { .. }
        ));
        assert!(
            parse("d = { distribution = \"uniform\", min = \"5m\" }")
                .unwrap_err()
                .contains("needs `max`")
        );
        assert!(parse("d = { distribution = \"uniform\", min = \"5m\", max = \"1m\" }").is_err());
        assert!(parse("d = { distribution = \"gamma\", mean = \"5m\" }").is_err());
        assert!(parse("d = { distribution = \"normal\", mean = \"5m\", sd = \"1m\" }").is_err());
    }

    #[test]
    fn lognormal_sample_mean_matches() {
        let d = DurationDist::LogNormal {
            mean: Dur(60_000_000),
            stddev: Dur(30_000_000),
        };
        let mut rng = RngStream::new(3, "t");
        let n = 20_000;
        let mean: f64 = (0..n)
            .map(|_| d.sample(&mut *rng).as_secs_f64())
            .sum::<f64>()
            / n as f64;
        assert!((mean - 60.0).abs() < 1.5, "mean {mean}");
    }

    #[test]
    fn exponential_sample_mean_matches() {
        let d = DurationDist::Exponential {
            mean: Dur(10_000_000),
        };
        let mut rng = RngStream::new(4, "t");
        let n = 20_000;
        let mean: f64 = (0..n)
            .map(|_| d.sample(&mut *rng).as_secs_f64())
            .sum::<f64>()
            / n as f64;
        assert!((mean - 10.0).abs() < 0.3, "mean {mean}");
    }
}
