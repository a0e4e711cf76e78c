//! The memory behind the port: one AXI4 slave with one ID, so reads and writes each answer in order.
//!
//! - A read burst's first beat comes `read_latency` cycles after its address is accepted, at the
//!   earliest; beats follow one a cycle, bursts back to back.
//! - A write burst's response comes `write_latency` cycles after the later of its address and its
//!   last beat, at the earliest; one response a cycle.
//! - A beat goes with its address or after it (WREADY waits for an address).
//! - With backpressure `p` %, each cycle ARREADY, AWREADY and WREADY are each low with probability
//!   `p` %, and a read beat or a response that is due waits a cycle with probability `p` %.
//!
//! Latencies are drawn per burst. The draws come from a seeded generator in a fixed order (read
//! latency at each accepted read address, write latency as each burst's address meets its data, then
//! each cycle ARREADY, AWREADY, WREADY, the read beat, the response), so a memory built from the same
//! [`MemoryTiming`] behaves the same wherever it runs: the co-simulation's slave draws from one.

use std::collections::VecDeque;

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

/// A latency in cycles: fixed, or drawn uniformly from an inclusive range per burst.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Latency {
    Fixed(u32),
    Uniform(u32, u32),
}

impl Latency {
    pub fn fixed(self) -> Option<u32> {
        match self {
            Latency::Fixed(c) => Some(c),
            Latency::Uniform(..) => None,
        }
    }
}

/// How the memory answers: latencies, backpressure and the seed of its draws.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryTiming {
    pub read_latency: Latency,
    pub write_latency: Latency,
    pub backpressure_pct: u8,
    pub seed: u64,
}

impl MemoryTiming {
    /// Fixed latencies, no backpressure: the memory the cycle equations assume.
    pub fn fixed(read_latency: u32, write_latency: u32) -> Self {
        MemoryTiming {
            read_latency: Latency::Fixed(read_latency),
            write_latency: Latency::Fixed(write_latency),
            backpressure_pct: 0,
            seed: 0,
        }
    }

    pub fn is_fixed(&self) -> bool {
        self.read_latency.fixed().is_some() && self.write_latency.fixed().is_some() && self.backpressure_pct == 0
    }

    /// The generator of this memory's draws.
    pub fn draws(&self) -> Draws {
        Draws { rng: SmallRng::seed_from_u64(self.seed), timing: self.clone() }
    }
}

/// The memory's random draws, in the order the module documentation gives.
#[derive(Clone, Debug)]
pub struct Draws {
    rng: SmallRng,
    timing: MemoryTiming,
}

impl Draws {
    fn latency(&mut self, l: Latency) -> u64 {
        match l {
            Latency::Fixed(c) => c.into(),
            Latency::Uniform(lo, hi) => self.rng.random_range(lo..=hi).into(),
        }
    }

    /// A read burst's latency.
    pub fn read_latency(&mut self) -> u64 {
        self.latency(self.timing.read_latency)
    }

    /// A write burst's latency.
    pub fn write_latency(&mut self) -> u64 {
        self.latency(self.timing.write_latency)
    }

    /// Draws nothing: fixed latencies, no backpressure.
    fn is_fixed(&self) -> bool {
        self.timing.is_fixed()
    }

    /// Not held back this cycle.
    pub fn open(&mut self) -> bool {
        let p = u32::from(self.timing.backpressure_pct);
        p == 0 || self.rng.random_range(0..100) >= p
    }
}

/// The slave's state: what it has accepted and not yet answered, and its registered outputs.
#[derive(Clone, Debug)]
pub(super) struct Memory {
    draws: Draws,
    burst_beats: u32,
    /// Read bursts accepted: (first beat due, answers with an error).
    reads: VecDeque<(u64, bool)>,
    r_beat: u32,
    /// Write addresses accepted: (cycle, error), and bursts of data complete: their last beat's cycle.
    addresses: VecDeque<(u64, bool)>,
    data: VecDeque<u64>,
    open_beats: u32,
    responses: VecDeque<(u64, bool)>,
    arready: bool,
    awready: bool,
    w_ok: bool,
    aw_pending: bool,
    /// This cycle's read beat (error, last) and write response (error).
    r: Option<(bool, bool)>,
    b: Option<bool>,
    pub read_beats: u64,
    pub write_beats: u64,
}

impl Memory {
    pub fn new(timing: &MemoryTiming, burst_beats: u32) -> Self {
        Memory {
            draws: timing.draws(),
            burst_beats,
            reads: VecDeque::new(),
            r_beat: 0,
            addresses: VecDeque::new(),
            data: VecDeque::new(),
            open_beats: 0,
            responses: VecDeque::new(),
            // Out of reset nothing is ready until the first edge.
            arready: false,
            awready: false,
            w_ok: false,
            aw_pending: false,
            r: None,
            b: None,
            read_beats: 0,
            write_beats: 0,
        }
    }

