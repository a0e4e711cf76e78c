//! One engine's control state, cycle by cycle: the counters and flags that decide when it asks for a
//! read address, takes a read beat, starts a write burst and completes (rtl/README.md, "Engines" and
//! "Memory errors"). Data are not carried: what a job does to memory comes from
//! [`crate::engine::execute`], and its [`Outcome`] says where it stops.
//!
//! Every output is a function of the registered state, as in the RTL, so the port evaluates all
//! engines' requests before any handshake of the cycle is known.

use crate::engine::execute::Outcome;
use crate::engine::{CompletionStatus, EngineKind, Job, JobOp, engine_of};

use super::Shape;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum State {
    #[default]
    Idle,
    /// The dispatch cycle: the previous job's registers are cleared.
    Setup,
    /// A zero fill's extra cycle before its first write address.
    Setup2,
    Run,
    /// A compare pass that will not write: the completion is valid after this cycle.
    MisEnd,
    /// After a failure: the failing block's address is aligned, then walked back to.
    FinAlign,
    FinWalk,
    Done,
}

/// Where a failing job's first error comes from: the burst that carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    /// The read of block `block` (processing order) in the write pass (`write_pass`) or not; on the
    /// compare pass, the destination (`src = false`) or the source side.
    Read { write_pass: bool, src: bool, block: u32 },
    /// The write of block `block`.
    Write { block: u32 },
}

impl Fault {
    /// The first failing burst of `job` ending as `outcome` says.
    fn of(job: &Job, outcome: &Outcome) -> Option<Fault> {
        let block = outcome.blocks_touched.saturating_sub(1);
        match outcome.status {
            CompletionStatus::WriteError => Some(Fault::Write { block }),
            CompletionStatus::ReadError => Some(match job.op {
                JobOp::Pattern => Fault::Read { write_pass: false, src: false, block: 0 },
                JobOp::CompareAndWrite | JobOp::Compare if !outcome.write_pass => {
                    let dst_block = job.dst + u64::from(block) * job.block_bytes();
                    Fault::Read { write_pass: false, src: outcome.fault_address != dst_block, block }
                }
                _ => Fault::Read { write_pass: outcome.write_pass, src: false, block },
            }),
            _ => None,
        }
    }
}

/// The job an engine runs, decoded as the engine needs it.
#[derive(Clone, Copy, Debug)]
struct Context {
    blocks: u32,
    /// Blocks the read stream covers: one for a pattern, else all.
    rd_blocks: u32,
    /// Bursts per block, less one.
    bib_last: u32,
    pattern: bool,
    fill: bool,
    /// A compare-and-write that matched and goes on to its write pass.
    write_pass: bool,
    reject: bool,
    fault: Option<Fault>,
}

/// A burst's place in a job: its index in its block, and its block's in processing order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Place {
    bib: u32,
    blk: u32,
}

impl Place {
    /// The burst after this one, with `bib_last + 1` bursts a block.
    fn next(self, bib_last: u32) -> Place {
        if self.bib == bib_last { Place { bib: 0, blk: self.blk + 1 } } else { Place { bib: self.bib + 1, ..self } }
    }
}

/// The registers. Names follow the RTL's (`ar_*` read addresses, `r_*` read data, `w_*` write bursts,
/// `b_*` write responses).
#[derive(Clone, Debug, Default)]
struct Regs {
    state: State,
    wpass: bool,
    pat: bool,
    ar_on: bool,
    ar_side: bool,
    ar_hold: bool,
    ar_valid: bool,
    ar_more: bool,
    /// The next read burst's place, the next read beat's, the next write burst's, the next response's.
    ar: Place,
    ar_out: u32,
    r_side: bool,
    r: Place,
    /// FIFO room reserved for beats asked for and not yet written.
    resv: u32,
    w_on: bool,
    w_burst: bool,
    aw_done: bool,
    w_dd: bool,
    w_stop: bool,
    w_beat: u32,
    w: Place,
    w_more: bool,
    b_out: u32,
    b: Place,
    fail: bool,
    fail_wr: bool,
    fail_cmp: bool,
    fail_idx: u32,
    walk: u32,
    cmp_v: bool,
    cmp_last: bool,
    /// Beats in the data FIFO.
    fifo: u32,
}

/// What an engine presents this cycle (from its registers alone).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Requests {
    pub ar_valid: bool,
    /// The presented read burst answers with an error.
    pub ar_err: bool,
    pub aw_valid: bool,
    pub aw_err: bool,
    pub w_valid: bool,
    pub w_last: bool,
    pub done: bool,
}

