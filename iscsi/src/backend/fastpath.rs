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
pub struct FastPathBackend {
    units: Vec<FlatUnit>,
    limits: Limits,
    access: AccessMap,
    model: Target,
    images: Images,
    /// The fast path's data-in: room for the largest transfer the limits allow, allocated once.
    data_in: Vec<u8>,
    /// Where the fast path records the extents a command wrote ([`max_extents`] of them).
    extents: Vec<Extent>,
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
            units.push(FlatUnit {
                data,
                commit: commit_policy(u),
                provisioning,
                bad_blocks: u.bad_blocks.iter().copied().collect(),
                block_size: u.block_size,
                write_protected: u.write_protected,
                naa: config::naa_designator(u, i as u16),
            });
        }
        let limits = config.limits.clone();
        let largest_block = config.units.iter().map(|u| u.block_size).max().unwrap_or(512);
        let data_in = vec![0u8; limits.max_transfer_blocks as usize * largest_block as usize];
        let extents = vec![Extent::EMPTY; max_extents(&limits)];
        let access = config.access.clone();
        let images = Images::new(files, config.units.len());
        let model = Target::new(config)?;
        let mut backend = FastPathBackend { units, limits, access, model, images, data_in, extents };
        for extent in &loaded {
            backend.hand_over(extent);
        }
        // Check the units and limits once, as the fast path does on every command.
        let probe = Command { initiator: "", lun: 0, cdb: &[0x00], data_out: &[] };
        backend.run_fast_path(&probe).map_err(|e| SetupError::FastPath(e.to_string()))?;
        Ok(backend)
    }

    /// The fast path's answer to `c` and what it says it wrote; `Ok(None)` when it does not handle it.
    fn execute_fast_path(&mut self, c: &Command<'_>) -> Result<Option<FastAnswer>, BackendError> {
        let access = &self.access;
        let state = &self.model.state;
        let mut units: Vec<Unit<'_>> = self
            .units
            .iter_mut()
            .enumerate()
            .map(|(i, u)| Unit {
                data: &mut u.data,
                block_size: u.block_size,
                write_protected: u.write_protected,
                naa: u.naa,
                provisioning: u.provisioning.as_deref_mut(),
                bad_blocks: &u.bad_blocks,
                descriptor_sense: state.descriptor_sense(i as u16),
                write_cache: state.write_cache(i as u16),
                software_write_protected: state.software_write_protect(i as u16),
            })
            .collect();
        let gate = ModelGate { access, reservations: &state.reservations };
        let mut fp = FastPath::new(&mut units, self.limits.clone(), state.config.descriptor_sense, gate)
            .map_err(|e| BackendError::FastPathConfig(e.to_string()))?;
        let request = offload_fastpath::Request {
            initiator: c.initiator.as_bytes(),
            lun: c.lun,
            cdb: c.cdb,
            data_out: c.data_out,
        };
        let reply = fp.execute(&request, &mut self.data_in, &mut self.extents);
        if !reply.handled {
            return Ok(None);
        }
        let answer = Answer { status: reply.status, sense: reply.sense().to_vec(), data_in: reply.data_in.to_vec() };
        Ok(Some((answer, reply.written.to_vec(), reply.durable, reply.copy)))
    }

    /// Runs the fast path; `Ok(None)` when it does not handle the command. What the command wrote is
    /// handed to the model (provisioning) and to the image files, and an EXTENDED COPY is entered in the
    /// model's copy manager book, all from the fast path's own account of what it did.
    fn run_fast_path(&mut self, c: &Command<'_>) -> Result<Option<Answer>, BackendError> {
        let Some((answer, written, durable, copy)) = self.execute_fast_path(c)? else { return Ok(None) };
        for extent in &written {
            self.hand_over(extent);
            self.units[usize::from(extent.lun)].release(extent);
            let u = &self.units[usize::from(extent.lun)];
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
        if durable {
            self.images.make_durable(written.iter().map(|e| e.lun))?;
        }
        if let Some(copy) = copy {
            self.record_copy(c, &copy, &answer);
        }
        Ok(Some(answer))
    }

    /// Brings the model's provisioning state of an extent up to the fast path's: GET LBA STATUS and the
    /// other commands the model serves read it. Block contents are not copied: no command the model
    /// serves reads them, and a mapped block of zeros costs the model nothing.
    fn hand_over(&mut self, extent: &Extent) {
        let store = &mut self.model.memory.units[usize::from(extent.lun)];
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

    /// Enters an EXTENDED COPY the fast path ran in the model's copy manager book, as the model enters
    /// its own: RECEIVE COPY RESULTS answers for it alike.
    fn record_copy(&mut self, c: &Command<'_>, copy: &CopySummary, answer: &Answer) {
        let key = ListKey { initiator: c.initiator.to_owned(), lun: c.lun, list_id: copy.list_id };
        let record = CopyRecord {
            segments_processed: copy.segments_processed,
            bytes_transferred: copy.bytes_moved,
            failure: copy.failed_segment.map(|_| (answer.status, answer.sense.clone())),
            details_discarded: false,
        };
        let book = &mut self.model.state.copy_results;
        // One list at a time: the fast path's list is never refused as in progress.
        if book.start(&key).is_ok() {
            book.finish(&key, copy.usage, record);
        }
    }
}

/// Who may reach which unit (the access map) and what the units' reservations let them do there — the
/// model's reservation state, the one source of truth, asked for each EXTENDED COPY copy target.
struct ModelGate<'s> {
    access: &'s AccessMap,
    reservations: &'s Reservations,
}