    pub fn arready(&self) -> bool {
        self.arready
    }

    pub fn awready(&self) -> bool {
        self.awready
    }

    /// WREADY, once the master's AWVALID is known.
    pub fn wready(&self, aw_valid: bool) -> bool {
        self.w_ok && (self.aw_pending || (aw_valid && self.awready))
    }

    /// This cycle's read beat: (error, last).
    pub fn r(&self) -> Option<(bool, bool)> {
        self.r
    }

    /// This cycle's write response: error.
    pub fn b(&self) -> Option<bool> {
        self.b
    }

    /// The clock edge at the end of cycle `now`: takes its handshakes (`ar`: a read address accepted,
    /// with its error; `aw` likewise; `w`: a beat accepted) and registers the next cycle's outputs.
    pub fn clock(&mut self, now: u64, ar: Option<bool>, aw: Option<bool>, w: bool) {
        if let Some(err) = ar {
            let due = now + self.draws.read_latency();
            self.reads.push_back((due, err));
        }
        if self.r.take().is_some() {
            self.read_beats += 1;
            self.r_beat += 1;
            if self.r_beat == self.burst_beats {
                self.r_beat = 0;
                self.reads.pop_front();
            }
        }
        if let Some(err) = aw {
            self.addresses.push_back((now, err));
        }
        if w {
            self.write_beats += 1;
            self.open_beats += 1;
            if self.open_beats == self.burst_beats {
                self.open_beats = 0;
                self.data.push_back(now);
            }
        }
        while let (Some(&(accepted, err)), Some(&last)) = (self.addresses.front(), self.data.front()) {
            self.addresses.pop_front();
            self.data.pop_front();
            let due = accepted.max(last) + self.draws.write_latency();
            self.responses.push_back((due, err));
        }
        if self.b.take().is_some() {
            self.responses.pop_front();
        }

        let next = now + 1;
        self.arready = self.draws.open();
        self.awready = self.draws.open();
        self.w_ok = self.draws.open();
        self.aw_pending = !self.addresses.is_empty();
        if let Some(&(due, err)) = self.reads.front()
            && due <= next
            && self.draws.open()
        {
            self.r = Some((err, self.r_beat + 1 == self.burst_beats));
        }
        if let Some(&(due, err)) = self.responses.front()
            && due <= next
            && self.draws.open()
        {
            self.b = Some(err);
        }
    }
}

/// What a fast-forward ([`super::skip`]) needs of the memory.
impl Memory {
    /// Everything the memory holds, its times relative to `now`. None when an error response is on
    /// its way (a failure is coming: no fast-forward), or the memory draws (random timing).
    pub fn signature(&self, now: u64, out: &mut Vec<u64>) -> Option<()> {
        if !self.draws.is_fixed() {
            return None;
        }
        let rel = |t: u64| t.wrapping_sub(now);
        let errs = self.reads.iter().map(|r| r.1).chain(self.addresses.iter().map(|a| a.1));
        if errs.chain(self.responses.iter().map(|r| r.1)).any(|e| e)
            || self.r.is_some_and(|r| r.0)
            || self.b == Some(true)
        {
            return None;
        }
        out.extend([self.reads.len(), self.addresses.len(), self.data.len(), self.responses.len()].map(|n| n as u64));
        out.extend(self.reads.iter().map(|r| rel(r.0)));
        out.extend(self.addresses.iter().map(|a| rel(a.0)));
        out.extend(self.data.iter().map(|&d| rel(d)));
        out.extend(self.responses.iter().map(|r| rel(r.0)));
        let flags = [self.arready, self.awready, self.w_ok, self.aw_pending, self.r.is_some(), self.b.is_some()];
        let last = self.r.is_some_and(|r| r.1);
        out.push(flags.iter().fold(u64::from(last), |m, &f| m << 1 | u64::from(f)));
        out.push(u64::from(self.r_beat) << 32 | u64::from(self.open_beats));
        Some(())
    }

    /// Beats carried so far: read, written.
    pub fn beats(&self) -> [u64; 2] {
        [self.read_beats, self.write_beats]
    }

    /// Moves the memory `cycles` on, with `beats` more carried, as a run's periods repeat.
    pub fn advance(&mut self, cycles: u64, beats: [u64; 2]) {
        self.reads.iter_mut().for_each(|r| r.0 += cycles);
        self.addresses.iter_mut().for_each(|a| a.0 += cycles);
        self.data.iter_mut().for_each(|d| *d += cycles);
        self.responses.iter_mut().for_each(|r| r.0 += cycles);
        self.read_beats += beats[0];
        self.write_beats += beats[1];
    }
}