/// What the engine sees this cycle.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Responses {
    pub start: bool,
    pub ar_ready: bool,
    /// A read beat for this engine: (last of its burst, error).
    pub r: Option<(bool, bool)>,
    pub aw_ready: bool,
    pub w_ready: bool,
    /// A write response for this engine: error.
    pub b: Option<bool>,
    pub ack: bool,
}

/// One engine.
#[derive(Clone, Debug)]
pub(super) struct Engine {
    kind: EngineKind,
    shape: Shape,
    ctx: Option<Context>,
    q: Regs,
}

impl Engine {
    pub fn new(kind: EngineKind, shape: Shape) -> Self {
        Engine { kind, shape, ctx: None, q: Regs::default() }
    }

    /// Loads the job granted this cycle (the scheduler's context registers).
    pub fn load(&mut self, job: &Job, outcome: &Outcome, reject: bool) {
        debug_assert_eq!(engine_of(job.op), self.kind);
        let bursts_per_block = (job.block_bytes() / self.shape.burst_bytes()).max(1) as u32;
        self.ctx = Some(Context {
            blocks: job.blocks,
            rd_blocks: if job.op == JobOp::Pattern { 1 } else { job.blocks },
            bib_last: bursts_per_block - 1,
            pattern: job.op == JobOp::Pattern,
            fill: matches!(job.op, JobOp::Zero | JobOp::Deallocate | JobOp::Anchor),
            write_pass: job.op == JobOp::CompareAndWrite && outcome.write_pass,
            reject,
            fault: if reject { None } else { Fault::of(job, outcome) },
        });
    }

    fn has_fifo(&self) -> bool {
        self.kind != EngineKind::Zero
    }

    fn is_caw(&self) -> bool {
        self.kind == EngineKind::CompareAndWrite
    }

    /// The compare-and-write unit's compare pass: both sides read, nothing written, no credit check.
    fn compare_pass(&self, q: &Regs) -> bool {
        self.is_caw() && !q.wpass
    }

    /// A write burst may start: data at hand, its block before any failing one, a response slot free.
    fn w_start(&self) -> bool {
        let q = &self.q;
        q.w_on && !q.w_burst && q.w_more && self.blk_ok() && self.data_avail() && q.b_out < self.shape.max_writes
    }

    fn blk_ok(&self) -> bool {
        let q = &self.q;
        // A write failure stops every later burst; a read failure, the failing block's.
        let failed_here = q.fail && !q.fail_wr && q.w.blk == q.fail_idx;
        !(q.w_stop || failed_here)
    }

    fn data_avail(&self) -> bool {
        !self.has_fifo() || self.q.fifo > 0
    }

    pub fn requests(&self) -> Requests {
        let q = &self.q;
        let fault = self.ctx.as_ref().and_then(|c| c.fault);
        let w_start = self.w_start();
        let avail = self.data_avail();
        Requests {
            ar_valid: q.ar_valid,
            ar_err: fault
                == Some(Fault::Read { write_pass: q.wpass, src: self.is_caw() && q.ar_side, block: q.ar.blk }),
            aw_valid: w_start || (q.w_burst && !q.aw_done),
            aw_err: fault == Some(Fault::Write { block: q.w.blk }),
            w_valid: (w_start || (q.w_burst && !q.w_dd)) && avail,
            w_last: q.w_beat == self.shape.burst_beats - 1,
            done: q.state == State::Done,
        }
    }

