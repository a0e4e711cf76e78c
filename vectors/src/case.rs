//! One golden vector (a *case*) and the JSON Lines files that hold them: one case a line.
//!
//! Field by field documentation is in `vectors/README.md`; the types here are the schema.

use std::io::{BufRead, Write};

use offload_scsi::Provisioning;
use serde::{Deserialize, Serialize};

use crate::config::TargetConfig;
use crate::job::{Completion, Job};

/// Version of the schema; bumped on any change a reader must know about.
pub const SCHEMA_VERSION: u32 = 1;

/// One golden vector.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub schema_version: u32,
    /// Unique, `group/what`.
    pub name: String,
    pub description: String,
    /// Coverage bins the case was written for (boundaries, flags, situations). The bins a case reaches
    /// by its results — command × outcome — are derived from `steps` and need not be listed.
    pub bins: Vec<String>,
    /// Which implementations the case applies to besides the model.
    pub applies_to: AppliesTo,
    pub config: TargetConfig,
    pub initial: InitialMedia,
    /// Arrivals in order; each is one command or several that arrive together.
    pub steps: Vec<Step>,
    #[serde(rename = "final")]
    pub final_media: FinalMedia,
}

/// Which implementations a case concerns.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppliesTo {
    /// Every command is one the fast path implements, and they arrive one at a time.
    pub fastpath: bool,
    /// The case issued engine jobs: the RTL replays them.
    pub rtl: bool,
}

/// A run of blocks on one unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extent {
    pub lun: u16,
    pub lba: u64,
    pub blocks: u64,
}

/// A block given in full.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockData {
    pub lun: u16,
    pub lba: u64,
    #[serde(with = "hex::serde")]
    pub data: Vec<u8>,
}

/// Units start empty (thin units deallocated, thick ones zeroed); then the generator fills `filled`
/// with `seed`, then `blocks` are written. Every block written either way is mapped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitialMedia {
    pub seed: u64,
    pub filled: Vec<Extent>,
    pub blocks: Vec<BlockData>,
}

/// One arrival: a single command, or several (from different initiators) at once, after the events
/// that happen before it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// What happens to the target before the step's commands arrive, in order (left out when none, so
    /// cases written before events existed read and write unchanged).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
    pub commands: Vec<Command>,
}

/// Something that happens to the target between commands: a task management function, a transport
/// event, or an administrator's change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    /// LOGICAL UNIT RESET of `lun`, requested on `initiator`'s nexus.
    LogicalUnitReset { initiator: String, lun: u16 },
    /// TARGET WARM RESET (a hard reset of every logical unit), requested on `initiator`'s nexus.
    TargetReset { initiator: String },
    /// `initiator`'s I_T nexus was lost (its session ended); a later command on it is the nexus back.
    NexusLoss { initiator: String },
    /// Unit `lun`'s capacity becomes `blocks`.
    ResizeUnit { lun: u16, blocks: u64 },
    /// The access map becomes `access`.
    SetAccess { access: crate::config::AccessMap },
}

impl Event {
    /// The event's name in the schema (its `event` tag).
    pub fn kind(&self) -> &'static str {
        match self {
            Event::LogicalUnitReset { .. } => "logical_unit_reset",
            Event::TargetReset { .. } => "target_reset",
            Event::NexusLoss { .. } => "nexus_loss",
            Event::ResizeUnit { .. } => "resize_unit",
            Event::SetAccess { .. } => "set_access",
        }
    }
}

/// A command and what the model answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Command {
    pub initiator: String,
    pub lun: u16,
    #[serde(with = "hex::serde")]
    pub cdb: Vec<u8>,
    #[serde(with = "hex::serde")]
    pub data_out: Vec<u8>,
    pub expect: Expected,
    /// Engine jobs the command issued, in issue order.
    pub jobs: Vec<JobRecord>,
}

/// The expected answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    pub status: u8,
    #[serde(with = "hex::serde")]
    pub sense: Vec<u8>,
    #[serde(with = "hex::serde")]
    pub data_in: Vec<u8>,
}

/// A job with its expected completion and the cycles the timing model predicts for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobRecord {
    pub job: Job,
    pub completion: Completion,
    pub predicted_cycles: u64,
    /// For the first job of a later round of a command's plan (ORWRITE's compare-and-write after its
    /// read): the staging buffer the front end set for the round, computed from the earlier rounds. A
    /// replay loads it before the job; a first round's buffer is its command's data-out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staging: Option<Staging>,
}

/// A staging buffer's contents, as the front end set them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Staging {
    pub slot: u16,
    #[serde(with = "hex::serde")]
    pub data: Vec<u8>,
}

/// Run of identical blocks: `blocks` copies of `block` from `lba`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockRun {
    pub lun: u16,
    pub lba: u64,
    pub blocks: u64,
    #[serde(with = "hex::serde")]
    pub block: Vec<u8>,
}

/// Provisioning state of a run of blocks of a thin unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisioningRun {
    pub lun: u16,
    pub lba: u64,
    pub blocks: u64,
    /// `mapped`, `deallocated` or `anchored`.
    pub state: Provisioning,
}

/// The media after the last step.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinalMedia {
    /// [`crate::media::MediaDigest`] of every unit.
    pub digest: String,
    /// Every block whose contents differ from the initial media, as runs of identical blocks.
    pub changed: Vec<BlockRun>,
    /// The whole provisioning map of every thin unit, as runs.
    pub provisioning: Vec<ProvisioningRun>,
}

impl InitialMedia {
    /// Calls `f(lun, lba, block)` for every block the initial media sets, generator runs first, then
    /// the explicit blocks (a later block replaces an earlier one at the same address).
    pub fn for_each_block(&self, config: &TargetConfig, mut f: impl FnMut(u16, u64, &[u8])) {
        for e in &self.filled {
            let mut block = vec![0u8; config.units[usize::from(e.lun)].block_size as usize];
            for lba in e.lba..e.lba + e.blocks {
                crate::media::generate_block(self.seed, e.lun, lba, &mut block);
                f(e.lun, lba, &block);
            }
        }
        for b in &self.blocks {
            f(b.lun, b.lba, &b.data);
        }
    }
}

impl Case {
    /// Every command of every step, in order.
    pub fn commands(&self) -> impl Iterator<Item = &Command> {
        self.steps.iter().flat_map(|s| &s.commands)
    }

    /// Every event of every step, in order.
    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.steps.iter().flat_map(|s| &s.events)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("line {line}: {source}")]
    Parse { line: usize, source: serde_json::Error },
    #[error("line {line}: schema version {found}, this reader knows {SCHEMA_VERSION}")]
    Version { line: usize, found: u32 },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Reads a JSON Lines file of cases.
pub fn read_cases(input: impl BufRead) -> Result<Vec<Case>, ReadError> {
    let mut cases = Vec::new();
    for (i, line) in input.lines().enumerate() {
        let line_text = line?;
        if line_text.trim().is_empty() {
            continue;
        }
        let case: Case = serde_json::from_str(&line_text).map_err(|source| ReadError::Parse { line: i + 1, source })?;
        if case.schema_version != SCHEMA_VERSION {
            return Err(ReadError::Version { line: i + 1, found: case.schema_version });
        }
        cases.push(case);
    }
    Ok(cases)
}

/// Writes cases one per line.
pub fn write_cases<'a>(mut out: impl Write, cases: impl IntoIterator<Item = &'a Case>) -> std::io::Result<()> {
    for case in cases {
        serde_json::to_writer(&mut out, case)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
