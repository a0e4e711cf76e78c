//! The software fast path as the back end, with a reference model serving the commands it does not
//! implement (see the parent module's documentation).

use offload_fastpath::{Access, CopySummary, Extent, FastPath, Hint, Limits, Unit, max_extents};
use offload_model::config::{self, AccessMap, TargetConfig, UnitConfig};
use offload_model::image::nonzero_runs;
use offload_model::media::WriteHint;
use offload_model::scsi::copy_manager::{CopyRecord, ListKey};
use offload_model::scsi::reservations::Reservations;
use offload_model::scsi::{Request, Target};
use offload_scsi::{ReservationClass, SenseFormat, command};
use std::cell::RefCell;
use std::sync::{Mutex, MutexGuard};

use super::image::{Images, Media, image_units};
use super::refuse_image_resizes;
use super::sparse_memory::{Commit, SparseMemory};
use super::{Answer, Backend, BackendError, Command, LiveChange, NotLive, ReconfigureError, SetupError};
use offload_model::scsi::reconfigure;

/// One unit's flat memory for the fast path: committed as it is written, however large the unit.
struct FlatUnit {
    data: SparseMemory,
    /// How `data` is committed ([`commit_policy`]).
    commit: Commit,
    /// 2 bits a block (mapped, anchored), `None` for a thick unit.
    provisioning: Option<SparseMemory>,
    bad_blocks: Vec<u64>,
    block_size: u32,
    write_protected: bool,
    naa: [u8; 16],
}

impl FlatUnit {
    /// Hands back the memory of an extent the fast path left reading zeros: its data, and the
    /// provisioning state of deallocated blocks (00b, zero bytes too). Written data stays, and so does
    /// all of a unit committed in huge pages (a thick unit, see [`commit_policy`]).
    fn release(&mut self, extent: &Extent) {
        if extent.hint == Hint::Data || self.commit == Commit::HugePages {
            return;
        }
        let (start, end) = (extent.lba as usize, (extent.lba + extent.blocks) as usize);
        let bs = self.block_size as usize;
        self.data.release_zeros(start * bs..end * bs);
        if let (Hint::Deallocate, Some(bits)) = (extent.hint, &mut self.provisioning) {
            // The bytes whose four blocks all lie inside the extent hold zeros; the bytes around them
            // hold other blocks' states too, and are checked with the rest of their pages.
            let inner = start.div_ceil(4);
            bits.release_zeros(inner..(end / 4).max(inner));
        }
    }
}

/// How a unit's data is committed. A thick unit is provisioned capacity, meant to be written whole (a
/// clone, an eager-zeroed VMware disk): huge pages make its first touch one fault per 2 MiB instead of
/// 512, and it keeps what it holds committed — zeroing it hands nothing
/// back, so the writes after an eager zero do not fault again. A thin unit costs what is written to it:
/// base pages, so one written block commits 4 KiB, not 2 MiB, and its released ranges are handed back.
fn commit_policy(config: &UnitConfig) -> Commit {
    match config.thin {
        true => Commit::BasePages,
        false => Commit::HugePages,
    }
}

/// A unit's flat memory, zeros reserved without commit: its data and, for a thin unit, its provisioning
/// state (all deallocated, in base pages: a bit pair a block, written sparsely).
fn flat_memory(unit: usize, config: &UnitConfig) -> Result<(SparseMemory, Option<SparseMemory>), SetupError> {
    let reserve = |what, bytes: u64, commit| {
        let len = usize::try_from(bytes).map_err(|_| SetupError::TooLarge { unit, bytes })?;
        SparseMemory::zeroed(len, commit).map_err(|source| SetupError::Reserve { unit, what, bytes, source })
    };
    let data = reserve("data", config.blocks * u64::from(config.block_size), commit_policy(config))?;
    let provisioning = match config.thin {
        true => Some(reserve("provisioning state", Unit::provisioning_bytes(config.blocks) as u64, Commit::BasePages)?),
        false => None,
    };
    Ok((data, provisioning))
}

/// A fast-path command's answer, the extents it wrote, whether they must be durable before the answer
/// and, for EXTENDED COPY, its summary.
type FastAnswer = (Answer, Vec<Extent>, bool, Option<CopySummary>);

