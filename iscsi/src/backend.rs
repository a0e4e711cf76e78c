//! Execution back ends: what turns a SCSI command (initiator, LUN, CDB, data-out) into status, sense and
//! data-in behind the iSCSI layer.
//!
//! - [`ModelBackend`]: the reference model (`offload_model::scsi::Target`) executes every command.
//! - [`FastPathBackend`]: the software fast path (`offload_fastpath::FastPath`) executes the commands it
//!   implements — READ/WRITE (10)/(16), COMPARE AND WRITE, WRITE SAME (10)/(16), UNMAP, EXTENDED COPY
//!   (LID1) — over flat memory, one buffer per unit. Every other command (INQUIRY, READ CAPACITY, MODE
//!   SENSE/SELECT, GET LBA STATUS, RECEIVE COPY RESULTS, REPORT LUNS, REPORT SUPPORTED OPERATION CODES,
//!   TEST UNIT READY, and anything unknown) goes to a reference model configured identically. The two
//!   share the media state those commands read:
//!   - **provisioning**: every extent a fast-path command reports it wrote is written into the model's
//!     unit with the matching hint (mapped, deallocated, anchored), so GET LBA STATUS sees what the fast
//!     path did. Block contents are not copied: no command the model serves reads them.
//!   - **D_SENSE**: MODE SELECT runs in the model; each fast-path command takes its unit's D_SENSE from
//!     the model, so both render sense in the same format.
//!   - **copy results**: an EXTENDED COPY the fast path ran is entered in the model's copy manager book
//!     from the fast path's copy summary (list identifier, usage, segments processed, bytes moved, failure
//!     sense), so RECEIVE COPY RESULTS answers for it as for a copy the model ran.
//!
//!   The back end reads no CDB, parameter list or sense itself: the shared command table says which
//!   commands go to the fast path, and the fast path's reply says what they did.
//!
//! Units are fresh memory or image files ("sparse files": zero blocks are not stored by the model, and
//! a missing image is created sparse). Changes reach an image file as they are made: the model back end
//! writes the destination range of every engine job a command ran; the fast path back end writes the
//! extents the fast path reports.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use offload_fastpath::{CopySummary, Extent, FastPath, Hint, Limits, Unit, max_extents};
use offload_model::address::{self, Region};
use offload_model::config::{self, AccessMap, TargetConfig, UnitConfig};
use offload_model::media::WriteHint;
use offload_model::scsi::copy_manager::{CopyRecord, ListKey};
use offload_model::scsi::{Request, Target};
use offload_scsi::{SenseFormat, command};

/// One SCSI command as the iSCSI layer hands it over.
#[derive(Clone, Copy, Debug)]
pub struct Command<'a> {
    pub initiator: &'a str,
    pub lun: u16,
    pub cdb: &'a [u8],
    pub data_out: &'a [u8],
}

/// A command's result.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answer {
    pub status: u8,
    pub sense: Vec<u8>,
    pub data_in: Vec<u8>,
}

/// Why a back end could not execute a command (the iSCSI layer answers "target failure").
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("the fast path did not execute a command it implements (opcode {0:#04x})")]
    FastPathUnhandled(u8),
    #[error("the fast path refused its units or limits: {0}")]
    FastPathConfig(String),
    #[error("{path}: {source}")]
    Image { path: PathBuf, source: std::io::Error },
}

/// Why a back end could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("configuration: {0}")]
    Config(#[from] config::ConfigError),
    #[error("fast path: {0}")]
    FastPath(String),
    #[error("{path}: {source}")]
    Image { path: PathBuf, source: std::io::Error },
    #[error("{path}: size {size} is not a positive multiple of the block size {block_size}")]
    ImageSize { path: PathBuf, size: u64, block_size: u32 },
    #[error("unit {unit}: {bytes} bytes do not fit this machine's address space")]
    TooLarge { unit: usize, bytes: u64 },
}

