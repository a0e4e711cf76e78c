//! The memory slave behind the RTL's AXI4 master, serving every burst from the same storage type the
//! model uses ([`offload_model::media::Memory`]: sparse logical units and staging buffers).
//!
//! # Timing
//! - Fixed ([`Latency::Fixed`], no backpressure) is what the model's timing equations assume, cycle for
//!   cycle as `rtl/tb/offload_tb_mem.sv`: a read burst whose address is accepted in cycle `a` has its
//!   first beat valid in cycle `a + read_latency`, the rest back to back, bursts in order; a write burst
//!   whose last beat is accepted in cycle `w` has its response valid in cycle `w + write_latency`.
//!   AR, AW and W are ready from the second cycle after reset on.
//! - Random ([`Latency::Uniform`]) draws each burst's latency from a range, and with
//!   `backpressure_pct > 0` every ready (AR, AW, W) drops, and every new R beat or B response is held
//!   back, in that share of cycles, from a seeded generator.
//!
//! # Errors
//! A beat whose block the storage cannot access answers SLVERR (a unit's bad block, or a block past its
//! end); an address in no unit or buffer answers DECERR. A failing write burst stores nothing. Bad
//! blocks are configured on the units (`UnitConfig::bad_blocks`), so the model sees the same faults.
//!
//! # Checks
//! Burst shape (length, size, INCR), 4 KiB crossings, WLAST on the last beat only, AR/AW/W held stable
//! until ready, and zero data on a deallocate or anchor write: a violation is a [`ProtocolError`].
//! A W beat is taken with its burst's address or after it, never before: WREADY depends on AWVALID in
//! the cycle the address is offered ([`MemorySlave::wready_with`]), as in the SystemVerilog bench.

use std::collections::VecDeque;

use offload_model::address::{Region, decode};
use offload_model::media::{Memory, WriteHint};
use offload_model::timing::port::Draws;
pub use offload_model::timing::port::{Latency, MemoryTiming};

use crate::rtl::{DATA_BYTES, Inputs, Outputs};

/// Beats per burst the RTL is built with.
pub const BURST_BEATS: u32 = 16;
const BURST_BYTES: u64 = (BURST_BEATS * DATA_BYTES) as u64;

/// AXI responses.
const OKAY: u8 = 0;
const SLVERR: u8 = 2;
const DECERR: u8 = 3;

/// A latency in cycles: one value, or drawn per burst from `lo..=hi`.
/// The slave's timing is the model's memory timing ([`MemoryTiming`]), its draws the model's too: the
/// shared-port model ([`offload_model::timing::port`]) given the same configuration draws the same
/// latencies and stalls in the same order.
pub type SlaveConfig = MemoryTiming;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("AXI protocol: {0}")]
pub struct ProtocolError(pub String);

struct ReadBurst {
    addr: u64,
    due: u64,
    /// Fetched when the first beat goes out: the data and response of every beat.
    beats: Option<Vec<(u64, u8)>>,
}

struct WriteAddress {
    addr: u64,
    user: u8,
    accepted: u64,
}

struct WriteData {
    beats: Vec<(u64, u8)>,
    last_at: u64,
}

/// The AXI4 slave: queues of accepted addresses and data, and its registered outputs.
pub struct MemorySlave {
    config: SlaveConfig,
    draws: Draws,
    cycle: u64,
    reads: VecDeque<ReadBurst>,
    r_beat: usize,
    addresses: VecDeque<WriteAddress>,
    data: VecDeque<WriteData>,
    open_burst: Vec<(u64, u8)>,
    responses: VecDeque<(u64, u8)>,
    /// Registered outputs for the current cycle.
    arready: bool,
    awready: bool,
    w_ok: bool,
    aw_pending: bool,
    r: Option<(u64, u8, bool)>,
    b: Option<u8>,
    /// The previous cycle's unaccepted offers, for the stability checks.
    ar_wait: Option<u64>,
    aw_wait: Option<u64>,
    w_wait: Option<u64>,
    /// Beats moved, for throughput figures.
    pub read_beats: u64,
    pub write_beats: u64,
}

