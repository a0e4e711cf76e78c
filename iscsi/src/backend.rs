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
//!   - **provisioning**: before the model serves a command, every block whose provisioning state changed
//!     in the fast path's map since the last hand-over is written into the model's unit with the
//!     matching hint (mapped, deallocated, anchored), so GET LBA STATUS sees what the fast path did.
//!     Block contents are not copied: no command the model serves reads them.
//!   - **D_SENSE**: MODE SELECT runs in the model; each fast-path command takes its unit's D_SENSE from
//!     the model, so both render sense in the same format.
//!   - **copy results**: an EXTENDED COPY the fast path ran is entered in the model's copy manager book
//!     (list identifier, usage, segments processed, bytes moved, failure sense), so RECEIVE COPY RESULTS
//!     answers for it as for a copy the model ran.
//!
//! Units are fresh memory or image files ("sparse files": zero blocks are not stored by the model, and
//! a missing image is created sparse). Changes reach an image file as they are made: the model back end
//! writes the destination range of every engine job a command ran; the fast path back end writes the
//! ranges the command's CDB (or UNMAP / EXTENDED COPY parameter list) names.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use offload_fastpath::{FastPath, Unit};
use offload_model::address::{self, Region};
use offload_model::config::{self, AccessMap, TargetConfig, UnitConfig};
use offload_model::media::WriteHint;
use offload_model::scsi::copy_results::{CopyRecord, ListKey};
use offload_model::scsi::xcopy::ListIdUsage;
use offload_model::scsi::{CHECK_CONDITION, GOOD, Request, Target};

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
    /// Whether sense for `lun` is in descriptor format (its control mode page's D_SENSE).
    fn descriptor_sense(&self, lun: u16) -> bool;
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

    fn descriptor_sense(&self, lun: u16) -> bool {
        self.target.state.descriptor_sense(lun)
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
    /// What the model's copy of the provisioning state was last brought up to.
    mirrored: Option<Vec<u8>>,
    bad_blocks: Vec<u64>,
    block_size: u32,
    write_protected: bool,
    naa: [u8; 16],
}

impl FlatUnit {
    fn blocks(&self) -> u64 {
        self.data.len() as u64 / u64::from(self.block_size)
    }
}

/// The fast path executes what it implements; a reference model over the same provisioning state serves
/// the rest (see the module documentation).
pub struct FastPathBackend {
    units: Vec<FlatUnit>,
    limits: offload_fastpath::Limits,
    access: AccessMap,
    model: Target,
    images: Images,
}

/// The operation codes the fast path implements (EXTENDED COPY: service action 00h).
fn fast_path_command(cdb: &[u8]) -> bool {
    match cdb.first() {
        Some(0x28 | 0x2A | 0x41 | 0x42 | 0x88 | 0x89 | 0x8A | 0x93) => true,
        Some(0x83) => cdb.get(1).is_some_and(|b| b & 0x1F == 0),
        _ => false,
    }
}

fn be16(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 2).map_or(0, |s| u16::from_be_bytes([s[0], s[1]]).into())
}

fn be32(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 4).map_or(0, |s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]).into())
}

fn be64(b: &[u8], at: usize) -> u64 {
    (be32(b, at) << 32) | be32(b, at + 4)
}

/// Sense key of fixed or descriptor sense data.
fn sense_key(sense: &[u8]) -> Option<u8> {
    match sense.first()? & 0x7F {
        0x70 | 0x71 => Some(sense.get(2)? & 0x0F),
        0x72 | 0x73 => Some(sense.get(1)? & 0x0F),
        _ => None,
    }
}

