//! What the bench's closed-loop loads share (load.rs and pingpong.rs): workers that start together, run
//! for a fixed time with one request outstanding each, and are summed up the same way, so a heartbeat row
//! and its ping-pong floor are measured and reported alike.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// The longest latency a histogram holds (longer ones count as this): one minute.
pub const LATENCY_CEILING_NS: u64 = 60_000_000_000;

/// Nanoseconds from 1 to [`LATENCY_CEILING_NS`], 3 significant digits.
pub fn latency_histogram() -> Result<Histogram<u64>, Error> {
    Ok(Histogram::new_with_bounds(1, LATENCY_CEILING_NS, 3)?)
}

/// Records the time since `sent`.
pub fn record_since(histogram: &mut Histogram<u64>, sent: Instant) {
    histogram.saturating_record(sent.elapsed().as_nanos().clamp(1, LATENCY_CEILING_NS.into()) as u64);
}

/// p50, p99 and max of `histogram`, in microseconds.
pub fn quantiles_us(histogram: &Histogram<u64>) -> (f64, f64, f64) {
    let us = |ns: u64| ns as f64 / 1e3;
    (us(histogram.value_at_quantile(0.5)), us(histogram.value_at_quantile(0.99)), us(histogram.max()))
}

/// The slowest worker's count over the mean (1: all alike; 0: one did nothing).
pub fn fairness(counts: &[u64]) -> f64 {
    let mean = counts.iter().sum::<u64>() as f64 / counts.len().max(1) as f64;
    let slowest = counts.iter().copied().min().unwrap_or(0);
    if mean > 0.0 { slowest as f64 / mean } else { 0.0 }
}

/// The start line and the stop flag of a timed run.
#[derive(Clone)]
pub struct Clock {
    start: Arc<Barrier>,
    stop: Arc<AtomicBool>,
}

impl Clock {
    pub fn new(workers: usize) -> Clock {
        Clock { start: Arc::new(Barrier::new(workers + 1)), stop: Arc::new(AtomicBool::new(false)) }
    }

    /// A worker waits here until every worker is ready and the run starts.
    pub fn start(&self) {
        self.start.wait();
    }

    pub fn running(&self) -> bool {
        !self.stop.load(Ordering::Relaxed)
    }

    /// Starts `workers`, lets them run for `seconds`, stops them, and returns what each did and the
    /// seconds from the start until the last one ended.
    pub fn run<T>(&self, workers: Vec<JoinHandle<Result<T, Error>>>, seconds: f64) -> Result<(Vec<T>, f64), Error> {
        self.start.wait();
        let began = Instant::now();
        std::thread::sleep(Duration::from_secs_f64(seconds));
        self.stop.store(true, Ordering::Relaxed);
        let mut all = Vec::with_capacity(workers.len());
        for w in workers {
            all.push(w.join().map_err(|_| "a worker panicked")??);
        }
        Ok((all, began.elapsed().as_secs_f64()))
    }
}
