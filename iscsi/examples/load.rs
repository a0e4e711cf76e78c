//! A load from a second process, for `make iscsi-bench`: sessions of the kit's initiator driving READ,
//! WRITE or COMPARE AND WRITE for a few seconds; cloning a range of blocks with EXTENDED COPY or with
//! READ + WRITE; eager-zeroing with WRITE SAME; unmapping a whole thin unit; or an ATS heartbeat storm
//! (VMFS's use of COMPARE AND WRITE). Prints one line of `key=value` results: commands, seconds, IOPS,
//! MB/s, and the bytes this side carried in Data-In and Data-Out PDUs (the host link); the heartbeat adds
//! latency percentiles and fairness, UNMAP-all what it sent (descriptors, the largest's blocks) and the
//! Block Limits it sized its commands by. Seconds carry 6 decimals (a fast UNMAP takes microseconds).
//! A refused command ends the load with its status and sense, never a
//! panic.
//!
//! ```sh
//! cargo run --release -p offload-iscsi --example load -- --portal 127.0.0.1:3260 \
//!     --target iqn.2026-11.org.offload:target --lun 0 --op write --seconds 3 --sessions 4
//! ```
//!
//! Each session is one connection with one command outstanding (the initiator here is synchronous);
//! sessions work on disjoint LBA ranges, so a COMPARE AND WRITE always finds what it compares against
//! (except `--op heartbeat --contend`, where they race for one lock block on purpose).

use std::time::Instant;

use clap::{Parser, ValueEnum};
use hdrhistogram::Histogram;
use offload_iscsi::initiator::{Initiator, LoginOptions, ScsiResult};
use offload_scsi::Fields;
use offload_vectors::cdb;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Op {
    Read,
    Write,
    Caw,
    /// Clone `--clone-bytes` from `--lun` to `--dest-lun` (same LBAs) with EXTENDED COPY.
    CloneXcopy,
    /// The same clone with READ then WRITE through this process.
    CloneRw,
    /// Fill `--clone-bytes` of `--lun` with a pattern by WRITE SAME (no host data beyond one block).
    Fill,
    /// Eager-zero `--clone-bytes` of `--lun`: WRITE SAME (16) of a zero block, UNMAP bit clear, as large
    /// per command as the Block Limits page's MAXIMUM WRITE SAME LENGTH allows.
    EagerZero,
    /// UNMAP every block of `--lun`, as many descriptors and blocks per command as the Block Limits page
    /// allows.
    UnmapAll,
    /// ATS heartbeat: each session reads its own 1-block slot once, then COMPARE AND WRITEs it from the
    /// old to a new counter for `--seconds` (with `--contend`: all race for LBA 0, re-reading on
    /// MISCOMPARE).
    Heartbeat,
}

#[derive(Parser)]
#[command(about = "iSCSI load for make iscsi-bench")]
struct Args {
    #[arg(long, default_value = "127.0.0.1:3260")]
    portal: String,
    #[arg(long)]
    target: String,
    #[arg(long, default_value_t = 0)]
    lun: u16,
    #[arg(long, default_value_t = 1)]
    dest_lun: u16,
    #[arg(long, value_enum)]
    op: Op,
    /// Run time of read, write, caw and heartbeat.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    #[arg(long, default_value_t = 4)]
    sessions: u16,
    /// Read and write: session i addresses LUN `--lun` + i instead of `--lun` (each session's blocks on
    /// an LU of its own).
    #[arg(long)]
    lun_per_session: bool,
    /// Heartbeat: every session contends for one lock block instead of owning a slot.
    #[arg(long)]
    contend: bool,
    /// Blocks per READ or WRITE (COMPARE AND WRITE: always 1, the VMware ATS size).
    #[arg(long, default_value_t = 8)]
    blocks: u16,
    /// Bytes a clone, fill or eager-zero covers.
    #[arg(long, default_value_t = 1 << 30)]
    clone_bytes: u64,
    /// Clone, fill and eager-zero: this many sessions at once, each over its own slice of the range
    /// (hosts cloning or zeroing their own virtual disks on one datastore).
    #[arg(long, default_value_t = 1)]
    parallel: u16,
    /// UNMAP-all: blocks per descriptor at most (0: as many as the Block Limits page and the 32-bit
    /// descriptor field allow).
    #[arg(long, default_value_t = 0)]
    unmap_descriptor_blocks: u32,
    /// Bytes per clone command: the READ and WRITE size, the EXTENDED COPY segment (4 MiB: ESXi's
    /// default XCOPY size, and 8192 blocks of 512 bytes — the default MAXIMUM TRANSFER LENGTH).
    #[arg(long, default_value_t = 4 << 20)]
    chunk_bytes: u64,
    #[arg(long, default_value = "iqn.2026-11.org.offload:bench")]
    initiator: String,
}

