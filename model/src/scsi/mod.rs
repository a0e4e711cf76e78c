//! The SCSI front end (SBC-4 / SPC-4): a [`Target`] takes a command — initiator, LUN, CDB, data-out —
//! and answers with status, sense and data-in, driving the engines for everything that touches a medium.
//!
//! Each command goes through the same steps:
//! 1. [`command::lookup`] finds its [`CommandSpec`] in the shared command table; unknown operation codes
//!    get 20/00.
//! 2. The LUN is checked against the access map (25/00), except for INQUIRY and REPORT LUNS.
//! 3. [`command::check_reserved`] rejects any bit outside the command's usage mask (24/00 + field
//!    pointer).
//! 4. The gates every command must pass ([`Target::admit`] runs them alone, for a back end that executes
//!    the command elsewhere): a pending [`unit_attention`] condition, a reservation conflict, a stopped unit.
//! 5. The command's handler validates its fields and either answers at once or returns a [`Plan`]: a
//!    staging buffer, a batch of engine jobs, and a finisher that turns the completions into the answer
//!    — or, for a plan of rounds ([`Next`]), into another batch (ORWRITE's read-modify-write).
//! 6. The plan's jobs run on the [`OffloadBlock`]; host data-out and data-in pass through the staging
//!    buffer, so every medium access — host reads and writes included — takes a range lock.
//!
//! One module per command family: [`inquiry`] (standard data and VPD pages), [`capacity`], [`mode`],
//! [`report`] (REPORT LUNS and REPORT SUPPORTED OPERATION CODES), [`port_groups`] (REPORT TARGET PORT
//! GROUPS and the port identifiers VPD 83h reports), [`read_write`] (READ and WRITE (6), (10), (12),
//! (16) and WRITE ATOMIC (16)), [`compare_write`], [`verify`] (VERIFY and WRITE AND VERIFY), [`orwrite`],
//! [`write_same`], [`unmap`], [`lba_status`], [`xcopy`]
//! (EXTENDED COPY), [`copy_results`] (RECEIVE COPY RESULTS), over the [`copy_manager`]'s book of lists,
//! [`synchronize_cache`], [`pre_fetch`], [`start_stop`] (START STOP UNIT), [`defect_data`] (READ DEFECT
//! DATA), [`request_sense`] and [`reservations`] (RESERVE/RELEASE, PERSISTENT RESERVE IN/OUT).
//!
//! Before its handler every command passes the same gates, whoever executes it ([`Target::admit`]):
//! a pending [`unit_attention`], a reservation conflict ([`reservations::admit`]), a stopped unit
//! ([`readiness`]). [`reconfigure`] says what a running target's configuration may change live. The
//! vocabulary — sense data, the command table, field readers — is the shared `offload-scsi` crate's.
//!
//! Durability is an answer's typed output ([`Response::durable`]): the blocks the caller must make
//! durable before it sends the status — SYNCHRONIZE CACHE's range, and every block a writing command
//! wrote when it asked for FUA or its unit's write cache is disabled (caching mode page WCE=0, see
//! [`mode`]). The model's own media are memory: it only says what must be durable.

pub mod capacity;
pub mod checks;
pub mod compare_write;
pub mod copy_manager;
pub mod copy_results;
pub mod defect_data;
pub mod inquiry;
pub mod lba_status;
pub mod mode;
pub mod orwrite;
pub mod port_groups;
pub mod pre_fetch;
pub mod read_write;
pub mod readiness;
pub mod reconfigure;
pub mod report;
pub mod request_sense;
pub mod reservations;
pub mod start_stop;
pub mod synchronize_cache;
pub mod transfer;
pub mod unit_attention;
pub mod unmap;
pub mod verify;
pub mod write_same;
pub mod xcopy;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::address;
use crate::config::{AccessMap, ConfigError, TargetConfig, UnitConfig};
use crate::engine::{Completion, Job, JobBatch, OffloadBlock};
use crate::media::{Memory, UnitStore};
use offload_scsi::command::{self, Command, CommandSpec};
use offload_scsi::durability::must_be_durable;
use offload_scsi::{
    Asc, CHECK_CONDITION, CONDITION_MET, Durable, GOOD, RESERVATION_CONFLICT, Sense, SenseFormat, SenseKey,
};

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

