//! The software fast path as the back end, with a reference model serving the commands it does not
//! implement (see the parent module's documentation).

use offload_fastpath::{
    Access, CopySummary, Extent, FastPath, Footprint, Hint, Limits, Unit, Window, footprint, max_extents,
};
use offload_model::config::{self, AccessMap, TargetConfig, UnitConfig};
use offload_model::image::nonzero_runs;
use offload_model::media::WriteHint;
use offload_model::scsi::copy_manager::{CopyRecord, ListKey};
use offload_model::scsi::{Request, Target};
use offload_scsi::{ReservationClass, SenseFormat, command};
use std::cell::RefCell;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use super::image::{Images, Media, image_units};
use super::refuse_image_resizes;
use super::sparse_memory::{self, Commit, SparseMemory};
use super::{Answer, Backend, BackendError, Command, LiveChange, NotLive, ReconfigureError, SetupError};
use offload_model::scsi::reconfigure;

/// One unit's flat memory for the fast path: committed as it is written, however large the unit, and
/// lent to commands a run of blocks at a time ([`FlatUnit::lend`]).
struct FlatUnit {
    data: SparseMemory,
    /// How `data` is committed ([`commit_policy`]).
    commit: Commit,
    /// 2 bits a block (mapped, anchored), `None` for a thick unit.
    provisioning: Option<SparseMemory>,
    bad_blocks: Vec<u64>,
    block_size: u32,
    /// Capacity in blocks.
    blocks: u64,
    /// What a thin unit's windows are widened to, in blocks: whole bytes of provisioning state (4
    /// blocks) and whole pages of data, so that the pages a command zeroes are all its own to hand back.
    grain: u64,
    write_protected: bool,
    naa: [u8; 16],
    /// Commands running on the unit now.
    running: AtomicUsize,
}

impl FlatUnit {
    /// Lends a command blocks `blocks` of the unit (widened on a thin unit, see [`FlatUnit::grain`]), or
    /// all of it for `None`, once no command lent any of them before still holds them. Windows are asked
    /// for data before provisioning state (the order every command keeps).
    fn lend(&self, blocks: Option<Range<u64>>) -> Lent<'_> {
        let (first, range) = match blocks {
            None => (None, 0..self.blocks),
            Some(r) if self.provisioning.is_some() => {
                let start = r.start / self.grain * self.grain;
                let end = if r.is_empty() { start } else { r.end.next_multiple_of(self.grain).min(self.blocks) };
                (Some(start), start..end)
            }
            Some(r) => (Some(r.start), r),
        };
        let bs = self.block_size as usize;
        let data = self.data.lend(range.start as usize * bs..range.end as usize * bs);
        let provisioning =
            self.provisioning.as_ref().map(|p| p.lend(range.start as usize / 4..range.end.div_ceil(4) as usize));
        // A command lent no blocks of the unit does not run on it.
        let runs = !range.is_empty();
        let beside = runs && self.running.fetch_add(1, Ordering::Relaxed) > 0;
        Lent { unit: self, first, data, provisioning, runs, beside }
    }
}

/// The blocks of a unit a command has to itself while it runs: windows of the unit's data and
/// provisioning state. Returned when dropped.
struct Lent<'b> {
    unit: &'b FlatUnit,
    /// The first block the windows hold; `None` when they hold the whole unit.
    first: Option<u64>,
    data: sparse_memory::Window<'b>,
    provisioning: Option<sparse_memory::Window<'b>>,
    /// The windows hold blocks: the command runs on the unit (counted in its `running`).
    runs: bool,
    /// Another command ran on the unit when these blocks were lent.
    beside: bool,
}