/// An execution back end.
pub trait Backend: Send {
    /// Executes one command to completion.
    fn execute(&mut self, command: &Command<'_>) -> Result<Answer, BackendError>;
    /// "model" or "fastpath".
    fn name(&self) -> &'static str;
    /// The target configuration (units, access map, limits).
    fn config(&self) -> &TargetConfig;
    /// I_T nexus loss: `initiator`'s session ended. The copy manager discards the copy results it held
    /// for the initiator's EXTENDED COPY lists, which do not outlive the nexus they were issued on.
    fn nexus_lost(&mut self, initiator: &str);
    /// The sense format for `lun`: its control mode page's D_SENSE.
    fn sense_format(&self, lun: u16) -> SenseFormat;
}

/// Whether `initiator` may reach logical unit `lun` (it exists and the access map allows it).
pub fn reachable(config: &TargetConfig, initiator: &str, lun: u16) -> bool {
    usize::from(lun) < config.units.len() && config.access.allows(initiator, lun)
}

/// Image files behind units (`None`: memory only), written through as blocks change.
struct Images {
    files: Vec<Option<(PathBuf, File)>>,
}

impl Images {
    fn none(units: usize) -> Self {
        Images { files: (0..units).map(|_| None).collect() }
    }

    /// Writes blocks `lba..lba + count` of `unit`, whose contents `read` provides block by block.
    fn persist(
        &self,
        unit: usize,
        block_size: u32,
        lba: u64,
        count: u64,
        mut read: impl FnMut(u64, &mut [u8]) -> bool,
    ) -> Result<(), BackendError> {
        let Some(Some((path, file))) = self.files.get(unit) else { return Ok(()) };
        let bs = u64::from(block_size);
        let mut block = vec![0u8; block_size as usize];
        for l in lba..lba.saturating_add(count) {
            if read(l, &mut block) {
                file.write_all_at(&block, l * bs)
                    .map_err(|source| BackendError::Image { path: path.clone(), source })?;
            }
        }
        Ok(())
    }
}

/// Opens (or creates, sparse, with `template`'s capacity) an image file and returns its unit's
/// configuration: `template` with the capacity the file's size gives.
fn open_image(path: &Path, template: &UnitConfig) -> Result<(File, UnitConfig), SetupError> {
    let io = |source| SetupError::Image { path: path.to_owned(), source };
    let file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path).map_err(io)?;
    let bs = u64::from(template.block_size);
    let mut size = file.metadata().map_err(io)?.len();
    if size == 0 {
        size = template.blocks * bs;
        file.set_len(size).map_err(io)?;
    }
    if size == 0 || !size.is_multiple_of(bs) {
        return Err(SetupError::ImageSize { path: path.to_owned(), size, block_size: template.block_size });
    }
    Ok((file, UnitConfig { blocks: size / bs, ..template.clone() }))
}

/// Where each unit's contents come from.
#[derive(Clone, Debug, Default)]
pub enum Media {
    /// Fresh memory for every configured unit.
    #[default]
    Memory,
    /// One image file per unit (replacing the configured units; `template` gives block size, thin or
    /// thick, and the capacity of a file that does not exist yet).
    Images { paths: Vec<PathBuf>, template: UnitConfig },
}

fn image_units(config: &mut TargetConfig, media: &Media) -> Result<Vec<(PathBuf, File)>, SetupError> {
    let Media::Images { paths, template } = media else { return Ok(Vec::new()) };
    config.units.clear();
    let mut files = Vec::new();
    for path in paths {
        let (file, unit) = open_image(path, template)?;
        config.units.push(unit);
        files.push((path.clone(), file));
    }
    Ok(files)
}

/// The reference model executes everything.
pub struct ModelBackend {
    target: Target,
    images: Images,
}

impl ModelBackend {
    pub fn new(mut config: TargetConfig, media: &Media) -> Result<Self, SetupError> {
        let files = image_units(&mut config, media)?;
        if files.is_empty() {
            let images = Images::none(config.units.len());
            return Ok(ModelBackend { target: Target::new(config)?, images });
        }
        let mut stores = Vec::new();
        for ((path, _), unit) in files.iter().zip(&config.units) {
            let store = offload_model::image::load(path, unit)
                .map_err(|e| SetupError::Image { path: path.clone(), source: std::io::Error::other(e.to_string()) })?;
            stores.push(store);
        }
        let images = Images { files: files.into_iter().map(Some).collect() };
        Ok(ModelBackend { target: Target::with_units(config, stores)?, images })
    }

    /// The model itself (for inspection in tests).
    pub fn target(&self) -> &Target {
        &self.target
    }
}

