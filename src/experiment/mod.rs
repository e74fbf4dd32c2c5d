//! Experiments over many runs: parameter grids, replications and statistics, what-if
//! comparisons and CI checks. (Being built; see the issue "Experiments".)
