//! Execution back ends: what turns a SCSI command (initiator, LUN, CDB, data-out) into status, sense and
//! data-in behind the iSCSI layer.
//!
//! - [`ModelBackend`]: the reference model (`offload_model::scsi::Target`) executes every command.
//! - [`FastPathBackend`]: the software fast path (`offload_fastpath::FastPath`) executes the commands it
//!   implements — READ/WRITE (6)/(10)/(12)/(16), WRITE ATOMIC (16), COMPARE AND WRITE, WRITE SAME
//!   (10)/(16), UNMAP, EXTENDED COPY (LID1) — over flat memory, one buffer per unit. Every other command (INQUIRY, READ CAPACITY, MODE
//!   SENSE/SELECT, GET LBA STATUS, RECEIVE COPY RESULTS, REPORT LUNS, REPORT TARGET PORT GROUPS, REPORT
//!   SUPPORTED OPERATION CODES, TEST UNIT READY, and anything unknown) goes to a reference model
//!   configured identically. The two share the media state those commands read:
//!   - **provisioning**: every extent a fast-path command reports it wrote is written into the model's
//!     unit with the matching hint (mapped, deallocated, anchored), so GET LBA STATUS sees what the fast
//!     path did. Block contents are not copied: no command the model serves reads them.
//!   - **D_SENSE, WCE and SWP**: MODE SELECT runs in the model; each fast-path command takes its unit's
//!     D_SENSE, WCE and SWP from the model, so both render sense in the same format and refuse writes
//!     alike.
//!   - **the stopped state** (START STOP UNIT): before the fast path runs a command, the model's
//!     `Target::refusal` says whether the device server's state refuses it, and its answer is sent.
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
//! extents the fast path reports. Both then sync (fdatasync) the images the answer says must be
//! durable — the model's `Response::durable` (SYNCHRONIZE CACHE, which the model serves in both back
//! ends; FUA; WCE=0), the fast path's `Reply::durable` — before the answer goes back. Memory units have
//! nothing to sync.
//!
//! Either back end costs memory for what is written, not for the capacity: the model stores non-zero
//! blocks and bitmap chunks; the fast path's flat units are mappings committed page by page as they are
//! written. A thin unit's are base pages (4 KiB), and it hands back the whole pages of a range that
//! reads zeros again. A thick unit is provisioned capacity: its pages are transparent huge pages
//! (one fault per 2 MiB instead of 512, which leaves first touch the cost of clearing the memory — and,
//! in a virtual machine, of the host backing it), and what it holds stays committed —
//! an eager zero leaves it in memory, so the writes after it do not fault again. An image is loaded by
//! its data extents, so a sparse multi-terabyte file opens in time proportional to what it holds.

mod fastpath;
mod image;
mod model;
mod sparse_memory;
#[cfg(test)]
mod tests;

use std::path::PathBuf;

use offload_model::config::{self, TargetConfig};
pub use offload_model::scsi::reconfigure::{LiveChange, NotLive};
use offload_scsi::SenseFormat;

pub use fastpath::FastPathBackend;
pub use image::Media;
pub use model::ModelBackend;

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

/// Why a back end refused a new configuration (nothing of it was applied).
#[derive(Debug, thiserror::Error)]
pub enum ReconfigureError {
    #[error(transparent)]
    NotLive(#[from] NotLive),
    #[error("unit {lun} is an image file: its capacity is the file's, changed offline")]
    ImageCapacity { lun: u16 },
    #[error("unit {lun}: {source}")]
    Memory { lun: u16, source: SetupError },
}

/// The capacity changes among `changes` of units that are image files: refused (see
/// [`ReconfigureError::ImageCapacity`]).
fn refuse_image_resizes(images: &image::Images, changes: &[LiveChange]) -> Result<(), ReconfigureError> {
    for change in changes {
        if let LiveChange::Resize { lun, .. } = change
            && images.holds(usize::from(*lun))
        {
            return Err(ReconfigureError::ImageCapacity { lun: *lun });
        }
    }
    Ok(())
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
    #[error(
        "unit {unit}: cannot reserve {bytes} bytes for its {what} ({source}); the limits are the process's \
         address space (ulimit -v) and, under strict overcommit (vm.overcommit_memory=2), the commit limit"
    )]
    Reserve { unit: usize, what: &'static str, bytes: u64, source: std::io::Error },
}

