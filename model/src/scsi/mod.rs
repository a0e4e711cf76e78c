//! The SCSI front end (SBC-4 / SPC-4): a [`Target`] takes a command — initiator, LUN, CDB, data-out —
//! and answers with status, sense and data-in, driving the engines for everything that touches a medium.
//!
//! Each command goes through the same steps:
//! 1. [`cdb::lookup`] finds its [`cdb::CommandSpec`]; unknown operation codes get 20/00.
//! 2. The LUN is checked against the access map (25/00), except for INQUIRY and REPORT LUNS.
//! 3. [`cdb::check_reserved`] rejects any bit outside the command's usage mask (24/00 + field pointer).
//! 4. The command's handler validates its fields and either answers at once or returns a [`Plan`]: a
//!    staging buffer, a batch of engine jobs, and a finisher that turns the completions into the answer.
//! 5. The plan's jobs run on the [`OffloadBlock`]; host data-out and data-in pass through the staging
//!    buffer, so every medium access — host reads and writes included — takes a range lock.
//!
//! One module per command family: [`inquiry`] (standard data and VPD pages), [`capacity`], [`mode`],
//! [`report`] (REPORT LUNS and REPORT SUPPORTED OPERATION CODES), [`read_write`], [`compare_write`],
//! [`write_same`], [`unmap`], [`lba_status`], [`xcopy`] (EXTENDED COPY) and [`copy_results`] (RECEIVE
//! COPY RESULTS).

pub mod capacity;
pub mod cdb;
pub mod compare_write;
pub mod copy_results;
pub mod inquiry;
pub mod lba_status;
pub mod mode;
pub mod read_write;
pub mod report;
pub mod sense;
pub mod unmap;
pub mod write_same;
pub mod xcopy;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::address;
use crate::config::{ConfigError, TargetConfig, UnitConfig};
use crate::engine::{Completion, Job, JobBatch, OffloadBlock};
use crate::media::{Memory, UnitStore};
use cdb::{CommandSpec, Op};
use sense::{Asc, Sense, SenseKey};

/// SCSI status GOOD.
pub const GOOD: u8 = 0x00;
/// SCSI status CHECK CONDITION.
pub const CHECK_CONDITION: u8 = 0x02;

/// One command as an initiator sends it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub initiator: String,
    pub lun: u16,
    #[serde(with = "hex::serde")]
    pub cdb: Vec<u8>,
    #[serde(with = "hex::serde", default)]
    pub data_out: Vec<u8>,
}

/// An engine job the command issued, with its completion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRecord {
    pub job: Job,
    pub completion: Completion,
}

/// The target's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    pub status: u8,
    #[serde(with = "hex::serde")]
    pub sense: Vec<u8>,
    #[serde(with = "hex::serde")]
    pub data_in: Vec<u8>,
    pub jobs: Vec<JobRecord>,
}

/// What a handler needs to know about the command in front of it.
pub struct Ctx<'a> {
    pub initiator: &'a str,
    pub lun: u16,
    pub cdb: &'a [u8],
    pub data_out: &'a [u8],
    /// The staging buffer this command's host data goes through.
    pub slot: u16,
}

impl Ctx<'_> {
    /// Address of byte `offset` of this command's staging buffer.
    pub fn buffer(&self, offset: u64) -> u64 {
        address::buffer_address(self.slot, offset)
    }
}

/// What the engines did for a plan.
pub struct Completed {
    pub completions: Vec<Completion>,
    /// The staging buffer after the jobs ran (data-in is read from it).
    pub buffer: Vec<u8>,
}

/// Turns a plan's completions into data-in or a check condition.
pub type Finisher = Box<dyn FnOnce(&mut TargetState, Completed) -> Result<Vec<u8>, Sense>>;

/// Engine work for one command.
pub struct Plan {
    pub buffer: Vec<u8>,
    pub jobs: Vec<Job>,
    pub finish: Finisher,
}

