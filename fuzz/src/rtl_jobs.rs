//! The `engine_jobs_rtl` target: engine job sequences on the RTL (Verilated, through `offload-cosim`) and
//! on the model, several queues at once, with a random-latency memory; the co-simulation's scoreboard
//! compares every completion, the commit (lock grant) order and the memory at the end.
//!
//! Input layout (read with [`arbitrary::Unstructured`]):
//!
//! ```text
//! queues            1 + b % QUEUES
//! read latency      lo = 1 + b % 64, then hi = lo + b % 32 (cycles, drawn per burst)
//! write latency     lo = 1 + b % 64, then hi = lo + b % 32 (long enough for a write error to come back
//!                   after the engine has moved on to the next block)
//! backpressure      b % 40 (% of cycles each ready drops and each response is held back)
//! seed              u8: the initial memory (cosim's random units) and the slave's generator
//! then per job (at most MAX_JOBS, until the input ends):
//!   queue           b % queues
//!   op              b % 7: copy, zero, pattern, deallocate, anchor, compare-and-write, compare
//!   size            bit 7: 4096-byte blocks; bits 6-0 % (longest + 1): blocks (0 allowed)
//!   destination     unit byte, LBA byte (bit 7 of the unit byte: count back from the unit's end)
//!   source          unit byte, LBA byte (copy and pattern)
//!   compare         compare-and-write and compare: 0 the destination's current data, else that byte
//!                   XORed in at a position chosen by the next byte
//! ```
//!
//! Units and sizes stay inside the contract: source and destination units have the job's block size.
//! Cycle counts are not compared (multi-queue contention and random latency move them; cosim's own
//! regression holds the timing), only function.

use arbitrary::Unstructured;
use offload_cosim::memory::Latency;
use offload_cosim::rtl::QUEUES;
use offload_cosim::{Harness, HarnessConfig, SlaveConfig, Variant};
use offload_model::address::{buffer_address, unit_address};
use offload_model::engine::{Job, JobOp};
use offload_model::media::Memory;
use offload_model::timing::TimingParams;

/// Jobs per input: enough for queues to contend, few enough for a few hundred inputs a second.
pub const MAX_JOBS: usize = 16;
/// Longest job in blocks, per block size (as cosim's random regression).
const MAX_BLOCKS_512: u32 = 24;
const MAX_BLOCKS_4096: u32 = 4;
/// Blocks from a unit's start that jobs aim at (where cosim's initial memory holds data).
const WINDOW_512: u64 = 192;
const WINDOW_4096: u64 = 48;

/// Indexed by an input byte modulo their count: in code order, so a seed's byte is the op's code.
const OPS: [JobOp; 7] = JobOp::ALL;

/// One decoded job: its queue, the job, and how its compare data differs from the destination.
struct Planned {
    queue: u8,
    job: Job,
    /// (XOR value, position) applied to compare data taken from the destination.
    compare_flip: Option<(u8, u8)>,
}

fn byte(u: &mut Unstructured<'_>) -> u8 {
    u.arbitrary().unwrap_or(0)
}

/// An address of a unit of `block_size` chosen by two input bytes.
fn address(u: &mut Unstructured<'_>, memory: &Memory, block_size: u32, blocks: u32) -> u64 {
    let units: Vec<u16> =
        (0..memory.units.len() as u16).filter(|&i| memory.units[usize::from(i)].block_size() == block_size).collect();
    let (pick, lba) = (byte(u), u64::from(byte(u)));
    let Some(&unit) = units.get(usize::from(pick & 0x7F) % units.len().max(1)) else { return 0 };
    let capacity = memory.units[usize::from(unit)].blocks();
    let window = if block_size == 512 { WINDOW_512 } else { WINDOW_4096 }.min(capacity);
    let lba = if pick & 0x80 != 0 {
        // Near the end: the job may run past it.
        capacity - 1 - lba % u64::from(blocks.max(1))
    } else {
        lba % window
    };
    unit_address(unit, lba, block_size)
}

fn job(u: &mut Unstructured<'_>, memory: &Memory, queues: u8, tag: u16) -> Planned {
    let queue = byte(u) % queues;
    let op = OPS[usize::from(byte(u)) % OPS.len()];
    let size = byte(u);
    let (shift, longest) = if size & 0x80 != 0 { (12u8, MAX_BLOCKS_4096) } else { (9, MAX_BLOCKS_512) };
    let blocks = u32::from(size & 0x7F) % (longest + 1);
    let dst = address(u, memory, 1 << shift, blocks);
    let mut job = Job { tag, op, src: 0, dst, blocks, block_shift: shift };
    let mut compare_flip = None;
    match op {
        JobOp::Copy | JobOp::Pattern => job.src = address(u, memory, 1 << shift, blocks),
        JobOp::CompareAndWrite | JobOp::Compare => {
            job.src = buffer_address(u16::from(queue), 0);
            let flip = byte(u);
            compare_flip = (flip != 0).then(|| (flip, byte(u)));
        }
        JobOp::Zero | JobOp::Deallocate | JobOp::Anchor => {}
    }
    Planned { queue, job, compare_flip }
}

