//! Sensitivity of each output to the grid axes: standardized regression coefficients (SRC),
//! i.e. ordinary least squares of the z-scored metric on the z-scored axis values over all
//! runs, ranked by magnitude, with R².
//!
//! The normal equations (the axes' correlation matrix) are solved by Gaussian elimination
//! with partial pivoting, written here (no linear-algebra dependency). An axis that is
//! constant, or an exact linear combination of earlier axes (zipped axes), gets no
//! coefficient and a note naming why. Categorical axes enter as their position in the list,
//! which is only meaningful for ordered categories; the note says so. Left out: interaction
//! terms, rank-based (SRRC) and variance-based (Sobol) indices.

use super::grid::{AxisUnit, Plan};
use super::results::Row;

/// Coefficient of one axis for one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Coef {
    /// Axis index in the plan.
    pub axis: usize,
    /// Standardized coefficient (None when the axis could not be estimated).
    pub src: Option<f64>,
    /// Why there is no coefficient, or a caveat.
    pub note: Option<String>,
}

/// Regression of one metric on the axes.
#[derive(Debug, Clone, PartialEq)]
pub struct Sensitivity {
    /// Metric index in the plan.
    pub metric: usize,
    /// Runs used.
    pub n: usize,
    /// Coefficient of determination (None when the metric is constant).
    pub r2: Option<f64>,
    /// Coefficients ranked by |SRC| (estimated ones first), then by axis order.
    pub coefs: Vec<Coef>,
    /// Why the metric was not regressed (e.g. constant), if so.
    pub note: Option<String>,
}

fn zscore(v: &[f64]) -> Option<Vec<f64>> {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    if sd.is_nan() || sd <= 0.0 || !sd.is_finite() {
        return None;
    }
    // Relative spread too small to carry information (floating-point noise).
    if sd <= 1e-12 * mean.abs() {
        return None;
    }
    Some(v.iter().map(|x| (x - mean) / sd).collect())
}

/// Solve `a x = b` (k×k) by Gaussian elimination with partial pivoting. Returns None when the
/// matrix is (numerically) singular.
pub fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let k = b.len();
    for c in 0..k {
        let piv = (c..k).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
        if a[piv][c].abs() < 1e-9 {
            return None;
        }
        a.swap(c, piv);
        b.swap(c, piv);
        for r in c + 1..k {
            let f = a[r][c] / a[c][c];
            if f != 0.0 {
                let (upper, lower) = a.split_at_mut(r);
                for (x, y) in lower[0][c..k].iter_mut().zip(&upper[c][c..k]) {
                    *x -= f * y;
                }
                b[r] -= f * b[c];
            }
        }
    }
    let mut x = vec![0.0; k];
    for c in (0..k).rev() {
        let s: f64 = (c + 1..k).map(|j| a[c][j] * x[j]).sum();
        x[c] = (b[c] - s) / a[c][c];
    }
    Some(x)
}

fn corr(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>() / (a.len() as f64 - 1.0)
}