/// A handler's decision.
pub enum Outcome {
    /// Answered without the engines: data-in (possibly empty).
    Done(Vec<u8>),
    Engine(Plan),
}

/// Handlers return this; `Err` is a CHECK CONDITION.
pub type HandlerResult = Result<Outcome, Sense>;

/// Target state that handlers read and change (everything but the engines and memory).
pub struct TargetState {
    pub config: TargetConfig,
    /// The control mode page's D_SENSE bit.
    pub descriptor_sense: bool,
    pub copy_results: copy_results::CopyResults,
}

impl TargetState {
    pub fn unit_config(&self, lun: u16) -> &UnitConfig {
        &self.config.units[usize::from(lun)]
    }
}

/// Commands that can be in progress at once (one staging buffer each).
pub const MAX_CONCURRENT: usize = 1024;

/// A SCSI target: logical units, the offload block and the front end's state.
pub struct Target {
    pub state: TargetState,
    pub memory: Memory,
    pub block: OffloadBlock,
    queue_of: BTreeMap<String, u8>,
}

impl Target {
    /// A target with empty units as configured.
    pub fn new(config: TargetConfig) -> Result<Self, ConfigError> {
        let units = config.units.iter().map(UnitStore::new).collect();
        Self::with_units(config, units)
    }

    /// A target over prepared unit stores (e.g. loaded from image files), one per configured unit.
    pub fn with_units(config: TargetConfig, units: Vec<UnitStore>) -> Result<Self, ConfigError> {
        config.validate()?;
        if units.len() != config.units.len() {
            return Err(ConfigError::StoreCount { stores: units.len(), units: config.units.len() });
        }
        let block = OffloadBlock::new(config.timing.clone());
        let copy_results = copy_results::CopyResults::new(config.limits.copy.held_results.into());
        Ok(Target {
            state: TargetState { descriptor_sense: config.descriptor_sense, config, copy_results },
            memory: Memory::new(units),
            block,
            queue_of: BTreeMap::new(),
        })
    }

    /// The queue an initiator's jobs go to: initiators are given queues in order of first appearance.
    pub fn queue_for(&mut self, initiator: &str) -> u8 {
        let queues = self.state.config.timing.queues as usize;
        let next = (self.queue_of.len() % queues) as u8;
        *self.queue_of.entry(initiator.to_owned()).or_insert(next)
    }

    /// Executes one command to completion.
    pub fn execute(&mut self, request: &Request) -> Response {
        self.execute_concurrently(std::slice::from_ref(request)).pop().expect("one response")
    }

    /// Executes commands that arrive together: each initiator's commands run in order on its queue, and
    /// the queues run at once, interleaved by the range-lock unit. Commands that need no engine are
    /// answered as they arrive, before any engine work.
    pub fn execute_concurrently(&mut self, requests: &[Request]) -> Vec<Response> {
        if requests.len() > MAX_CONCURRENT {
            // More than the staging-buffer slots: the excess arrives after the first group completes.
            return requests.chunks(MAX_CONCURRENT).flat_map(|group| self.execute_concurrently(group)).collect();
        }
        let mut responses: Vec<Option<Response>> = vec![None; requests.len()];
        let mut pending: Vec<(usize, u8, u16, Plan)> = Vec::new();
        for (i, request) in requests.iter().enumerate() {
            let slot = i as u16;
            let ctx = Ctx {
                initiator: &request.initiator,
                lun: request.lun,
                cdb: &request.cdb,
                data_out: &request.data_out,
                slot,
            };
            match self.dispatch(&ctx) {
                Ok(Outcome::Done(data_in)) => responses[i] = Some(self.respond(Ok(data_in), Vec::new())),
                Ok(Outcome::Engine(plan)) => {
                    let queue = self.queue_for(&request.initiator);
                    pending.push((i, queue, slot, plan));
                }
                Err(sense) => responses[i] = Some(self.respond(Err(sense), Vec::new())),
            }
        }

        let queues = self.state.config.timing.queues as usize;
        let mut work: Vec<Vec<JobBatch>> = vec![Vec::new(); queues];
        for (_, queue, slot, plan) in &mut pending {
            self.memory.set_buffer(*slot, std::mem::take(&mut plan.buffer));
            work[usize::from(*queue)].push(JobBatch { jobs: plan.jobs.clone() });
        }
        let mut results: Vec<std::vec::IntoIter<Vec<Completion>>> =
            self.block.run(&mut self.memory, work).into_iter().map(Vec::into_iter).collect();

        for (i, queue, slot, plan) in pending {
            let completions = results[usize::from(queue)].next().expect("one result per batch");
            let buffer = self.memory.take_buffer(slot);
            let records = plan
                .jobs
                .into_iter()
                .zip(completions.iter().cloned())
                .map(|(job, completion)| JobRecord { job, completion })
                .collect();
            let result = (plan.finish)(&mut self.state, Completed { completions, buffer });
            responses[i] = Some(self.respond(result, records));
        }
        responses.into_iter().map(|r| r.expect("every request answered")).collect()
    }