impl MemorySlave {
    pub fn new(config: SlaveConfig) -> Self {
        let draws = config.draws();
        MemorySlave {
            config,
            draws,
            cycle: 0,
            reads: VecDeque::new(),
            r_beat: 0,
            addresses: VecDeque::new(),
            data: VecDeque::new(),
            open_burst: Vec::new(),
            responses: VecDeque::new(),
            arready: false,
            awready: false,
            w_ok: false,
            aw_pending: false,
            r: None,
            b: None,
            ar_wait: None,
            aw_wait: None,
            w_wait: None,
            read_beats: 0,
            write_beats: 0,
        }
    }

    pub fn config(&self) -> &SlaveConfig {
        &self.config
    }

    /// Nothing accepted and unanswered.
    pub fn quiet(&self) -> bool {
        self.reads.is_empty()
            && self.addresses.is_empty()
            && self.data.is_empty()
            && self.open_burst.is_empty()
            && self.responses.is_empty()
    }

    /// The slave's outputs for this cycle.
    pub fn drive(&self, inputs: &mut Inputs) {
        inputs.arready = self.arready.into();
        inputs.awready = self.awready.into();
        inputs.wready = (self.w_ok && self.aw_pending).into();
        let (rdata, rresp, rlast) = self.r.unwrap_or((0, 0, false));
        inputs.rvalid = self.r.is_some().into();
        inputs.rdata = rdata;
        inputs.rresp = rresp;
        inputs.rlast = rlast.into();
        inputs.bvalid = self.b.is_some().into();
        inputs.bresp = self.b.unwrap_or(0);
    }

    /// WREADY once the master's AWVALID is known: a beat goes with its address or after it.
    pub fn wready_with(&self, awvalid: bool) -> bool {
        self.w_ok && (self.aw_pending || (awvalid && self.awready))
    }

    /// The rising edge: takes this cycle's handshakes (`out` are the master's settled outputs, `inp` the
    /// slave's) and registers the next cycle's outputs.
    pub fn clock(&mut self, out: &Outputs, inp: &Inputs, memory: &mut Memory) -> Result<(), ProtocolError> {
        self.cycle += 1;
        let now = self.cycle - 1; // the cycle whose handshakes these are
        self.check_stable(out, inp)?;
        if out.arvalid != 0 && inp.arready != 0 {
            check_shape(out.araddr, out.arlen, out.arsize, out.arburst, "AR")?;
            let due = now + self.draws.read_latency();
            self.reads.push_back(ReadBurst { addr: out.araddr, due, beats: None });
        }
        if inp.rvalid != 0 && out.rready != 0 {
            self.read_beats += 1;
            self.r_beat += 1;
            if self.r_beat == BURST_BEATS as usize {
                self.r_beat = 0;
                self.reads.pop_front();
            }
            self.r = None;
        }
        if out.awvalid != 0 && inp.awready != 0 {
            check_shape(out.awaddr, out.awlen, out.awsize, out.awburst, "AW")?;
            self.addresses.push_back(WriteAddress { addr: out.awaddr, user: out.awuser, accepted: now });
        }
        if out.wvalid != 0 && inp.wready != 0 {
            self.write_beats += 1;
            self.open_burst.push((out.wdata, out.wstrb));
            let last = self.open_burst.len() == BURST_BEATS as usize;
            if (out.wlast != 0) != last {
                return Err(ProtocolError(format!("WLAST {} on beat {}", out.wlast, self.open_burst.len())));
            }
            if last {
                self.data.push_back(WriteData { beats: std::mem::take(&mut self.open_burst), last_at: now });
            }
        }
        while !self.addresses.is_empty() && !self.data.is_empty() {
            let (a, d) = (self.addresses.pop_front().expect("address"), self.data.pop_front().expect("data"));
            let resp = write_burst(memory, &a, &d)?;
            let due = a.accepted.max(d.last_at) + self.draws.write_latency();
            self.responses.push_back((due, resp));
        }
        if inp.bvalid != 0 && out.bready != 0 {
            self.responses.pop_front();
            self.b = None;
        }

        // Outputs for the cycle that starts now.
        self.arready = self.draws.open();
        self.awready = self.draws.open();
        self.w_ok = self.draws.open();
        self.aw_pending = !self.addresses.is_empty();
        if self.r.is_none()
            && let Some(head) = self.reads.front_mut()
            && head.due <= self.cycle
            && self.draws.open()
        {
            let beats = head.beats.get_or_insert_with(|| read_burst(memory, head.addr));
            let (data, resp) = beats[self.r_beat];
            self.r = Some((data, resp, self.r_beat + 1 == BURST_BEATS as usize));
        }
        if self.b.is_none()
            && let Some(&(due, resp)) = self.responses.front()
            && due <= self.cycle
            && self.draws.open()
        {
            self.b = Some(resp);
        }
        Ok(())
    }

