//! Crash consistency: the real `offload-iscsi serve` on image files, driven by the crate's initiator with
//! a seeded random stream of WRITE (16), WRITE SAME (16), COMPARE AND WRITE and EXTENDED COPY
//! interleaved with SYNCHRONIZE CACHE (10)/(16), killed with SIGKILL at a random point while commands
//! are in flight, restarted on the same images and read back.
//!
//! The test keeps its own model, independent of the target's: every block holds a *tag* (a u64 repeated
//! through the block; tag 0 is zeros), and for every block the set of tags it may hold after a crash.
//! A command adds what it may write to the sets of its blocks before it is sent; a SYNCHRONIZE CACHE
//! answered GOOD — or a FUA write, or any write under WCE=0, answered GOOD — collapses the sets of the
//! blocks it covers to what they hold now. After the restart each block must decode to a tag (no block
//! holds data no command wrote) that its set contains (what was made durable is there).
//!
//! SIGKILL leaves the host's page cache intact, so the images also hold everything written through
//! before the kill: each block holds what the last answered command left or what the command in flight
//! may have written. That tighter check is made too; the sets are what a power loss would have to
//! respect, and they are implied by it here — the fdatasync calls themselves are proved by the back
//! ends' sync counters (`backend::tests`).
//!
//! Several workers, each with its own session and its own region of blocks, run at once: two share LUN
//! 0 (a region each), one has LUN 1, whose write cache is disabled (MODE SELECT, WCE=0) in odd rounds.
//! Four rounds per back end, each ending in a kill.

use std::collections::BTreeSet;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::Duration;

use offload_iscsi::initiator::{Initiator, InitiatorError, LoginOptions};
use offload_iscsi::target::DEFAULT_TARGET_NAME;
use offload_model::config::{UnitConfig, naa_designator};
use offload_vectors::cdb::{
    compare_and_write, copy_list, cscd, extended_copy, read16, segment, synchronize_cache10, synchronize_cache16,
    write_same16, write16,
};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

const BLOCK: usize = 512;
/// Blocks of each image.
const BLOCKS: u64 = 256;
const GOOD: u8 = 0;
const CHECK_CONDITION: u8 = 2;
const FUA: u8 = 0x08;
/// Each worker's unit and region (first block, blocks).
const REGIONS: [(u16, u64, u64); 3] = [(0, 0, 128), (0, 128, 128), (1, 0, 256)];
const ROUNDS: u64 = 4;
const SEED: u64 = 0x00FF_10AD_C2A5;

/// A block holding `tag`: the tag's bytes repeated (tag 0: zeros).
fn block_of(tag: u64) -> Vec<u8> {
    tag.to_be_bytes().repeat(BLOCK / 8)
}

/// The tag a block holds, if it holds one.
fn tag_of(block: &[u8]) -> Option<u64> {
    let tag = u64::from_be_bytes(block[..8].try_into().unwrap());
    (block == block_of(tag).as_slice()).then_some(tag)
}

/// The test's model of one worker's region.
struct Region {
    lun: u16,
    start: u64,
    /// What each block holds after every command answered so far.
    current: Vec<u64>,
    /// What each block may hold after a crash: its value at the last point it was made durable, and
    /// everything written to it since (the command in flight included).
    possible: Vec<BTreeSet<u64>>,
    /// What the command in flight (sent, not answered) may write: (block index, tag).
    in_flight: Vec<(usize, u64)>,
    /// Every block is durable when a write is answered GOOD (the unit's WCE=0).
    write_through: bool,
    /// Commands answered, those that made blocks durable (a GOOD SYNCHRONIZE CACHE, FUA write or write
    /// under WCE=0), and whether a command was in flight when the connection broke.
    answered: u64,
    durable_points: u64,
    broken_in_flight: bool,
}

impl Region {
    fn new(lun: u16, start: u64, current: Vec<u64>, write_through: bool) -> Self {
        let possible = current.iter().map(|&t| BTreeSet::from([t])).collect();
        Region {
            lun,
            start,
            current,
            possible,
            in_flight: Vec::new(),
            write_through,
            answered: 0,
            durable_points: 0,
            broken_in_flight: false,
        }
    }

    fn len(&self) -> usize {
        self.current.len()
    }

    /// Before sending: the command may write `writes` (block index, tag).
    fn may_write(&mut self, writes: Vec<(usize, u64)>) {
        for &(i, tag) in &writes {
            self.possible[i].insert(tag);
        }
        self.in_flight = writes;
    }