impl Lent<'_> {
    /// Block `lba`'s bytes (a block the windows hold).
    fn block(&self, lba: u64) -> &[u8] {
        let bs = self.unit.block_size as usize;
        &self.data[(lba - self.first.unwrap_or(0)) as usize * bs..][..bs]
    }

    /// Hands back the memory of an extent the fast path left reading zeros: its data, and the
    /// provisioning state of deallocated blocks (00b, zero bytes too). Written data stays, and so does
    /// all of a unit committed in huge pages (a thick unit, see [`commit_policy`]). Only pages wholly
    /// inside the windows go: the bytes around them are other commands'.
    fn release(&mut self, extent: &Extent) {
        if extent.hint == Hint::Data || self.unit.commit == Commit::HugePages {
            return;
        }
        // Offsets into the windows (a thin unit's start at a multiple of 4 blocks, where a byte of
        // states does).
        let first = self.first.unwrap_or(0);
        let (start, end) = ((extent.lba - first) as usize, (extent.lba + extent.blocks - first) as usize);
        let bs = self.unit.block_size as usize;
        self.data.release_zeros(start * bs..end * bs);
        if let (Hint::Deallocate, Some(bits)) = (extent.hint, &mut self.provisioning) {
            // The bytes whose four blocks all lie inside the extent hold zeros; the bytes around them
            // hold other blocks' states too, and are checked with the rest of their pages.
            let inner = start.div_ceil(4);
            bits.release_zeros(inner..(end / 4).max(inner));
        }
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        // Before the windows go back: a command lent them next never counts this one as beside it.
        if self.runs {
            self.unit.running.fetch_sub(1, Ordering::Relaxed);
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
/// Concurrency: a fast-path command is lent the blocks it may touch — its footprint
/// (`offload_fastpath::footprint`: the range its CDB names; all of its unit for UNMAP, whose ranges are
/// in its parameter list; for EXTENDED COPY, on each unit, the blocks its segments name there) — as
/// windows of the units' memory, for its whole run, asked for in LUN order. Blocks lent to one command are lent to no
/// other until it ends, in the order the commands asked for them. The model has a lock of its own, held
/// only briefly, with the windows lent, for the gates and the state the fast path reads before it runs
/// and for the hand-over after. Commands on different units, or on disjoint blocks of one unit, run at
/// once; commands whose footprints overlap run one at a time, each atomic over its blocks, which is what
/// makes COMPARE AND WRITE atomic and every history linearizable (`tests/linearizability.rs`). Commands
/// the model serves take the model's lock alone.
pub struct FastPathBackend {
    units: Vec<FlatUnit>,
    limits: Limits,
    access: AccessMap,
    model: Mutex<Target>,
    images: Images,
    /// The largest data-in the limits allow.
    data_in_bytes: usize,
    /// Commands that started while another command ran on the same unit ([`Backend::ran_beside`]).
    ran_beside: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A command that panicked (caught by the session layer) must not take the unit down with it.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

thread_local! {
    /// Each executing thread's extent buffer, grown once to what the limits allow.
    static EXTENTS: RefCell<Vec<Extent>> = const { RefCell::new(Vec::new()) };
}

/// The units a fast-path command runs over, lent, and how its LUN maps onto them.
struct Scope<'b> {
    /// The lent units, in LUN order.
    units: Vec<Lent<'b>>,
    /// The LUN of `units[0]` when the command runs over its own unit alone (the fast path then sees that
    /// unit as LUN 0); `None` when it runs over every unit, each at its own LUN.
    alone: Option<u16>,
}

impl<'b> Scope<'b> {
    /// The lent unit that holds `lun` (an outer LUN).
    fn unit(&mut self, lun: u16) -> &mut Lent<'b> {
        let index = if self.alone.is_some() { 0 } else { usize::from(lun) };
        &mut self.units[index]
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
                    data.as_mut_slice()[first * bs..][..run.len()].copy_from_slice(run);
                    let blocks = run.len() / bs;
                    if let Some(bits) = &mut provisioning {
                        let bits = bits.as_mut_slice();
                        for block in first..first + blocks {
                            bits[block / 4] |= 1 << ((block % 4) * 2);
                        }
                    }
                    loaded.push(Extent { lun: i as u16, lba, blocks: blocks as u64, hint: Hint::Data });
                })
                .map_err(|source| SetupError::Image { path: path.clone(), source })?;
            }
            units.push(FlatUnit {
                data,
                commit: commit_policy(u),
                provisioning,
                bad_blocks: u.bad_blocks.iter().copied().collect(),
                block_size: u.block_size,
                blocks: u.blocks,
                grain: (rustix::param::page_size() as u64 / u64::from(u.block_size)).max(4),
                write_protected: u.write_protected,
                naa: config::naa_designator(u, i as u16),
                running: AtomicUsize::new(0),
            });
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
        let ran_beside = AtomicU64::new(0);
        let backend =
            FastPathBackend { units, limits, access, model: Mutex::new(model), images, data_in_bytes, ran_beside };
        // Check the units and limits once, as the fast path does on every command.
        let probe = Command { initiator: "", lun: 0, cdb: &[0x00], data_out: &[] };
        let mut scope = backend.lend_every_unit();
        backend.execute_fast_path(&probe, &mut scope).map_err(|e| SetupError::FastPath(e.to_string()))?;
        drop(scope);
        Ok(backend)
    }

    /// Lends command `c` the blocks it may touch ([`footprint`]): a run of its own unit's, all of its
    /// unit, or for an EXTENDED COPY the blocks its segments name on each unit. None for a LUN with no
    /// unit.
    fn lend(&self, c: &Command<'_>) -> Scope<'_> {
        let Some(unit) = self.units.get(usize::from(c.lun)) else {
            // Every unit lent nothing (no wait): the fast path answers LOGICAL UNIT NOT SUPPORTED.
            return Scope { units: self.units.iter().map(|u| u.lend(Some(0..0))).collect(), alone: None };
        };
        let scope = match footprint(c.cdb, unit.blocks) {
            Footprint::Every => {
                let hulls = self.copy_footprint(c);
                Scope { units: self.units.iter().zip(hulls).map(|(u, hull)| u.lend(Some(hull))).collect(), alone: None }
            }
            Footprint::Unit => Scope { units: vec![unit.lend(None)], alone: Some(c.lun) },
            Footprint::Blocks { start, end } => Scope { units: vec![unit.lend(Some(start..end))], alone: Some(c.lun) },
        };
        if scope.units.iter().any(|lent| lent.beside) {
            self.ran_beside.fetch_add(1, Ordering::Relaxed);
        }
        scope
    }

    /// The blocks EXTENDED COPY `c` may touch on each unit (`FastPath::copy_footprint`), found over the
    /// units lent with nothing held: their designators, capacities and the access map are all it reads.
    fn copy_footprint(&self, c: &Command<'_>) -> Vec<Range<u64>> {
        let mut units: Vec<Unit<'_>> =
            self.units.iter().map(|u| Unit::unheld(u.block_size, u.naa, u.blocks, u.provisioning.is_some())).collect();
        let gate = ModelGate { access: &self.access, permitted: Vec::new(), alone: None };
        let mut hulls = vec![0..0; self.units.len()];
        // Units and limits were checked when the back end was built.
        if let Ok(mut fp) = FastPath::new(&mut units, self.limits.clone(), false, gate) {
            let request = offload_fastpath::Request {
                initiator: c.initiator.as_bytes(),
                lun: c.lun,
                cdb: c.cdb,
                data_out: c.data_out,
            };
            fp.copy_footprint(&request, &mut hulls);
        }
        hulls
    }

    /// Every unit, whole, lent in LUN order.
    fn lend_every_unit(&self) -> Scope<'_> {
        Scope { units: self.units.iter().map(|u| u.lend(None)).collect(), alone: None }
    }

    /// The fast path's answer to `c` over the lent `scope` and what it says it wrote (at the outer
    /// LUNs); `Ok(None)` when it does not handle it. The model's lock is held only while the state the
    /// command obeys is read from it: mode parameters and, for an EXTENDED COPY, what each copy target's
    /// reservations let the initiator do (decided when the copy starts, as a command's reservation
    /// check is made when it starts).
    fn execute_fast_path(&self, c: &Command<'_>, scope: &mut Scope<'_>) -> Result<Option<FastAnswer>, BackendError> {
        let model = lock(&self.model);
        let alone = scope.alone;
        // The mode parameters each unit's command obeys (D_SENSE, WCE, SWP), read under the model's lock.
        let modes: Vec<(bool, bool, bool)> = (0..scope.units.len())
            .map(|i| {
                let lun = alone.unwrap_or(i as u16);
                let s = &model.state;
                (s.descriptor_sense(lun), s.write_cache(lun), s.software_write_protect(lun))
            })
            .collect();
        let power_on_descriptor_sense = model.state.config.descriptor_sense;
        let permitted: Vec<[bool; 2]> = match alone {
            Some(_) => Vec::new(),
            None => (0..scope.units.len() as u16)
                .map(|lun| {
                    let r = &model.state.reservations;
                    [ReservationClass::Read, ReservationClass::Exclusive].map(|class| r.admits(c.initiator, lun, class))
                })
                .collect(),
        };
        drop(model);
        // The fast path reads into the answer's own buffer, sized to what the command returns: the data-in
        // goes from there to the socket (the outbox lends it to the vectored write), copied nowhere else.
        let room = scope.units.first().map_or(0, |lent| {
            let u = lent.unit;
            offload_fastpath::data_in_bytes(c.cdb, u.blocks, u.block_size).min(self.data_in_bytes as u64)
        });
        let mut data_in = vec![0u8; room as usize];
        let mut units: Vec<Unit<'_>> = scope
            .units
            .iter_mut()
            .zip(&modes)
            .map(|(lent, &(descriptor_sense, write_cache, software_write_protected))| {
                let u: &FlatUnit = lent.unit;
                Unit {
                    data: &mut lent.data,
                    block_size: u.block_size,
                    write_protected: u.write_protected,
                    naa: u.naa,
                    provisioning: lent.provisioning.as_deref_mut(),
                    bad_blocks: &u.bad_blocks,
                    descriptor_sense,
                    write_cache,
                    software_write_protected,
                    window: lent.first.map(|first| Window { first, capacity: u.blocks }),
                }
            })
            .collect();
        let gate = ModelGate { access: &self.access, permitted, alone };
        let mut fp = FastPath::new(&mut units, self.limits.clone(), power_on_descriptor_sense, gate)
            .map_err(|e| BackendError::FastPathConfig(e.to_string()))?;
        let lun = alone.map_or(c.lun, |_| 0);
        let request =
            offload_fastpath::Request { initiator: c.initiator.as_bytes(), lun, cdb: c.cdb, data_out: c.data_out };
        let extent_count = max_extents(&self.limits);
        let answer = EXTENTS.with_borrow_mut(|extents| {
            if extents.len() < extent_count {
                extents.resize(extent_count, Extent::EMPTY);
            }
            let reply = fp.execute(&request, &mut data_in, extents);
            if !reply.handled {
                return None;
            }
            let written =
                reply.written.iter().map(|e| Extent { lun: alone.unwrap_or(e.lun), ..*e }).collect::<Vec<_>>();
            Some((reply.status, reply.sense().to_vec(), reply.data_in.len(), written, reply.durable, reply.copy))
        });
        Ok(answer.map(|(status, sense, len, written, durable, copy)| {
            data_in.truncate(len);
            (Answer { status, sense, data_in }, written, durable, copy)
        }))
    }

    /// Runs the fast path over the lent `scope`; `Ok(None)` when it does not handle the command. What
    /// the command wrote is handed to the model (provisioning) and to the image files, and an EXTENDED
    /// COPY is entered in the model's copy manager book, all from the fast path's own account of what it
    /// did, before its blocks are returned: a command lent them after it sees all of it.
    fn run_fast_path(&self, c: &Command<'_>, scope: &mut Scope<'_>) -> Result<Option<Answer>, BackendError> {
        let Some((answer, written, durable, copy)) = self.execute_fast_path(c, scope)? else { return Ok(None) };
        for extent in &written {
            let lent = scope.unit(extent.lun);
            lent.release(extent);
            let (lun, block_size) = (usize::from(extent.lun), lent.unit.block_size);
            let released = matches!(extent.hint, Hint::Deallocate | Hint::Anchor);
            if released && lent.provisioning.is_some() {
                self.images.release(lun, block_size, extent.lba, extent.blocks)?;
            } else {
                self.images.persist(lun, block_size, extent.lba, extent.blocks, |l, b| {
                    b.copy_from_slice(lent.block(l));
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

/// Who may reach which unit (the access map) and what the units' reservations let the command's
/// initiator do there — read from the model's reservation state, the one source of truth, for an
/// EXTENDED COPY's copy targets.
struct ModelGate<'s> {
    access: &'s AccessMap,
    /// Per unit, whether its reservations admit the initiator's reads and its writes; empty for a
    /// command that runs over its own unit alone (whose gate is the model's `admit`, asked first).
    permitted: Vec<[bool; 2]>,
    /// The outer LUN of a command that runs over its own unit alone, seen as LUN 0.
    alone: Option<u16>,
}

impl Access for ModelGate<'_> {
    fn allows(&self, initiator: &[u8], lun: u16) -> bool {
        let lun = self.alone.unwrap_or(lun);
        std::str::from_utf8(initiator).is_ok_and(|i| self.access.allows(i, lun))
    }

    fn permits(&self, _initiator: &[u8], lun: u16, class: ReservationClass) -> bool {
        // Decided for the command's initiator, the only one the fast path asks for; a command lent no
        // reservation state is permitted nothing.
        let permitted = self.permitted.get(usize::from(self.alone.unwrap_or(lun)));
        match class {
            ReservationClass::Read => permitted.is_some_and(|p| p[0]),
            ReservationClass::Exclusive => permitted.is_some_and(|p| p[1]),
            _ => false,
        }
    }
}

impl Backend for FastPathBackend {
    fn execute(&self, c: &Command<'_>) -> Result<Answer, BackendError> {
        let in_fast_path = command::lookup(c.cdb).is_ok_and(|spec| spec.command.in_fast_path());
        if !in_fast_path {
            let response = lock(&self.model).execute(&Request {
                initiator: c.initiator.to_owned(),
                lun: c.lun,
                cdb: c.cdb.to_vec(),
                data_out: c.data_out.to_vec(),
            });
            self.images.make_durable(response.durable.iter().map(|d| d.lun))?;
            return Ok(Answer { status: response.status, sense: response.sense, data_in: response.data_in });
        }
        let mut scope = self.lend(c);
        // The state every command must obey is the model's: its gates (a pending unit attention, a
        // reservation conflict, a stopped unit) answer for the fast path, byte for byte as the model would.
        // Asked with the blocks lent, so no command on them slips between the gates and the run.
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

    fn ran_beside(&self) -> u64 {
        self.ran_beside.load(Ordering::Relaxed)
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
                resized.push((unit, *blocks, memory));
            }
        }
        for (unit, blocks, (mut data, mut provisioning)) in resized {
            let u = &mut self.units[unit];
            data.copy_written(&mut u.data);
            if let (Some(new), Some(old)) = (&mut provisioning, &mut u.provisioning) {
                new.copy_written(old);
            }
            u.data = data;
            u.provisioning = provisioning;
            u.blocks = blocks;
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
    use offload_vectors::cdb;

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

    fn write16(lba: u64, blocks: u32) -> [u8; 16] {
        let mut cdb = write_same16(lba, blocks);
        cdb[0] = 0x8A;
        cdb
    }

    /// A command waits for a command on its blocks, and not for one on other blocks of its unit or on
    /// another unit; an UNMAP waits for any command on its unit, an EXTENDED COPY for one on the blocks
    /// its segments name. Blocks lent here stand for a long command running on them.
    #[test]
    fn commands_wait_only_for_commands_on_their_blocks() {
        use std::sync::mpsc;
        use std::time::Duration;
        for thin in [false, true] {
            let unit = UnitConfig { blocks: 64, block_size: 512, thin, ..UnitConfig::default() };
            let config = TargetConfig { units: vec![unit.clone(), unit], ..TargetConfig::default() };
            let b = FastPathBackend::new(config, &Media::Memory).unwrap();
            let run = |lun, cdb: &[u8], data_out: &[u8]| {
                b.execute(&Command { initiator: "iqn.test", lun, cdb, data_out }).unwrap().status
            };
            for lun in [0, 1] {
                // The first command of the nexus finds the power-on unit attention; the second reads.
                run(lun, &read16(0, 1), &[]);
                assert_eq!(run(lun, &read16(0, 1), &[]), offload_scsi::GOOD);
            }
            // A command running on blocks 16..24 of unit 0.
            let held = b.units[0].lend(Some(16..24));
            // Blocks 24..26 and 12..16 share no page of data and no byte of provisioning state with
            // 16..24 (a thin unit's windows are widened to 8 blocks of 512 bytes: a page).
            let unmap_list = [&[0, 22, 0, 16][..], &[0; 4], &10u64.to_be_bytes(), &[0, 0, 0, 1], &[0; 4]].concat();
            // Unit 1's blocks 0..4 copied to unit 0 at `to`.
            let copy = |to| {
                let cscds = [cdb::cscd(&b.units[1].naa, 512), cdb::cscd(&b.units[0].naa, 512)];
                cdb::copy_list(0, 0b11, &cscds, &[cdb::segment(0, 1, 4, 0, to)])
            };
            let (apart, onto) = (copy(40), copy(20));
            let xcopy = |list: &Vec<u8>| cdb::extended_copy(list.len() as u32);
            let cases = [
                ("another unit", 1, read16(16, 8).to_vec(), vec![], true),
                ("blocks after", 0, write16(24, 2).to_vec(), vec![7; 1024], true),
                ("blocks before", 0, read16(12, 4).to_vec(), vec![], true),
                ("EXTENDED COPY to other blocks", 1, xcopy(&apart), apart.clone(), true),
                ("an overlapping read", 0, read16(23, 2).to_vec(), vec![], false),
                ("an overlapping write", 0, write16(10, 7).to_vec(), vec![7; 3584], false),
                ("EXTENDED COPY onto the blocks", 1, xcopy(&onto), onto.clone(), false),
                ("UNMAP", 0, vec![0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0], unmap_list, false),
                // Blocks are lent in the order asked: the UNMAP, waiting for all of the unit, goes first.
                ("blocks after, asked after the UNMAP", 0, write16(24, 2).to_vec(), vec![7; 1024], false),
            ];
            std::thread::scope(|s| {
                let mut waiting = Vec::new();
                for (what, lun, cdb, data_out, runs) in cases {
                    let (done, finished) = mpsc::channel();
                    s.spawn(move || done.send(run(lun, &cdb, &data_out)).unwrap());
                    if runs {
                        let status = finished.recv_timeout(Duration::from_secs(30));
                        assert_eq!(status, Ok(offload_scsi::GOOD), "thin {thin}: {what} runs beside the held blocks");
                    } else {
                        let status = finished.recv_timeout(Duration::from_millis(200));
                        assert!(status.is_err(), "thin {thin}: {what} waits for the held blocks");
                        waiting.push((what, finished));
                    }
                }
                drop(held);
                for (what, finished) in waiting {
                    assert!(finished.recv_timeout(Duration::from_secs(30)).is_ok(), "thin {thin}: then {what} runs");
                }
            });
        }
    }

    /// A command to a LUN with no unit, an EXTENDED COPY too, is answered LOGICAL UNIT NOT SUPPORTED by
    /// the fast path, and waits for no command on the units.
    #[test]
    fn a_lun_with_no_unit_is_not_supported_and_waits_for_nothing() {
        let unit = UnitConfig { blocks: 64, block_size: 512, ..UnitConfig::default() };
        let b = FastPathBackend::new(TargetConfig { units: vec![unit], ..TargetConfig::default() }, &Media::Memory)
            .unwrap();
        let _held = b.units[0].lend(None);
        let list = cdb::copy_list(0, 0b11, &[cdb::cscd(&b.units[0].naa, 512)], &[cdb::segment(0, 0, 4, 0, 8)]);
        for (cdb, data_out) in [(cdb::extended_copy(list.len() as u32), list.clone()), (read16(0, 1).to_vec(), vec![])]
        {
            let answer = b.execute(&Command { initiator: "iqn.test", lun: 5, cdb: &cdb, data_out: &data_out }).unwrap();
            let sense = offload_scsi::sense::decode(&answer.sense).unwrap();
            assert_eq!(
                (answer.status, sense.asc),
                (offload_scsi::CHECK_CONDITION, offload_scsi::Asc::LOGICAL_UNIT_NOT_SUPPORTED)
            );
        }
    }

    /// Two threads writing disjoint halves of one unit run side by side (the counter shows it); two
    /// writing the same blocks never do, and each write lands whole.
    #[test]
    fn disjoint_writes_on_one_unit_run_side_by_side_overlapping_ones_never() {
        let unit = UnitConfig { blocks: 4096, block_size: 512, ..UnitConfig::default() };
        let config = TargetConfig { units: vec![unit], ..TargetConfig::default() };
        let b = FastPathBackend::new(config, &Media::Memory).unwrap();
        let write = |lba, fill: u8| {
            let data = vec![fill; 256 * 512];
            b.execute(&Command { initiator: "iqn.test", lun: 0, cdb: &write16(lba, 256), data_out: &data }).unwrap()
        };
        write(0, 0); // the power-on unit attention
        // Bounded: on a machine with more than one core the two meet within a few writes.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut rounds = 0;
        while b.ran_beside() == 0 && rounds < 50 {
            std::thread::scope(|s| {
                s.spawn(|| (0..200).for_each(|_| assert_eq!(write(0, 1).status, offload_scsi::GOOD)));
                s.spawn(|| (0..200).for_each(|_| assert_eq!(write(2048, 2).status, offload_scsi::GOOD)));
            });
            rounds += 1;
        }
        assert!(cores == 1 || b.ran_beside() > 0, "disjoint writes ran side by side ({rounds} rounds)");
        let beside = b.ran_beside();
        std::thread::scope(|s| {
            for fill in [3, 4] {
                s.spawn(move || (0..400).for_each(|_| assert_eq!(write(1024, fill).status, offload_scsi::GOOD)));
            }
        });
        assert_eq!(b.ran_beside(), beside, "writes to the same blocks never run side by side");
        let read = b.execute(&Command { initiator: "iqn.test", lun: 0, cdb: &read16(1024, 256), data_out: &[] });
        let data = read.unwrap().data_in;
        assert!(data.iter().all(|&x| x == data[0]) && [3, 4].contains(&data[0]), "one write's data, whole");
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
            let (rss, flags) = mapping_of(b.units[usize::from(lun)].data.address());
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