mod closed_loop;
use closed_loop::{Clock, Error, fairness, latency_histogram, quantiles_us, record_since};

/// SBC-4 sense key MISCOMPARE: a COMPARE AND WRITE found other data than it compared with.
const MISCOMPARE: u8 = 0x0E;
const UNIT_ATTENTION: u8 = 0x06;

/// What one session did.
#[derive(Clone, Copy, Default)]
struct Tally {
    commands: u64,
    data_in: u64,
    data_out: u64,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.commands += other.commands;
        self.data_in += other.data_in;
        self.data_out += other.data_out;
    }
}

/// The sense key of a CHECK CONDITION (fixed or descriptor format), if there is one.
fn sense_key(r: &ScsiResult) -> Option<u8> {
    if r.status != 2 {
        return None;
    }
    let key = match r.sense.first().map(|b| b & 0x7F) {
        Some(0x72 | 0x73) => r.sense.get(1),
        _ => r.sense.get(2),
    };
    key.map(|k| k & 0x0F)
}

/// The Block Limits VPD page (B0h) fields the bulk loads size their commands by; 0 means "no limit
/// reported" for the lengths.
struct BlockLimits {
    max_unmap_lba_count: u32,
    max_unmap_descriptors: u32,
    max_write_same_blocks: u64,
}

struct Session {
    initiator: Initiator,
    lun: u16,
    tally: Tally,
}

impl Session {
    fn open(args: &Args, index: u16) -> Result<Session, Error> {
        let mut options = LoginOptions::new(&args.initiator, Some(&args.target));
        // One I_T nexus per session, none reinstating another.
        options.isid[4..6].copy_from_slice(&index.to_be_bytes());
        let lun = if args.lun_per_session { args.lun + index } else { args.lun };
        Ok(Session { initiator: Initiator::connect(&args.portal, &options)?, lun, tally: Tally::default() })
    }

    /// Runs a command on `lun` and returns its answer whatever the status, except a UNIT ATTENTION (a
    /// fresh target's power-on report, tgtd's first answer on each I_T nexus), after which the command
    /// runs again. Counts only GOOD answers.
    fn answer(&mut self, lun: u16, cdb: &[u8], data_out: &[u8], read_len: u32) -> Result<ScsiResult, Error> {
        let mut r = self.initiator.command(lun, cdb, data_out, read_len)?;
        for _ in 0..3 {
            if sense_key(&r) != Some(UNIT_ATTENTION) {
                break;
            }
            r = self.initiator.command(lun, cdb, data_out, read_len)?;
        }
        if r.response == 0 && r.status == 0 {
            self.tally.commands += 1;
            self.tally.data_out += data_out.len() as u64;
            self.tally.data_in += r.data_in.len() as u64;
        }
        Ok(r)
    }

    /// Runs a command on `lun`; anything but GOOD is an error naming the command, status and sense.
    fn run(&mut self, lun: u16, cdb: &[u8], data_out: &[u8], read_len: u32) -> Result<Vec<u8>, Error> {
        let r = self.answer(lun, cdb, data_out, read_len)?;
        if r.response != 0 || r.status != 0 {
            return Err(refused(cdb, &r));
        }
        Ok(r.data_in)
    }

    /// Block size and number of blocks of `lun` (READ CAPACITY (16)).
    fn capacity(&mut self) -> Result<(u32, u64), Error> {
        let d = self.run(self.lun, &cdb::read_capacity16(32), &[], 32)?;
        if d.len() < 12 {
            return Err("READ CAPACITY (16) returned fewer than 12 bytes".into());
        }
        Ok((d.be32(8), d.be64(0) + 1))
    }

