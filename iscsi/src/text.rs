//! Text keys (RFC 7143 §6 and §13): the `key=value\0` format of Login and Text data segments, and the
//! negotiation of the operational parameters the target responds to.
//!
//! The target is always the responder. For each key the initiator offers, [`Negotiator::offer`] computes
//! the result from the offered value and the target's [`Policy`] (lists: the first offered value the
//! target supports; numbers: the minimum or maximum as the key's result function says; booleans: AND or
//! OR), records it in [`SessionParams`] and returns the response pair. The declarative
//! MaxRecvDataSegmentLength is recorded without a response; the target declares its own separately.

use std::collections::HashSet;

/// Why a text data segment is malformed (a protocol error: the login fails with Initiator Error).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("key=value pair without '=': {0:?}")]
    MissingEquals(String),
    #[error("text is not UTF-8")]
    NotUtf8,
    #[error("the last key=value pair is not NUL-terminated")]
    Unterminated,
    #[error("bad key name {0:?}")]
    BadKey(String),
    #[error("value of {0} longer than 8192 bytes")]
    ValueTooLong(String),
    #[error("key {0} offered twice")]
    Duplicate(String),
}

/// Parses a (whole, reassembled) text data segment into its pairs, in order. Empty strings between NULs
/// (padding some initiators send) are skipped.
pub fn parse(data: &[u8]) -> Result<Vec<(String, String)>, TextError> {
    if data.is_empty() {
        return Ok(Vec::new());
    }
    if *data.last().expect("non-empty") != 0 {
        return Err(TextError::Unterminated);
    }
    let mut pairs = Vec::new();
    for item in data[..data.len() - 1].split(|&b| b == 0) {
        if item.is_empty() {
            continue;
        }
        let item = std::str::from_utf8(item).map_err(|_| TextError::NotUtf8)?;
        let (key, value) = item.split_once('=').ok_or_else(|| TextError::MissingEquals(item.to_owned()))?;
        let key_ok =
            !key.is_empty() && key.len() <= 63 && key.chars().all(|c| c.is_ascii_alphanumeric() || ".-+@_".contains(c));
        if !key_ok {
            return Err(TextError::BadKey(key.to_owned()));
        }
        if value.len() > 8192 {
            return Err(TextError::ValueTooLong(key.to_owned()));
        }
        pairs.push((key.to_owned(), value.to_owned()));
    }
    Ok(pairs)
}

/// Encodes pairs as `key=value\0...`.
pub fn encode<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in pairs {
        out.extend_from_slice(k.as_ref().as_bytes());
        out.push(b'=');
        out.extend_from_slice(v.as_ref().as_bytes());
        out.push(0);
    }
    out
}

/// Why a binary-value (RFC 7143 §6.1) cannot be read as bytes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BinaryError {
    #[error("a binary value starts with 0x (hex) or 0b (base64)")]
    NoPrefix,
    #[error("a binary value with no digits")]
    Empty,
    #[error("not hex digits")]
    Hex,
    #[error("not base64")]
    Base64,
}

/// Reads a binary-value as bytes (RFC 7143 §6.1): a hex-constant, `0x`/`0X` and hex digits, n digits
/// making (n + 1) / 2 bytes (an odd count has an implied leading zero digit); or a base64-constant,
/// `0b`/`0B` and base64 (RFC 4648), padding optional. Decimal constants encode numbers, not byte
/// strings, and are refused.
pub fn decode_binary(value: &str) -> Result<Vec<u8>, BinaryError> {
    use base64::Engine;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const BASE64: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let (prefix, digits) = value.split_at_checked(2).ok_or(BinaryError::NoPrefix)?;
    if digits.is_empty() {
        return Err(BinaryError::Empty);
    }
    match prefix {
        "0x" | "0X" if digits.len() % 2 == 1 => hex::decode(format!("0{digits}")).map_err(|_| BinaryError::Hex),
        "0x" | "0X" => hex::decode(digits).map_err(|_| BinaryError::Hex),
        "0b" | "0B" => BASE64.decode(digits).map_err(|_| BinaryError::Base64),
        _ => Err(BinaryError::NoPrefix),
    }
}

/// Writes bytes as a hex-constant, two digits a byte — the one form every initiator reads (libiscsi
/// 1.19 reads CHAP_C and CHAP_R only as `0x` and hex).
pub fn encode_hex(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// An authentication method this target knows (RFC 7143 §12.1: the values of AuthMethod).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMethod {
    None,
    Chap,
}

impl AuthMethod {
    /// The value's name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            AuthMethod::None => "None",
            AuthMethod::Chap => "CHAP",
        }
    }
}