impl Access for ModelGate<'_> {
    fn allows(&self, initiator: &[u8], lun: u16) -> bool {
        std::str::from_utf8(initiator).is_ok_and(|i| self.access.allows(i, lun))
    }

    fn permits(&self, initiator: &[u8], lun: u16, class: ReservationClass) -> bool {
        std::str::from_utf8(initiator).is_ok_and(|i| self.reservations.admits(i, lun, class))
    }
}

impl Backend for FastPathBackend {
    fn execute(&mut self, c: &Command<'_>) -> Result<Answer, BackendError> {
        let in_fast_path = command::lookup(c.cdb).is_ok_and(|spec| spec.command.in_fast_path());
        if !in_fast_path {
            let response = self.model.execute(&Request {
                initiator: c.initiator.to_owned(),
                lun: c.lun,
                cdb: c.cdb.to_vec(),
                data_out: c.data_out.to_vec(),
            });
            self.images.make_durable(response.durable.iter().map(|d| d.lun))?;
            return Ok(Answer { status: response.status, sense: response.sense, data_in: response.data_in });
        }
        // The state every command must obey is the model's: its gates (a pending unit attention, a
        // reservation conflict, a stopped unit) answer for the fast path, byte for byte as the model would.
        if let Some(refusal) = self.model.admit(c.initiator, c.lun, c.cdb) {
            return Ok(Answer { status: refusal.status, sense: refusal.sense, data_in: refusal.data_in });
        }
        self.run_fast_path(c)?.ok_or(BackendError::FastPathUnhandled(c.cdb[0]))
    }

    fn name(&self) -> &'static str {
        "fastpath"
    }

    fn syncs(&self) -> u64 {
        self.images.syncs()
    }

    fn nexus_lost(&mut self, initiator: &str) {
        self.model.nexus_loss(initiator);
    }

    // The model holds the state a reset changes (unit attentions, mode parameters, copy results); the
    // fast path reads D_SENSE and WCE from it on every command.
    fn logical_unit_reset(&mut self, initiator: &str, lun: u16) {
        self.model.logical_unit_reset(initiator, lun);
    }

    fn target_reset(&mut self, initiator: &str) {
        self.model.target_reset(initiator);
    }

    fn reconfigure(&mut self, config: &TargetConfig) -> Result<Vec<LiveChange>, ReconfigureError> {
        let changes = reconfigure::plan(&self.model.state.config, config)?;
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
            let old = &self.units[unit];
            data.copy_written(&old.data);
            if let (Some(new), Some(old)) = (&mut provisioning, &old.provisioning) {
                new.copy_written(old);
            }
            let u = &mut self.units[unit];
            u.data = data;
            u.provisioning = provisioning;
        }
        self.model.apply(&changes).map_err(NotLive::from)?;
        self.access = config.access.clone();
        Ok(changes)
    }

    fn sense_format(&self, lun: u16) -> SenseFormat {
        self.model.state.sense_format(lun)
    }

    fn config(&self) -> &TargetConfig {
        &self.model.state.config
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

    /// A thick unit is committed in huge pages and an eager zero (WRITE SAME of zeros over written
    /// blocks) leaves it reading zeros and still committed; a thin unit is in base pages and the same
    /// zeroing hands its pages back.
    #[test]
    fn thick_units_stay_committed_in_huge_pages_thin_units_release() {
        const BLOCKS: u64 = 8192; // 4 MiB of 512-byte blocks: two huge pages.
        let unit = |thin| UnitConfig { blocks: BLOCKS, block_size: 512, thin, ..UnitConfig::default() };
        let config = TargetConfig { units: vec![unit(false), unit(true)], ..TargetConfig::default() };
        let mut b = FastPathBackend::new(config, &Media::Memory).unwrap();
        let unit_kib = BLOCKS * 512 / 1024;
        let thp = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
            .is_ok_and(|mode| !mode.contains("[never]"));
        for (lun, thin) in [(0u16, false), (1, true)] {
            let mut run = |cdb: &[u8], data_out: &[u8]| {
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
            let (rss, flags) = mapping_of(b.units[usize::from(lun)].data.as_ptr() as usize);
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
