//! `iscsi_wire`: the iSCSI target's connection (PDU framing, login and text negotiation, the full feature
//! phase) fed by an initiator the fuzzer controls, through `offload_iscsi::wire` — the production
//! connection over a transport that is not a socket.
//!
//! - [`script`]: the structured input — a login chosen among a few valid forms with fuzzed keys, then up
//!   to [`script::MAX_STEPS`] typed steps, each framed correctly or with one quirk.
//! - [`player`]: the initiator that plays a script, reading the target's answers before each request.
//! - [`transcript`]: both byte streams decoded with the crate's codecs.
//! - [`oracle`]: what must hold of them and of the commands the back end received.
//!
//! The input's first byte chooses: bit 0 the back end (the model, or the fast path), bits 1–2 the
//! configuration ([`crate::configs::configuration`]), bit 3 the form of the rest — a script (decoded with
//! `arbitrary`) or raw bytes sent as they are (a recorded session: `fuzz/seeds/iscsi_wire/`).

pub mod oracle;
pub mod player;
pub mod script;
#[cfg(test)]
mod tests;
pub mod transcript;

use std::sync::{Arc, Mutex, PoisonError};

use arbitrary::{Arbitrary, Unstructured};
use offload_iscsi::backend::{
    self, Answer, Backend, BackendError, BackendKind, Command, LiveChange, Media, ReconfigureError,
};
use offload_iscsi::target::{DEFAULT_TARGET_NAME, Settings};
use offload_iscsi::text::Policy;
use offload_iscsi::transport::Sink;
use offload_iscsi::wire;
use offload_scsi::SenseFormat;
use offload_vectors::config::TargetConfig;

use crate::configs::configuration;
use oracle::{Executed, Violation};
use player::Player;
use script::Script;

/// The target's CmdSN window.
pub const QUEUE_DEPTH: u32 = 16;
/// Writes expecting more are executed with their unsolicited data only (at least what the target raises
/// it to for the configuration's largest command, which is less).
pub const MAX_SOLICITED_BYTES: u32 = 1 << 20;

/// Bit of the first input byte: the rest is raw bytes.
pub const RAW: u8 = 0x08;

/// The target's settings: small bursts and segments, so that a write of a few blocks takes several R2Ts
/// and Data-Outs; digests accepted.
pub fn settings() -> Settings {
    let policy = Policy {
        initial_r2t: false,
        immediate_data: true,
        max_burst_length: 8192,
        first_burst_length: 4096,
        max_recv_data_segment_length: 2048,
        ..Policy::default()
    };
    Settings {
        policy,
        queue_depth: QUEUE_DEPTH,
        max_solicited_bytes: MAX_SOLICITED_BYTES,
        verbosity: 0,
        ..Settings::default()
    }
}

/// The back end of the input's first byte.
pub fn backend_kind(selector: u8) -> BackendKind {
    if selector & 1 == 0 { BackendKind::Model } else { BackendKind::FastPath }
}

/// The back end in the middle: records every command it is given, with where both streams stood.
struct Recorder {
    inner: Box<dyn Backend>,
    input: Sink,
    output: Sink,
    executed: Arc<Mutex<Vec<Executed>>>,
}

impl Backend for Recorder {
    fn execute(&self, c: &Command<'_>) -> Result<Answer, BackendError> {
        let record = Executed {
            lun: c.lun,
            cdb: c.cdb.to_vec(),
            data_out: c.data_out.to_vec(),
            input_at: self.input.len(),
            output_at: self.output.len(),
        };
        self.executed.lock().unwrap_or_else(PoisonError::into_inner).push(record);
        self.inner.execute(c)
    }

    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn config(&self) -> TargetConfig {
        self.inner.config()
    }

    fn nexus_lost(&self, initiator: &str) {
        self.inner.nexus_lost(initiator);
    }

    fn logical_unit_reset(&self, initiator: &str, lun: u16) {
        self.inner.logical_unit_reset(initiator, lun);
    }

    fn target_reset(&self, initiator: &str) {
        self.inner.target_reset(initiator);
    }

    fn reconfigure(&mut self, config: &TargetConfig) -> Result<Vec<LiveChange>, ReconfigureError> {
        self.inner.reconfigure(config)
    }

    fn sense_format(&self, lun: u16) -> SenseFormat {
        self.inner.sense_format(lun)
    }

    fn syncs(&self) -> u64 {
        self.inner.syncs()
    }

    fn on_file(&self, lun: u16) -> bool {
        self.inner.on_file(lun)
    }
}

/// A connection's record: both streams and the commands executed.
pub struct Session {
    pub config: TargetConfig,
    pub input: Vec<u8>,
    pub output: Vec<u8>,
    pub executed: Vec<Executed>,
}

/// Plays the input (its layout in the module's documentation) against a fresh target; `None` when the
/// bytes are no script.
pub fn play(data: &[u8]) -> Option<Session> {
    let (&selector, rest) = data.split_first()?;
    // As `offload-iscsi serve` runs: a new session finds 29/00 pending, so the first commands of a
    // script meet the unit attention path.
    let config = TargetConfig { power_on_unit_attention: true, ..configuration(selector >> 1 & 3) };
    let input = Sink::default();
    let player = if selector & RAW != 0 {
        Player::raw(rest.to_vec(), &config, input.clone())
    } else {
        let script = Script::arbitrary_take_rest(Unstructured::new(rest)).ok()?;
        Player::new(&script, &config, input.clone())
    };
    let output = player.output();
    let executed = Arc::new(Mutex::new(Vec::new()));
    let inner = backend::build(backend_kind(selector), config.clone(), &Media::Memory, DEFAULT_TARGET_NAME)
        .expect("the fuzz configurations suit both back ends");
    let recorder = Recorder { inner, input: input.clone(), output: output.clone(), executed: Arc::clone(&executed) };
    wire::serve(settings(), Box::new(recorder), player);
    let executed = std::mem::take(&mut *executed.lock().unwrap_or_else(PoisonError::into_inner));
    Some(Session { config, input: input.contents(), output: output.contents(), executed })
}

/// The target's side of the oracle.
pub fn check(session: &Session) -> Result<(), Violation> {
    let target =
        oracle::Target { config: &session.config, queue_depth: QUEUE_DEPTH, max_solicited_bytes: MAX_SOLICITED_BYTES };
    oracle::check(&target, &session.input, &session.output, &session.executed)
}
