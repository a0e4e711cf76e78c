//! The AXI mux: the engines' memory ports merged into one (rtl/README.md, "AXI mux").
//!
//! - AR: round robin from the engine after the last one picked. The pointer moves on every cycle
//!   some engine asks, accepted or not; an address not accepted keeps the channel.
//! - R: the memory answers in order, so a route FIFO of engine numbers, pushed per address and
//!   popped per last beat, says whose each beat is.
//! - AW/W: one engine owns both from its first beat to its last, picked round robin after the last
//!   owner; the burst's address goes with or after its first beat.
//! - B: a second route FIFO, pushed per write address; the response reaches the engine a cycle
//!   after the memory gives it (a register stage).

use std::collections::VecDeque;

use super::engine::Requests;

/// The first engine asking after `last`, in cyclic order (`last` itself comes last).
fn next_after(asks: impl Fn(usize) -> bool, last: usize, engines: usize) -> usize {
    (last + 1..engines).chain(0..=last).find(|&e| asks(e)).unwrap_or(last)
}

/// The mux's registers.
#[derive(Clone, Debug)]
pub(super) struct Mux {
    engines: usize,
    ar_last: usize,
    ar_wait: bool,
    r_route: VecDeque<usize>,
    w_busy: bool,
    w_owner: usize,
    aw_done: bool,
    b_route: VecDeque<usize>,
    /// The response registered last cycle: (engine, error).
    b_reg: Option<(usize, bool)>,
}

/// The mux's choices this cycle, from its registers and the engines' requests.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Picks {
    /// The engine whose read address is on the port, if any asks.
    pub ar: Option<usize>,
    /// The engine that owns AW/W this cycle, if any.
    pub w: Option<usize>,
    /// AWVALID and WVALID on the port.
    pub aw_valid: bool,
    pub w_valid: bool,
    pub w_last: bool,
}

impl Mux {
    pub fn new(engines: usize) -> Self {
        Mux {
            engines,
            // Out of reset engine 0 is first on AR; engine 1 first on W (the pointer starts at 0).
            ar_last: engines - 1,
            ar_wait: false,
            r_route: VecDeque::new(),
            w_busy: false,
            w_owner: 0,
            aw_done: false,
            b_route: VecDeque::new(),
            b_reg: None,
        }
    }

    pub fn picks(&self, req: &[Requests]) -> Picks {
        let n = self.engines;
        let ar = if self.ar_wait {
            Some(self.ar_last)
        } else {
            req.iter().any(|r| r.ar_valid).then(|| next_after(|e| req[e].ar_valid, self.ar_last, n))
        };
        let any_aw = req.iter().any(|r| r.aw_valid);
        let w = if self.w_busy {
            Some(self.w_owner)
        } else {
            any_aw.then(|| next_after(|e| req[e].aw_valid, self.w_owner, n))
        };
        let (aw_valid, w_valid, w_last) = match w {
            Some(e) => (!self.aw_done && req[e].aw_valid, req[e].w_valid, req[e].w_last),
            None => (false, false, false),
        };
        Picks { ar, w, aw_valid, w_valid, w_last }
    }

    /// Whose read beat this is (the head of the read route).
    pub fn r_owner(&self) -> Option<usize> {
        self.r_route.front().copied()
    }

    /// AW accepted this cycle may go only to the owner, and only once per burst.
    pub fn aw_done(&self) -> bool {
        self.aw_done
    }

    /// The write response the engines see this cycle.
    pub fn b(&self) -> Option<(usize, bool)> {
        self.b_reg
    }

    /// The clock edge. `ar_fire`, `aw_fire`, `w_fire`: the port's handshakes this cycle; `r_last`: a
    /// last read beat was delivered; `b`: the memory's write response this cycle (its error).
    pub fn clock(&mut self, p: &Picks, ar_fire: bool, aw_fire: bool, w_fire: bool, r_last: bool, b: Option<bool>) {
        self.ar_wait = p.ar.is_some() && !ar_fire;
        if let Some(e) = p.ar {
            self.ar_last = e;
        }
        if ar_fire {
            self.r_route.push_back(p.ar.expect("an accepted address has an engine"));
        }
        if r_last {
            self.r_route.pop_front();
        }
        let w_end = (self.aw_done || aw_fire) && w_fire && p.w_last;
        let b_head = self.b_route.front().copied();
        if aw_fire {
            self.b_route.push_back(p.w.expect("an accepted write address has an engine"));
        }
        if w_end {
            self.w_busy = false;
            self.aw_done = false;
        } else if let Some(e) = p.w {
            self.w_busy = true;
            self.w_owner = e;
            self.aw_done = self.aw_done || aw_fire;
        }
        self.b_reg = b.map(|err| (b_head.expect("a response has an owner"), err));
        if b.is_some() {
            self.b_route.pop_front();
        }
    }
}

/// What a fast-forward ([`super::skip`]) needs of the mux.
impl Mux {
    /// Its registers. None when an error response is in its register.
    pub fn signature(&self, out: &mut Vec<u64>) -> Option<()> {
        if self.b_reg.is_some_and(|b| b.1) {
            return None;
        }
        let flags = [self.ar_wait, self.w_busy, self.aw_done, self.b_reg.is_some()];
        out.push(flags.iter().fold(0, |m, &f| m << 1 | u64::from(f)));
        out.extend([self.ar_last, self.w_owner, self.b_reg.map_or(0, |b| b.0)].map(|v| v as u64));
        out.push(self.r_route.len() as u64);
        out.extend(self.r_route.iter().map(|&e| e as u64));
        out.push(self.b_route.len() as u64);
        out.extend(self.b_route.iter().map(|&e| e as u64));
        Some(())
    }
}