/// The target's answer to an AuthMethod list: the first offered method it accepts (list negotiation,
/// RFC 7143 §6.2.1); `None` when it accepts none of them (the answer is then "Reject").
pub fn select_auth_method(offered: &str, acceptable: &[AuthMethod]) -> Option<AuthMethod> {
    offered.split(',').find_map(|v| acceptable.iter().copied().find(|m| m.name() == v))
}

/// What the target is willing to negotiate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// The target's InitialR2T (result: OR with the initiator's).
    pub initial_r2t: bool,
    /// The target's ImmediateData (result: AND).
    pub immediate_data: bool,
    pub max_burst_length: u32,
    pub first_burst_length: u32,
    /// What the target declares it can receive in one data segment.
    pub max_recv_data_segment_length: u32,
    pub max_outstanding_r2t: u32,
    /// Accept CRC32C header and data digests when the initiator offers them.
    pub crc32c: bool,
    pub default_time2wait: u32,
    pub default_time2retain: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            initial_r2t: false,
            immediate_data: true,
            max_burst_length: 1 << 20,
            first_burst_length: 1 << 18,
            max_recv_data_segment_length: 1 << 18,
            max_outstanding_r2t: 1,
            crc32c: true,
            default_time2wait: 2,
            default_time2retain: 0,
        }
    }
}

/// The operational parameters in force on a connection (RFC 7143 defaults until negotiated).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionParams {
    pub header_digest: bool,
    pub data_digest: bool,
    pub max_connections: u32,
    pub initial_r2t: bool,
    pub immediate_data: bool,
    pub max_burst_length: u32,
    pub first_burst_length: u32,
    pub default_time2wait: u32,
    pub default_time2retain: u32,
    pub max_outstanding_r2t: u32,
    pub data_pdu_in_order: bool,
    pub data_sequence_in_order: bool,
    pub error_recovery_level: u32,
    /// The initiator's declared MaxRecvDataSegmentLength: the longest data segment the target may send.
    pub initiator_max_recv_data_segment_length: u32,
    /// The target's declared MaxRecvDataSegmentLength: the longest data segment it accepts.
    pub target_max_recv_data_segment_length: u32,
}

impl Default for SessionParams {
    fn default() -> Self {
        SessionParams {
            header_digest: false,
            data_digest: false,
            max_connections: 1,
            initial_r2t: true,
            immediate_data: true,
            max_burst_length: 262_144,
            first_burst_length: 65_536,
            default_time2wait: 2,
            default_time2retain: 20,
            max_outstanding_r2t: 1,
            data_pdu_in_order: true,
            data_sequence_in_order: true,
            error_recovery_level: 0,
            initiator_max_recv_data_segment_length: 8192,
            target_max_recv_data_segment_length: 8192,
        }
    }
}

impl SessionParams {
    /// The unsolicited data limit actually in force: FirstBurstLength never exceeds MaxBurstLength.
    pub fn effective_first_burst(&self) -> u32 {
        self.first_burst_length.min(self.max_burst_length)
    }
}

/// Keys only the leading login or a login may carry ("LO"/"IO" in RFC 7143 §13), refused in Text
/// requests of the full feature phase.
const LOGIN_ONLY: [&str; 16] = [
    "HeaderDigest",
    "DataDigest",
    "MaxConnections",
    "InitialR2T",
    "ImmediateData",
    "MaxBurstLength",
    "FirstBurstLength",
    "DefaultTime2Wait",
    "DefaultTime2Retain",
    "MaxOutstandingR2T",
    "DataPDUInOrder",
    "DataSequenceInOrder",
    "ErrorRecoveryLevel",
    "SessionType",
    "AuthMethod",
    "iSCSIProtocolLevel",
];

/// A negotiation in progress: the keys offered so far (each may be offered once) and the results.
#[derive(Clone, Debug)]
pub struct Negotiator {
    pub policy: Policy,
    pub params: SessionParams,
    seen: HashSet<String>,
}

/// A numerical value: decimal, or a hex-constant (RFC 7143 §6.1).
pub fn parse_number(value: &str) -> Option<u64> {
    if let Some(hex) = value.strip_prefix("0x").or_else(|| value.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16).ok()
    } else if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        value.parse().ok()
    } else {
        None
    }
}

fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "Yes" => Some(true),
        "No" => Some(false),
        _ => None,
    }
}

fn yes_no(b: bool) -> String {
    if b { "Yes" } else { "No" }.to_owned()
}