/// The fast path executes what it implements; a reference model over the same provisioning state serves
/// the rest (see the module documentation).
///
/// Concurrency: each unit's flat memory has its own lock, and so has the model. A fast-path command holds
/// the locks of the units it touches — its own unit, or every unit for an EXTENDED COPY, whose copy
/// targets are named inside its parameter list — for its whole run, taken in LUN order; the model's lock
/// only briefly, under them, for the gates and the state the fast path reads before it runs and for the
/// hand-over after. Commands on different units run at once; commands on one unit run one at a time,
/// each atomic over the unit, which is what makes COMPARE AND WRITE atomic and every history
/// linearizable (`tests/linearizability.rs`). Commands the model serves take the model's lock alone.
pub struct FastPathBackend {
    units: Vec<Mutex<FlatUnit>>,
    limits: Limits,
    access: AccessMap,
    model: Mutex<Target>,
    images: Images,
    /// Room for the largest data-in the limits allow.
    data_in_bytes: usize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A command that panicked (caught by the session layer) must not take the unit down with it.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

thread_local! {
    /// Each executing thread's data-in and extent buffers, grown once to what the limits allow: the fast
    /// path writes into them, so a command allocates nothing of its size.
    static SCRATCH: RefCell<(Vec<u8>, Vec<Extent>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// The units a fast-path command runs over, locked, and how its LUN maps onto them.
struct Scope<'b> {
    /// The locked units, in LUN order.
    guards: Vec<MutexGuard<'b, FlatUnit>>,
    /// The LUN of `guards[0]` when the command runs over its own unit alone (the fast path then sees that
    /// unit as LUN 0); `None` when it runs over every unit, each at its own LUN.
    alone: Option<u16>,
}

impl Scope<'_> {
    /// The locked unit that holds `lun` (an outer LUN).
    fn unit(&mut self, lun: u16) -> &mut FlatUnit {
        let index = if self.alone.is_some() { 0 } else { usize::from(lun) };
        &mut self.guards[index]
    }
}

impl FastPathBackend {
    pub fn new(mut config: TargetConfig, media: &Media) -> Result<Self, SetupError> {
        let files = image_units(&mut config, media)?;
        config.validate()?;
        let mut units = Vec::new();
        // The blocks a loaded image maps, to be mapped in the model's units too.
        let mut loaded = Vec::new();
        for (i, u) in config.units.iter().enumerate() {
            let (mut data, mut provisioning) = flat_memory(i, u)?;
            if let Some((path, file)) = files.get(i) {
                // A loaded image's non-zero blocks are mapped (as the model loads images).
                let bs = u.block_size as usize;
                nonzero_runs(file, u.block_size, u.blocks, |lba, run| {
                    let first = lba as usize;
                    data[first * bs..][..run.len()].copy_from_slice(run);
                    let blocks = run.len() / bs;
                    if let Some(bits) = &mut provisioning {
                        for block in first..first + blocks {
                            bits[block / 4] |= 1 << ((block % 4) * 2);
                        }
                    }
                    loaded.push(Extent { lun: i as u16, lba, blocks: blocks as u64, hint: Hint::Data });
                })
                .map_err(|source| SetupError::Image { path: path.clone(), source })?;
            }
            units.push(Mutex::new(FlatUnit {
                data,
                commit: commit_policy(u),
                provisioning,
                bad_blocks: u.bad_blocks.iter().copied().collect(),
                block_size: u.block_size,
                write_protected: u.write_protected,
                naa: config::naa_designator(u, i as u16),
            }));
        }
        let limits = config.limits.clone();
        let largest_block = config.units.iter().map(|u| u.block_size).max().unwrap_or(512);
        let data_in_bytes = limits.max_transfer_blocks as usize * largest_block as usize;
        let access = config.access.clone();
        let images = Images::new(files, config.units.len());
        let mut model = Target::new(config)?;
        for extent in &loaded {
            hand_over(&mut model, extent);
        }
        let backend = FastPathBackend { units, limits, access, model: Mutex::new(model), images, data_in_bytes };
        // Check the units and limits once, as the fast path does on every command.
        let probe = Command { initiator: "", lun: 0, cdb: &[0x00], data_out: &[] };
        let mut scope = backend.lock_units(&probe, true);
        backend.execute_fast_path(&probe, &mut scope).map_err(|e| SetupError::FastPath(e.to_string()))?;
        drop(scope);
        Ok(backend)
    }

