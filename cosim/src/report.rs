//! The closing table: jobs, mismatches, cycle error (min / median / max), simulated cycles per second;
//! and, in a build with the `coverage` feature, how much of the RTL the run reached.

use std::fmt;
use std::time::Duration;

use crate::scoreboard::CycleSample;

/// Totals of one run.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub jobs: u64,
    pub mismatches: u64,
    pub cycles: u64,
    pub elapsed: Duration,
    pub samples: Vec<CycleSample>,
    /// How often each RTL coverage point ran, summed over the run (empty without the `coverage`
    /// feature).
    pub coverage: Vec<u32>,
}

impl Summary {
    /// Adds one harness's coverage counts to the run's.
    pub fn add_coverage(&mut self, counts: &[u32]) {
        if self.coverage.len() < counts.len() {
            self.coverage.resize(counts.len(), 0);
        }
        for (sum, &c) in self.coverage.iter_mut().zip(counts) {
            *sum = sum.saturating_add(c);
        }
    }
}

/// Cycle errors in percent: min, median, max, and the share within ±2 %.
pub fn error_stats(samples: &[CycleSample]) -> Option<(f64, f64, f64, f64)> {
    if samples.is_empty() {
        return None;
    }
    let mut e: Vec<f64> = samples.iter().map(CycleSample::error_pct).collect();
    e.sort_by(f64::total_cmp);
    let within = e.iter().filter(|x| x.abs() <= 2.0).count() as f64 * 100.0 / e.len() as f64;
    Some((e[0], e[e.len() / 2], e[e.len() - 1], within))
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rate = self.cycles as f64 / self.elapsed.as_secs_f64().max(1e-9);
        writeln!(f, "| jobs | mismatches | cycle error min | median | max | within ±2 % | cycles | cycles/s |")?;
        writeln!(f, "|---:|---:|---:|---:|---:|---:|---:|---:|")?;
        let errors = match error_stats(&self.samples) {
            Some((lo, mid, hi, within)) => format!("{lo:+.2} % | {mid:+.2} % | {hi:+.2} % | {within:.1} %"),
            None => "- | - | - | -".to_owned(),
        };
        write!(f, "| {} | {} | {errors} | {} | {:.0} |", self.jobs, self.mismatches, self.cycles, rate)?;
        if !self.coverage.is_empty() {
            let reached = self.coverage.iter().filter(|&&c| c > 0).count();
            let points = self.coverage.len();
            let pct = 100.0 * reached as f64 / points as f64;
            write!(
                f,
                "\nRTL coverage: {reached} of {points} points (branches and blocks, per instance) reached, {pct:.1} %"
            )?;
        }
        Ok(())
    }
}
