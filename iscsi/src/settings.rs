//! The target's settings: its names, the negotiation policy, who must authenticate (the `--auth` file),
//! the command window and its limits.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::auth::{Account, SECRET_MAX, SECRET_MIN, Secret};
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
    /// Who must authenticate with CHAP, and with what.
    pub auth: AuthConfig,
    /// How long a login may stay silent before the connection is dropped.
    pub login_timeout: Duration,
    /// 0 quiet, 1 sessions and errors, 2 every PDU.
    pub verbosity: u8,
    /// Where the target's counters are written as they change (`None`: kept in memory only).
    pub counters_file: Option<PathBuf>,
    /// The real-time priority (SCHED_FIFO, 1–99) of the worker pool's event loops; `None`: the default
    /// policy. A loop at real-time priority is not preempted by the threads it wakes when it answers — on
    /// a machine whose initiators share its cores, the difference between answering a batch of ready
    /// connections and answering one per time slice.
    pub loop_priority: Option<u8>,
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
            max_connections: 1024,
            auth: AuthConfig::default(),
            login_timeout: Duration::from_secs(30),
            verbosity: 1,
            counters_file: None,
            loop_priority: None,
        }
    }
}

/// The target's default iSCSI name.
pub const DEFAULT_TARGET_NAME: &str = "iqn.2026-11.org.offload:target";

/// Who must authenticate with CHAP (the JSON of `offload-iscsi serve --auth FILE`). An initiator with an
/// account — its own, or the default — must log in with CHAP (AuthMethod=None is refused with 0201h);
/// one without logs in with AuthMethod=None. Secrets live only here, never on the command line.
///
/// ```json
/// {
///   "initiators": {
///     "iqn.2026-11.example:esxi-a": {
///       "user": "esxi-a", "secret": "a-12+-byte-secret",
///       "mutual": { "user": "offload", "secret": "the-target-secret" }
///     }
///   },
///   "default": { "user": "anyone", "secret": "another-secret" },
///   "open_discovery": false
/// }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// Accounts by initiator name (InitiatorName).
    #[serde(default)]
    pub initiators: BTreeMap<String, Account>,
    /// The account of every initiator not named in `initiators`: CHAP is then required of all.
    #[serde(default)]
    pub default: Option<Account>,
    /// Discovery sessions (SendTargets) need no CHAP, even for initiators with an account. By default they
    /// authenticate like normal sessions: the target's name and address are not given to strangers.
    #[serde(default)]
    pub open_discovery: bool,
}

/// Why an `--auth` file is refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthConfigError {
    /// serde_json's message with every quoted string blanked: a secret written where an account or a
    /// flag belongs would otherwise be quoted back ("invalid type: string \"…\"").
    #[error("{0}")]
    Json(String),
    #[error("{whose}: a CHAP user name must be non-empty, without NUL, at most 255 bytes")]
    BadUser { whose: String },
    #[error(
        "{whose}: a {length}-byte secret; secrets must be {SECRET_MIN} to {SECRET_MAX} bytes (RFC 7143 §9.2.1: a \
         secret of fewer than 96 random bits needs IPsec, which this target does not have)"
    )]
    SecretLength { whose: String, length: usize },
    #[error(
        "{initiator} and {target}: one secret authenticates an initiator and the target (RFC 7143 §9.2.1: a \
         secret for initiator authentication must not be configured for target authentication)"
    )]
    BothDirections { initiator: String, target: String },
}

/// `text` with the inside of every double-quoted string replaced by `…`.
fn unquoted(text: &str) -> String {
    text.split('"').enumerate().map(|(i, part)| if i % 2 == 1 { "…" } else { part }).collect::<Vec<_>>().join("\"")
}

impl AuthConfig {
    /// Reads and checks an `--auth` file's text; also returns warnings (things RFC 7143 advises against).
    pub fn from_json(text: &str) -> Result<(AuthConfig, Vec<String>), AuthConfigError> {
        let config: AuthConfig =
            serde_json::from_str(text).map_err(|e| AuthConfigError::Json(unquoted(&e.to_string())))?;
        let warnings = config.check()?;
        Ok((config, warnings))
    }

    /// Every account with the name it is reported under.
    fn accounts(&self) -> impl Iterator<Item = (String, &Account)> {
        let named = self.initiators.iter().map(|(name, a)| (format!("initiators.{name}"), a));
        named.chain(self.default.iter().map(|a| ("default".to_owned(), a)))
    }

    /// The rules RFC 7143 §9.2.1 sets for secrets, as errors; the advice, as warnings.
    pub fn check(&self) -> Result<Vec<String>, AuthConfigError> {
        let mut initiator_secrets: Vec<(String, &Secret)> = Vec::new();
        let mut target_secrets: Vec<(String, &Secret)> = Vec::new();
        for (whose, account) in self.accounts() {
            initiator_secrets.push((whose.clone(), &account.secret));
            let mut credentials = vec![(whose.clone(), &account.user, &account.secret)];
            if let Some(m) = &account.mutual {
                let whose = format!("{whose}.mutual");
                target_secrets.push((whose.clone(), &m.secret));
                credentials.push((whose, &m.user, &m.secret));
            }
            for (whose, user, secret) in credentials {
                if user.is_empty() || user.contains('\0') || user.len() > 255 {
                    return Err(AuthConfigError::BadUser { whose });
                }
                if !(SECRET_MIN..=SECRET_MAX).contains(&secret.len()) {
                    return Err(AuthConfigError::SecretLength { whose, length: secret.len() });
                }
            }
        }
        for (initiator, secret) in &initiator_secrets {
            if let Some((target, _)) = target_secrets.iter().find(|(_, t)| t == secret) {
                return Err(AuthConfigError::BothDirections { initiator: initiator.clone(), target: target.clone() });
            }
        }
        let mut warnings = Vec::new();
        for (i, (a, secret)) in initiator_secrets.iter().enumerate() {
            if let Some((b, _)) = initiator_secrets[..i].iter().find(|(_, s)| s == secret) {
                warnings.push(format!(
                    "{b} and {a} share a secret: either can impersonate the other (RFC 7143 §9.2.1 advises against it)"
                ));
            }
        }
        Ok(warnings)
    }

