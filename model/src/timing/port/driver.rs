//! The host side of the block's ports: which job is offered when, and when completions are taken.
//!
//! A queue has one job in the block at a time: its next job is offered the cycle after the previous
//! completion was accepted, or, if the job has an arrival time, once it has arrived. The job bus is shared, so one job is offered at a time, the free queues
//! taken round robin from the one after the last offered. With backpressure `p` %, a cycle with no
//! job on offer stays empty with probability `p` %, and each queue's completion-ready is low with
//! probability `p` % a cycle. This is the co-simulation harness's policy; the draws come in that
//! order (the offer, then each queue's ready) from a generator seeded as [`HostTiming::seed`] says.

use std::collections::VecDeque;

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

/// The host's backpressure and the seed of its draws.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostTiming {
    pub backpressure_pct: u8,
    pub seed: u64,
}

/// The host's random draws.
#[derive(Clone, Debug)]
pub struct HostDraws {
    rng: SmallRng,
    backpressure_pct: u8,
}

impl HostTiming {
    pub fn draws(&self) -> HostDraws {
        HostDraws { rng: SmallRng::seed_from_u64(self.seed), backpressure_pct: self.backpressure_pct }
    }
}

impl HostDraws {
    /// Held back this cycle (no new offer; this queue's completion not taken).
    pub fn held(&mut self) -> bool {
        self.backpressure_pct > 0 && self.rng.random_range(0..100) < u32::from(self.backpressure_pct)
    }

    /// Which of `queues` queues take a completion this cycle (bit `q`).
    pub fn ready(&mut self, queues: usize) -> u64 {
        let all = if queues >= 64 { u64::MAX } else { (1 << queues) - 1 };
        if self.backpressure_pct == 0 {
            return all;
        }
        (0..queues).filter(|_| self.held()).fold(all, |m, q| m & !(1 << q))
    }
}

#[derive(Clone, Debug, Default)]
struct Queue {
    /// Jobs to come: (job, arrival cycle).
    pending: VecDeque<(usize, Option<u64>)>,
    /// The job in the block (offered or running).
    current: Option<usize>,
}

/// The driver's state.
#[derive(Clone, Debug)]
pub(super) struct Driver {
    draws: HostDraws,
    queues: Vec<Queue>,
    /// Bit `q`: queue `q` is free and its next job has arrived (or has no arrival time).
    free: u64,
    /// Bit `q`: queue `q` is free and its next job is yet to arrive.
    arriving: u64,
    offering: Option<(usize, usize)>,
    next_queue: usize,
}

impl Driver {
    /// `jobs[q]`: queue `q`'s jobs in order (indices into the run's jobs) with their arrivals.
    pub fn new(host: &HostTiming, jobs: Vec<Vec<(usize, Option<u64>)>>) -> Self {
        let queues: Vec<Queue> = jobs.into_iter().map(|j| Queue { pending: j.into(), current: None }).collect();
        let mut d = Driver { draws: host.draws(), queues, free: 0, arriving: 0, offering: None, next_queue: 0 };
        for q in 0..d.queues.len() {
            d.freed(q);
        }
        d
    }

    /// Queue `q` has nothing in the block: its next job, if any, is offered once it has arrived.
    fn freed(&mut self, q: usize) {
        match self.queues[q].pending.front() {
            Some((_, Some(_))) => self.arriving |= 1 << q,
            Some((_, None)) => self.free |= 1 << q,
            None => {}
        }
    }

    /// The next cycle a job arrives at a free queue.
    pub fn next_arrival(&self) -> Option<u64> {
        let waiting = self.queues.iter().enumerate().filter(|(q, _)| self.arriving & 1 << q != 0);
        waiting.filter_map(|(_, queue)| queue.pending.front().and_then(|p| p.1)).min()
    }

    /// The job on offer this cycle: (queue, job, first cycle of its offer). A new offer is the next
    /// job of the first free queue round the ring from the one after the last offered.
    pub fn offer(&mut self, now: u64) -> Option<(usize, usize, bool)> {
        if let Some((q, j)) = self.offering {
            return Some((q, j, false));
        }
        let mut mask = self.arriving;
        while mask != 0 {
            let q = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            if self.queues[q].pending.front().and_then(|p| p.1).is_some_and(|at| at <= now) {
                self.arriving &= !(1 << q);
                self.free |= 1 << q;
            }
        }
        if self.draws.held() || self.free == 0 {
            return None;
        }
        // The first free queue from `next_queue` on, round the ring.
        let after = self.free >> self.next_queue << self.next_queue;
        let q = if after != 0 { after } else { self.free }.trailing_zeros() as usize;
        let queue = &mut self.queues[q];
        let (job, _) = queue.pending.pop_front().expect("a free queue has a job");
        queue.current = Some(job);
        self.free &= !(1 << q);
        self.offering = Some((q, job));
        self.next_queue = (q + 1) % self.queues.len();
        Some((q, job, true))
    }

    /// Which queues take a completion this cycle.
    pub fn ready(&mut self) -> u64 {
        self.draws.ready(self.queues.len())
    }

    /// The job on offer was taken.
    pub fn taken(&mut self) {
        self.offering = None;
    }

    /// Queue `q`'s completion was accepted: the queue is free from the next cycle.
    pub fn accepted(&mut self, q: usize) {
        self.queues[q].current = None;
        self.freed(q);
    }

    /// Every job offered and completed.
    pub fn finished(&self) -> bool {
        self.queues.iter().all(|q| q.pending.is_empty() && q.current.is_none())
    }
}

/// What a fast-forward ([`super::skip`]) needs of the driver.
impl Driver {
    /// Its state (the jobs left, not the jobs themselves). None when it draws (backpressure).
    pub fn signature(&self, out: &mut Vec<u64>) -> Option<()> {
        if self.draws.backpressure_pct > 0 {
            return None;
        }
        let offering = self.offering.map_or(0, |(q, j)| (1 + q as u64) << 32 | j as u64);
        out.extend([offering, self.next_queue as u64, self.free, self.arriving]);
        for q in &self.queues {
            out.extend([q.current.map_or(0, |j| j as u64 + 1), q.pending.len() as u64]);
        }
        Some(())
    }
}