impl Backend for ModelBackend {
    fn execute(&mut self, c: &Command<'_>) -> Result<Answer, BackendError> {
        let request = Request {
            initiator: c.initiator.to_owned(),
            lun: c.lun,
            cdb: c.cdb.to_vec(),
            data_out: c.data_out.to_vec(),
        };
        let response = self.target.execute(&request);
        // Write through: every block an engine job wrote (its destination range on a unit).
        for record in &response.jobs {
            if record.completion.status == offload_model::engine::CompletionStatus::Miscompare {
                continue;
            }
            if let Region::Unit { unit, offset } = address::decode(record.job.dst) {
                let store = &self.target.memory.units[usize::from(unit)];
                let lba = offset >> record.job.block_shift;
                self.images.persist(usize::from(unit), store.block_size(), lba, record.job.blocks.into(), |l, b| {
                    store.read_block(l, b).is_ok()
                })?;
            }
        }
        Ok(Answer { status: response.status, sense: response.sense, data_in: response.data_in })
    }

    fn name(&self) -> &'static str {
        "model"
    }

    fn nexus_lost(&mut self, initiator: &str) {
        self.target.nexus_loss(initiator);
    }

    fn sense_format(&self, lun: u16) -> SenseFormat {
        self.target.state.sense_format(lun)
    }

    fn config(&self) -> &TargetConfig {
        &self.target.state.config
    }
}

/// One unit's flat memory for the fast path.
struct FlatUnit {
    data: Vec<u8>,
    /// 2 bits a block (mapped, anchored), `None` for a thick unit.
    provisioning: Option<Vec<u8>>,
    bad_blocks: Vec<u64>,
    block_size: u32,
    write_protected: bool,
    naa: [u8; 16],
}

/// A fast-path command's answer, the extents it wrote and, for EXTENDED COPY, its summary.
type FastAnswer = (Answer, Vec<Extent>, Option<CopySummary>);

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
            let bytes = u.blocks * u64::from(u.block_size);
            let len = usize::try_from(bytes).map_err(|_| SetupError::TooLarge { unit: i, bytes })?;
            let mut data = vec![0u8; len];
            if let Some((path, file)) = files.get(i) {
                (&*file).read_exact(&mut data).map_err(|source| SetupError::Image { path: path.clone(), source })?;
            }
            let provisioning = u.thin.then(|| {
                let mut bits = vec![0u8; Unit::provisioning_bytes(u.blocks)];
                // A loaded image's non-zero blocks are mapped (as the model loads images).
                for (lba, block) in data.chunks(u.block_size as usize).enumerate() {
                    if block.iter().any(|&b| b != 0) {
                        bits[lba / 4] |= 1 << ((lba % 4) * 2);
                        loaded.push(Extent { lun: i as u16, lba: lba as u64, blocks: 1, hint: Hint::Data });
                    }
                }
                bits
            });
            units.push(FlatUnit {
                data,
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
        let images = if files.is_empty() {
            Images::none(config.units.len())
        } else {
            Images { files: files.into_iter().map(Some).collect() }
        };
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
            })
            .collect();
        let allows = |initiator: &[u8], lun: u16| std::str::from_utf8(initiator).is_ok_and(|i| access.allows(i, lun));
        let mut fp = FastPath::new(&mut units, self.limits.clone(), state.config.descriptor_sense, allows)
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
        Ok(Some((answer, reply.written.to_vec(), reply.copy)))
    }

    /// Runs the fast path; `Ok(None)` when it does not handle the command. What the command wrote is
    /// handed to the model (provisioning) and to the image files, and an EXTENDED COPY is entered in the
    /// model's copy manager book, all from the fast path's own account of what it did.
    fn run_fast_path(&mut self, c: &Command<'_>) -> Result<Option<Answer>, BackendError> {
        let Some((answer, written, copy)) = self.execute_fast_path(c)? else { return Ok(None) };
        for extent in &written {
            self.hand_over(extent);
            let u = &self.units[usize::from(extent.lun)];
            let bs = u.block_size as usize;
            self.images.persist(usize::from(extent.lun), u.block_size, extent.lba, extent.blocks, |l, b| {
                b.copy_from_slice(&u.data[l as usize * bs..][..bs]);
                true
            })?;
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
        let zeros = vec![0u8; store.block_size() as usize];
        for lba in extent.lba..extent.lba + extent.blocks {
            // The fast path writes no bad block, and the model's unit has the same ones.
            let _ = store.write_block(lba, &zeros, hint);
        }
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
            return Ok(Answer { status: response.status, sense: response.sense, data_in: response.data_in });
        }
        self.run_fast_path(c)?.ok_or(BackendError::FastPathUnhandled(c.cdb[0]))
    }

    fn name(&self) -> &'static str {
        "fastpath"
    }

    fn nexus_lost(&mut self, initiator: &str) {
        self.model.nexus_loss(initiator);
    }

    fn sense_format(&self, lun: u16) -> SenseFormat {
        self.model.state.sense_format(lun)
    }

    fn config(&self) -> &TargetConfig {
        &self.model.state.config
    }
}