    /// The clock edge: the registers take their next values from this cycle's handshakes (`req`:
    /// [`Engine::requests`] this cycle).
    pub fn clock(&mut self, req: &Requests, i: &Responses) {
        let Some(ctx) = self.ctx else {
            return;
        };
        // Idle until started, done until acknowledged: nothing else moves.
        match self.q.state {
            State::Idle if !i.start => return,
            State::Done if !i.ack => return,
            _ => {}
        }
        let shape = self.shape;
        let l = shape.burst_beats;
        let q = self.q.clone();
        let mut d = q.clone();
        d.cmp_v = false;
        d.cmp_last = false;
        let mut fifo_clr = false;

        let w_start = self.w_start();
        let ar_fire = req.ar_valid && i.ar_ready;
        let (r_fire, r_last, r_err) = match i.r {
            Some((last, err)) => (true, last, err),
            None => (false, false, false),
        };
        let r_burst_end = r_fire && r_last;
        let aw_fire = req.aw_valid && i.aw_ready;
        let w_fire = req.w_valid && i.w_ready;
        let (b_fire, b_err) = (i.b.is_some(), i.b.unwrap_or(false));
        let r_final = r_burst_end && !q.ar_more && q.ar_out == 1 && !ar_fire;
        let compare = self.compare_pass(&q);
        let w_burst_end = (q.aw_done || aw_fire) && (q.w_dd || (w_fire && req.w_last));

        // Read addresses.
        if ar_fire {
            d.ar_out += 1;
            if self.has_fifo() && !compare {
                d.resv += l;
            }
            if compare && !q.ar_side {
                d.ar_side = true; // the source burst at the same offset follows
            } else {
                d.ar_side = false;
                d.ar = q.ar.next(ctx.bib_last);
                d.ar_more = d.ar.blk != ctx.rd_blocks;
            }
        }
        // Read data.
        if r_burst_end {
            d.ar_out -= 1;
            if compare && !q.r_side {
                d.r_side = true;
            } else {
                d.r_side = false;
                d.r = q.r.next(ctx.bib_last);
            }
        }
        if compare && r_fire && q.r_side {
            // A source beat meets the destination beat at the FIFO head: compared next cycle.
            d.cmp_v = true;
            d.cmp_last = r_final;
        }
        // Write bursts.
        if aw_fire {
            d.b_out += 1;
        }
        if w_start || q.w_burst {
            d.w_burst = !w_burst_end;
            d.aw_done = (q.aw_done || aw_fire) && !w_burst_end;
        }
        if w_fire {
            d.w_beat += 1;
            if req.w_last {
                d.w_dd = true;
            }
        }
        if w_burst_end {
            d.w_dd = false;
            d.w_beat = 0;
            d.w = q.w.next(ctx.bib_last);
            d.w_more = d.w.blk != ctx.blocks;
        }
        // After a failure, read data no write will take is dropped.
        let writes_over = !q.w_more || !self.blk_ok() || !q.w_on;
        let drop = self.has_fifo() && !compare && q.fail && !q.w_burst && !w_start && q.fifo > 0 && writes_over;
        let fifo_push = self.has_fifo() && r_fire && !(compare && q.r_side);
        let fifo_pop = self.has_fifo() && (w_fire || drop || (compare && r_fire && q.r_side));
        if self.has_fifo() && fifo_pop && !compare {
            d.resv -= 1;
        }
        // Write responses.
        if b_fire {
            d.b_out -= 1;
            d.b = q.b.next(ctx.bib_last);
        }
        // Failures: the first failing block in processing order (a block's read before its write).
        let rd_cand = r_fire && r_err && !q.fail;
        let wr_cand = b_fire && b_err && (!q.fail || (!q.fail_wr && q.b.blk != q.fail_idx));
        if wr_cand && (!rd_cand || q.b.blk != q.r.blk) {
            d.fail = true;
            d.fail_wr = true;
            d.fail_cmp = false;
            d.fail_idx = q.b.blk;
            d.w_stop = true;
        } else if rd_cand {
            d.fail = true;
            d.fail_wr = false;
            d.fail_idx = q.r.blk;
            d.fail_cmp = compare;
        }
        let drained = q.ar_out == 0
            && !q.ar_hold
            && !r_fire
            && (!self.has_fifo() || q.fifo == 0)
            && !q.w_burst
            && !w_start
            && q.b_out == 0
            && !b_fire
            && writes_over;
        let reads_drained = q.fail && q.ar_out == 0 && !q.ar_hold && !r_fire;

        match q.state {
            State::Idle => {
                if i.start {
                    d.state = State::Setup;
                }
            }
            State::Setup => {
                let blocks = ctx.blocks;
                d = Regs {
                    state: State::Run,
                    ar_on: q.ar_on,
                    ar_hold: d.ar_hold,
                    ar_valid: d.ar_valid,
                    ar_more: ctx.rd_blocks != 0,
                    w_on: q.w_on,
                    w_more: blocks != 0,
                    ..Regs::default()
                };
                fifo_clr = true;
                if ctx.reject {
                    // Not runnable: a write error with nothing done.
                    d.fail = true;
                    d.fail_wr = true;
                    d.state = State::Done;
                } else if blocks == 0 {
                    d.state = State::Done;
                } else if ctx.fill {
                    d.state = State::Setup2;
                } else {
                    d.ar_on = true;
                    if ctx.pattern {
                        d.pat = true;
                    } else if self.kind == EngineKind::Copy {
                        d.w_on = true;
                    }
                }
            }
            State::Setup2 => {
                d.w_on = true;
                d.state = State::Run;
            }
            State::Run if compare => {
                if reads_drained {
                    d.ar_on = false;
                    d.state = State::FinAlign;
                } else if q.cmp_v && q.cmp_last && !q.fail {
                    d.ar_on = false;
                    if !ctx.write_pass {
                        d.state = State::MisEnd;
                    } else {
                        // Everything matched: the write pass reads the write data and writes dst.
                        d.wpass = true;
                        d.ar_on = true;
                        d.ar_side = false;
                        d.ar = Place::default();
                        d.ar_more = ctx.rd_blocks != 0;
                        d.r_side = false;
                        d.r = Place::default();
                        d.resv = 0;
                        d.w_on = true;
                        fifo_clr = true;
                    }
                }
            }
            State::Run if ctx.pattern && q.pat => {
                if reads_drained {
                    d.ar_on = false;
                    d.state = State::FinAlign;
                } else if r_final && !rd_cand && !q.fail {
                    d.ar_on = false;
                    d.pat = false;
                }
            }
            State::Run => {
                if !q.w_on {
                    d.w_on = true; // the pattern has just been stored
                } else if !d.fail && !q.w_more && !q.w_burst && d.b_out == 0 {
                    d.ar_on = false;
                    d.w_on = false;
                    d.state = State::Done;
                } else if q.fail && drained {
                    d.ar_on = false;
                    d.w_on = false;
                    d.state = State::FinAlign;
                }
            }
            State::MisEnd => d.state = State::Done,
            State::FinAlign => {
                fifo_clr = true;
                d.ar_side = false;
                d.state = State::FinWalk;
            }
            State::FinWalk => {
                // The failing block's stream steps back a block a cycle (a pattern's own block: none).
                let at = if q.fail_wr { q.w.blk } else { q.ar.blk };
                let mask = shape.walk_mask();
                if (self.kind == EngineKind::Zero && !q.fail_wr) || at.wrapping_sub(q.walk) & mask == q.fail_idx & mask
                {
                    d.state = State::Done;
                } else {
                    d.walk = q.walk + 1;
                }
            }
            State::Done => {
                if i.ack {
                    d.state = State::Idle;
                }
            }
        }

        // ARVALID is registered from the next state: held until accepted, else asked for when there is
        // more to read, no failure, a free outstanding slot and FIFO room for the whole burst.
        let credit = !self.has_fifo() || (self.is_caw() && !d.wpass) || d.resv + l <= shape.fifo_depth();
        d.ar_hold = req.ar_valid && !i.ar_ready;
        d.ar_valid = d.ar_hold || (d.ar_on && d.ar_more && !d.fail && d.ar_out < shape.max_reads && credit);
        d.fifo = if fifo_clr { 0 } else { q.fifo + u32::from(fifo_push) - u32::from(fifo_pop) };
        self.q = d;
    }
}