    fn respond(&self, result: Result<Vec<u8>, Sense>, jobs: Vec<JobRecord>) -> Response {
        match result {
            Ok(data_in) => Response { status: GOOD, sense: Vec::new(), data_in, jobs },
            Err(sense) => Response {
                status: CHECK_CONDITION,
                sense: sense.render(self.state.descriptor_sense),
                data_in: Vec::new(),
                jobs,
            },
        }
    }

    fn dispatch(&mut self, ctx: &Ctx) -> HandlerResult {
        let spec: &CommandSpec = cdb::lookup(ctx.cdb)?;
        let lun_reachable = usize::from(ctx.lun) < self.state.config.units.len()
            && self.state.config.access.allows(ctx.initiator, ctx.lun);
        if !lun_reachable && !matches!(spec.op, Op::Inquiry | Op::ReportLuns) {
            return Err(Sense::illegal(Asc::LOGICAL_UNIT_NOT_SUPPORTED));
        }
        cdb::check_reserved(spec, ctx.cdb)?;
        let state = &mut self.state;
        let memory = &self.memory;
        match spec.op {
            Op::TestUnitReady => Ok(Outcome::Done(Vec::new())),
            Op::Inquiry => inquiry::inquiry(state, ctx, lun_reachable),
            Op::ModeSense6 | Op::ModeSense10 => mode::mode_sense(state, ctx, spec.op),
            Op::ModeSelect6 | Op::ModeSelect10 => mode::mode_select(state, ctx, spec.op),
            Op::ReadCapacity10 => capacity::read_capacity_10(state, ctx),
            Op::ReadCapacity16 => capacity::read_capacity_16(state, ctx),
            Op::Read10 | Op::Read16 => read_write::read(state, ctx, spec.op),
            Op::Write10 | Op::Write16 => read_write::write(state, ctx, spec.op),
            Op::CompareAndWrite => compare_write::compare_and_write(state, ctx),
            Op::WriteSame10 | Op::WriteSame16 => write_same::write_same(state, ctx, spec.op),
            Op::Unmap => unmap::unmap(state, ctx),
            Op::GetLbaStatus => lba_status::get_lba_status(state, memory, ctx),
            Op::ExtendedCopy => xcopy::extended_copy(state, ctx),
            Op::ReceiveCopyStatus => copy_results::copy_status(state, ctx),
            Op::ReceiveCopyOperatingParameters => copy_results::operating_parameters(state, ctx),
            Op::ReceiveCopyFailureDetails => copy_results::failure_details(state, ctx),
            Op::ReportLuns => report::report_luns(state, ctx),
            Op::ReportSupportedOperationCodes => report::supported_operation_codes(ctx),
        }
    }
}

