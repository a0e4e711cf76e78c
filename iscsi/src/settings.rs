//! The target's settings: its names, the negotiation policy, the command window and its limits.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::text::Policy;

/// How the target presents itself and what it negotiates.
#[derive(Clone, Debug)]
pub struct Settings {
    pub listen: SocketAddr,
    /// The iSCSI name of the one target this portal serves.
    pub target_name: String,
    pub target_alias: Option<String>,
    pub portal_group_tag: u16,
    pub policy: Policy,
    /// CmdSN window: MaxCmdSN = ExpCmdSN + queue_depth − 1.
    pub queue_depth: u32,
    /// Largest Expected Data Transfer Length the target solicits data for; a write expecting more gets
    /// only its unsolicited data and is executed with it (the SCSI layer then judges the short data-out).
    pub max_solicited_bytes: u32,
    /// Connections served at once; more are closed on arrival.
    pub max_connections: usize,
    /// How long a login may stay silent before the connection is dropped.
    pub login_timeout: Duration,
    /// 0 quiet, 1 sessions and errors, 2 every PDU.
    pub verbosity: u8,
    /// Where the target's counters are written as they change (`None`: kept in memory only).
    pub counters_file: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 3260)),
            target_name: DEFAULT_TARGET_NAME.to_owned(),
            target_alias: Some("offload".to_owned()),
            portal_group_tag: 1,
            policy: Policy::default(),
            queue_depth: 128,
            max_solicited_bytes: 64 << 20,
            max_connections: 64,
            login_timeout: Duration::from_secs(30),
            verbosity: 1,
            counters_file: None,
        }
    }
}

/// The target's default iSCSI name.
pub const DEFAULT_TARGET_NAME: &str = "iqn.2026-11.org.offload:target";
