//! A load from a second process, for `make iscsi-bench`: sessions of the kit's initiator driving READ,
//! WRITE or COMPARE AND WRITE for a few seconds, or cloning a range of blocks with EXTENDED COPY or with
//! READ + WRITE. Prints one line of `key=value` results: commands, seconds, IOPS, MB/s, and the bytes
//! this side carried in Data-In and Data-Out PDUs (the host link).
//!
//! ```sh
//! cargo run --release -p offload-iscsi --example load -- --portal 127.0.0.1:3260 \
//!     --target iqn.2026-11.org.offload:target --lun 0 --op write --seconds 3 --sessions 4
//! ```
//!
//! Each session is one connection with one command outstanding (the initiator here is synchronous);
//! sessions work on disjoint LBA ranges, so a COMPARE AND WRITE always finds what it compares against.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use offload_iscsi::initiator::{Initiator, LoginOptions};
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
    /// Run time of read, write and caw.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    #[arg(long, default_value_t = 4)]
    sessions: u8,
    /// Blocks per READ or WRITE (COMPARE AND WRITE: always 1, the VMware ATS size).
    #[arg(long, default_value_t = 8)]
    blocks: u16,
    /// Bytes a clone or fill covers.
    #[arg(long, default_value_t = 1 << 30)]
    clone_bytes: u64,
    /// Bytes per clone command: the READ and WRITE size, the EXTENDED COPY segment (4 MiB: ESXi's
    /// default XCOPY size, and 8192 blocks of 512 bytes — the default MAXIMUM TRANSFER LENGTH).
    #[arg(long, default_value_t = 4 << 20)]
    chunk_bytes: u64,
    #[arg(long, default_value = "iqn.2026-11.org.offload:bench")]
    initiator: String,
}

type Error = Box<dyn std::error::Error + Send + Sync>;

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

struct Session {
    initiator: Initiator,
    lun: u16,
    tally: Tally,
}

impl Session {
    fn open(args: &Args, index: u8) -> Result<Session, Error> {
        let mut options = LoginOptions::new(&args.initiator, Some(&args.target));
        options.isid[5] = index; // one I_T nexus per session, none reinstating another
        Ok(Session { initiator: Initiator::connect(&args.portal, &options)?, lun: args.lun, tally: Tally::default() })
    }

    /// Runs a command on `lun`; anything but GOOD is an error, except a UNIT ATTENTION (a fresh target's
    /// power-on report, tgtd's first answer on each I_T nexus), after which the command runs again.
    fn run(&mut self, lun: u16, cdb: &[u8], data_out: &[u8], read_len: u32) -> Result<Vec<u8>, Error> {
        let mut r = self.initiator.command(lun, cdb, data_out, read_len)?;
        for _ in 0..3 {
            let key = match r.sense.first().map(|b| b & 0x7F) {
                Some(0x72 | 0x73) => r.sense.get(1),
                _ => r.sense.get(2),
            };
            if r.status != 2 || key.map(|k| k & 0x0F) != Some(6) {
                break;
            }
            r = self.initiator.command(lun, cdb, data_out, read_len)?;
        }
        if r.response != 0 || r.status != 0 {
            return Err(format!("command {:02x}: status {:#04x}, sense {:02x?}", cdb[0], r.status, r.sense).into());
        }
        self.tally.commands += 1;
        self.tally.data_out += data_out.len() as u64;
        self.tally.data_in += r.data_in.len() as u64;
        Ok(r.data_in)
    }