    /// Locks the units command `c` may touch: its own, or all of them (`every`: an EXTENDED COPY).
    /// None for a LUN with no unit: the fast path answers it without a medium.
    fn lock_units(&self, c: &Command<'_>, every: bool) -> Scope<'_> {
        if every {
            return Scope { guards: self.units.iter().map(lock).collect(), alone: None };
        }
        match self.units.get(usize::from(c.lun)) {
            Some(unit) => Scope { guards: vec![lock(unit)], alone: Some(c.lun) },
            None => Scope { guards: Vec::new(), alone: Some(c.lun) },
        }
    }

    /// The fast path's answer to `c` over the locked `scope` and what it says it wrote (at the outer
    /// LUNs); `Ok(None)` when it does not handle it. The model's lock is held meanwhile only for an
    /// EXTENDED COPY, whose copy targets' reservations the fast path asks about as it goes.
    fn execute_fast_path(&self, c: &Command<'_>, scope: &mut Scope<'_>) -> Result<Option<FastAnswer>, BackendError> {
        let model = lock(&self.model);
        let alone = scope.alone;
        // The mode parameters each unit's command obeys (D_SENSE, WCE, SWP), read under the model's lock.
        let modes: Vec<(bool, bool, bool)> = (0..scope.guards.len())
            .map(|i| {
                let lun = alone.unwrap_or(i as u16);
                let s = &model.state;
                (s.descriptor_sense(lun), s.write_cache(lun), s.software_write_protect(lun))
            })
            .collect();
        let power_on_descriptor_sense = model.state.config.descriptor_sense;
        // Only a copy keeps the model's lock: it asks for each copy target's reservations as it goes.
        let held = if alone.is_none() { Some(model) } else { None };
        let reservations = held.as_ref().map(|m| &m.state.reservations);
        let mut units: Vec<Unit<'_>> = scope
            .guards
            .iter_mut()
            .zip(&modes)
            .map(|(guard, &(descriptor_sense, write_cache, software_write_protected))| {
                let u: &mut FlatUnit = guard;
                Unit {
                    data: &mut u.data,
                    block_size: u.block_size,
                    write_protected: u.write_protected,
                    naa: u.naa,
                    provisioning: u.provisioning.as_deref_mut(),
                    bad_blocks: &u.bad_blocks,
                    descriptor_sense,
                    write_cache,
                    software_write_protected,
                }
            })
            .collect();
        let gate = ModelGate { access: &self.access, reservations, alone };
        let mut fp = FastPath::new(&mut units, self.limits.clone(), power_on_descriptor_sense, gate)
            .map_err(|e| BackendError::FastPathConfig(e.to_string()))?;
        let lun = alone.map_or(c.lun, |_| 0);
        let request =
            offload_fastpath::Request { initiator: c.initiator.as_bytes(), lun, cdb: c.cdb, data_out: c.data_out };
        let (data_in_bytes, extent_count) = (self.data_in_bytes, max_extents(&self.limits));
        let answer = SCRATCH.with_borrow_mut(|(data_in, extents)| {
            if data_in.len() < data_in_bytes {
                data_in.resize(data_in_bytes, 0);
            }
            if extents.len() < extent_count {
                extents.resize(extent_count, Extent::EMPTY);
            }
            let reply = fp.execute(&request, data_in, extents);
            if !reply.handled {
                return None;
            }
            let answer =
                Answer { status: reply.status, sense: reply.sense().to_vec(), data_in: reply.data_in.to_vec() };
            let written =
                reply.written.iter().map(|e| Extent { lun: alone.unwrap_or(e.lun), ..*e }).collect::<Vec<_>>();
            Some((answer, written, reply.durable, reply.copy))
        });
        Ok(answer)
    }

    /// Runs the fast path over the locked `scope`; `Ok(None)` when it does not handle the command. What
    /// the command wrote is handed to the model (provisioning) and to the image files, and an EXTENDED
    /// COPY is entered in the model's copy manager book, all from the fast path's own account of what it
    /// did, before the units are unlocked: a command that runs after it sees all of it.
    fn run_fast_path(&self, c: &Command<'_>, scope: &mut Scope<'_>) -> Result<Option<Answer>, BackendError> {
        let Some((answer, written, durable, copy)) = self.execute_fast_path(c, scope)? else { return Ok(None) };
        for extent in &written {
            let u = scope.unit(extent.lun);
            u.release(extent);
            let bs = u.block_size as usize;
            let released = matches!(extent.hint, Hint::Deallocate | Hint::Anchor);
            if released && u.provisioning.is_some() {
                self.images.release(usize::from(extent.lun), u.block_size, extent.lba, extent.blocks)?;
            } else {
                self.images.persist(usize::from(extent.lun), u.block_size, extent.lba, extent.blocks, |l, b| {
                    b.copy_from_slice(&u.data[l as usize * bs..][..bs]);
                    true
                })?;
            }
        }
        if !written.is_empty() || copy.is_some() {
            let mut model = lock(&self.model);
            for extent in &written {
                hand_over(&mut model, extent);
            }
            if let Some(copy) = copy {
                record_copy(&mut model, c, &copy, &answer);
            }
        }
        if durable {
            self.images.make_durable(written.iter().map(|e| e.lun))?;
        }
        Ok(Some(answer))
    }
}

/// Brings the model's provisioning state of an extent up to the fast path's: GET LBA STATUS and the
/// other commands the model serves read it. Block contents are not copied: no command the model serves
/// reads them, and a mapped block of zeros costs the model nothing.
fn hand_over(model: &mut Target, extent: &Extent) {
    let store = &mut model.memory.units[usize::from(extent.lun)];
    if !store.is_thin() {
        return;
    }
    let hint = match extent.hint {
        Hint::Data | Hint::Zeros => WriteHint::Data,
        Hint::Deallocate => WriteHint::Deallocate,
        Hint::Anchor => WriteHint::Anchor,
    };
    // The fast path writes no bad block, and the model's unit has the same ones.
    let _ = store.write_zeros(extent.lba, extent.blocks, hint);
}

/// Enters an EXTENDED COPY the fast path ran in the model's copy manager book, as the model enters its
/// own: RECEIVE COPY RESULTS answers for it alike.
fn record_copy(model: &mut Target, c: &Command<'_>, copy: &CopySummary, answer: &Answer) {
    let key = ListKey { initiator: c.initiator.to_owned(), lun: c.lun, list_id: copy.list_id };
    let record = CopyRecord {
        segments_processed: copy.segments_processed,
        bytes_transferred: copy.bytes_moved,
        failure: copy.failed_segment.map(|_| (answer.status, answer.sense.clone())),
        details_discarded: false,
    };
    let book = &mut model.state.copy_results;
    // One list at a time: the fast path's list is never refused as in progress.
    if book.start(&key).is_ok() {
        book.finish(&key, copy.usage, record);
    }
}

/// Who may reach which unit (the access map) and what the units' reservations let them do there — the
/// model's reservation state, the one source of truth, asked for each EXTENDED COPY copy target.
struct ModelGate<'s> {
    access: &'s AccessMap,
    /// Lent only to a command that runs over every unit (EXTENDED COPY, the one that asks).
    reservations: Option<&'s Reservations>,
    /// The outer LUN of a command that runs over its own unit alone, seen as LUN 0.
    alone: Option<u16>,
}

impl Access for ModelGate<'_> {
    fn allows(&self, initiator: &[u8], lun: u16) -> bool {
        let lun = self.alone.unwrap_or(lun);
        std::str::from_utf8(initiator).is_ok_and(|i| self.access.allows(i, lun))
    }