    /// Forgets everything in flight (the memory system shares the block's reset).
    pub fn reset(&mut self) {
        let config = self.config.clone();
        let (r, w) = (self.read_beats, self.write_beats);
        *self = MemorySlave::new(config);
        (self.read_beats, self.write_beats) = (r, w);
    }

    fn check_stable(&mut self, out: &Outputs, inp: &Inputs) -> Result<(), ProtocolError> {
        let held = |wait: Option<u64>, valid: u8, value: u64| wait.is_none_or(|v| valid != 0 && v == value);
        if !held(self.ar_wait, out.arvalid, out.araddr) {
            return Err(ProtocolError("ARVALID or ARADDR changed before ARREADY".into()));
        }
        if !held(self.aw_wait, out.awvalid, out.awaddr) {
            return Err(ProtocolError("AWVALID or AWADDR changed before AWREADY".into()));
        }
        if !held(self.w_wait, out.wvalid, out.wdata) {
            return Err(ProtocolError("WVALID or WDATA changed before WREADY".into()));
        }
        self.ar_wait = (out.arvalid != 0 && inp.arready == 0).then_some(out.araddr);
        self.aw_wait = (out.awvalid != 0 && inp.awready == 0).then_some(out.awaddr);
        self.w_wait = (out.wvalid != 0 && inp.wready == 0).then_some(out.wdata);
        Ok(())
    }
}

fn check_shape(addr: u64, len: u8, size: u8, burst: u8, channel: &str) -> Result<(), ProtocolError> {
    if u32::from(len) + 1 != BURST_BEATS || 1u32 << size != DATA_BYTES || burst != 1 {
        return Err(ProtocolError(format!("{channel} burst shape: len {len} size {size} burst {burst} at {addr:#x}")));
    }
    if !addr.is_multiple_of(u64::from(DATA_BYTES)) {
        return Err(ProtocolError(format!("{channel} address {addr:#x} not aligned to the bus")));
    }
    if (addr & 0xFFF) + BURST_BYTES > 0x1000 {
        return Err(ProtocolError(format!("{channel} burst at {addr:#x} crosses 4 KiB")));
    }
    Ok(())
}

/// Where a beat lands: a unit's block (unit, lba, offset in the block) or a staging buffer.
enum Place {
    Block { unit: usize, lba: u64, at: usize, size: usize },
    Buffer,
    Nowhere,
}

fn place(memory: &Memory, addr: u64) -> Place {
    match decode(addr) {
        Region::Unit { unit, offset } => match memory.units.get(usize::from(unit)) {
            Some(store) => {
                let bs = u64::from(store.block_size());
                Place::Block {
                    unit: usize::from(unit),
                    lba: offset / bs,
                    at: (offset % bs) as usize,
                    size: bs as usize,
                }
            }
            None => Place::Nowhere,
        },
        Region::Buffer { slot, offset } => match memory.buffer(slot) {
            Some(b) if offset + u64::from(DATA_BYTES) <= b.len() as u64 => Place::Buffer,
            _ => Place::Nowhere,
        },
    }
}