/// (INFORMATION if valid, COMMAND-SPECIFIC INFORMATION) of fixed or descriptor sense data.
fn sense_information(sense: &[u8]) -> (Option<u64>, u64) {
    match sense.first().map(|b| b & 0x7F) {
        Some(0x70 | 0x71) if sense.len() >= 12 => {
            let info = (sense[0] & 0x80 != 0).then(|| be32(sense, 3));
            (info, be32(sense, 8))
        }
        Some(0x72 | 0x73) => {
            let (mut info, mut csi) = (None, 0);
            let mut at = 8;
            while at + 2 <= sense.len() {
                let len = usize::from(sense[at + 1]);
                match sense[at] {
                    0x00 if sense.get(at + 2).is_some_and(|b| b & 0x80 != 0) => info = Some(be64(sense, at + 4)),
                    0x01 => csi = be64(sense, at + 4),
                    _ => {}
                }
                at += 2 + len;
            }
            (info, csi)
        }
        _ => (None, 0),
    }
}

impl FastPathBackend {
    pub fn new(mut config: TargetConfig, media: &Media) -> Result<Self, SetupError> {
        let files = image_units(&mut config, media)?;
        config.validate()?;
        let mut units = Vec::new();
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
                    }
                }
                bits
            });
            let mirrored = provisioning.as_ref().map(|p| vec![0u8; p.len()]);
            units.push(FlatUnit {
                data,
                provisioning,
                mirrored,
                bad_blocks: u.bad_blocks.iter().copied().collect(),
                block_size: u.block_size,
                write_protected: u.write_protected,
                naa: config::naa_designator(u, i as u16),
            });
        }
        let l = &config.limits;
        let limits = offload_fastpath::Limits {
            max_transfer_blocks: l.max_transfer_blocks,
            max_compare_and_write_blocks: l.max_compare_and_write_blocks,
            max_write_same_blocks: l.max_write_same_blocks,
            write_same_non_zero: l.write_same_non_zero,
            max_unmap_blocks: l.max_unmap_blocks,
            max_unmap_descriptors: l.max_unmap_descriptors,
            unmap_granularity: l.unmap_granularity,
            copy: offload_fastpath::CopyLimits {
                max_target_descriptors: l.copy.max_target_descriptors,
                max_segment_descriptors: l.copy.max_segment_descriptors,
                max_descriptor_list_bytes: l.copy.max_descriptor_list_bytes,
                max_segment_bytes: l.copy.max_segment_bytes,
                concurrent_copies: l.copy.concurrent_copies,
            },
        };
        let access = config.access.clone();
        let images = if files.is_empty() {
            Images::none(config.units.len())
        } else {
            Images { files: files.into_iter().map(Some).collect() }
        };
        let model = Target::new(config)?;
        let mut backend = FastPathBackend { units, limits, access, model, images };
        // Check the units and limits once, as the fast path does on every command.
        backend.run_fast_path(&Command { initiator: "", lun: 0, cdb: &[0x00], data_out: &[] }, &mut [])?;
        Ok(backend)
    }

    /// Brings the model's provisioning state up to the fast path's.
    fn hand_over_provisioning(&mut self) {
        for (i, u) in self.units.iter_mut().enumerate() {
            let (Some(now), Some(mirrored)) = (&u.provisioning, &mut u.mirrored) else { continue };
            let blocks = u.data.len() as u64 / u64::from(u.block_size);
            let store = &mut self.model.memory.units[i];
            let zeros = vec![0u8; u.block_size as usize];
            for (j, (a, b)) in now.iter().zip(mirrored.iter_mut()).enumerate() {
                if a == b {
                    continue;
                }
                for k in 0..4 {
                    let lba = (j * 4 + k) as u64;
                    let bits = (a >> (k * 2)) & 3;
                    if lba >= blocks || bits == (*b >> (k * 2)) & 3 {
                        continue;
                    }
                    let hint = match bits {
                        1 | 3 => WriteHint::Data,
                        2 => WriteHint::Anchor,
                        _ => WriteHint::Deallocate,
                    };
                    // Contents are the fast path's business; a mapped block of zeros costs the model nothing.
                    let _ = store.write_block(lba, &zeros, hint);
                }
                *b = *a;
            }
        }
    }

    /// Runs the fast path; `Ok(None)` when it does not handle the command.
    fn run_fast_path(&mut self, c: &Command<'_>, data_in: &mut [u8]) -> Result<Option<Answer>, SetupError> {
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
            .map_err(|e| SetupError::FastPath(e.to_string()))?;
        let reply = fp.execute(c.initiator.as_bytes(), c.lun, c.cdb, c.data_out, data_in);
        Ok(reply.handled.then(|| Answer {
            status: reply.status,
            sense: reply.sense().to_vec(),
            data_in: data_in[..reply.data_in_len].to_vec(),
        }))
    }

    /// The unit an EXTENDED COPY CSCD ID names, as the fast path resolves it.
    fn cscd_unit(&self, c: &Command<'_>, list: &[u8], id: u64) -> Option<usize> {
        if id == 0xFFFF {
            return Some(usize::from(c.lun));
        }
        let d = list.get(16 + 32 * usize::try_from(id).ok()?..)?.get(..32)?;
        if d[1] & 0x20 != 0 {
            return None;
        }
        self.units
            .iter()
            .enumerate()
            .find(|(i, u)| u.naa[..] == d[8..24] && self.access.allows(c.initiator, *i as u16))
            .map(|(i, _)| i)
    }

    /// The EXTENDED COPY segments of a parameter list: (source unit, destination unit, blocks,
    /// destination LBA) for each block-to-block segment, in order.
    fn segments(&self, c: &Command<'_>) -> Vec<(Option<usize>, Option<usize>, u64, u64)> {
        let list = c.data_out;
        let targets = be16(list, 2) as usize;
        let seg_bytes = be32(list, 8) as usize;
        let mut out = Vec::new();
        let mut at = 16 + targets;
        while at + 28 <= (16 + targets + seg_bytes).min(list.len()) {
            let s = &list[at..at + 28];
            out.push((
                self.cscd_unit(c, list, be16(s, 4)),
                self.cscd_unit(c, list, be16(s, 6)),
                be16(s, 10),
                be64(s, 20),
            ));
            at += 4 + be16(s, 2) as usize;
        }
        out
    }

    /// The block ranges (unit, LBA, count) a medium-changing command may have written.
    fn written_ranges(&self, c: &Command<'_>) -> Vec<(usize, u64, u64)> {
        let lun = usize::from(c.lun);
        let Some(unit) = self.units.get(lun) else { return Vec::new() };
        let cdb = c.cdb;
        match cdb[0] {
            0x2A | 0x41 => {
                let count = be16(cdb, 7);
                vec![(lun, be32(cdb, 2), if count == 0 && cdb[0] == 0x41 { unit.blocks() } else { count })]
            }
            0x8A | 0x93 => {
                let count = be32(cdb, 10);
                vec![(lun, be64(cdb, 2), if count == 0 && cdb[0] == 0x93 { unit.blocks() } else { count })]
            }
            0x89 => vec![(lun, be64(cdb, 2), cdb.get(13).copied().unwrap_or(0).into())],
            0x42 => {
                c.data_out.get(8..).unwrap_or(&[]).chunks_exact(16).map(|d| (lun, be64(d, 0), be32(d, 8))).collect()
            }
            0x83 => {
                self.segments(c).into_iter().filter_map(|(_, dst, blocks, lba)| dst.map(|d| (d, lba, blocks))).collect()
            }
            _ => Vec::new(),
        }
    }

    /// Enters an EXTENDED COPY the fast path ran in the model's copy manager book.
    fn record_copy(&mut self, c: &Command<'_>, answer: &Answer) {
        let list = c.data_out;
        if list.len() < 16 {
            return;
        }
        let copy_aborted = answer.status == CHECK_CONDITION && sense_key(&answer.sense) == Some(0x0A);
        if answer.status != GOOD && !copy_aborted {
            return; // refused before any segment ran: nothing is held
        }
        let usage = match (list[1] >> 3) & 3 {
            0 => ListIdUsage::Hold,
            2 => ListIdUsage::Discard,
            _ => ListIdUsage::None,
        };
        let key = ListKey {
            initiator: c.initiator.to_owned(),
            lun: c.lun,
            list_id: (usage != ListIdUsage::None).then_some(list[0]),
        };
        let segments = self.segments(c);
        let bytes_of = |&(src, dst, blocks, _): &(Option<usize>, Option<usize>, u64, u64)| {
            let unit = dst.or(src).and_then(|u| self.units.get(u));
            blocks * unit.map_or(0, |u| u64::from(u.block_size))
        };
        let mut record = CopyRecord::default();
        if copy_aborted {
            let (information, csi) = sense_information(&answer.sense);
            let failed = (csi & 0xFFFF) as usize;
            record.segments_processed = (failed + 1) as u16;
            record.bytes_transferred = segments.iter().take(failed).map(bytes_of).sum();
            if let (Some(residual), Some(seg)) = (information, segments.get(failed)) {
                let block = bytes_of(seg) / seg.2.max(1);
                record.bytes_transferred += seg.2.saturating_sub(residual) * block;
            }
            record.failure = Some((answer.status, answer.sense.clone()));
        } else {
            record.segments_processed = segments.len() as u16;
            record.bytes_transferred = segments.iter().map(bytes_of).sum();
        }
        let book = &mut self.model.state.copy_results;
        if book.start(&key).is_ok() {
            book.finish(&key, usage, record);
        }
    }
}

