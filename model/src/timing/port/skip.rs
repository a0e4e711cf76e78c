//! Fast-forward: a run whose state repeats is not stepped through every period.
//!
//! With fixed latencies and no backpressure the port is deterministic: its next state is a function of
//! its state. Between one job event (an offer, a job taken, a grant, a completion accepted) and the
//! next, a long job's streams settle into a period: after `P` cycles every register is as it was,
//! except that the engines' block counters have moved on by `Δ` and the memory has carried more beats.
//! Nothing the block decides depends on a block counter's value except where the counter meets its
//! engine's last block or the block its fault is on. So while every counter stays short of those,
//! `k` more periods take `k·P` cycles and move the counters by `k·Δ`, and the run jumps there.
//!
//! The state is sampled where a burst ends on R or W (the same phase of each period), its
//! *signature* (every register but the block counters, times relative to now, the slots' presentation
//! order rather than their cycles) looked up among the samples since the last job event. A match
//! gives `P` and `Δ`. No jump is taken with an error response on its way or a failure under way, and
//! none leaves less than one period before a counter's limit or the next job's arrival: the last
//! periods run cycle by cycle.
//! [`super::Stepping::EveryCycle`] turns this off; the run is the same either way
//! (`tests/port.rs`).

use rustc_hash::FxHashMap;

/// A sample: the cycle, the engines' block counters, the memory's beats.
#[derive(Clone, Debug)]
pub(super) struct Sample {
    pub now: u64,
    pub blocks: Vec<[u32; 4]>,
    pub beats: [u64; 2],
}

/// The samples since the last job event.
#[derive(Debug, Default)]
pub(super) struct FastForward {
    seen: FxHashMap<Vec<u64>, Sample>,
    /// A signature being built (kept to reuse its allocation).
    scratch: Vec<u64>,
}

/// A stretch of the run: `cycles` long, moving engine `e`'s block counters by `blocks[e]` and the
/// memory's beats by `beats` (one period, or the whole jump: a whole number of periods).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Jump {
    pub cycles: u64,
    pub blocks: Vec<[u32; 4]>,
    pub beats: [u64; 2],
}

/// Samples kept at most between job events (a period longer than this many bursts is not found).
const MAX_SAMPLES: usize = 256;

impl FastForward {
    /// A job event: what was seen before no longer repeats.
    pub fn forget(&mut self) {
        self.seen.clear();
    }

    /// The signature to fill in.
    pub fn scratch(&mut self) -> &mut Vec<u64> {
        self.scratch.clear();
        &mut self.scratch
    }

    /// The state sampled now (its signature in the scratch, `room` each engine's counters' room,
    /// `until` the cycles to the next job arrival): a jump if it repeats an earlier sample and at
    /// least one whole period fits before any limit.
    pub fn sample(&mut self, now: Sample, room: &[[u32; 4]], until: Option<u64>) -> Option<Jump> {
        let Some(then) = self.seen.get(&self.scratch) else {
            if self.seen.len() < MAX_SAMPLES {
                self.seen.insert(self.scratch.clone(), now);
            }
            return None;
        };
        let per = Jump {
            cycles: now.now - then.now,
            blocks: now.blocks.iter().zip(&then.blocks).map(|(a, b)| std::array::from_fn(|i| a[i] - b[i])).collect(),
            beats: [now.beats[0] - then.beats[0], now.beats[1] - then.beats[1]],
        };
        // Periods that keep every moving counter at least a period short of its limit.
        let periods = per
            .blocks
            .iter()
            .zip(room)
            .flat_map(|(d, r)| d.iter().zip(r))
            .filter(|(d, _)| **d > 0)
            .map(|(d, r)| u64::from(r.saturating_sub(1) / d).saturating_sub(1))
            .chain(until.map(|u| (u / per.cycles).saturating_sub(1)))
            .min()?;
        self.forget();
        (periods > 0).then(|| Jump {
            cycles: per.cycles * periods,
            blocks: per.blocks.iter().map(|d| d.map(|x| x * periods as u32)).collect(),
            beats: per.beats.map(|b| b * periods),
        })
    }
}