    /// A write answered GOOD: its blocks hold the new tags, durable if FUA or WCE=0.
    fn wrote(&mut self, fua: bool) {
        let writes = std::mem::take(&mut self.in_flight);
        self.durable_points += u64::from((fua || self.write_through) && !writes.is_empty());
        for (i, tag) in writes {
            self.current[i] = tag;
            if fua || self.write_through {
                self.possible[i] = BTreeSet::from([tag]);
            }
        }
    }

    /// A SYNCHRONIZE CACHE of blocks `range` answered GOOD: they are durable as they are now.
    fn synced(&mut self, range: std::ops::Range<usize>) {
        self.durable_points += 1;
        for i in range {
            self.possible[i] = BTreeSet::from([self.current[i]]);
        }
    }
}

/// A worker's command stream against its region until the connection breaks.
fn work(mut initiator: Initiator, mut region: Region, seed: u64, tag_base: u64) -> Region {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut next_tag = tag_base;
    let mut tag = || {
        next_tag += 1;
        next_tag
    };
    let naa = naa_designator(&UnitConfig::default(), region.lun);
    // Bounded: the kill comes long before.
    for _ in 0..1_000_000 {
        let len = region.len();
        let start = region.start;
        let lba = |i: usize| start + i as u64;
        let pick = rng.random_range(0..100);
        let outcome = if pick < 30 {
            // WRITE (16) of 1–8 blocks, FUA at random.
            let n = rng.random_range(1..=8usize);
            let at = rng.random_range(0..=len - n);
            let fua = rng.random_range(0..4) == 0;
            let writes: Vec<(usize, u64)> = (at..at + n).map(|i| (i, tag())).collect();
            let data: Vec<u8> = writes.iter().flat_map(|&(_, t)| block_of(t)).collect();
            let mut cdb = write16(lba(at), n as u32);
            cdb[1] |= if fua { FUA } else { 0 };
            region.may_write(writes);
            send(&mut initiator, &mut region, &cdb, &data).map(|s| (s, Some(fua)))
        } else if pick < 45 {
            // WRITE SAME (16) of 1–16 blocks: a tag's block, or zeros.
            let n = rng.random_range(1..=16usize);
            let at = rng.random_range(0..=len - n);
            let t = if rng.random_range(0..4) == 0 { 0 } else { tag() };
            region.may_write((at..at + n).map(|i| (i, t)).collect());
            let cdb = write_same16(0, lba(at), n as u32);
            send(&mut initiator, &mut region, &cdb, &block_of(t)).map(|s| (s, Some(false)))
        } else if pick < 60 {
            // COMPARE AND WRITE of 1–4 blocks: a match (which writes), or a miscompare (which cannot).
            let n = rng.random_range(1..=4usize);
            let at = rng.random_range(0..=len - n);
            let matches = rng.random_range(0..4) != 0;
            let fua = rng.random_range(0..4) == 0;
            let mut compare: Vec<u8> = (at..at + n).flat_map(|i| block_of(region.current[i])).collect();
            if !matches {
                compare[BLOCK * (n - 1) + 7] ^= 0x5A;
            }
            let writes: Vec<(usize, u64)> = (at..at + n).map(|i| (i, tag())).collect();
            let data: Vec<u8> = [compare, writes.iter().flat_map(|&(_, t)| block_of(t)).collect()].concat();
            region.may_write(if matches { writes } else { Vec::new() });
            let mut cdb = compare_and_write(lba(at), n as u8);
            cdb[1] |= if fua { FUA } else { 0 };
            match send(&mut initiator, &mut region, &cdb, &data) {
                Ok(s) if !matches => {
                    assert_eq!(s, CHECK_CONDITION, "a miscompare");
                    Ok((GOOD, Some(false)))
                }
                other => other.map(|s| (s, Some(fua))),
            }
        } else if pick < 75 {
            // EXTENDED COPY of 1–8 blocks within the region, source and destination apart.
            let n = rng.random_range(1..=8usize);
            let src = rng.random_range(0..=len - 2 * n);
            let dst = rng.random_range(src + n..=len - n);
            let (src, dst) = if rng.random_range(0..2) == 0 { (src, dst) } else { (dst, src) };
            region.may_write((0..n).map(|k| (dst + k, region.current[src + k])).collect());
            let list = copy_list(0, 3, &[cscd(&naa, BLOCK as u32)], &[segment(0, 0, n as u16, lba(src), lba(dst))]);
            let cdb = extended_copy(list.len() as u32);
            send(&mut initiator, &mut region, &cdb, &list).map(|s| (s, Some(false)))
        } else if pick < 90 {
            // SYNCHRONIZE CACHE: the whole unit (NUMBER OF LOGICAL BLOCKS 0) or exactly the region.
            let whole = rng.random_range(0..2) == 0;
            let cdb = match (whole, rng.random_range(0..2) == 0) {
                (true, true) => synchronize_cache10(0, 0, 0),
                (true, false) => synchronize_cache16(0, 0, 0),
                (false, true) => synchronize_cache10(0, region.start as u32, len as u16),
                (false, false) => synchronize_cache16(0, region.start, len as u32),
            };
            region.may_write(Vec::new());
            match send(&mut initiator, &mut region, &cdb, &[]) {
                Ok(s) => {
                    assert_eq!(s, GOOD, "SYNCHRONIZE CACHE");
                    region.synced(0..len);
                    Ok((GOOD, None))
                }
                Err(()) => Err(()),
            }
        } else {
            // READ (16): the test's model must match what the target answers.
            let n = rng.random_range(1..=8usize);
            let at = rng.random_range(0..=len - n);
            region.may_write(Vec::new());
            let r = initiator.command(region.lun, &read16(lba(at), n as u32), &[], (n * BLOCK) as u32);
            match r {
                Ok(r) => {
                    assert_eq!(r.status, GOOD);
                    let tags: Vec<Option<u64>> = r.data_in.chunks(BLOCK).map(tag_of).collect();
                    let expected: Vec<Option<u64>> = region.current[at..at + n].iter().map(|&t| Some(t)).collect();
                    assert_eq!(tags, expected, "READ of blocks {at}.. of LUN {}", region.lun);
                    region.answered += 1;
                    Ok((GOOD, None))
                }
                Err(_) => {
                    region.broken_in_flight = true;
                    Err(())
                }
            }
        };
        match outcome {
            Ok((status, Some(fua))) => {
                assert_eq!(status, GOOD, "a write on LUN {}", region.lun);
                region.wrote(fua);
            }
            Ok((_, None)) => {}
            Err(()) => break,
        }
    }
    region
}