    fn block_size(&mut self) -> Result<u32, Error> {
        let d = self.run(self.lun, &cdb::read_capacity16(32), &[], 32)?;
        if d.len() < 12 {
            return Err("READ CAPACITY (16) returned fewer than 12 bytes".into());
        }
        Ok(d.be32(8))
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

/// Timed load: every session runs `op` until the time is up.
fn timed(args: &Args) -> Result<(Tally, f64), Error> {
    let sessions: Vec<Session> = (0..args.sessions).map(|i| Session::open(args, i)).collect::<Result<_, _>>()?;
    let stop = Arc::new(AtomicBool::new(false));
    let start = Arc::new(Barrier::new(sessions.len() + 1));
    let mut workers = Vec::new();
    for (index, mut s) in sessions.into_iter().enumerate() {
        let (stop, start, op, blocks) = (stop.clone(), start.clone(), args.op, args.blocks);
        workers.push(std::thread::spawn(move || -> Result<Tally, Error> {
            let bs = s.block_size()? as usize;
            let span = 4096u64; // blocks each session cycles through
            let base = index as u64 * span;
            let data = vec![0xA5u8; usize::from(blocks) * bs];
            let mut caw = [vec![0u8; bs], vec![1u8; bs]].concat();
            if op == Op::Caw {
                s.run(s.lun, &cdb::write10(base as u32, 1), &caw[..bs], 0)?;
            }
            s.tally = Tally::default();
            start.wait();
            let mut lba = base;
            while !stop.load(Ordering::Relaxed) {
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
    start.wait();
    let began = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(args.seconds));
    stop.store(true, Ordering::Relaxed);
    let mut total = Tally::default();
    for w in workers {
        total.add(w.join().map_err(|_| "a session panicked")??);
    }
    Ok((total, began.elapsed().as_secs_f64()))
}

/// A clone (or fill) of `clone_bytes` on one session.
fn bulk(args: &Args) -> Result<(Tally, f64), Error> {
    let mut s = Session::open(args, 0)?;
    let bs = u64::from(s.block_size()?);
    let total_blocks = args.clone_bytes / bs;
    let chunk = (args.chunk_bytes / bs).clamp(1, 65_535);
    let naa = if args.op == Op::CloneXcopy { Some([s.naa(args.lun)?, s.naa(args.dest_lun)?]) } else { None };
    s.tally = Tally::default();
    let began = Instant::now();
    let mut lba = 0;
    while lba < total_blocks {
        let n = chunk.min(total_blocks - lba);
        match args.op {
            Op::CloneXcopy => {
                let naa = naa.as_ref().expect("looked up above");
                // LIST ID USAGE 11b: no results held, list ID 0 (as a host's Full Copy sends it).
                let cscds = [cdb::cscd(&naa[0], bs as u32), cdb::cscd(&naa[1], bs as u32)];
                let list = cdb::copy_list(0, 0b11, &cscds, &[cdb::segment(0, 1, n as u16, lba, lba)]);
                s.run(args.lun, &cdb::extended_copy(list.len() as u32), &list, 0)?;
            }
            Op::CloneRw => {
                let data = s.run(args.lun, &cdb::read16(lba, n as u32), &[], (n * bs) as u32)?;
                s.run(args.dest_lun, &cdb::write16(lba, n as u32), &data, 0)?;
            }
            _ => {
                // WRITE SAME (16) of a non-zero block: the whole range holds data afterwards.
                s.run(args.lun, &cdb::write_same16(0, lba, n as u32), &vec![0x5A; bs as usize], 0)?;
            }
        }
        lba += n;
    }
    Ok((s.tally, began.elapsed().as_secs_f64()))
}

fn main() -> Result<(), Error> {
    let args = Args::parse();
    let (tally, seconds) = match args.op {
        Op::Read | Op::Write | Op::Caw => timed(&args)?,
        Op::CloneXcopy | Op::CloneRw | Op::Fill => bulk(&args)?,
    };
    let moved = tally.data_in + tally.data_out;
    println!(
        "op={:?} sessions={} commands={} seconds={:.2} iops={:.0} mb_per_s={:.1} data_in={} data_out={}",
        args.op,
        if matches!(args.op, Op::Read | Op::Write | Op::Caw) { args.sessions } else { 1 },
        tally.commands,
        seconds,
        tally.commands as f64 / seconds,
        moved as f64 / seconds / 1e6,
        tally.data_in,
        tally.data_out,
    );
    Ok(())
}