    /// The account `initiator` must authenticate with; `None`: it logs in without CHAP.
    pub fn account(&self, initiator: &str, discovery: bool) -> Option<&Account> {
        if discovery && self.open_discovery {
            return None;
        }
        self.initiators.get(initiator).or(self.default.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<(AuthConfig, Vec<String>), AuthConfigError> {
        AuthConfig::from_json(text)
    }

    #[test]
    fn accounts_by_initiator_then_the_default() {
        let (config, warnings) = parse(
            r#"{"initiators": {"iqn.a": {"user": "a", "secret": "secret-of-a-123",
                                        "mutual": {"user": "t", "secret": "secret-of-t-123"}}},
                "default": {"user": "d", "secret": "secret-of-d-123"}}"#,
        )
        .unwrap();
        assert!(warnings.is_empty());
        assert_eq!(config.account("iqn.a", false).unwrap().user, "a");
        assert_eq!(config.account("iqn.a", false).unwrap().mutual.as_ref().unwrap().user, "t");
        assert_eq!(config.account("iqn.other", false).unwrap().user, "d");
        assert_eq!(config.account("iqn.other", true).unwrap().user, "d", "discovery authenticates too");
        let (open, _) =
            parse(r#"{"initiators": {"iqn.a": {"user": "a", "secret": "secret-of-a-123"}}, "open_discovery": true}"#)
                .unwrap();
        assert!(open.account("iqn.a", true).is_none());
        assert_eq!(open.account("iqn.a", false).unwrap().user, "a");
        assert!(open.account("iqn.b", false).is_none(), "no default: others log in without CHAP");
        assert!(AuthConfig::default().account("iqn.a", false).is_none());
    }

    #[test]
    fn secret_rules_are_enforced() {
        let too_short = parse(r#"{"default": {"user": "d", "secret": "11-bytes-xx"}}"#);
        assert!(matches!(too_short, Err(AuthConfigError::SecretLength { length: 11, .. })), "{too_short:?}");
        assert!(parse(r#"{"default": {"user": "d", "secret": "12-bytes-xxx"}}"#).is_ok());
        let long = format!(r#"{{"default": {{"user": "d", "secret": "{}"}}}}"#, "x".repeat(256));
        assert!(matches!(parse(&long), Err(AuthConfigError::SecretLength { length: 256, .. })));
        let short_mutual = parse(
            r#"{"default": {"user": "d", "secret": "12-bytes-xxx", "mutual": {"user": "t", "secret": "short"}}}"#,
        );
        assert!(
            matches!(short_mutual, Err(AuthConfigError::SecretLength { ref whose, .. }) if whose == "default.mutual")
        );
        let no_user = parse(r#"{"default": {"user": "", "secret": "12-bytes-xxx"}}"#);
        assert!(matches!(no_user, Err(AuthConfigError::BadUser { .. })));
        // One secret both ways: in one account, and across accounts.
        let same = parse(
            r#"{"default": {"user": "d", "secret": "same-secret-123", "mutual": {"user": "t", "secret": "same-secret-123"}}}"#,
        );
        assert!(matches!(same, Err(AuthConfigError::BothDirections { .. })), "{same:?}");
        let across = parse(
            r#"{"initiators": {"iqn.a": {"user": "a", "secret": "secret-of-a-123"}},
                "default": {"user": "d", "secret": "secret-of-d-123", "mutual": {"user": "t", "secret": "secret-of-a-123"}}}"#,
        );
        assert!(matches!(across, Err(AuthConfigError::BothDirections { .. })));
        // Two initiators sharing a secret: allowed, with a warning.
        let (_, warnings) = parse(
            r#"{"initiators": {"iqn.a": {"user": "a", "secret": "shared-secret-1"}, "iqn.b": {"user": "b", "secret": "shared-secret-1"}}}"#,
        )
        .unwrap();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        // Unknown fields are typos, not ignored.
        assert!(matches!(
            parse(r#"{"default": {"user": "d", "secret": "12-bytes-xxx", "secrte": "x"}}"#),
            Err(AuthConfigError::Json(_))
        ));
        assert!(matches!(parse(r#"{"initators": {}}"#), Err(AuthConfigError::Json(_))));
    }

    #[test]
    fn errors_never_print_a_secret() {
        let e = parse(r#"{"default": {"user": "d", "secret": "same-secret-123", "mutual": {"user": "t", "secret": "same-secret-123"}}}"#)
            .unwrap_err();
        assert!(!e.to_string().contains("same-secret-123"), "{e}");
        let e = parse(r#"{"default": {"user": "d", "secret": "short-one"}}"#).unwrap_err();
        assert!(!e.to_string().contains("short-one"), "{e}");
        // A secret where an account belongs: serde_json would quote it.
        let e = parse(r#"{"default": "misplaced-secret"}"#).unwrap_err();
        assert!(!e.to_string().contains("misplaced-secret") && e.to_string().contains("invalid type"), "{e}");
        let e = parse(r#"{"open_discovery": "misplaced-secret"}"#).unwrap_err();
        assert!(!e.to_string().contains("misplaced-secret"), "{e}");
        let e = parse(r#"{"default": {"user": "d", "secrte": "x"}}"#).unwrap_err();
        assert!(e.to_string().contains("unknown field `secrte`"), "field names still show: {e}");
    }
}