/// Sends one command; its status, or `Err` once the connection is gone (the command stays in flight).
fn send(initiator: &mut Initiator, region: &mut Region, cdb: &[u8], data_out: &[u8]) -> Result<u8, ()> {
    match initiator.command(region.lun, cdb, data_out, 0) {
        Ok(r) => {
            assert_eq!(r.response, 0, "target failure for {cdb:02x?}");
            region.answered += 1;
            Ok(r.status)
        }
        Err(InitiatorError::Io(_) | InitiatorError::Read(_)) => {
            region.broken_in_flight = true;
            Err(())
        }
        Err(e) => panic!("{cdb:02x?}: {e}"),
    }
}

/// A free loopback port (bound, then released for the server to take).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `offload-iscsi serve` on the images, and its address once it accepts logins.
fn serve(backend: &str, images: &[PathBuf]) -> (Child, SocketAddr) {
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let mut command = Command::new(env!("CARGO_BIN_EXE_offload-iscsi"));
    command.args(["serve", "--quiet", "--backend", backend, "--listen", &addr.to_string()]);
    command.args(["--capacity", &format!("{}KiB", BLOCKS * BLOCK as u64 / 1024), "--block-size", "512"]);
    for image in images {
        command.arg("--image").arg(image);
    }
    let mut child = command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::inherit()).spawn().unwrap();
    for _ in 0..500 {
        if std::net::TcpStream::connect(addr).is_ok() {
            return (child, addr);
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("offload-iscsi serve exited: {status}");
        }
        thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    panic!("offload-iscsi serve did not listen on {addr}");
}

fn login(addr: SocketAddr, name: &str) -> Initiator {
    let mut options = LoginOptions::new(name, Some(DEFAULT_TARGET_NAME));
    options.timeout = Duration::from_secs(10);
    let mut initiator = Initiator::connect(addr, &options).unwrap();
    // `serve` gives every new session a power-on unit attention on each unit: cleared as hosts do.
    for lun in [0, 1] {
        initiator.clear_unit_attentions(lun).unwrap();
    }
    initiator
}