/// Checks shared by the medium-access commands.
pub mod checks {
    use super::*;

    /// LBA OUT OF RANGE unless `lba .. lba + blocks` lies within the unit (also catches wrap-around).
    pub fn lba_range(unit: &UnitConfig, lba: u64, blocks: u64) -> Result<(), Sense> {
        match lba.checked_add(blocks) {
            Some(end) if end <= unit.blocks => Ok(()),
            _ => Err(Sense::illegal(Asc::LBA_OUT_OF_RANGE)),
        }
    }

    /// DATA PROTECT / WRITE PROTECTED for a write-protected unit.
    pub fn writable(unit: &UnitConfig) -> Result<(), Sense> {
        if unit.write_protected { Err(Sense::new(SenseKey::DataProtect, Asc::WRITE_PROTECTED)) } else { Ok(()) }
    }

    /// RDPROTECT / WRPROTECT (CDB byte 1, bits 7–5) must be zero: no protection information.
    pub fn no_protection(cdb: &[u8]) -> Result<(), Sense> {
        if cdb[1] & 0xE0 != 0 { Err(Sense::invalid_cdb_field(1, Some(7))) } else { Ok(()) }
    }

    /// Truncates `data` to the CDB's ALLOCATION LENGTH.
    pub fn truncate(mut data: Vec<u8>, allocation_length: usize) -> Vec<u8> {
        data.truncate(allocation_length);
        data
    }

    /// The job's block-size shift for a unit.
    pub fn block_shift(unit: &UnitConfig) -> u8 {
        unit.block_size.trailing_zeros() as u8
    }

    /// The data-out must be exactly `expected` bytes; otherwise INVALID FIELD IN CDB pointing at the
    /// length field that implied it (`field_at`).
    pub fn expect_data_out(ctx: &Ctx, expected: u64, field_at: u16) -> Result<(), Sense> {
        if ctx.data_out.len() as u64 == expected { Ok(()) } else { Err(Sense::invalid_cdb_field(field_at, None)) }
    }

    /// The parameter list: the data-out, which must be exactly the CDB's PARAMETER LIST LENGTH (`length`,
    /// at CDB byte `field_at`) long.
    pub fn parameter_list<'a>(ctx: &'a Ctx, length: usize, field_at: u16) -> Result<&'a [u8], Sense> {
        expect_data_out(ctx, length as u64, field_at)?;
        Ok(ctx.data_out)
    }

    /// GOOD if every job completed; otherwise the medium error of the first that failed.
    pub fn jobs_succeeded(completions: &[Completion], unit: &UnitConfig) -> Result<(), Sense> {
        match completions.iter().find(|c| c.status != crate::engine::CompletionStatus::Ok) {
            Some(failed) => Err(medium_error_sense(failed, unit)),
            None => Ok(()),
        }
    }

    /// Address of `lba` on unit `lun`.
    pub fn unit_address(unit: &UnitConfig, lun: u16, lba: u64) -> u64 {
        address::unit_address(lun, lba, unit.block_size)
    }
}

/// The standard sense for an engine job that failed on a medium: MEDIUM ERROR with the failing LBA for
/// reads, WRITE ERROR for writes (SBC-4 4.14: INFORMATION holds the first LBA in error).
pub fn medium_error_sense(completion: &Completion, unit: &UnitConfig) -> Sense {
    use crate::engine::CompletionStatus;
    let lba = match address::decode(completion.fault_address) {
        address::Region::Unit { offset, .. } => Some(offset / u64::from(unit.block_size)),
        address::Region::Buffer { .. } => None,
    };
    let asc =
        if completion.status == CompletionStatus::ReadError { Asc::UNRECOVERED_READ_ERROR } else { Asc::WRITE_ERROR };
    let sense = Sense::new(SenseKey::MediumError, asc);
    match lba {
        Some(lba) => sense.with_information(lba),
        None => sense,
    }
}