/// An engine job the command issued, with its completion and predicted cycles (the vectors' record).
pub use offload_vectors::case::{JobRecord, Staging};

/// The target's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    pub status: u8,
    #[serde(with = "hex::serde")]
    pub sense: Vec<u8>,
    #[serde(with = "hex::serde")]
    pub data_in: Vec<u8>,
    pub jobs: Vec<JobRecord>,
    /// Blocks that must be durable before the status is sent (only with GOOD status).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub durable: Vec<Durable>,
}

impl Response {
    /// RESERVATION CONFLICT: status 18h, no sense data, nothing done.
    pub fn reservation_conflict() -> Response {
        Response {
            status: RESERVATION_CONFLICT,
            sense: Vec::new(),
            data_in: Vec::new(),
            jobs: Vec::new(),
            durable: Vec::new(),
        }
    }
}

/// What a handler needs to know about the command in front of it.
pub struct Ctx<'a> {
    pub initiator: &'a str,
    pub lun: u16,
    pub cdb: &'a [u8],
    pub data_out: &'a [u8],
    /// The staging buffer this command's host data goes through: commands take slots in arrival order.
    pub slot: u16,
    /// How many commands arrived together with this one, itself included.
    pub group: usize,
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

/// A command's answer: data-in, or the sense of a CHECK CONDITION.
pub type Answer = Result<Vec<u8>, Sense>;

/// Turns a plan's completions into what comes next: by default the answer (data-in or a check
/// condition); for a plan of several rounds, [`Next`].
pub type Finisher<T = Answer> = Box<dyn FnOnce(&mut TargetState, Completed) -> T>;

/// Engine work for one command: one batch of jobs, then its finisher. A plan whose finisher returns
/// [`Next`] may continue with another batch once its jobs have completed (ORWRITE's read, then its
/// compare-and-write).
pub struct Plan<T = Answer> {
    pub buffer: Vec<u8>,
    pub jobs: Vec<Job>,
    pub finish: Finisher<T>,
    /// The CDB's FUA bit: what the jobs write must be durable before GOOD whatever the write cache.
    pub fua: bool,
}

/// What a plan of several rounds does after a round's jobs completed.
pub enum Next {
    Done(Answer),
    /// Another round: its jobs run with the next round of the concurrent group's continuing plans.
    More(Plan<Next>),
}

impl Plan {
    /// The plan as the first and only round of a plan of rounds.
    fn into_rounds(self) -> Plan<Next> {
        let finish = self.finish;
        Plan {
            buffer: self.buffer,
            jobs: self.jobs,
            finish: Box::new(move |state, done| Next::Done(finish(state, done))),
            fua: self.fua,
        }
    }
}

/// A handler's decision.
pub enum Outcome {
    /// Answered without the engines: data-in (possibly empty).
    Done(Vec<u8>),
    /// Answered GOOD without the engines once these blocks are durable (SYNCHRONIZE CACHE).
    Durable(Durable),
    /// Answered CONDITION MET without the engines (PRE-FETCH: the range is in the cache).
    ConditionMet,
    Engine(Plan),
    /// Engine work in rounds: each round's finisher decides whether another follows.
    Rounds(Plan<Next>),
}

/// Handlers return this; `Err` is a CHECK CONDITION.
pub type HandlerResult = Result<Outcome, Sense>;

/// Why a command is not carried out: a CHECK CONDITION with its sense, or RESERVATION CONFLICT — a status
/// with no sense data (SAM-5 5.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Check(Sense),
    ReservationConflict,
}