    fn block_size(&mut self) -> Result<u32, Error> {
        Ok(self.capacity()?.0)
    }

    fn block_limits(&mut self) -> Result<BlockLimits, Error> {
        let page = self.run(self.lun, &cdb::inquiry(true, 0xB0, 64), &[], 64)?;
        if page.len() < 44 {
            return Err(format!("Block Limits VPD page: {} bytes, fewer than 44", page.len()).into());
        }
        Ok(BlockLimits {
            max_unmap_lba_count: page.be32(20),
            max_unmap_descriptors: page.be32(24),
            max_write_same_blocks: page.be64(36),
        })
    }

    /// VPD 83h's NAA designator (type 3, 16 bytes) of `lun`: what an EXTENDED COPY descriptor names.
    fn naa(&mut self, lun: u16) -> Result<Vec<u8>, Error> {
        let page = self.run(lun, &cdb::inquiry(true, 0x83, 256), &[], 256)?;
        let mut at = 4;
        while at + 4 <= page.len() {
            let len = usize::from(page[at + 3]);
            if page[at + 1] & 0x0F == 3 && len == 16 {
                return Ok(page[at + 4..at + 20].to_vec());
            }
            at += 4 + len;
        }
        Err(format!("LUN {lun}: no 16-byte NAA designator in VPD 83h").into())
    }
}

/// The error for a command the target did not answer GOOD.
fn refused(cdb: &[u8], r: &ScsiResult) -> Error {
    format!("command {:02x}: response {}, status {:#04x}, sense {:02x?}", cdb[0], r.response, r.status, r.sense).into()
}

/// Timed load: every session runs `op` until the time is up.
fn timed(args: &Args) -> Result<(Tally, f64), Error> {
    let sessions: Vec<Session> = (0..args.sessions).map(|i| Session::open(args, i)).collect::<Result<_, _>>()?;
    let clock = Clock::new(sessions.len());
    let mut workers = Vec::new();
    for (index, mut s) in sessions.into_iter().enumerate() {
        let (clock, op, blocks) = (clock.clone(), args.op, args.blocks);
        workers.push(std::thread::spawn(move || -> Result<Tally, Error> {
            // Reach the barrier whatever happens, so that a failed session cannot hold the others.
            let prepared = (|| -> Result<_, Error> {
                let bs = s.block_size()? as usize;
                let base = index as u64 * 4096; // each session cycles through 4096 blocks of its own
                let caw = [vec![0u8; bs], vec![1u8; bs]].concat();
                if op == Op::Caw {
                    s.run(s.lun, &cdb::write10(base as u32, 1), &caw[..bs], 0)?;
                }
                Ok((bs, base, caw))
            })();
            clock.start();
            let (bs, base, mut caw) = prepared?;
            s.tally = Tally::default();
            let span = 4096u64;
            let data = vec![0xA5u8; usize::from(blocks) * bs];
            let mut lba = base;
            while clock.running() {
                match op {
                    Op::Read => {
                        drop(s.run(s.lun, &cdb::read10(lba as u32, blocks), &[], (usize::from(blocks) * bs) as u32)?)
                    }
                    Op::Write => drop(s.run(s.lun, &cdb::write10(lba as u32, blocks), &data, 0)?),
                    _ => {
                        // Compare with what the block holds, write the other pattern.
                        s.run(s.lun, &cdb::compare_and_write(base, 1), &caw, 0)?;
                        let (verify, write) = caw.split_at_mut(bs);
                        verify.swap_with_slice(write);
                    }
                }
                lba = base + (lba - base + u64::from(blocks)) % span;
            }
            Ok(s.tally)
        }));
    }
    let (tallies, seconds) = clock.run(workers, args.seconds)?;
    let mut total = Tally::default();
    for t in tallies {
        total.add(t);
    }
    Ok((total, seconds))
}