/// How a key's offered value combines with the target's.
enum Rule {
    Min(u64, u64, u64),
    Max(u64, u64, u64),
    Or(bool),
    And(bool),
}

impl Negotiator {
    pub fn new(policy: Policy) -> Self {
        let params = SessionParams {
            target_max_recv_data_segment_length: policy.max_recv_data_segment_length,
            ..SessionParams::default()
        };
        Negotiator { policy, params, seen: HashSet::new() }
    }

    /// Responds to one offered key. `Ok(None)`: no response is due (declarative keys, and the keys the
    /// login itself handles: InitiatorName, InitiatorAlias, TargetName, SessionType, AuthMethod — which
    /// method the target accepts depends on who logs in, see [`select_auth_method`]). `in_login` is false
    /// for Text requests in the full feature phase, where login-only keys are refused.
    pub fn offer(&mut self, key: &str, value: &str, in_login: bool) -> Result<Option<(String, String)>, TextError> {
        if !self.seen.insert(key.to_owned()) {
            return Err(TextError::Duplicate(key.to_owned()));
        }
        if !in_login && LOGIN_ONLY.contains(&key) {
            return Ok(Some((key.to_owned(), "Reject".to_owned())));
        }
        let p = &self.policy;
        let answer = |v: String| Ok(Some((key.to_owned(), v)));
        let rule = match key {
            "InitiatorName" | "InitiatorAlias" | "TargetName" | "SessionType" | "AuthMethod" => return Ok(None),
            "HeaderDigest" | "DataDigest" => {
                let chosen = value.split(',').find(|v| *v == "None" || (*v == "CRC32C" && p.crc32c));
                let Some(chosen) = chosen else { return answer("Reject".into()) };
                let on = chosen == "CRC32C";
                if key == "HeaderDigest" {
                    self.params.header_digest = on;
                } else {
                    self.params.data_digest = on;
                }
                return answer(chosen.to_owned());
            }
            "MaxRecvDataSegmentLength" => match parse_number(value) {
                Some(v) if (512..=(1 << 24) - 1).contains(&v) => {
                    self.params.initiator_max_recv_data_segment_length = v as u32;
                    return Ok(None);
                }
                _ => return answer("Reject".into()),
            },
            "MaxConnections" => Rule::Min(1, 65_535, 1),
            "InitialR2T" => Rule::Or(p.initial_r2t),
            "ImmediateData" => Rule::And(p.immediate_data),
            "MaxBurstLength" => Rule::Min(512, (1 << 24) - 1, p.max_burst_length.into()),
            "FirstBurstLength" => Rule::Min(512, (1 << 24) - 1, p.first_burst_length.into()),
            "DefaultTime2Wait" => Rule::Max(0, 3600, p.default_time2wait.into()),
            "DefaultTime2Retain" => Rule::Min(0, 3600, p.default_time2retain.into()),
            "MaxOutstandingR2T" => Rule::Min(1, 65_535, p.max_outstanding_r2t.into()),
            "DataPDUInOrder" | "DataSequenceInOrder" => Rule::Or(true),
            "ErrorRecoveryLevel" => Rule::Min(0, 2, 0),
            "iSCSIProtocolLevel" => Rule::Min(0, 31, 1),
            // Obsolete markers (RFC 7143 §13.25): "No" is allowed for the booleans, the intervals are refused.
            "IFMarker" | "OFMarker" | "RDMAExtensions" => Rule::And(false),
            "IFMarkInt" | "OFMarkInt" => return answer("Reject".into()),
            // Keys only a target declares.
            "TargetAlias" | "TargetAddress" | "TargetPortalGroupTag" | "SendTargets" => {
                return answer("Irrelevant".into());
            }
            _ => return answer("NotUnderstood".into()),
        };
        let result = match rule {
            Rule::Min(lo, hi, ours) | Rule::Max(lo, hi, ours) => {
                let Some(v) = parse_number(value).filter(|v| (lo..=hi).contains(v)) else {
                    return answer("Reject".into());
                };
                let r = if matches!(rule, Rule::Min(..)) { v.min(ours) } else { v.max(ours) };
                self.set_number(key, r as u32);
                r.to_string()
            }
            Rule::Or(ours) | Rule::And(ours) => {
                let Some(v) = parse_bool(value) else { return answer("Reject".into()) };
                let r = if matches!(rule, Rule::Or(_)) { v || ours } else { v && ours };
                self.set_bool(key, r);
                yes_no(r)
            }
        };
        answer(result)
    }