impl From<Sense> for Refusal {
    fn from(sense: Sense) -> Self {
        Refusal::Check(sense)
    }
}

/// What the front end's checks and the reservation handlers return: an outcome or a refusal.
pub type Verdict = Result<Outcome, Refusal>;

/// Target state that handlers read and change (everything but the engines and memory).
pub struct TargetState {
    pub config: TargetConfig,
    /// Each unit's control mode page D_SENSE bit (mode pages are per logical unit).
    descriptor_sense: Vec<bool>,
    /// Each unit's caching mode page WCE bit.
    write_cache: Vec<bool>,
    /// Each unit's control mode page SWP bit (software write protect).
    software_write_protect: Vec<bool>,
    /// Each unit's stopped state (START STOP UNIT with START=0; power-on: started).
    stopped: Vec<bool>,
    pub copy_results: copy_manager::CopyResults,
    pub unit_attentions: unit_attention::UnitAttentions,
    pub reservations: reservations::Reservations,
}

/// A per-unit flag of `flags` for `lun`; `None` for a LUN with no unit.
fn flag(flags: &[bool], lun: u16) -> Option<bool> {
    flags.get(usize::from(lun)).copied()
}

/// Sets a per-unit flag (a LUN with no unit has none to set).
fn set_flag(flags: &mut [bool], lun: u16, on: bool) {
    if let Some(f) = flags.get_mut(usize::from(lun)) {
        *f = on;
    }
}

impl TargetState {
    /// Whether sense for `lun` is in descriptor format (the power-on value for a LUN with no unit).
    pub fn descriptor_sense(&self, lun: u16) -> bool {
        flag(&self.descriptor_sense, lun).unwrap_or(self.config.descriptor_sense)
    }

    /// The sense format for `lun`.
    pub fn sense_format(&self, lun: u16) -> SenseFormat {
        SenseFormat::from_d_sense(self.descriptor_sense(lun))
    }

    pub fn set_descriptor_sense(&mut self, lun: u16, on: bool) {
        set_flag(&mut self.descriptor_sense, lun, on);
    }

    /// Whether `lun`'s write cache is enabled (caching mode page WCE; the power-on value for a LUN with
    /// no unit).
    pub fn write_cache(&self, lun: u16) -> bool {
        flag(&self.write_cache, lun).unwrap_or(true)
    }

    pub fn set_write_cache(&mut self, lun: u16, on: bool) {
        set_flag(&mut self.write_cache, lun, on);
    }

    /// Whether `lun`'s control mode page SWP bit is set (false for a LUN with no unit).
    pub fn software_write_protect(&self, lun: u16) -> bool {
        flag(&self.software_write_protect, lun).unwrap_or(false)
    }

    pub fn set_software_write_protect(&mut self, lun: u16, on: bool) {
        set_flag(&mut self.software_write_protect, lun, on);
    }

    /// Whether `lun` is stopped (false for a LUN with no unit).
    pub fn stopped(&self, lun: u16) -> bool {
        flag(&self.stopped, lun).unwrap_or(false)
    }

    pub fn set_stopped(&mut self, lun: u16, stopped: bool) {
        set_flag(&mut self.stopped, lun, stopped);
    }

    pub fn unit_config(&self, lun: u16) -> &UnitConfig {
        &self.config.units[usize::from(lun)]
    }

    /// Whether `initiator` may reach `lun` (the unit exists and the access map allows it).
    pub fn reachable(&self, initiator: &str, lun: u16) -> bool {
        usize::from(lun) < self.config.units.len() && self.config.access.allows(initiator, lun)
    }

    /// A logical unit reset's effect on `lun`'s state (SAM-5 6.3.3): the mode parameters return to their
    /// default values (none are saved), the copy results held for it are discarded, and every I_T nexus
    /// finds `asc` pending on it.
    /// Queues the unit attentions reservation changes caused (2A/03, 2A/04, 2A/05) for their I_T nexuses.
    fn queue_reservation_attentions(&mut self) {
        for a in self.reservations.take_attentions() {
            self.unit_attentions.establish(&a.nexus, a.lun, a.asc);
        }
    }