/// Every block's tag on the images, read through a restarted target; panics on a block that holds no
/// tag (data no command wrote).
fn read_back(addr: SocketAddr) -> Vec<Vec<u64>> {
    let mut i = login(addr, "iqn.2026-11.test:crash-reader");
    (0..2u16)
        .map(|lun| {
            let mut tags = Vec::new();
            for lba in (0..BLOCKS).step_by(64) {
                let r = i.command(lun, &read16(lba, 64), &[], 64 * BLOCK as u32).unwrap();
                assert_eq!(r.status, GOOD);
                for (k, block) in r.data_in.chunks(BLOCK).enumerate() {
                    let tag = tag_of(block)
                        .unwrap_or_else(|| panic!("LUN {lun} LBA {}: data no command wrote", lba + k as u64));
                    tags.push(tag);
                }
            }
            tags
        })
        .collect()
}

/// MODE SELECT (6) of the caching page: WCE as given.
fn set_write_cache(addr: SocketAddr, lun: u16, wce: bool) {
    let mut i = login(addr, "iqn.2026-11.test:crash-setup");
    let mut list = vec![0, 0, 0, 0, 0x08, 0x12, if wce { 0x04 } else { 0 }];
    list.resize(24, 0);
    let r = i.command(lun, &[0x15, 0x10, 0, 0, 24, 0], &list, 0).unwrap();
    assert_eq!(r.status, GOOD, "MODE SELECT: {:02x?}", r.sense);
}

fn run_rounds(backend: &str, dir: &Path) {
    let images = [dir.join("lun0.img"), dir.join("lun1.img")];
    let mut rng = SmallRng::seed_from_u64(SEED ^ backend.len() as u64);
    let mut disk: Vec<Vec<u64>> = vec![vec![0; BLOCKS as usize]; 2];
    let mut in_flight_at_kill = 0;
    let mut durable_points = 0;
    for round in 0..ROUNDS {
        let (mut child, addr) = serve(backend, &images);
        let write_through = round % 2 == 1;
        if write_through {
            set_write_cache(addr, 1, false);
        }
        let workers: Vec<_> = REGIONS
            .iter()
            .enumerate()
            .map(|(w, &(lun, start, len))| {
                let current = disk[usize::from(lun)][start as usize..(start + len) as usize].to_vec();
                let region = Region::new(lun, start, current, write_through && lun == 1);
                let initiator = login(addr, &format!("iqn.2026-11.test:crash-w{w}"));
                let seed = rng.random::<u64>();
                let tag_base = (round + 1) << 40 | (w as u64 + 1) << 32;
                thread::spawn(move || work(initiator, region, seed, tag_base))
            })
            .collect();
        thread::sleep(Duration::from_millis(rng.random_range(80..400)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let regions: Vec<Region> = workers.into_iter().map(|w| w.join().expect("a worker panicked")).collect();

        let (mut child, addr) = serve(backend, &images);
        let after = read_back(addr);
        child.kill().unwrap();
        child.wait().unwrap();
        for r in &regions {
            assert!(r.answered > 0, "{backend} round {round}: LUN {} region {}: no command answered", r.lun, r.start);
            in_flight_at_kill += usize::from(r.broken_in_flight);
            for i in 0..r.len() {
                let lba = r.start + i as u64;
                let tag = after[usize::from(r.lun)][lba as usize];
                assert!(
                    r.possible[i].contains(&tag),
                    "{backend} round {round}: LUN {} LBA {lba} holds tag {tag:#x}, not one of {:x?}: durable data lost",
                    r.lun,
                    r.possible[i]
                );
                let could_be_in_flight = r.in_flight.iter().any(|&(k, t)| k == i && t == tag);
                assert!(
                    tag == r.current[i] || could_be_in_flight,
                    "{backend} round {round}: LUN {} LBA {lba} holds tag {tag:#x}; answered {:#x}, in flight {:x?}",
                    r.lun,
                    r.current[i],
                    r.in_flight
                );
            }
        }
        let answered: Vec<u64> = regions.iter().map(|r| r.answered).collect();
        let durable: Vec<u64> = regions.iter().map(|r| r.durable_points).collect();
        let broken: Vec<bool> = regions.iter().map(|r| r.broken_in_flight).collect();
        eprintln!(
            "{backend} round {round}: commands answered per worker {answered:?}, of them made durable {durable:?}, \
             in flight at the kill {broken:?}"
        );
        durable_points += durable.iter().sum::<u64>();
        disk = after;
    }
    assert!(in_flight_at_kill > 0, "{backend}: the kills found no command in flight");
    assert!(durable_points > 0, "{backend}: nothing was made durable");
}

#[test]
fn acknowledged_and_synchronized_writes_survive_sigkill() {
    for backend in ["model", "fastpath"] {
        let dir = std::env::temp_dir().join(format!("offload-iscsi-crash-{}-{backend}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        run_rounds(backend, &dir);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
