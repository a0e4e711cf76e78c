//! The closing table: jobs, mismatches, cycle error (min / median / max), simulated cycles per second;
//! the shared-port model's table for a random run ([`Contention`]); and, in a build with the `coverage` feature, how much of the RTL the run reached.

use std::fmt;
use std::time::Duration;

use crate::contention::Contention;
use crate::scoreboard::CycleSample;

/// Totals of one run.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub jobs: u64,
    pub mismatches: u64,
    pub cycles: u64,
    pub elapsed: Duration,
    pub samples: Vec<CycleSample>,
    /// The RTL's coverage over the run (empty without the `coverage` feature).
    pub coverage: RtlCoverage,
    /// The run predicted by the shared-port model (random runs).
    pub contention: Option<Contention>,
}

impl Summary {
    /// The totals of `h`'s run so far (`mismatches`: 1 if it stopped at one), `elapsed` its time; the
    /// model's prediction of it is for the caller to add.
    pub fn of(h: &crate::harness::Harness, mismatches: u64, elapsed: Duration) -> Summary {
        Summary {
            jobs: h.scoreboard().checked,
            mismatches,
            cycles: h.cycle(),
            elapsed,
            samples: h.scoreboard().samples.clone(),
            coverage: h.rtl_coverage().into(),
            contention: None,
        }
    }
}

/// How often each RTL coverage point ran, summed over any number of runs ([`crate::Harness::rtl_coverage`]
/// gives one run's counts; [`crate::rtl::write_coverage`] writes the sums for `verilator_coverage`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RtlCoverage {
    counts: Vec<u32>,
}

impl RtlCoverage {
    /// Adds one run's counts.
    pub fn add(&mut self, counts: &[u32]) {
        if self.counts.len() < counts.len() {
            self.counts.resize(counts.len(), 0);
        }
        for (sum, &c) in self.counts.iter_mut().zip(counts) {
            *sum = sum.saturating_add(c);
        }
    }

    pub fn counts(&self) -> &[u32] {
        &self.counts
    }

    /// Points that ran at least once.
    pub fn reached(&self) -> usize {
        self.counts.iter().filter(|&&c| c > 0).count()
    }
}

/// One run's counts.
impl From<Vec<u32>> for RtlCoverage {
    fn from(counts: Vec<u32>) -> Self {
        RtlCoverage { counts }
    }
}

impl fmt::Display for RtlCoverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (reached, points) = (self.reached(), self.counts.len());
        let pct = 100.0 * reached as f64 / points.max(1) as f64;
        write!(f, "{reached} of {points} points (branches and blocks, per instance) reached, {pct:.1} %")
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
        if let Some(c) = &self.contention {
            write!(f, "\n\n{c}")?;
        }
        if !self.coverage.counts().is_empty() {
            write!(f, "\nRTL coverage: {}", self.coverage)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::RtlCoverage;

    #[test]
    fn coverage_sums_runs_point_by_point_and_saturates() {
        let mut total = RtlCoverage::default();
        total.add(&[1, 0, 5]);
        total.add(&[2, 0, u32::MAX, 0]);
        assert_eq!(total.counts(), &[3, 0, u32::MAX, 0]);
        assert_eq!(total.reached(), 2);
        assert_eq!(total.to_string(), "2 of 4 points (branches and blocks, per instance) reached, 50.0 %");
    }
}