/// A clone, fill or eager-zero of `clone_bytes` on `--parallel` sessions at once, or an UNMAP of the
/// whole unit on one. (An UNMAP-all also returns what it sent.)
fn bulk(args: &Args) -> Result<(Tally, f64, Option<UnmapShape>), Error> {
    if args.op == Op::UnmapAll {
        let mut s = Session::open(args, 0)?;
        let (_, unit_blocks) = s.capacity()?;
        let (tally, seconds, shape) = unmap_all(&mut s, unit_blocks, args.unmap_descriptor_blocks)?;
        return Ok((tally, seconds, Some(shape)));
    }
    let sessions = args.parallel.max(1);
    let start_line = std::sync::Barrier::new(usize::from(sessions));
    let results: Vec<Result<(Tally, Instant), Error>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..sessions)
            .map(|index| {
                let start_line = &start_line;
                scope.spawn(move || -> Result<(Tally, Instant), Error> {
                    let prepared = Session::open(args, index).and_then(|s| Slice::prepare(args, s, index, sessions));
                    // Reach the start line whatever happens, so that a failed session cannot hold the others.
                    start_line.wait();
                    let began = Instant::now();
                    Ok((prepared?.run(args)?, began))
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap_or_else(|_| Err("a session panicked".into()))).collect()
    });
    let ended = Instant::now();
    let mut total = Tally::default();
    let mut began = ended;
    for result in results {
        let (tally, start) = result?;
        total.add(tally);
        began = began.min(start);
    }
    Ok((total, (ended - began).as_secs_f64(), None))
}

/// One session's slice of a clone, fill or eager-zero: its blocks, and what its commands need.
struct Slice {
    s: Session,
    block_size: u32,
    blocks: std::ops::Range<u64>,
    chunk: u64,
    naa: Option<[Vec<u8>; 2]>,
}

impl Slice {
    /// Session `index` of `sessions`: its contiguous share of the range (the last takes the rest).
    fn prepare(args: &Args, mut s: Session, index: u16, sessions: u16) -> Result<Slice, Error> {
        let (bs32, _) = s.capacity()?;
        let bs = u64::from(bs32);
        let total_blocks = args.clone_bytes / bs;
        let share = total_blocks / u64::from(sessions);
        let first = share * u64::from(index);
        let end = if index + 1 == sessions { total_blocks } else { first + share };
        let mut chunk = (args.chunk_bytes / bs).clamp(1, 65_535);
        if args.op == Op::EagerZero {
            let limit = s.block_limits()?.max_write_same_blocks;
            // No limit reported: the whole range in one command, as far as the CDB's 32-bit count goes.
            chunk = if limit == 0 { total_blocks } else { limit.min(total_blocks) }.clamp(1, u64::from(u32::MAX));
        }
        let naa = if args.op == Op::CloneXcopy { Some([s.naa(args.lun)?, s.naa(args.dest_lun)?]) } else { None };
        s.tally = Tally::default();
        Ok(Slice { s, block_size: bs32, blocks: first..end, chunk, naa })
    }

    fn run(mut self, args: &Args) -> Result<Tally, Error> {
        let (s, bs32, chunk, naa) = (&mut self.s, self.block_size, self.chunk, &self.naa);
        let bs = u64::from(bs32);
        let zero = vec![0u8; bs as usize];
        let pattern = vec![0x5Au8; bs as usize];
        let mut lba = self.blocks.start;
        while lba < self.blocks.end {
            let n = chunk.min(self.blocks.end - lba);
            match (args.op, naa) {
                (Op::CloneXcopy, Some(naa)) => {
                    // LIST ID USAGE 11b: no results held, list ID 0 (as a host's Full Copy sends it).
                    let cscds = [cdb::cscd(&naa[0], bs32), cdb::cscd(&naa[1], bs32)];
                    let list = cdb::copy_list(0, 0b11, &cscds, &[cdb::segment(0, 1, n as u16, lba, lba)]);
                    s.run(args.lun, &cdb::extended_copy(list.len() as u32), &list, 0)?;
                }
                (Op::CloneRw, _) => {
                    let data = s.run(args.lun, &cdb::read16(lba, n as u32), &[], (n * bs) as u32)?;
                    s.run(args.dest_lun, &cdb::write16(lba, n as u32), &data, 0)?;
                }
                // Flags 0: no UNMAP bit, so every block is written (eager-zeroed), not deallocated.
                (Op::EagerZero, _) => drop(s.run(args.lun, &cdb::write_same16(0, lba, n as u32), &zero, 0)?),
                // WRITE SAME (16) of a non-zero block: the whole range holds data afterwards.
                _ => drop(s.run(args.lun, &cdb::write_same16(0, lba, n as u32), &pattern, 0)?),
            }
            lba += n;
        }
        Ok(self.s.tally)
    }
}