    fn set_number(&mut self, key: &str, v: u32) {
        let p = &mut self.params;
        match key {
            "MaxConnections" => p.max_connections = v,
            "MaxBurstLength" => p.max_burst_length = v,
            "FirstBurstLength" => p.first_burst_length = v,
            "DefaultTime2Wait" => p.default_time2wait = v,
            "DefaultTime2Retain" => p.default_time2retain = v,
            "MaxOutstandingR2T" => p.max_outstanding_r2t = v,
            "ErrorRecoveryLevel" => p.error_recovery_level = v,
            _ => {}
        }
    }

    fn set_bool(&mut self, key: &str, v: bool) {
        let p = &mut self.params;
        match key {
            "InitialR2T" => p.initial_r2t = v,
            "ImmediateData" => p.immediate_data = v,
            "DataPDUInOrder" => p.data_pdu_in_order = v,
            "DataSequenceInOrder" => p.data_sequence_in_order = v,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_encode() {
        let text = encode(&[("InitiatorName", "iqn.a:b"), ("SessionType", "Normal"), ("X-Empty", "")]);
        assert_eq!(text, b"InitiatorName=iqn.a:b\0SessionType=Normal\0X-Empty=\0");
        let pairs = parse(&text).unwrap();
        assert_eq!(pairs[0], ("InitiatorName".into(), "iqn.a:b".into()));
        assert_eq!(pairs[2], ("X-Empty".into(), "".into()));
        assert_eq!(parse(b"").unwrap(), vec![]);
        assert_eq!(parse(b"A=1\0\0\0").unwrap().len(), 1, "extra NULs are padding");
        assert_eq!(parse(b"A=1\0B=2"), Err(TextError::Unterminated));
        assert_eq!(parse(b"A1\0"), Err(TextError::MissingEquals("A1".into())));
        assert_eq!(parse(b"=1\0"), Err(TextError::BadKey("".into())));
        assert_eq!(parse(b"A B=1\0"), Err(TextError::BadKey("A B".into())));
        assert_eq!(parse(b"A=\xff\0"), Err(TextError::NotUtf8));
        let long = format!("A={}\0", "x".repeat(8193));
        assert_eq!(parse(long.as_bytes()), Err(TextError::ValueTooLong("A".into())));
    }

    fn respond(n: &mut Negotiator, key: &str, value: &str) -> Option<String> {
        n.offer(key, value, true).unwrap().map(|(k, v)| {
            assert_eq!(k, key);
            v
        })
    }

    #[test]
    fn negotiation_results() {
        let mut n = Negotiator::new(Policy { max_burst_length: 65536, ..Policy::default() });
        assert_eq!(respond(&mut n, "HeaderDigest", "CRC32C,None").as_deref(), Some("CRC32C"));
        assert_eq!(respond(&mut n, "DataDigest", "None,CRC32C").as_deref(), Some("None"));
        assert!(n.params.header_digest && !n.params.data_digest);
        assert_eq!(respond(&mut n, "MaxBurstLength", "262144").as_deref(), Some("65536"));
        assert_eq!(respond(&mut n, "FirstBurstLength", "0x1000").as_deref(), Some("4096"));
        assert_eq!(respond(&mut n, "InitialR2T", "No").as_deref(), Some("No"));
        assert_eq!(respond(&mut n, "ImmediateData", "Yes").as_deref(), Some("Yes"));
        assert_eq!(respond(&mut n, "MaxConnections", "8").as_deref(), Some("1"));
        assert_eq!(respond(&mut n, "ErrorRecoveryLevel", "2").as_deref(), Some("0"));
        assert_eq!(respond(&mut n, "DefaultTime2Wait", "0").as_deref(), Some("2"));
        assert_eq!(respond(&mut n, "DefaultTime2Retain", "20").as_deref(), Some("0"));
        assert_eq!(respond(&mut n, "MaxRecvDataSegmentLength", "262144"), None);
        assert_eq!(n.params.initiator_max_recv_data_segment_length, 262_144);
        assert_eq!(respond(&mut n, "IFMarker", "No").as_deref(), Some("No"));
        assert_eq!(respond(&mut n, "OFMarkInt", "2048~8192").as_deref(), Some("Reject"));
        assert_eq!(respond(&mut n, "X-com.example.foo", "1").as_deref(), Some("NotUnderstood"));
        assert_eq!(respond(&mut n, "AuthMethod", "CHAP,None"), None, "the login answers AuthMethod");
        assert_eq!(respond(&mut n, "InitiatorName", "iqn.x"), None);
        assert_eq!(n.params.max_burst_length, 65536);
        assert_eq!(n.params.first_burst_length, 4096);
        assert!(!n.params.initial_r2t && n.params.immediate_data);
    }

    #[test]
    fn policy_wins_where_the_result_function_says_so() {
        let mut n =
            Negotiator::new(Policy { initial_r2t: true, immediate_data: false, crc32c: false, ..Policy::default() });
        assert_eq!(respond(&mut n, "InitialR2T", "No").as_deref(), Some("Yes"));
        assert_eq!(respond(&mut n, "ImmediateData", "Yes").as_deref(), Some("No"));
        assert_eq!(respond(&mut n, "HeaderDigest", "CRC32C").as_deref(), Some("Reject"));
        assert!(n.params.initial_r2t && !n.params.immediate_data && !n.params.header_digest);
    }

    #[test]
    fn bad_values_are_rejected_and_duplicates_are_errors() {
        let mut n = Negotiator::new(Policy::default());
        assert_eq!(respond(&mut n, "MaxBurstLength", "100").as_deref(), Some("Reject"), "below 512");
        assert_eq!(respond(&mut n, "FirstBurstLength", "lots").as_deref(), Some("Reject"));
        assert_eq!(respond(&mut n, "InitialR2T", "Maybe").as_deref(), Some("Reject"));
        assert_eq!(respond(&mut n, "MaxRecvDataSegmentLength", "16777216").as_deref(), Some("Reject"));
        assert_eq!(n.params, SessionParams { target_max_recv_data_segment_length: 1 << 18, ..Default::default() });
        assert_eq!(n.offer("InitialR2T", "No", true), Err(TextError::Duplicate("InitialR2T".into())));
    }

    #[test]
    fn full_feature_text_refuses_login_keys() {
        let mut n = Negotiator::new(Policy::default());
        assert_eq!(n.offer("MaxBurstLength", "512", false).unwrap(), Some(("MaxBurstLength".into(), "Reject".into())));
        assert_eq!(n.offer("MaxRecvDataSegmentLength", "4096", false).unwrap(), None);
        assert_eq!(n.params.initiator_max_recv_data_segment_length, 4096);
    }

    #[test]
    fn auth_method_is_the_first_offered_the_target_accepts() {
        use AuthMethod::{Chap, None as Open};
        assert_eq!(select_auth_method("CHAP,None", &[Chap]), Some(Chap));
        assert_eq!(select_auth_method("CHAP,None", &[Open]), Some(Open));
        assert_eq!(select_auth_method("None,CHAP", &[Chap, Open]), Some(Open), "the initiator's order decides");
        assert_eq!(select_auth_method("None", &[Chap]), None);
        assert_eq!(select_auth_method("SRP,KRB5", &[Chap, Open]), None);
        assert_eq!(select_auth_method("chap", &[Chap]), None, "values are case sensitive");
    }

    #[test]
    fn binary_values_in_hex_and_base64() {
        assert_eq!(decode_binary("0x0a1B"), Ok(vec![0x0a, 0x1b]));
        assert_eq!(decode_binary("0XABC"), Ok(vec![0x0a, 0xbc]), "an odd digit count: implied leading zero");
        // "AAEC/w==" is 00 01 02 ff in base64 (RFC 4648 alphabet: A=0, E=4, C=2, /=63, w=48).
        assert_eq!(decode_binary("0bAAEC/w=="), Ok(vec![0x00, 0x01, 0x02, 0xff]));
        assert_eq!(decode_binary("0BAAEC/w"), Ok(vec![0x00, 0x01, 0x02, 0xff]), "padding optional");
        assert_eq!(decode_binary("1234"), Err(BinaryError::NoPrefix), "decimal is a number, not bytes");
        assert_eq!(decode_binary("0"), Err(BinaryError::NoPrefix));
        assert_eq!(decode_binary("0x"), Err(BinaryError::Empty));
        assert_eq!(decode_binary("0xg0"), Err(BinaryError::Hex));
        assert_eq!(decode_binary("0b!!!!"), Err(BinaryError::Base64));
        assert_eq!(decode_binary("0x\u{e9}"), Err(BinaryError::Hex));
        assert_eq!(encode_hex(&[0x00, 0xab, 0x10]), "0x00ab10");
        assert_eq!(decode_binary(&encode_hex(&[7, 8, 9])), Ok(vec![7, 8, 9]));
    }

    #[test]
    fn first_burst_never_exceeds_max_burst() {
        let p = SessionParams { first_burst_length: 1 << 20, max_burst_length: 1 << 16, ..Default::default() };
        assert_eq!(p.effective_first_burst(), 1 << 16);
    }
}