/// Every beat of the read burst at `addr`, with its response.
fn read_burst(memory: &Memory, addr: u64) -> Vec<(u64, u8)> {
    let mut block: Vec<u8> = Vec::new();
    let mut cached: Option<(usize, u64, bool)> = None;
    (0..u64::from(BURST_BEATS))
        .map(|i| {
            let a = addr + i * u64::from(DATA_BYTES);
            let mut word = [0u8; DATA_BYTES as usize];
            match place(memory, a) {
                Place::Block { unit, lba, at, size } => {
                    if cached.is_none_or(|(u, l, _)| (u, l) != (unit, lba)) {
                        block.resize(size, 0);
                        let ok = memory.units[unit].read_block(lba, &mut block).is_ok();
                        cached = Some((unit, lba, ok));
                    }
                    if cached.is_some_and(|(_, _, ok)| ok) {
                        word.copy_from_slice(&block[at..at + DATA_BYTES as usize]);
                        (u64::from_le_bytes(word), OKAY)
                    } else {
                        (0xDEAD_BEEF_DEAD_BEEF, SLVERR)
                    }
                }
                Place::Buffer => {
                    memory.read(a, &mut word).expect("a buffer read within the buffer");
                    (u64::from_le_bytes(word), OKAY)
                }
                Place::Nowhere => (0xDEAD_BEEF_DEAD_BEEF, DECERR),
            }
        })
        .collect()
}