/// Compare data (the destination as it is now, perhaps with one byte changed) then write data (which a
/// compare does not read).
fn compare_and_write_buffer(planned: &Planned, memory: &Memory) -> Vec<u8> {
    let job = &planned.job;
    let (bs, bytes) = (job.block_bytes() as usize, job.bytes() as usize);
    let mut data = vec![0u8; 2 * bytes];
    for (i, block) in data[..bytes].chunks_exact_mut(bs).enumerate() {
        // Unreadable blocks compare against zeros; the job itself reports the fault.
        let _ = memory.read(job.dst + (i * bs) as u64, block);
    }
    if let Some((flip, at)) = planned.compare_flip
        && bytes > 0
    {
        data[usize::from(at) * bytes / 256] ^= flip;
    }
    for (i, b) in data[bytes..].iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(31) ^ job.tag as u8;
    }
    data
}

/// Runs one input; a disagreement between the RTL and the model is the error.
///
/// In a fuzzing build the RTL's line coverage of the run also reaches libFuzzer (`offload-cosim`'s
/// `coverage` feature): inputs that take new branches of the RTL join the corpus.
pub fn engine_jobs_rtl(data: &[u8]) -> Result<(), offload_cosim::Mismatch> {
    run(data).0
}

/// [`engine_jobs_rtl`], and how often the run took each branch and block of the RTL
/// ([`offload_cosim::rtl::write_coverage`] turns sums of these into a report).
pub fn engine_jobs_rtl_with_coverage(data: &[u8]) -> (Result<(), offload_cosim::Mismatch>, Vec<u32>) {
    let (result, harness) = run(data);
    (result, harness.rtl_coverage())
}

fn run(data: &[u8]) -> (Result<(), offload_cosim::Mismatch>, Harness) {
    let mut u = Unstructured::new(data);
    let queues = 1 + byte(&mut u) % QUEUES;
    let read_lo = 1 + u32::from(byte(&mut u) % 64);
    let read = Latency::Uniform(read_lo, read_lo + u32::from(byte(&mut u) % 32));
    let write_lo = 1 + u32::from(byte(&mut u) % 64);
    let write = Latency::Uniform(write_lo, write_lo + u32::from(byte(&mut u) % 32));
    let backpressure_pct = byte(&mut u) % 40;
    let seed = u64::from(byte(&mut u));

    let memory = offload_cosim::stimulus::memory(seed);
    let mut jobs: Vec<Vec<Planned>> = (0..queues).map(|_| Vec::new()).collect();
    for tag in 1..=MAX_JOBS as u16 {
        if u.is_empty() {
            break;
        }
        let planned = job(&mut u, &memory, queues, tag);
        jobs[usize::from(planned.queue)].push(planned);
    }
    jobs.iter_mut().for_each(|q| q.reverse());

    let timing = TimingParams { queues: queues.into(), ..TimingParams::default() };
    let slave = SlaveConfig { read_latency: read, write_latency: write, backpressure_pct, seed };
    let config = HarnessConfig { variant: Variant::Reference, slave, timing, cycle_tolerance_pct: None, trace: None };
    let mut h = Harness::new(config, memory).expect("a valid harness configuration");
    let result = drive(&mut h, jobs, queues);
    (result, h)
}

/// Offers each queue's jobs in order as the queue frees up, then runs the RTL until it is idle.
fn drive(h: &mut Harness, mut jobs: Vec<Vec<Planned>>, queues: u8) -> Result<(), offload_cosim::Mismatch> {
    while jobs.iter().any(|q| !q.is_empty()) {
        for q in 0..queues {
            if !h.queue_free(q) {
                continue;
            }
            let Some(planned) = jobs[usize::from(q)].pop() else { continue };
            if matches!(planned.job.op, JobOp::CompareAndWrite | JobOp::Compare) {
                let buffer = compare_and_write_buffer(&planned, h.memory());
                h.set_buffer(u16::from(q), buffer);
            }
            h.submit(q, planned.job).expect("the queue exists");
        }
        h.step()?;
    }
    h.finish()
}
