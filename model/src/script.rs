//! The `offload run` script: one JSON object a line, each a SCSI command (or a group of commands that
//! arrive at once), answered by one JSON object a line.
//!
//! ```text
//! {"initiator": "iqn.host-a", "lun": 0, "cdb": "2a000000000000000100", "data_out": "<hex>"}
//! {"concurrent": [ {...command...}, {...command...} ]}
//! ```
//! Blank lines and lines starting with `#` are skipped. `initiator` defaults to [`DEFAULT_INITIATOR`],
//! `lun` to 0 and `data_out` to empty.

use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

use crate::scsi::{JobRecord, Request, Response, Target};

pub const DEFAULT_INITIATOR: &str = "iqn.2026-11.offload:host";

/// One command in a script.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptCommand {
    #[serde(default = "default_initiator")]
    pub initiator: String,
    #[serde(default)]
    pub lun: u16,
    #[serde(with = "hex::serde")]
    pub cdb: Vec<u8>,
    #[serde(with = "hex::serde", default)]
    pub data_out: Vec<u8>,
}

fn default_initiator() -> String {
    DEFAULT_INITIATOR.to_owned()
}

impl From<ScriptCommand> for Request {
    fn from(c: ScriptCommand) -> Self {
        Request { initiator: c.initiator, lun: c.lun, cdb: c.cdb, data_out: c.data_out }
    }
}

/// A line of commands that arrive together.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConcurrentLine {
    concurrent: Vec<ScriptCommand>,
}

/// Parses one line: a command, or `{"concurrent": [...]}`.
pub fn parse_line(text: &str) -> Result<Vec<Request>, serde_json::Error> {
    let value: serde_json::Value = serde_json::from_str(text)?;
    if value.get("concurrent").is_some() {
        let line: ConcurrentLine = serde_json::from_value(value)?;
        Ok(line.concurrent.into_iter().map(Request::from).collect())
    } else {
        Ok(vec![serde_json::from_value::<ScriptCommand>(value)?.into()])
    }
}

/// One output line.
#[derive(Clone, Debug, Serialize)]
pub struct Answer {
    /// 1-based script line.
    pub line: usize,
    pub initiator: String,
    pub lun: u16,
    pub command: &'static str,
    pub status: u8,
    #[serde(with = "hex::serde")]
    pub sense: Vec<u8>,
    /// Sense key / ASC / ASCQ in hex, e.g. "5/24/00", when there is sense data.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub check: String,
    #[serde(with = "hex::serde")]
    pub data_in: Vec<u8>,
    pub jobs: Vec<JobRecord>,
}

#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    #[error("line {line}: {source}")]
    Parse { line: usize, source: serde_json::Error },
    #[error("reading the script: {0}")]
    Read(std::io::Error),
    #[error("writing the answers: {0}")]
    Write(std::io::Error),
}

/// Key/ASC/ASCQ of fixed or descriptor sense, as "K/AA/QQ".
pub fn sense_summary(sense: &[u8]) -> String {
    offload_scsi::sense::decode(sense)
        .map_or_else(|_| String::new(), |s| format!("{:X}/{:02X}/{:02X}", s.key.0, s.asc.0, s.asc.1))
}

fn answer(line: usize, request: &Request, response: Response) -> Answer {
    let command = offload_scsi::command::lookup(&request.cdb).map_or("(unsupported)", |c| c.name);
    Answer {
        line,
        initiator: request.initiator.clone(),
        lun: request.lun,
        command,
        status: response.status,
        check: sense_summary(&response.sense),
        sense: response.sense,
        data_in: response.data_in,
        jobs: response.jobs,
    }
}

/// Runs every line of `script` on `target`, writing one JSON answer per command to `out`. Returns the
/// number of commands and how many ended in CHECK CONDITION.
pub fn run(target: &mut Target, script: impl BufRead, mut out: impl Write) -> Result<(usize, usize), ScriptError> {
    let (mut commands, mut checks) = (0, 0);
    for (index, text) in script.lines().enumerate() {
        let line = index + 1;
        let text = text.map_err(ScriptError::Read)?;
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let requests = parse_line(trimmed).map_err(|source| ScriptError::Parse { line, source })?;
        for (request, response) in requests.iter().zip(target.execute_concurrently(&requests)) {
            commands += 1;
            checks += usize::from(response.status != offload_scsi::GOOD);
            let json = serde_json::to_string(&answer(line, request, response)).expect("answers serialise");
            writeln!(out, "{json}").map_err(ScriptError::Write)?;
        }
    }
    Ok((commands, checks))
}