/// What an UNMAP-all sent, and the Block Limits it was sized by: printed after the result line's usual
/// fields, so that a report can say exactly what each target was asked to do.
struct UnmapShape {
    descriptors: u64,
    largest_descriptor_blocks: u64,
    max_unmap_lba_count: u32,
    max_unmap_descriptors: u32,
}

impl std::fmt::Display for UnmapShape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "descriptors={} largest_descriptor_blocks={} max_unmap_lba_count={} max_unmap_descriptors={}",
            self.descriptors, self.largest_descriptor_blocks, self.max_unmap_lba_count, self.max_unmap_descriptors
        )
    }
}

/// UNMAP of blocks 0..`unit_blocks`: each command carries as many descriptors (each as long) as the
/// Block Limits page allows, and no more blocks in all than MAXIMUM UNMAP LBA COUNT.
fn unmap_all(s: &mut Session, unit_blocks: u64, descriptor_blocks: u32) -> Result<(Tally, f64, UnmapShape), Error> {
    let limits = s.block_limits()?;
    if limits.max_unmap_lba_count == 0 || limits.max_unmap_descriptors == 0 {
        return Err("the Block Limits page reports no UNMAP (MAXIMUM UNMAP LBA COUNT or DESCRIPTOR COUNT 0)".into());
    }
    // FFFFFFFFh: no limit; a descriptor still counts at most 2^32-1 blocks, and the parameter list length
    // (16 bits) holds at most 4095 descriptors.
    let per_command = u64::from(limits.max_unmap_lba_count);
    let descriptors = limits.max_unmap_descriptors.min(4095) as usize;
    let descriptor_blocks = if descriptor_blocks == 0 { u32::MAX } else { descriptor_blocks };
    let mut shape = UnmapShape {
        descriptors: 0,
        largest_descriptor_blocks: 0,
        max_unmap_lba_count: limits.max_unmap_lba_count,
        max_unmap_descriptors: limits.max_unmap_descriptors,
    };
    s.tally = Tally::default();
    let began = Instant::now();
    let mut lba = 0;
    while lba < unit_blocks {
        let mut ranges = Vec::new();
        let mut in_command = 0u64;
        while lba < unit_blocks && ranges.len() < descriptors && in_command < per_command {
            let n = (unit_blocks - lba).min(per_command - in_command).min(u64::from(descriptor_blocks));
            ranges.push((lba, n as u32));
            shape.descriptors += 1;
            shape.largest_descriptor_blocks = shape.largest_descriptor_blocks.max(n);
            in_command += n;
            lba += n;
        }
        let list = cdb::unmap_list(&ranges);
        s.run(s.lun, &cdb::unmap(false, list.len() as u16), &list, 0)?;
    }
    Ok((s.tally, began.elapsed().as_secs_f64(), shape))
}

/// What one heartbeat session did: CAWs that succeeded, MISCOMPAREs, and each CAW's latency.
struct Beats {
    tally: Tally,
    successes: u64,
    miscompares: u64,
    latency_ns: Histogram<u64>,
}

/// The block a heartbeat writes: who wrote it, and a counter that changes with every write.
fn beat(bs: usize, session: u16, counter: u64) -> Vec<u8> {
    let mut b = vec![0u8; bs];
    b[..2].copy_from_slice(&session.to_be_bytes());
    b[8..16].copy_from_slice(&counter.to_be_bytes());
    b
}