    fn permits(&self, initiator: &[u8], lun: u16, class: ReservationClass) -> bool {
        // Without the reservation state nothing is permitted: a command that was not lent it asks nothing.
        let lun = self.alone.unwrap_or(lun);
        self.reservations.is_some_and(|r| std::str::from_utf8(initiator).is_ok_and(|i| r.admits(i, lun, class)))
    }
}

impl Backend for FastPathBackend {
    fn execute(&self, c: &Command<'_>) -> Result<Answer, BackendError> {
        let spec = command::lookup(c.cdb).ok().filter(|spec| spec.command.in_fast_path());
        let Some(spec) = spec else {
            let response = lock(&self.model).execute(&Request {
                initiator: c.initiator.to_owned(),
                lun: c.lun,
                cdb: c.cdb.to_vec(),
                data_out: c.data_out.to_vec(),
            });
            self.images.make_durable(response.durable.iter().map(|d| d.lun))?;
            return Ok(Answer { status: response.status, sense: response.sense, data_in: response.data_in });
        };
        let mut scope = self.lock_units(c, spec.command == command::Command::ExtendedCopy);
        // The state every command must obey is the model's: its gates (a pending unit attention, a
        // reservation conflict, a stopped unit) answer for the fast path, byte for byte as the model would.
        // Asked with the units locked, so no command on them slips between the gates and the run.
        if let Some(refusal) = lock(&self.model).admit(c.initiator, c.lun, c.cdb) {
            return Ok(Answer { status: refusal.status, sense: refusal.sense, data_in: refusal.data_in });
        }
        self.run_fast_path(c, &mut scope)?.ok_or(BackendError::FastPathUnhandled(c.cdb[0]))
    }