/// Which back end to build.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendKind {
    #[default]
    Model,
    #[value(name = "fastpath")]
    FastPath,
}

/// Builds a back end.
pub fn build(kind: BackendKind, config: TargetConfig, media: &Media) -> Result<Box<dyn Backend>, SetupError> {
    Ok(match kind {
        BackendKind::Model => Box::new(ModelBackend::new(config, media)?),
        BackendKind::FastPath => Box::new(FastPathBackend::new(config, media)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use offload_scsi::{Fields, GOOD};

    fn small_config(thin: bool) -> TargetConfig {
        let unit = UnitConfig { blocks: 256, block_size: 512, thin, ..UnitConfig::default() };
        TargetConfig { units: vec![unit.clone(), unit], ..TargetConfig::default() }
    }

    fn run(b: &mut dyn Backend, cdb: &[u8], data_out: &[u8]) -> Answer {
        b.execute(&Command { initiator: "iqn.test", lun: 0, cdb, data_out }).unwrap()
    }

    fn backends(thin: bool) -> Vec<Box<dyn Backend>> {
        vec![
            build(BackendKind::Model, small_config(thin), &Media::Memory).unwrap(),
            build(BackendKind::FastPath, small_config(thin), &Media::Memory).unwrap(),
        ]
    }

    #[test]
    fn both_back_ends_agree_on_a_write_read_and_lba_status() {
        let mut answers = Vec::new();
        for mut b in backends(true) {
            let write = run(b.as_mut(), &[0x2A, 0, 0, 0, 0, 4, 0, 0, 2, 0], &[0x5A; 1024]);
            let read = run(b.as_mut(), &[0x28, 0, 0, 0, 0, 4, 0, 0, 2, 0], &[]);
            assert_eq!(read.data_in, vec![0x5A; 1024], "{}", b.name());
            // GET LBA STATUS from LBA 0: served by the model in both back ends.
            let status = run(b.as_mut(), &[0x9E, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0], &[]);
            answers.push((write, read, status));
        }
        assert_eq!(answers[0], answers[1]);
        // Blocks 4 and 5 mapped: the second descriptor starts at LBA 4.
        assert_eq!(&answers[0].2.data_in[24..32], &4u64.to_be_bytes());
    }

    /// GET LBA STATUS from LBA 0 (served by the model in both back ends), descriptors as (LBA, blocks,
    /// provisioning status).
    fn lba_status(b: &mut dyn Backend) -> Vec<(u64, u32, u8)> {
        let answer = run(b, &[0x9E, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0], &[]);
        answer.data_in[8..].chunks_exact(16).map(|d| (d.be64(0), d.be32(8), d[12])).collect()
    }

    #[test]
    fn the_model_sees_what_fast_path_writes_zeroing_and_unmapping_left() {
        let mut maps = Vec::new();
        for mut b in backends(true) {
            run(b.as_mut(), &[0x2A, 0, 0, 0, 0, 0, 0, 0, 8, 0], &[0x5A; 8 * 512]);
            // UNMAP 2..4, WRITE SAME (16) UNMAP ANCHOR of zeros over 5..7, WRITE SAME (10) of zeros at 20.
            let unmap =
                [[0, 22, 0, 16, 0, 0, 0, 0].as_slice(), &2u64.to_be_bytes(), &[0, 0, 0, 2, 0, 0, 0, 0]].concat();
            assert_eq!(run(b.as_mut(), &[0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0], &unmap).status, GOOD);
            let anchor = [0x93, 0x18, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 2, 0, 0];
            assert_eq!(run(b.as_mut(), &anchor, &[0; 512]).status, GOOD);
            assert_eq!(run(b.as_mut(), &[0x41, 0, 0, 0, 0, 20, 0, 0, 1, 0], &[0; 512]).status, GOOD);
            maps.push(lba_status(b.as_mut()));
        }
        assert_eq!(maps[0], maps[1]);
        // Mapped 0..2, deallocated 2..4, mapped 4..5, anchored 5..7, mapped 7..8, deallocated, mapped 20.
        let expected = [(0, 2, 0), (2, 2, 1), (4, 1, 0), (5, 2, 2), (7, 1, 0), (8, 12, 1), (20, 1, 0), (21, 235, 1)];
        assert_eq!(maps[0], expected);
    }

    #[test]
    fn fast_path_copies_are_in_the_copy_manager_book() {
        let config = small_config(false);
        let naa = config::naa_designator(&config.units[0], 0);
        let mut list = vec![0u8; 16 + 32 + 28];
        list[0] = 7; // LIST IDENTIFIER, usage 00b (hold)
        list[3] = 32;
        list[11] = 28;
        list[16] = 0xE4;
        list[20] = 1;
        list[21] = 3;
        list[23] = 16;
        list[24..40].copy_from_slice(&naa);
        list[46..48].copy_from_slice(&[2, 0]);
        let s = 48;
        list[s] = 0x02;
        list[s + 3] = 0x18;
        list[s + 11] = 8; // 8 blocks, 0 -> 100
        list[s + 27] = 100;
        let mut results = Vec::new();
        for mut b in backends(false) {
            let mut cdb = [0u8; 16];
            cdb[0] = 0x83;
            cdb[13] = list.len() as u8;
            assert_eq!(run(b.as_mut(), &cdb, &list).status, GOOD, "{}", b.name());
            let rcr = [0x84, 0x00, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0];
            results.push(run(b.as_mut(), &rcr, &[]));
        }
        assert_eq!(results[0].status, GOOD);
        assert_eq!(results[0], results[1]);
    }

    #[test]
    fn images_are_written_through() {
        let dir = std::env::temp_dir().join(format!("offload-iscsi-backend-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for kind in [BackendKind::Model, BackendKind::FastPath] {
            let path = dir.join(format!("{kind:?}.img"));
            let _ = std::fs::remove_file(&path);
            let template = UnitConfig { blocks: 64, block_size: 512, thin: true, ..UnitConfig::default() };
            let media = Media::Images { paths: vec![path.clone()], template };
            let mut b = build(kind, TargetConfig::default(), &media).unwrap();
            assert_eq!(b.config().units[0].blocks, 64);
            run(b.as_mut(), &[0x2A, 0, 0, 0, 0, 3, 0, 0, 1, 0], &[0xC3; 512]);
            // WRITE SAME (16) of a pattern over blocks 10..12, then UNMAP block 11.
            let mut ws = [0u8; 16];
            ws[0] = 0x93;
            ws[9] = 10;
            ws[13] = 2;
            assert_eq!(run(b.as_mut(), &ws, &[0x11; 512]).status, GOOD);
            let unmap =
                [[0, 22, 0, 16, 0, 0, 0, 0].as_slice(), &11u64.to_be_bytes(), &[0, 0, 0, 1, 0, 0, 0, 0]].concat();
            assert_eq!(run(b.as_mut(), &[0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0], &unmap).status, GOOD);
            let file = std::fs::read(&path).unwrap();
            assert_eq!(file.len(), 64 * 512);
            assert!(file[3 * 512..4 * 512].iter().all(|&x| x == 0xC3), "{kind:?}");
            assert!(file[10 * 512..11 * 512].iter().all(|&x| x == 0x11), "{kind:?}");
            assert!(file[11 * 512..12 * 512].iter().all(|&x| x == 0), "{kind:?}");
            drop(b);
            // Reopened, the image has the data.
            let media = Media::Images {
                paths: vec![path.clone()],
                template: UnitConfig { blocks: 1, block_size: 512, ..UnitConfig::default() },
            };
            let mut b = build(kind, TargetConfig::default(), &media).unwrap();
            assert_eq!(run(b.as_mut(), &[0x28, 0, 0, 0, 0, 3, 0, 0, 1, 0], &[]).data_in, vec![0xC3; 512]);
            // Its non-zero blocks are mapped, the rest deallocated, in the model too.
            let expected = [(0, 3, 1), (3, 1, 0), (4, 6, 1), (10, 1, 0), (11, 53, 1)];
            assert_eq!(lba_status(b.as_mut()), expected, "{kind:?}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