/// The ATS heartbeat storm. Sessions that cannot log in are counted and the storm runs with the rest.
fn heartbeat(args: &Args) -> Result<(), Error> {
    let mut sessions = Vec::new();
    let mut refused = 0u32;
    let mut first_refusal = None;
    for i in 0..args.sessions {
        match Session::open(args, i) {
            Ok(s) => sessions.push(s),
            Err(e) => {
                refused += 1;
                first_refusal.get_or_insert_with(|| e.to_string());
            }
        }
    }
    if sessions.is_empty() {
        return Err(format!("no session logged in: {}", first_refusal.unwrap_or_default()).into());
    }
    let clock = Clock::new(sessions.len());
    let contend = args.contend;
    let mut workers = Vec::new();
    for (index, mut s) in sessions.into_iter().enumerate() {
        let clock = clock.clone();
        let id = index as u16;
        workers.push(std::thread::spawn(move || -> Result<Beats, Error> {
            let slot = if contend { 0 } else { u64::from(id) };
            // VMFS reads its slot (or the lock) once; every later CAW compares with what it last wrote.
            let prepared = (|| -> Result<_, Error> {
                let bs = s.block_size()? as usize;
                let old = s.run(s.lun, &cdb::read16(slot, 1), &[], bs as u32)?;
                Ok((bs, old))
            })();
            clock.start();
            let (bs, mut old) = prepared?;
            s.tally = Tally::default();
            let mut beats =
                Beats { tally: Tally::default(), successes: 0, miscompares: 0, latency_ns: latency_histogram()? };
            let mut counter = 0u64;
            let caw = cdb::compare_and_write(slot, 1);
            while clock.running() {
                counter += 1;
                let new = beat(bs, id, counter);
                let data = [old.as_slice(), new.as_slice()].concat();
                let sent = Instant::now();
                let r = s.answer(s.lun, &caw, &data, 0)?;
                record_since(&mut beats.latency_ns, sent);
                if r.response == 0 && r.status == 0 {
                    beats.successes += 1;
                    old = new;
                } else if contend && sense_key(&r) == Some(MISCOMPARE) {
                    // Another host holds the lock now: read what it wrote, and try again with that.
                    beats.miscompares += 1;
                    old = s.run(s.lun, &cdb::read16(slot, 1), &[], bs as u32)?;
                } else {
                    return Err(refused_caw(&r));
                }
            }
            beats.tally = s.tally;
            Ok(beats)
        }));
    }
    let (all, seconds) = clock.run(workers, args.seconds)?;
    let mut latency = latency_histogram()?;
    let mut tally = Tally::default();
    for b in &all {
        latency.add(&b.latency_ns)?;
        tally.add(b.tally);
    }
    let successes: u64 = all.iter().map(|b| b.successes).sum();
    let miscompares: u64 = all.iter().map(|b| b.miscompares).sum();
    let (p50_us, p99_us, max_us) = quantiles_us(&latency);
    println!(
        "op=Heartbeat contend={} sessions={} refused={} commands={} seconds={:.6} caw_per_s={:.0} successes={} \
         miscompares={} p50_us={:.1} p99_us={:.1} max_us={:.1} fairness={:.2} data_in={} data_out={}{}",
        contend,
        all.len(),
        refused,
        tally.commands,
        seconds,
        successes as f64 / seconds,
        successes,
        miscompares,
        p50_us,
        p99_us,
        max_us,
        fairness(&all.iter().map(|b| b.successes).collect::<Vec<_>>()),
        tally.data_in,
        tally.data_out,
        first_refusal.map(|e| format!(" first_refusal=\"{e}\"")).unwrap_or_default(),
    );
    Ok(())
}

/// A heartbeat CAW answered neither GOOD nor (when contending) MISCOMPARE.
fn refused_caw(r: &ScsiResult) -> Error {
    refused(&cdb::compare_and_write(0, 1), r)
}

fn main() -> Result<(), Error> {
    let args = Args::parse();
    if args.op == Op::Heartbeat {
        return heartbeat(&args);
    }
    let (tally, seconds, unmap) = match args.op {
        Op::Read | Op::Write | Op::Caw => {
            let (tally, seconds) = timed(&args)?;
            (tally, seconds, None)
        }
        _ => bulk(&args)?,
    };
    let moved = tally.data_in + tally.data_out;
    println!(
        "op={:?} sessions={} commands={} seconds={:.6} iops={:.0} mb_per_s={:.1} data_in={} data_out={}{}",
        args.op,
        match args.op {
            Op::Read | Op::Write | Op::Caw => args.sessions,
            Op::UnmapAll => 1,
            _ => args.parallel.max(1),
        },
        tally.commands,
        seconds,
        tally.commands as f64 / seconds,
        moved as f64 / seconds / 1e6,
        tally.data_in,
        tally.data_out,
        unmap.map(|u| format!(" {u}")).unwrap_or_default(),
    );
    Ok(())
}