/// Standardized regression coefficients of every metric on the plan's axes, over `rows`
/// (sorted). Empty when the grid has no axes or too few runs.
pub fn analyse(plan: &Plan, rows: &[Row]) -> Vec<Sensitivity> {
    let axes = &plan.grid.axes;
    if axes.is_empty() || rows.len() < 3 {
        return Vec::new();
    }
    // Design columns: numeric axis values per run.
    let cols: Vec<Vec<f64>> = axes
        .iter()
        .enumerate()
        .map(|(a, axis)| {
            rows.iter()
                .map(|r| axis.numeric[plan.points[r.point].values[a]])
                .collect()
        })
        .collect();
    // Select estimable columns greedily in axis order.
    let mut notes: Vec<Option<String>> = vec![None; axes.len()];
    let mut kept: Vec<usize> = Vec::new();
    let mut z: Vec<Vec<f64>> = Vec::new();
    for (a, col) in cols.iter().enumerate() {
        let Some(zc) = zscore(col) else {
            notes[a] = Some("constant over the grid".into());
            continue;
        };
        // Does it add rank? Solve the kept correlation system for this column.
        if !kept.is_empty() {
            let m: Vec<Vec<f64>> = z
                .iter()
                .map(|u| z.iter().map(|v| corr(u, v)).collect())
                .collect();
            let rhs: Vec<f64> = z.iter().map(|u| corr(u, &zc)).collect();
            if let Some(beta) = solve(m, rhs.clone()) {
                let explained: f64 = beta.iter().zip(&rhs).map(|(b, r)| b * r).sum();
                if explained > 1.0 - 1e-9 {
                    let with = kept
                        .iter()
                        .zip(&beta)
                        .filter(|(_, b)| b.abs() > 1e-6)
                        .map(|(i, _)| format!("`{}`", axes[*i].name))
                        .collect::<Vec<_>>()
                        .join(", ");
                    notes[a] = Some(format!(
                        "moves in lockstep with {with} (zipped); their effect is shown there"
                    ));
                    continue;
                }
            }
        }
        if axes[a].unit == AxisUnit::Category && axes[a].values.len() > 2 {
            notes[a] = Some("categorical: coded 0, 1, 2, ... in the order given".into());
        }
        kept.push(a);
        z.push(zc);
    }
    if kept.is_empty() || rows.len() <= kept.len() + 1 {
        return Vec::new();
    }
    let m: Vec<Vec<f64>> = z
        .iter()
        .map(|u| z.iter().map(|v| corr(u, v)).collect())
        .collect();
    let mut out = Vec::new();
    for (mi, _) in plan.metrics.iter().enumerate() {
        let y: Vec<f64> = rows.iter().map(|r| r.values[mi]).collect();
        let base_coefs = |src: &dyn Fn(usize) -> Option<f64>| -> Vec<Coef> {
            let mut c: Vec<Coef> = (0..axes.len())
                .map(|a| Coef {
                    axis: a,
                    src: src(a),
                    note: notes[a].clone(),
                })
                .collect();
            c.sort_by(|x, y| match (x.src, y.src) {
                (Some(p), Some(q)) => q.abs().total_cmp(&p.abs()).then(x.axis.cmp(&y.axis)),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => x.axis.cmp(&y.axis),
            });
            c
        };
        if y.iter().any(|v| !v.is_finite()) {
            out.push(Sensitivity {
                metric: mi,
                n: rows.len(),
                r2: None,
                coefs: base_coefs(&|_| None),
                note: Some("has non-finite values".into()),
            });
            continue;
        }
        let Some(zy) = zscore(&y) else {
            out.push(Sensitivity {
                metric: mi,
                n: rows.len(),
                r2: None,
                coefs: base_coefs(&|_| None),
                note: Some("constant over all runs".into()),
            });
            continue;
        };
        let rhs: Vec<f64> = z.iter().map(|u| corr(u, &zy)).collect();
        match solve(m.clone(), rhs.clone()) {
            Some(beta) => {
                let r2: f64 = beta.iter().zip(&rhs).map(|(b, r)| b * r).sum();
                let src = |a: usize| kept.iter().position(|&k| k == a).map(|i| beta[i]);
                out.push(Sensitivity {
                    metric: mi,
                    n: rows.len(),
                    r2: Some(r2.clamp(0.0, 1.0)),
                    coefs: base_coefs(&src),
                    note: None,
                });
            }
            None => out.push(Sensitivity {
                metric: mi,
                n: rows.len(),
                r2: None,
                coefs: base_coefs(&|_| None),
                note: Some("the axes are collinear".into()),
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solver() {
        let x = solve(vec![vec![2.0, 1.0], vec![1.0, 3.0]], vec![3.0, 5.0]).unwrap();
        assert!((x[0] - 0.8).abs() < 1e-12 && (x[1] - 1.4).abs() < 1e-12);
        assert!(solve(vec![vec![1.0, 2.0], vec![2.0, 4.0]], vec![1.0, 2.0]).is_none());
    }

    #[test]
    fn recovers_known_coefficients() {
        // y = 3 x1 - 1 x2 on a full 2-factor design: SRC ∝ coefficient × sd(x) / sd(y).
        let mut x1 = Vec::new();
        let mut x2 = Vec::new();
        let mut y = Vec::new();
        for a in 0..5 {
            for b in 0..5 {
                x1.push(a as f64);
                x2.push(b as f64);
                y.push(3.0 * a as f64 - b as f64);
            }
        }
        let z1 = zscore(&x1).unwrap();
        let z2 = zscore(&x2).unwrap();
        let zy = zscore(&y).unwrap();
        let m = vec![
            vec![corr(&z1, &z1), corr(&z1, &z2)],
            vec![corr(&z2, &z1), corr(&z2, &z2)],
        ];
        let beta = solve(m, vec![corr(&z1, &zy), corr(&z2, &zy)]).unwrap();
        let ratio = beta[0] / beta[1];
        assert!((ratio + 3.0).abs() < 1e-9, "{beta:?}");
        let r2 = beta[0] * corr(&z1, &zy) + beta[1] * corr(&z2, &zy);
        assert!((r2 - 1.0).abs() < 1e-9);
    }
}