/// An execution back end, shared by every connection: commands arrive on many threads at once, and the
/// back end decides what may run together (each command atomic, see the back ends' own documentation).
/// Only a reload needs it alone.
pub trait Backend: Send + Sync {
    /// Executes one command to completion.
    fn execute(&self, command: &Command<'_>) -> Result<Answer, BackendError>;
    /// "model" or "fastpath".
    fn name(&self) -> &'static str;
    /// The target configuration (units, access map, limits).
    fn config(&self) -> TargetConfig;
    /// I_T nexus loss: `initiator`'s session ended. The copy manager discards the copy results it held
    /// for the initiator's EXTENDED COPY lists, which do not outlive the nexus they were issued on, and
    /// the nexus finds I_T NEXUS LOSS OCCURRED if it comes back.
    fn nexus_lost(&self, initiator: &str);
    /// LOGICAL UNIT RESET of `lun`, requested on `initiator`'s nexus: the model's reset (every nexus
    /// finds 29/03; mode parameters and held copy results back to their power-on state). The iSCSI layer
    /// aborts the tasks.
    fn logical_unit_reset(&self, initiator: &str, lun: u16);
    /// TARGET WARM RESET or TARGET COLD RESET: a hard reset of every logical unit (29/02).
    fn target_reset(&self, initiator: &str);
    /// A reload: the configuration becomes `config` if that can be done live — unit capacities (of
    /// memory units: an image's is its file's) and the access map, each announced by its unit attention
    /// — else nothing changes and the error says why.
    fn reconfigure(&mut self, config: &TargetConfig) -> Result<Vec<LiveChange>, ReconfigureError>;
    /// The sense format for `lun`: its control mode page's D_SENSE.
    fn sense_format(&self, lun: u16) -> SenseFormat;
    /// Image-file syncs (fdatasync) made so far: one for each image a command's answer said must be
    /// durable (SYNCHRONIZE CACHE, FUA, every write under WCE=0).
    fn syncs(&self) -> u64;
    /// Commands that started while another command ran on the same unit (on blocks disjoint from its
    /// own): what shows that one unit serves commands side by side. The model back end runs one command
    /// at a time.
    fn ran_beside(&self) -> u64 {
        0
    }

    /// Whether a command on `lun` may wait for a file (an image unit: it writes through and syncs), so
    /// that an event loop runs it on a thread of its own rather than stall its other connections.
    fn on_file(&self, lun: u16) -> bool;
}

/// Whether `initiator` (an initiator name or an I_T nexus's SCSI initiator port name) may reach logical
/// unit `lun` (it exists and the access map allows it).
pub fn reachable(config: &TargetConfig, initiator: &str, lun: u16) -> bool {
    usize::from(lun) < config.units.len() && config.access.allows(initiator, lun)
}

/// Which back end to build.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendKind {
    #[default]
    Model,
    #[value(name = "fastpath")]
    FastPath,
}

/// Builds a back end for the target named `target_name`. Every unit without a designator override in
/// `config` gets the designator derived from that name and its LUN (`TargetConfig::name_designators`):
/// two targets never report one designator for different units — a host would take them for two paths
/// to one device, and a copy manager handed the other target's designator would copy onto its own
/// unit. Both back ends read the designators from this one configuration, so what VPD 83h reports is
/// what EXTENDED COPY resolves.
pub fn build(
    kind: BackendKind,
    mut config: TargetConfig,
    media: &Media,
    target_name: &str,
) -> Result<Box<dyn Backend>, SetupError> {
    config.name_designators(target_name);
    Ok(match kind {
        BackendKind::Model => Box::new(ModelBackend::new(config, media)?),
        BackendKind::FastPath => Box::new(FastPathBackend::new(config, media)?),
    })
}
