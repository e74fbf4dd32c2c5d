//! One column of a run's time series, kept run-length encoded: most gauges hold the same value
//! for many samples in a row (an idle queue, a fixed node count), so a column costs 12 bytes
//! per change of value instead of 8 bytes per sample (plus a doubling `Vec`'s slack). The
//! values are exact (runs compare bit patterns), and the column serializes as the plain JSON
//! array of every sample, so the report is unchanged. Nothing else is left out.

use serde::{Serialize, Serializer};

/// A column of samples, run-length encoded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Column {
    /// The value of each run.
    vals: Vec<f64>,
    /// The number of samples up to and including each run.
    ends: Vec<u32>,
}

impl Column {
    /// Append one sample.
    pub fn push(&mut self, v: f64) {
        let len = self.len() as u32;
        match (self.vals.last(), self.ends.last_mut()) {
            (Some(last), Some(end)) if last.to_bits() == v.to_bits() => *end += 1,
            _ => {
                self.vals.push(v);
                self.ends.push(len + 1);
            }
        }
    }

    /// The number of samples.
    pub fn len(&self) -> usize {
        self.ends.last().map_or(0, |&e| e as usize)
    }

    /// No sample yet.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The number of runs of equal values.
    pub fn runs(&self) -> usize {
        self.vals.len()
    }

    /// Sample `i`, if there is one.
    pub fn get(&self, i: usize) -> Option<f64> {
        let run = self.ends.partition_point(|&e| e as usize <= i);
        self.vals.get(run).copied()
    }

    /// Every sample, in order.
    pub fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        let mut start = 0;
        self.vals
            .iter()
            .zip(&self.ends)
            .flat_map(move |(&v, &end)| {
                let n = end - start;
                start = end;
                std::iter::repeat_n(v, n as usize)
            })
    }

    /// Every sample, as a vector.
    pub fn to_vec(&self) -> Vec<f64> {
        self.iter().collect()
    }
}

impl FromIterator<f64> for Column {
    fn from_iter<I: IntoIterator<Item = f64>>(it: I) -> Self {
        let mut c = Column::default();
        for v in it {
            c.push(v);
        }
        c
    }
}

impl Serialize for Column {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A column gives back exactly the samples pushed (bit for bit, -0.0 and NaN
        /// included), indexes them, and serializes as the plain array would.
        #[test]
        fn a_column_is_its_samples(raw in proptest::collection::vec(0u8..6, 0..200)) {
            let table = [0.0, -0.0, 1.0, 2.5, f64::NAN, 1e300];
            let vals: Vec<f64> = raw.iter().map(|&i| table[usize::from(i)]).collect();
            let c: Column = vals.iter().copied().collect();
            prop_assert_eq!(c.len(), vals.len());
            prop_assert_eq!(c.is_empty(), vals.is_empty());
            let back: Vec<u64> = c.iter().map(f64::to_bits).collect();
            let want: Vec<u64> = vals.iter().map(|v| v.to_bits()).collect();
            prop_assert_eq!(&back, &want);
            for (i, v) in vals.iter().enumerate() {
                prop_assert_eq!(c.get(i).map(f64::to_bits), Some(v.to_bits()));
            }
            prop_assert_eq!(c.get(vals.len()), None);
            let runs = 1 + vals.windows(2).filter(|w| w[0].to_bits() != w[1].to_bits()).count();
            prop_assert_eq!(c.runs(), if vals.is_empty() { 0 } else { runs });
        }
    }

    /// The JSON of a column is the JSON of its samples.
    #[test]
    fn a_column_serializes_as_an_array() {
        let vals = vec![0.0, 0.0, 3.5, 3.5, 3.5, 1.0, 0.0];
        let c: Column = vals.iter().copied().collect();
        assert_eq!(c.runs(), 4);
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            serde_json::to_string(&vals).unwrap()
        );
    }
}