/// What a fast-forward ([`super::skip`]) needs of an engine.
impl Engine {
    /// The registers, all but the four block counters, packed.
    pub fn signature(&self, out: &mut Vec<u64>) {
        let q = &self.q;
        let flags = [
            q.wpass, q.pat, q.ar_on, q.ar_side, q.ar_hold, q.ar_valid, q.ar_more, q.r_side, q.w_on, q.w_burst,
            q.aw_done, q.w_dd, q.w_stop, q.w_more, q.fail, q.fail_wr, q.fail_cmp, q.cmp_v, q.cmp_last,
        ];
        let bits = flags.iter().fold(q.state as u64, |m, &f| m << 1 | u64::from(f));
        let counts = [q.ar.bib, q.ar_out, q.r.bib, q.resv, q.w_beat, q.w.bib, q.b_out, q.b.bib, q.fail_idx, q.walk];
        out.push(bits);
        out.extend(counts.iter().map(|&c| u64::from(c)));
        out.push(u64::from(q.fifo));
    }

    /// The block counters: the next read burst's, read beat's, write burst's and response's.
    pub fn blocks(&self) -> [u32; 4] {
        [self.q.ar.blk, self.q.r.blk, self.q.w.blk, self.q.b.blk]
    }

    /// Blocks each counter may still advance before it reaches one where the engine decides
    /// something: its last block, or the one its fault is on. None when it must not be fast-forwarded
    /// at all (a failure under way).
    pub fn room(&self) -> Option<[u32; 4]> {
        let Some(ctx) = &self.ctx else { return Some([u32::MAX; 4]) };
        let q = &self.q;
        if q.fail {
            return None;
        }
        let mut read_end = ctx.rd_blocks;
        let mut write_end = ctx.blocks;
        match ctx.fault {
            Some(Fault::Read { write_pass, block, .. }) if write_pass == q.wpass => read_end = read_end.min(block),
            Some(Fault::Write { block }) => write_end = write_end.min(block),
            _ => {}
        }
        Some([read_end.saturating_sub(q.ar.blk), u32::MAX, write_end.saturating_sub(q.w.blk), u32::MAX])
    }

    /// Moves the block counters on by `by` (a whole number of the run's periods).
    pub fn advance(&mut self, by: [u32; 4]) {
        let q = &mut self.q;
        q.ar.blk += by[0];
        q.r.blk += by[1];
        q.w.blk += by[2];
        q.b.blk += by[3];
    }
}