impl Backend for FastPathBackend {
    fn execute(&mut self, c: &Command<'_>) -> Result<Answer, BackendError> {
        if !fast_path_command(c.cdb) {
            self.hand_over_provisioning();
            let response = self.model.execute(&Request {
                initiator: c.initiator.to_owned(),
                lun: c.lun,
                cdb: c.cdb.to_vec(),
                data_out: c.data_out.to_vec(),
            });
            return Ok(Answer { status: response.status, sense: response.sense, data_in: response.data_in });
        }
        // READ's data-in: the transfer the CDB asks for, up to MAXIMUM TRANSFER LENGTH (longer is refused
        // before any data moves).
        let block = self.units.get(usize::from(c.lun)).map_or(0, |u| u64::from(u.block_size));
        let blocks = match c.cdb[0] {
            0x28 => be16(c.cdb, 7),
            0x88 => be32(c.cdb, 10),
            _ => 0,
        };
        let len = blocks.min(self.limits.max_transfer_blocks.into()) * block;
        let mut data_in = vec![0u8; len as usize];
        let answer = self
            .run_fast_path(c, &mut data_in)
            .map_err(|e| BackendError::FastPathConfig(e.to_string()))?
            .ok_or(BackendError::FastPathUnhandled(c.cdb[0]))?;
        if c.cdb[0] == 0x83 {
            self.record_copy(c, &answer);
        }
        for (unit, lba, count) in self.written_ranges(c) {
            let u = &self.units[unit];
            let bs = u.block_size as usize;
            let count = count.min(u.blocks().saturating_sub(lba));
            self.images.persist(unit, u.block_size, lba, count, |l, b| {
                b.copy_from_slice(&u.data[l as usize * bs..][..bs]);
                true
            })?;
        }
        Ok(answer)
    }

    fn name(&self) -> &'static str {
        "fastpath"
    }

    fn nexus_lost(&mut self, initiator: &str) {
        self.model.nexus_loss(initiator);
    }

    fn descriptor_sense(&self, lun: u16) -> bool {
        self.model.state.descriptor_sense(lun)
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
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn sense_parsing_helpers() {
        let mut fixed = vec![0u8; 18];
        fixed[0] = 0xF0;
        fixed[2] = 0x0A;
        fixed[3..7].copy_from_slice(&5u32.to_be_bytes());
        fixed[10..12].copy_from_slice(&[0, 2]);
        assert_eq!(sense_key(&fixed), Some(0x0A));
        assert_eq!(sense_information(&fixed), (Some(5), 2));
        let mut desc = vec![0x72, 0x0A, 0x0D, 0x02, 0, 0, 0, 24];
        desc.extend_from_slice(&[0x00, 0x0A, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 9]);
        desc.extend_from_slice(&[0x01, 0x0A, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3]);
        assert_eq!(sense_key(&desc), Some(0x0A));
        assert_eq!(sense_information(&desc), (Some(9), 3));
        assert_eq!(sense_key(&[]), None);
    }
}