    fn reset_unit(&mut self, lun: u16, asc: Asc) {
        let unit = self.unit_config(lun);
        let write_cache = unit.write_cache;
        self.set_descriptor_sense(lun, self.config.descriptor_sense);
        self.set_write_cache(lun, write_cache);
        self.copy_results.discard_unit(lun);
        self.reservations.logical_unit_reset(lun);
        self.unit_attentions.establish_for_all(lun, asc, None);
    }
}

/// A command whose engine work is under way: its request's place in the group, its queue and staging
/// buffer, the plan of its next round and the jobs its earlier rounds ran.
struct InFlight {
    index: usize,
    queue: u8,
    slot: u16,
    plan: Plan<Next>,
    records: Vec<JobRecord>,
    /// Any round's FUA: the blocks any round wrote must be durable.
    fua: bool,
    /// Whether the plan is past its first round (its buffer no longer the command's data-out).
    later_round: bool,
}

/// Commands that can be in progress at once (one staging buffer each).
pub const MAX_CONCURRENT: usize = 1024;

/// A SCSI target: logical units, the offload block and the front end's state.
pub struct Target {
    pub state: TargetState,
    pub memory: Memory,
    pub block: OffloadBlock,
    queue_of: BTreeMap<String, u8>,
    /// The staging-buffer slot the next command takes (wrapping; far more slots than commands in flight).
    next_slot: u16,
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
        let copy_results = copy_manager::CopyResults::new(config.limits.copy.concurrent_copies.into());
        Ok(Target {
            state: TargetState {
                descriptor_sense: vec![config.descriptor_sense; config.units.len()],
                write_cache: config.units.iter().map(|u| u.write_cache).collect(),
                unit_attentions: unit_attention::UnitAttentions::new(
                    config.units.len(),
                    config.power_on_unit_attention,
                ),
                reservations: reservations::Reservations::new(config.units.len()),
                software_write_protect: vec![false; config.units.len()],
                stopped: vec![false; config.units.len()],
                config,
                copy_results,
            },
            memory: Memory::new(units),
            block,
            queue_of: BTreeMap::new(),
            next_slot: 0,
        })
    }

    /// The queue an initiator's jobs go to: initiators are given queues in order of first appearance.
    pub fn queue_for(&mut self, initiator: &str) -> u8 {
        let queues = self.state.config.timing.queues as usize;
        let next = (self.queue_of.len() % queues) as u8;
        *self.queue_of.entry(initiator.to_owned()).or_insert(next)
    }

    /// I_T nexus loss (a transport's session with `initiator` ended, SAM-5 6.3.4): the copy results held
    /// for its EXTENDED COPY lists are discarded, and the nexus finds I_T NEXUS LOSS OCCURRED (29/07) on
    /// every logical unit if it comes back. Its SPC-2 reservations are released; its persistent
    /// reservation registrations stay (SPC-4 5.13.2).
    pub fn nexus_loss(&mut self, initiator: &str) {
        self.state.copy_results.discard_initiator(initiator);
        self.state.unit_attentions.nexus_lost(initiator);
        self.state.reservations.nexus_loss(initiator);
    }

    /// LOGICAL UNIT RESET of `lun` from `initiator` (SAM-5 6.3.3, 7.7): its mode parameters return to
    /// their defaults, its held copy results are discarded, and every I_T nexus — `initiator`'s too —
    /// finds BUS DEVICE RESET FUNCTION OCCURRED (29/03) pending on it. Aborting its tasks is the
    /// transport's part. A LUN with no unit is left alone.
    pub fn logical_unit_reset(&mut self, initiator: &str, lun: u16) {
        if usize::from(lun) < self.state.config.units.len() {
            self.state.unit_attentions.meet(initiator);
            self.state.reset_unit(lun, Asc::BUS_DEVICE_RESET);
        }
    }

    /// A hard reset of the target (TARGET WARM RESET or TARGET COLD RESET from `initiator`, SAM-5 6.3.2):
    /// every logical unit is reset as [`Target::logical_unit_reset`] resets one, every I_T nexus finding
    /// SCSI BUS RESET OCCURRED (29/02) instead.
    pub fn target_reset(&mut self, initiator: &str) {
        self.state.unit_attentions.meet(initiator);
        for lun in 0..self.state.config.units.len() as u16 {
            self.state.reset_unit(lun, Asc::SCSI_BUS_RESET);
        }
    }

    /// Changes unit `lun`'s capacity to `blocks` (its medium grows with unmapped, zeroed blocks or loses
    /// the blocks past the end); every I_T nexus finds CAPACITY DATA HAS CHANGED (2A/09) pending on it
    /// (the data READ CAPACITY returns changed).
    pub fn resize_unit(&mut self, lun: u16, blocks: u64) -> Result<(), ConfigError> {
        let unit = usize::from(lun);
        let mut config = self.state.config.clone();
        let Some(u) = config.units.get_mut(unit) else {
            return Err(ConfigError::NoSuchUnit { unit });
        };
        if u.blocks == blocks {
            return Ok(());
        }
        u.blocks = blocks;
        config.validate()?;
        self.state.config = config;
        self.memory.units[unit].resize(blocks);
        self.state.unit_attentions.establish_for_all(lun, Asc::CAPACITY_DATA_CHANGED, None);
        Ok(())
    }

    /// Replaces the access map. Every I_T nexus whose set of reachable logical units changed finds
    /// REPORTED LUNS DATA HAS CHANGED (3F/0E) pending on each unit it reaches now (SPC-4: its REPORT LUNS
    /// data changed; REPORT LUNS clears it).
    pub fn set_access(&mut self, access: AccessMap) {
        let units = self.state.config.units.len() as u16;
        let before = self.state.config.access.clone();
        self.state.config.access = access;
        let nexuses: Vec<String> = self.state.unit_attentions.nexuses().map(str::to_owned).collect();
        for nexus in nexuses {
            let now = &self.state.config.access;
            if (0..units).any(|lun| before.allows(&nexus, lun) != now.allows(&nexus, lun)) {
                for lun in (0..units).filter(|&lun| now.allows(&nexus, lun)) {
                    self.state.unit_attentions.establish(&nexus, lun, Asc::REPORTED_LUNS_DATA_CHANGED);
                }
            }
        }
    }

    /// The gates alone, for a back end that executes the command itself (the fast path): `Some` answer —
    /// the model's, byte for byte — when one refuses it (a pending unit attention, which is then cleared as
    /// if the model had run the command), `None` when the command may run. A command the model would
    /// reject earlier (unknown operation code, unreachable LUN, reserved bit) is left to the executor,
    /// which rejects it the same way.
    pub fn admit(&mut self, initiator: &str, lun: u16, cdb: &[u8]) -> Option<Response> {
        let ctx = Ctx { initiator, lun, cdb, data_out: &[], slot: self.next_slot, group: 1 };
        let (spec, lun_reachable) = self.validate(&ctx).ok()?;
        let refusal = self.gates(&ctx, spec, lun_reachable).err()?;
        Some(match refusal {
            Refusal::Check(sense) => self.respond(lun, Err(sense), Vec::new()),
            Refusal::ReservationConflict => Response::reservation_conflict(),
        })
    }

    /// The staging-buffer slot the next command will take.
    pub fn next_slot(&self) -> u16 {
        self.next_slot
    }

    /// Executes one command to completion.
    pub fn execute(&mut self, request: &Request) -> Response {
        self.execute_concurrently(std::slice::from_ref(request)).pop().expect("one response")
    }

    /// Executes commands that arrive together (SIMPLE tasks): each initiator's engine work runs in order on
    /// its queue, and the queues run at once, interleaved by the range-lock unit. Commands that need no
    /// engine (INQUIRY, GET LBA STATUS, MODE SELECT, ...) are answered as they arrive, before any of the
    /// group's engine work — a reordering SIMPLE tasks allow.
    pub fn execute_concurrently(&mut self, requests: &[Request]) -> Vec<Response> {
        if requests.len() > MAX_CONCURRENT {
            // More than the staging-buffer slots: the excess arrives after the first group completes.
            return requests.chunks(MAX_CONCURRENT).flat_map(|group| self.execute_concurrently(group)).collect();
        }
        let mut responses: Vec<Option<Response>> = vec![None; requests.len()];
        let mut pending: Vec<InFlight> = Vec::new();
        for (i, request) in requests.iter().enumerate() {
            let slot = self.next_slot;
            self.next_slot = self.next_slot.wrapping_add(1);
            let ctx = Ctx {
                initiator: &request.initiator,
                lun: request.lun,
                cdb: &request.cdb,
                data_out: &request.data_out,
                slot,
                group: requests.len(),
            };
            let verdict = self.dispatch(&ctx);
            self.state.queue_reservation_attentions();
            let plan = match verdict {
                Ok(Outcome::Done(data_in)) => {
                    responses[i] = Some(self.respond(request.lun, Ok(data_in), Vec::new()));
                    continue;
                }
                Ok(Outcome::Durable(durable)) => {
                    let response = self.respond(request.lun, Ok(Vec::new()), Vec::new());
                    responses[i] = Some(Response { durable: vec![durable], ..response });
                    continue;
                }
                Ok(Outcome::ConditionMet) => {
                    let response = self.respond(request.lun, Ok(Vec::new()), Vec::new());
                    responses[i] = Some(Response { status: CONDITION_MET, ..response });
                    continue;
                }
                Ok(Outcome::Engine(plan)) => plan.into_rounds(),
                Ok(Outcome::Rounds(plan)) => plan,
                Err(Refusal::Check(sense)) => {
                    responses[i] = Some(self.respond(request.lun, Err(sense), Vec::new()));
                    continue;
                }
                Err(Refusal::ReservationConflict) => {
                    responses[i] = Some(Response::reservation_conflict());
                    continue;
                }
            };
            let queue = self.queue_for(&request.initiator);
            let fua = plan.fua;
            pending.push(InFlight { index: i, queue, slot, fua, plan, records: Vec::new(), later_round: false });
        }

        // Round after round, each in-flight command's next batch runs on its queue; a command leaves when
        // its finisher answers. The loop ends because every plan of rounds bounds its own rounds (ORWRITE:
        // group size + 1 attempts), and a plan of one round leaves after the first.
        while !pending.is_empty() {
            pending = self.run_round(pending, |i, response| responses[i] = Some(response), requests);
        }
        responses.into_iter().map(|r| r.expect("every request answered")).collect()
    }

    /// Runs one batch of every in-flight command, answers the commands whose plans are done and returns
    /// the ones that continue.
    fn run_round(
        &mut self,
        mut in_flight: Vec<InFlight>,
        mut answer: impl FnMut(usize, Response),
        requests: &[Request],
    ) -> Vec<InFlight> {
        let queues = self.state.config.timing.queues as usize;
        let mut work: Vec<Vec<JobBatch>> = vec![Vec::new(); queues];
        let mut staging: Vec<Option<Staging>> = Vec::with_capacity(in_flight.len());
        for command in &mut in_flight {
            let buffer = std::mem::take(&mut command.plan.buffer);
            // A later round's buffer is the front end's own work: the record carries it for replays.
            staging.push(command.later_round.then(|| Staging { slot: command.slot, data: buffer.clone() }));
            self.memory.set_buffer(command.slot, buffer);
            work[usize::from(command.queue)].push(JobBatch { jobs: command.plan.jobs.clone() });
        }
        let mut results: Vec<std::vec::IntoIter<Vec<Completion>>> =
            self.block.run(&mut self.memory, work).into_iter().map(Vec::into_iter).collect();

        let mut continuing = Vec::new();
        for (mut command, mut staging) in in_flight.into_iter().zip(staging) {
            let completions = results[usize::from(command.queue)].next().expect("one result per batch");
            let buffer = self.memory.take_buffer(command.slot);
            let plan = command.plan;
            command.records.extend(plan.jobs.into_iter().zip(completions.iter().cloned()).map(|(job, completion)| {
                JobRecord { predicted_cycles: completion.cycles(), job, completion, staging: staging.take() }
            }));
            match (plan.finish)(&mut self.state, Completed { completions, buffer }) {
                Next::More(next) => {
                    command.fua |= next.fua;
                    continuing.push(InFlight { plan: next, later_round: true, ..command });
                }
                Next::Done(result) => {
                    let lun = requests[command.index].lun;
                    let mut response = self.respond(lun, result, command.records);
                    if response.status == GOOD {
                        response.durable = self.must_be_durable(&response.jobs, command.fua);
                    }
                    answer(command.index, response);
                }
            }
        }
        continuing
    }

    fn respond(&self, lun: u16, result: Result<Vec<u8>, Sense>, jobs: Vec<JobRecord>) -> Response {
        match result {
            Ok(data_in) => Response { status: GOOD, sense: Vec::new(), data_in, jobs, durable: Vec::new() },
            Err(sense) => Response {
                status: CHECK_CONDITION,
                sense: sense.encode(self.state.sense_format(lun)).to_vec(),
                data_in: Vec::new(),
                jobs,
                durable: Vec::new(),
            },
        }
    }

    /// What a command that completed GOOD wrote (the unit blocks its jobs wrote — a compare job writes
    /// none) on units whose write cache is disabled, or all of it with FUA=1: the write cache is the
    /// destination unit's, so an EXTENDED COPY between units follows each one's.
    fn must_be_durable(&self, jobs: &[JobRecord], fua: bool) -> Vec<Durable> {
        jobs.iter()
            .filter_map(|r| r.job.written(&r.completion))
            .map(|w| Durable { lun: w.unit, lba: w.lba, blocks: w.blocks })
            .filter(|d| must_be_durable(fua, self.state.write_cache(d.lun)))
            .collect()
    }

    /// The checks of the CDB itself: a known command, a reachable LUN (INQUIRY, REPORT LUNS and REQUEST
    /// SENSE answer for any LUN), no reserved bit set. Returns the command and whether the LUN is reachable.
    fn validate(&self, ctx: &Ctx) -> Result<(&'static CommandSpec, bool), Sense> {
        let spec: &CommandSpec = command::lookup(ctx.cdb)?;
        let lun_reachable = self.state.reachable(ctx.initiator, ctx.lun);
        let any_lun = matches!(spec.command, Command::Inquiry | Command::ReportLuns | Command::RequestSense);
        if !lun_reachable && !any_lun {
            return Err(Sense::illegal(Asc::LOGICAL_UNIT_NOT_SUPPORTED));
        }
        let unit = lun_reachable.then(|| self.state.unit_config(ctx.lun));
        command::check_reserved(&spec.usage(unit.is_some_and(|u| !u.thin)), ctx.cdb)?;
        Ok((spec, lun_reachable))
    }

    /// The conditions every command must pass before its handler, whoever executes it (see [`Self::admit`]).
    /// In order (SAM-5 5.14, SPC-4 5.12): a pending unit attention, a reservation conflict, a stopped unit.
    fn gates(&mut self, ctx: &Ctx, spec: &CommandSpec, lun_reachable: bool) -> Result<(), Refusal> {
        if lun_reachable {
            unit_attention::check(&mut self.state.unit_attentions, ctx.initiator, ctx.lun, spec.command)?;
            reservations::admit(&self.state, ctx.initiator, ctx.lun, spec.reservation)?;
            readiness::check(&self.state, ctx.lun, spec.command)?;
        }
        Ok(())
    }

    fn dispatch(&mut self, ctx: &Ctx) -> Verdict {
        let (spec, lun_reachable) = self.validate(ctx)?;
        self.gates(ctx, spec, lun_reachable)?;
        let state = &mut self.state;
        let memory = &self.memory;
        let handled: HandlerResult = match spec.command {
            Command::TestUnitReady => Ok(Outcome::Done(Vec::new())),
            Command::RequestSense => request_sense::request_sense(state, ctx, lun_reachable),
            Command::Inquiry => inquiry::inquiry(state, ctx, lun_reachable),
            Command::ModeSense6 | Command::ModeSense10 => mode::mode_sense(state, ctx, spec.command),
            Command::ModeSelect6 | Command::ModeSelect10 => mode::mode_select(state, ctx, spec.command),
            Command::ReadCapacity10 => capacity::read_capacity_10(state, ctx),
            Command::ReadCapacity16 => capacity::read_capacity_16(state, ctx),
            Command::Read6 | Command::Read10 | Command::Read12 | Command::Read16 => {
                read_write::read(state, ctx, spec.command)
            }
            Command::Write6 | Command::Write10 | Command::Write12 | Command::Write16 | Command::WriteAtomic16 => {
                read_write::write(state, ctx, spec.command)
            }
            Command::PreFetch10 | Command::PreFetch16 => pre_fetch::pre_fetch(state, ctx, spec.command),
            Command::StartStopUnit => start_stop::start_stop_unit(state, ctx),
            Command::ReadDefectData10 | Command::ReadDefectData12 => {
                defect_data::read_defect_data(state, ctx, spec.command)
            }
            Command::CompareAndWrite => compare_write::compare_and_write(state, ctx),
            Command::OrWrite16 => orwrite::orwrite(state, ctx),
            Command::Verify10 | Command::Verify12 | Command::Verify16 => verify::verify(state, ctx),
            Command::WriteAndVerify10 | Command::WriteAndVerify12 | Command::WriteAndVerify16 => {
                verify::write_and_verify(state, ctx)
            }
            Command::WriteSame10 | Command::WriteSame16 => write_same::write_same(state, ctx, spec.command),
            Command::Unmap => unmap::unmap(state, ctx),
            Command::GetLbaStatus => lba_status::get_lba_status(state, memory, ctx),
            Command::ExtendedCopy => xcopy::extended_copy(state, ctx),
            Command::ReceiveCopyStatus => copy_results::copy_status(state, ctx),
            Command::ReceiveCopyOperatingParameters => copy_results::operating_parameters(state, ctx),
            Command::ReceiveCopyFailureDetails => copy_results::failure_details(state, ctx),
            Command::ReportLuns => report::report_luns(state, ctx),
            Command::ReportTargetPortGroups => port_groups::report_target_port_groups(ctx),
            Command::ReportSupportedOperationCodes => report::supported_operation_codes(state, ctx),
            Command::SynchronizeCache10 | Command::SynchronizeCache16 => {
                synchronize_cache::synchronize_cache(state, ctx, spec.command)
            }
            Command::Reserve6 | Command::Reserve10 => return reservations::spc2::reserve(state, ctx),
            Command::Release6 | Command::Release10 => return reservations::spc2::release(state, ctx),
            Command::PersistentReserveIn(action) => return reservations::persistent::reserve_in(state, ctx, action),
            Command::PersistentReserveOut(action) => return reservations::persistent::reserve_out(state, ctx, action),
        };
        Ok(handled?)
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
    let sense = Sense::new(SenseKey::MEDIUM_ERROR, asc);
    match lba {
        Some(lba) => sense.with_information(lba),
        None => sense,
    }
}