/// Stores a write burst; a burst whose every strobe is off changes nothing. Returns the response.
fn write_burst(memory: &mut Memory, a: &WriteAddress, d: &WriteData) -> Result<u8, ProtocolError> {
    let hint = match a.user {
        0 => WriteHint::Data,
        1 => WriteHint::Deallocate,
        2 => WriteHint::Anchor,
        u => return Err(ProtocolError(format!("AWUSER {u} at {:#x}", a.addr))),
    };
    if hint != WriteHint::Data && d.beats.iter().any(|&(data, strb)| strb != 0 && data != 0) {
        return Err(ProtocolError(format!("deallocate or anchor write with non-zero data at {:#x}", a.addr)));
    }
    // Check every beat first: a failing burst stores nothing.
    let mut resp = OKAY;
    for i in 0..d.beats.len() as u64 {
        let at = a.addr + i * u64::from(DATA_BYTES);
        resp = resp.max(match place(memory, at) {
            Place::Block { unit, lba, .. } => {
                let store = &memory.units[unit];
                let mut probe = vec![0u8; store.block_size() as usize];
                if store.read_block(lba, &mut probe).is_ok() { OKAY } else { SLVERR }
            }
            Place::Buffer => OKAY,
            Place::Nowhere => DECERR,
        });
    }
    if resp != OKAY || d.beats.iter().all(|&(_, strb)| strb == 0) {
        return Ok(resp);
    }
    let mut block: Vec<u8> = Vec::new();
    let mut open: Option<(usize, u64)> = None;
    let flush = |memory: &mut Memory, open: Option<(usize, u64)>, block: &[u8]| {
        if let Some((unit, lba)) = open {
            memory.units[unit].write_block(lba, block, hint).expect("checked accessible");
        }
    };
    for (i, &(data, strb)) in d.beats.iter().enumerate() {
        let at = a.addr + i as u64 * u64::from(DATA_BYTES);
        let bytes = data.to_le_bytes();
        match place(memory, at) {
            Place::Block { unit, lba, at: off, size } => {
                if open != Some((unit, lba)) {
                    flush(memory, open, &block);
                    block.resize(size, 0);
                    memory.units[unit].read_block(lba, &mut block).expect("checked accessible");
                    open = Some((unit, lba));
                }
                for (k, byte) in bytes.iter().enumerate() {
                    if strb >> k & 1 != 0 {
                        block[off + k] = *byte;
                    }
                }
            }
            Place::Buffer => {
                let mut word = [0u8; DATA_BYTES as usize];
                memory.read(at, &mut word).expect("a buffer read within the buffer");
                for (k, byte) in bytes.iter().enumerate() {
                    if strb >> k & 1 != 0 {
                        word[k] = *byte;
                    }
                }
                memory.write(at, &word, WriteHint::Data).expect("a buffer write within the buffer");
            }
            Place::Nowhere => unreachable!("checked above"),
        }
    }
    flush(memory, open, &block);
    Ok(OKAY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use offload_model::config::UnitConfig;
    use offload_model::media::UnitStore;

    /// One 512-byte-block unit; block 0 holds bytes 0, 1, 2, …; block 2 is bad.
    fn memory() -> Memory {
        let cfg = UnitConfig { blocks: 8, block_size: 512, bad_blocks: [2].into(), ..UnitConfig::default() };
        let mut unit = UnitStore::new(&cfg);
        unit.load_block(0, &(0..512).map(|i| i as u8).collect::<Vec<_>>());
        Memory::new(vec![unit])
    }

    /// Offers a read burst at `addr` until taken; returns the cycle it was taken, the cycle of its first
    /// beat, and every beat.
    fn read(slave: &mut MemorySlave, memory: &mut Memory, addr: u64) -> (u64, u64, Vec<(u64, u8)>) {
        let mut out =
            Outputs { arvalid: 1, araddr: addr, arlen: 15, arsize: 3, arburst: 1, rready: 1, ..Outputs::default() };
        let (mut taken, mut first, mut beats) = (None, None, Vec::new());
        for cycle in 0..200 {
            let mut inp = Inputs::default();
            slave.drive(&mut inp);
            if inp.arready != 0 && out.arvalid != 0 {
                taken = Some(cycle);
            }
            if inp.rvalid != 0 {
                first.get_or_insert(cycle);
                beats.push((inp.rdata, inp.rresp));
            }
            slave.clock(&out, &inp, memory).expect("a well-formed burst");
            if taken.is_some() {
                out.arvalid = 0;
            }
            if beats.len() == BURST_BEATS as usize {
                break;
            }
        }
        (taken.expect("taken"), first.expect("answered"), beats)
    }

    #[test]
    fn a_read_burst_answers_after_the_fixed_latency_from_the_units_storage() {
        let mut m = memory();
        let mut slave = MemorySlave::new(SlaveConfig::fixed(5, 3));
        let (taken, first, beats) = read(&mut slave, &mut m, 128);
        assert_eq!(first - taken, 5, "first beat read_latency cycles after the address");
        // Bytes 128.. of block 0, little-endian words.
        let want: Vec<(u64, u8)> = (0..16u64)
            .map(|k| (u64::from_le_bytes(std::array::from_fn(|i| (128 + 8 * k + i as u64) as u8)), OKAY))
            .collect();
        assert_eq!(beats, want);
    }

    #[test]
    fn a_bad_block_answers_slverr_and_an_unmapped_address_decerr() {
        let mut m = memory();
        let mut slave = MemorySlave::new(SlaveConfig::fixed(2, 2));
        let (_, _, beats) = read(&mut slave, &mut m, 2 * 512);
        assert!(beats.iter().all(|&(_, resp)| resp == SLVERR));
        let (_, _, beats) = read(&mut slave, &mut m, 1 << 48);
        assert!(beats.iter().all(|&(_, resp)| resp == DECERR));
    }

    #[test]
    fn a_malformed_burst_is_a_protocol_error() {
        let mut m = memory();
        let mut slave = MemorySlave::new(SlaveConfig::fixed(2, 2));
        let out = Outputs { arvalid: 1, araddr: 0, arlen: 7, arsize: 3, arburst: 1, ..Outputs::default() };
        let mut inp = Inputs::default();
        slave.clock(&Outputs::default(), &inp, &mut m).unwrap();
        slave.drive(&mut inp);
        assert!(slave.clock(&out, &inp, &mut m).is_err(), "an 8-beat burst");
    }
}