    fn name(&self) -> &'static str {
        "fastpath"
    }

    fn syncs(&self) -> u64 {
        self.images.syncs()
    }

    fn on_file(&self, lun: u16) -> bool {
        self.images.holds(usize::from(lun))
    }

    fn nexus_lost(&self, initiator: &str) {
        lock(&self.model).nexus_loss(initiator);
    }

    // The model holds the state a reset changes (unit attentions, mode parameters, copy results); the
    // fast path reads D_SENSE and WCE from it on every command.
    fn logical_unit_reset(&self, initiator: &str, lun: u16) {
        lock(&self.model).logical_unit_reset(initiator, lun);
    }

    fn target_reset(&self, initiator: &str) {
        lock(&self.model).target_reset(initiator);
    }

    fn reconfigure(&mut self, config: &TargetConfig) -> Result<Vec<LiveChange>, ReconfigureError> {
        let model = self.model.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner());
        let changes = reconfigure::plan(&model.state.config, config)?;
        refuse_image_resizes(&self.images, &changes)?;
        // Every new flat memory first: a unit that cannot have one refuses the reload before any change.
        let mut resized = Vec::new();
        for change in &changes {
            if let LiveChange::Resize { lun, blocks } = change {
                let unit = usize::from(*lun);
                let new = UnitConfig { blocks: *blocks, ..config.units[unit].clone() };
                let memory =
                    flat_memory(unit, &new).map_err(|source| ReconfigureError::Memory { lun: *lun, source })?;
                resized.push((unit, memory));
            }
        }
        for (unit, (mut data, mut provisioning)) in resized {
            let u = self.units[unit].get_mut().unwrap_or_else(|poisoned| poisoned.into_inner());
            data.copy_written(&u.data);
            if let (Some(new), Some(old)) = (&mut provisioning, &u.provisioning) {
                new.copy_written(old);
            }
            u.data = data;
            u.provisioning = provisioning;
        }
        model.apply(&changes).map_err(NotLive::from)?;
        self.access = config.access.clone();
        Ok(changes)
    }

    fn sense_format(&self, lun: u16) -> SenseFormat {
        lock(&self.model).state.sense_format(lun)
    }

    fn config(&self) -> TargetConfig {
        lock(&self.model).state.config.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The /proc/self/smaps entry of the mapping that holds `address`: its Rss in KiB and its VmFlags.
    /// (The kernel may merge a mapping with a neighbour of the same flags: the Rss is then at least its.)
    fn mapping_of(address: usize) -> (u64, String) {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut lines = smaps.lines();
        while let Some(line) = lines.next() {
            let Some((range, _)) = line.split_once(' ') else { continue };
            let Some((a, b)) = range.split_once('-') else { continue };
            let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16)) else { continue };
            if !(a..b).contains(&address) {
                continue;
            }
            let (mut rss, mut flags) = (None, None);
            for l in lines.by_ref() {
                if let Some(kib) = l.strip_prefix("Rss:") {
                    rss = kib.trim().trim_end_matches("kB").trim().parse().ok();
                }
                if let Some(f) = l.strip_prefix("VmFlags:") {
                    flags = Some(f.trim().to_owned());
                    break;
                }
            }
            return (rss.expect("an Rss line"), flags.expect("a VmFlags line"));
        }
        panic!("no mapping holds {address:#x}");
    }

    fn write_same16(lba: u64, blocks: u32) -> [u8; 16] {
        let mut cdb = [0u8; 16];
        cdb[0] = 0x93;
        cdb[2..10].copy_from_slice(&lba.to_be_bytes());
        cdb[10..14].copy_from_slice(&blocks.to_be_bytes());
        cdb
    }

    fn read16(lba: u64, blocks: u32) -> [u8; 16] {
        let mut cdb = write_same16(lba, blocks);
        cdb[0] = 0x88;
        cdb
    }

    /// A command waits for a command on its own unit and not for one on another unit: a unit's lock held
    /// here stands for a long command running on it.
    #[test]
    fn commands_on_different_units_run_at_once_and_on_one_unit_one_at_a_time() {
        use std::sync::mpsc;
        use std::time::Duration;
        let unit = UnitConfig { blocks: 64, block_size: 512, ..UnitConfig::default() };
        let config = TargetConfig { units: vec![unit.clone(), unit], ..TargetConfig::default() };
        let b = FastPathBackend::new(config, &Media::Memory).unwrap();
        let read = |lun| b.execute(&Command { initiator: "iqn.test", lun, cdb: &read16(0, 1), data_out: &[] }).unwrap();
        for lun in [0, 1] {
            // The first command of the nexus finds the power-on unit attention; the second reads.
            read(lun);
            assert_eq!(read(lun).status, offload_scsi::GOOD);
        }
        let held = lock(&b.units[0]);
        std::thread::scope(|s| {
            let (to_other, from_other) = mpsc::channel();
            let (to_same, from_same) = mpsc::channel();
            s.spawn(move || to_other.send(read(1).status).unwrap());
            s.spawn(move || to_same.send(read(0).status).unwrap());
            let other = from_other.recv_timeout(Duration::from_secs(30));
            assert_eq!(other, Ok(offload_scsi::GOOD), "a command on unit 1 runs while unit 0 is busy");
            let same = from_same.recv_timeout(Duration::from_millis(300));
            assert!(same.is_err(), "a command on unit 0 waits while unit 0 is busy");
            drop(held);
            assert_eq!(from_same.recv_timeout(Duration::from_secs(30)), Ok(offload_scsi::GOOD), "then it runs");
        });
    }

    /// A thick unit is committed in huge pages and an eager zero (WRITE SAME of zeros over written
    /// blocks) leaves it reading zeros and still committed; a thin unit is in base pages and the same
    /// zeroing hands its pages back.
    #[test]
    fn thick_units_stay_committed_in_huge_pages_thin_units_release() {
        const BLOCKS: u64 = 8192; // 4 MiB of 512-byte blocks: two huge pages.
        let unit = |thin| UnitConfig { blocks: BLOCKS, block_size: 512, thin, ..UnitConfig::default() };
        let config = TargetConfig { units: vec![unit(false), unit(true)], ..TargetConfig::default() };
        let b = FastPathBackend::new(config, &Media::Memory).unwrap();
        let unit_kib = BLOCKS * 512 / 1024;
        let thp = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
            .is_ok_and(|mode| !mode.contains("[never]"));
        for (lun, thin) in [(0u16, false), (1, true)] {
            let run = |cdb: &[u8], data_out: &[u8]| {
                let answer = b.execute(&Command { initiator: "iqn.test", lun, cdb, data_out }).unwrap();
                assert_eq!(answer.status, offload_scsi::GOOD, "lun {lun}: {cdb:02x?}");
                answer
            };
            for lba in (0..BLOCKS).step_by(2048) {
                run(&write_same16(lba, 2048), &[0xA5; 512]);
            }
            for lba in (0..BLOCKS).step_by(2048) {
                run(&write_same16(lba, 2048), &[0; 512]);
            }
            for lba in (0..BLOCKS).step_by(64) {
                let mut read = [0u8; 16];
                read[0] = 0x88;
                read[2..10].copy_from_slice(&lba.to_be_bytes());
                read[10..14].copy_from_slice(&64u32.to_be_bytes());
                assert!(run(&read, &[]).data_in.iter().all(|&x| x == 0), "lun {lun} LBA {lba} reads zeros");
            }
            let (rss, flags) = mapping_of(lock(&b.units[usize::from(lun)]).data.as_ptr() as usize);
            let flags: Vec<&str> = flags.split_whitespace().collect();
            if thin {
                assert!(flags.contains(&"nh"), "thin: base pages ({flags:?})");
                assert!(rss < unit_kib, "thin: the zeroed pages are handed back ({rss} KiB resident)");
            } else {
                assert!(!thp || flags.contains(&"hg"), "thick: huge pages advised ({flags:?})");
                assert!(rss >= unit_kib, "thick: still committed after the eager zero ({rss} KiB resident)");
            }
        }
    }
}
