//! CHAP, the target's side (RFC 1994 carried in login text as RFC 7143 §12.1.3 says): the secrets and
//! accounts it checks against, the response function, the challenges the target has issued, and the
//! exchange itself as a state machine from the CHAP keys of one Login Request to the keys the target
//! answers — or the reason the initiator failed. No sockets: the login (`connection`) feeds it.
//!
//! The exchange, one line a PDU (I: initiator, T: target; the brackets are mutual CHAP only):
//!
//! ```text
//! I: AuthMethod=CHAP,...       T: AuthMethod=CHAP
//! I: CHAP_A=<A1,A2,...>        T: CHAP_A=5 CHAP_I=<I> CHAP_C=<C>
//! I: CHAP_N=<N> CHAP_R=<R> [CHAP_I=<I'> CHAP_C=<C'>]
//!                              T: [CHAP_N=<N'> CHAP_R=<R'>]   (and the transit out of the security stage)
//! ```
//!
//! R = MD5(I ‖ secret ‖ C) (RFC 1994 §4.1: the identifier byte, the secret, the challenge).

use std::collections::VecDeque;
use std::fmt;
use std::sync::Mutex;

use md5::{Digest, Md5};

use crate::text::{self, BinaryError};

/// CHAP_A of CHAP with MD5, the one algorithm RFC 7143 §12.1.3 requires (and every initiator offers).
pub const CHAP_MD5: u64 = 5;
/// Bytes of an MD5 CHAP response.
pub const RESPONSE_LEN: usize = 16;
/// Bytes of the challenges the target issues (the MD5 output size, as RFC 1994 §2.3 suggests for a secret).
pub const CHALLENGE_LEN: usize = 16;
/// The shortest secret accepted: 96 bits. RFC 7143 §9.2.1 requires IPsec for secrets with fewer than 96
/// random bits, and this target has no IPsec.
pub const SECRET_MIN: usize = 12;
/// The longest secret accepted, a bound of our own (libiscsi keeps passwords in 255-byte strings).
pub const SECRET_MAX: usize = 255;
/// The longest challenge accepted from an initiator, a bound of our own.
pub const INITIATOR_CHALLENGE_MAX: usize = 1024;
/// How many issued challenges the target remembers (for reflection checks and to never issue one twice).
const BOOK_CAPACITY: usize = 4096;

/// A CHAP secret. It is never printed: Debug and Display show `<hidden>`.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(from = "String")]
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Secret {
        Secret(bytes.into())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Secret {
        Secret(s.into_bytes())
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret(s.as_bytes().to_vec())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<hidden>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<hidden>")
    }
}

/// A CHAP name and its secret.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub user: String,
    pub secret: Secret,
}

/// What one initiator authenticates with: its own credentials, and, for mutual CHAP, the target's.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The CHAP_N the initiator sends and the secret its CHAP_R is computed with.
    pub user: String,
    pub secret: Secret,
    /// The CHAP_N and secret the target answers an initiator's challenge with.
    #[serde(default)]
    pub mutual: Option<Credentials>,
}

/// The MD5 CHAP response to `challenge` under `identifier` and `secret`: MD5(identifier ‖ secret ‖
/// challenge) (RFC 1994 §4.1).
pub fn response(identifier: u8, secret: &Secret, challenge: &[u8]) -> [u8; RESPONSE_LEN] {
    Md5::new().chain_update([identifier]).chain_update(&secret.0).chain_update(challenge).finalize().into()
}

/// Equality whose time does not depend on where two responses first differ.
fn same_response(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A challenge the target issued: CHAP_I and CHAP_C.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Challenge {
    pub identifier: u8,
    pub value: [u8; CHALLENGE_LEN],
}

/// Why CHAP failed. Every case ends the login with 0201h (authentication failure); none carries a
/// secret or a response.
#[derive(Debug, thiserror::Error)]
pub enum ChapError {
    #[error("CHAP_A={0}: the target supports only 5 (MD5)")]
    NoMd5(String),
    #[error("no {0} in the initiator's CHAP step")]
    Missing(&'static str),
    #[error("{0} out of sequence")]
    OutOfSequence(String),
    #[error("{0} sent twice")]
    Duplicate(String),
    #[error("{key}: {source}")]
    Encoding { key: &'static str, source: BinaryError },
    #[error("CHAP_I={0}: not a number from 0 to 255")]
    BadIdentifier(String),
    #[error("CHAP_R of {0} bytes (MD5 responses are 16)")]
    ResponseLength(usize),
    #[error("unknown CHAP user name {0:?}")]
    UnknownUser(String),
    #[error("wrong CHAP response for user {0:?}")]
    WrongResponse(String),
    #[error("the initiator's CHAP_R is the one the target's own secret gives (the same secret both ways)")]
    Mirrored,
    #[error("the initiator's CHAP_C is a challenge this target issued (reflection)")]
    Reflected,
    #[error("CHAP_C of {0} bytes (1 to 1024 accepted)")]
    ChallengeLength(usize),
    #[error("the initiator asks the target to authenticate, and no mutual credentials are configured for it")]
    NoMutualCredentials,
    #[error("no random challenge: {0}")]
    Random(getrandom::Error),
    #[error("the random source keeps repeating challenges")]
    RandomRepeats,
}

/// The challenges the target issued, target-wide and bounded: a new one is never one issued before, and
/// an initiator's challenge equal to any of them is a reflection (RFC 7143 §9.2.1: the originator must
/// not reuse the responder's challenge for the other direction; the responder must check).
#[derive(Debug, Default)]
pub struct ChallengeBook {
    issued: Mutex<VecDeque<[u8; CHALLENGE_LEN]>>,
}

impl ChallengeBook {
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<[u8; CHALLENGE_LEN]>> {
        self.issued.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A fresh random challenge and identifier, recorded.
    pub fn issue(&self) -> Result<Challenge, ChapError> {
        let mut bytes = [0u8; CHALLENGE_LEN + 1];
        let mut issued = self.lock();
        // 128 random bits repeat with negligible probability; the loop only makes "never" exact.
        for _ in 0..8 {
            getrandom::fill(&mut bytes).map_err(ChapError::Random)?;
            let value: [u8; CHALLENGE_LEN] = bytes[1..].try_into().expect("CHALLENGE_LEN bytes");
            if !issued.contains(&value) {
                if issued.len() == BOOK_CAPACITY {
                    issued.pop_front();
                }
                issued.push_back(value);
                return Ok(Challenge { identifier: bytes[0], value });
            }
        }
        Err(ChapError::RandomRepeats)
    }

    /// Whether `value` is a challenge the target issued (among the last few thousand).
    pub fn issued(&self, value: &[u8]) -> bool {
        self.lock().iter().any(|c| c.as_slice() == value)
    }
}

/// Pairs to answer, in order.
pub type Pairs = Vec<(String, String)>;

#[derive(Debug)]
enum State {
    /// AuthMethod=CHAP was answered; CHAP_A comes next.
    Algorithm,
    /// The target's challenge is out; CHAP_N and CHAP_R come next.
    Response(Challenge),
    /// The initiator proved its secret (and the target answered its challenge, if it sent one).
    Authenticated,
}

/// One CHAP exchange, the target authenticating the initiator with `account`.
#[derive(Debug)]
pub struct ChapTarget<'a> {
    account: &'a Account,
    book: &'a ChallengeBook,
    state: State,
}

/// The value of `key` in `keys`, if present.
fn value<'k>(keys: &'k [(String, String)], key: &str) -> Option<&'k str> {
    keys.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn binary(keys: &[(String, String)], key: &'static str) -> Result<Vec<u8>, ChapError> {
    let v = value(keys, key).ok_or(ChapError::Missing(key))?;
    text::decode_binary(v).map_err(|source| ChapError::Encoding { key, source })
}

impl<'a> ChapTarget<'a> {
    pub fn new(account: &'a Account, book: &'a ChallengeBook) -> Self {
        ChapTarget { account, book, state: State::Algorithm }
    }

    /// Whether the initiator has authenticated.
    pub fn authenticated(&self) -> bool {
        matches!(self.state, State::Authenticated)
    }

    /// Takes the CHAP keys (`CHAP_*`) of one Login Request and returns the keys to answer with.
    pub fn step(&mut self, keys: &[(String, String)]) -> Result<Pairs, ChapError> {
        for (i, (k, _)) in keys.iter().enumerate() {
            if keys[..i].iter().any(|(earlier, _)| earlier == k) {
                return Err(ChapError::Duplicate(k.clone()));
            }
        }
        let expected: &[&str] = match self.state {
            State::Algorithm => &["CHAP_A"],
            State::Response(_) => &["CHAP_N", "CHAP_R", "CHAP_I", "CHAP_C"],
            State::Authenticated => &[],
        };
        if let Some((k, _)) = keys.iter().find(|(k, _)| !expected.contains(&k.as_str())) {
            return Err(ChapError::OutOfSequence(k.clone()));
        }
        match self.state {
            State::Algorithm => self.algorithm(keys),
            State::Response(challenge) => self.response(keys, challenge),
            State::Authenticated => Ok(Pairs::new()),
        }
    }

    fn algorithm(&mut self, keys: &[(String, String)]) -> Result<Pairs, ChapError> {
        let offered = value(keys, "CHAP_A").ok_or(ChapError::Missing("CHAP_A"))?;
        if !offered.split(',').any(|a| text::parse_number(a) == Some(CHAP_MD5)) {
            return Err(ChapError::NoMd5(offered.to_owned()));
        }
        let challenge = self.book.issue()?;
        self.state = State::Response(challenge);
        Ok(vec![
            ("CHAP_A".into(), CHAP_MD5.to_string()),
            ("CHAP_I".into(), challenge.identifier.to_string()),
            ("CHAP_C".into(), text::encode_hex(&challenge.value)),
        ])
    }

    fn response(&mut self, keys: &[(String, String)], ours: Challenge) -> Result<Pairs, ChapError> {
        let user = value(keys, "CHAP_N").ok_or(ChapError::Missing("CHAP_N"))?;
        let answer = binary(keys, "CHAP_R")?;
        if answer.len() != RESPONSE_LEN {
            return Err(ChapError::ResponseLength(answer.len()));
        }
        if user != self.account.user {
            return Err(ChapError::UnknownUser(user.to_owned()));
        }
        // RFC 7143 §9.2.1: a response equal to the one the receiver would have computed itself is a
        // failure (it means one secret serves both directions).
        if let Some(mutual) = &self.account.mutual
            && same_response(&answer, &response(ours.identifier, &mutual.secret, &ours.value))
        {
            return Err(ChapError::Mirrored);
        }
        if !same_response(&answer, &response(ours.identifier, &self.account.secret, &ours.value)) {
            return Err(ChapError::WrongResponse(user.to_owned()));
        }
        let reply = match (value(keys, "CHAP_I"), value(keys, "CHAP_C")) {
            (None, None) => Pairs::new(),
            (Some(_), None) => return Err(ChapError::Missing("CHAP_C")),
            (None, Some(_)) => return Err(ChapError::Missing("CHAP_I")),
            (Some(identifier), Some(_)) => {
                let identifier = text::parse_number(identifier)
                    .and_then(|i| u8::try_from(i).ok())
                    .ok_or_else(|| ChapError::BadIdentifier(identifier.to_owned()))?;
                let theirs = binary(keys, "CHAP_C")?;
                if theirs.is_empty() || theirs.len() > INITIATOR_CHALLENGE_MAX {
                    return Err(ChapError::ChallengeLength(theirs.len()));
                }
                if theirs == ours.value || self.book.issued(&theirs) {
                    return Err(ChapError::Reflected);
                }
                let mutual = self.account.mutual.as_ref().ok_or(ChapError::NoMutualCredentials)?;
                vec![
                    ("CHAP_N".into(), mutual.user.clone()),
                    ("CHAP_R".into(), text::encode_hex(&response(identifier, &mutual.secret, &theirs))),
                ]
            }
        };
        self.state = State::Authenticated;
        Ok(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Pairs {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn account(mutual: bool) -> Account {
        Account {
            user: "host-a".into(),
            secret: Secret::from("initiator-secret-1"),
            mutual: mutual.then(|| Credentials { user: "offload".into(), secret: Secret::from("target-secret-22") }),
        }
    }

    /// MD5(identifier ‖ secret ‖ challenge), assembled by hand here rather than through `response`.
    fn md5_by_hand(identifier: u8, secret: &[u8], challenge: &[u8]) -> Vec<u8> {
        let mut message = vec![identifier];
        message.extend_from_slice(secret);
        message.extend_from_slice(challenge);
        Md5::digest(&message).to_vec()
    }

    #[test]
    fn response_is_md5_of_identifier_secret_challenge() {
        // Expected values from Python: hashlib.md5(bytes([0x01]) + b"twelve-bytes" + bytes(range(16)))
        // and hashlib.md5(bytes([0xff]) + b"a-much-longer-target-secret" + bytes.fromhex("0a1b2c3d")).
        let challenge: Vec<u8> = (0..16).collect();
        assert_eq!(
            hex::encode(response(0x01, &Secret::from("twelve-bytes"), &challenge)),
            "6b30b155ecc3c5396e041bc3a3a30e48"
        );
        assert_eq!(
            hex::encode(response(0xff, &Secret::from("a-much-longer-target-secret"), &[0x0a, 0x1b, 0x2c, 0x3d])),
            "8ea4f185fe1e5f01bede681d5243a6ae"
        );
    }

    #[test]
    fn secrets_are_never_printed() {
        let a = account(true);
        let printed = format!("{a:?} {} {:?}", a.secret, a.mutual.as_ref().unwrap().secret);
        assert!(!printed.contains("initiator-secret-1") && !printed.contains("target-secret-22"), "{printed}");
        assert!(printed.contains("<hidden>") && printed.contains("host-a"));
    }

    /// Runs the algorithm step; returns the target's (identifier, challenge).
    fn challenge_of(chap: &mut ChapTarget<'_>, offered: &str) -> (u8, Vec<u8>) {
        let reply = chap.step(&pairs(&[("CHAP_A", offered)])).unwrap();
        assert_eq!(reply[0], ("CHAP_A".into(), "5".into()));
        assert_eq!(reply[1].0, "CHAP_I");
        assert_eq!(reply[2].0, "CHAP_C");
        assert!(reply[2].1.starts_with("0x") && reply[2].1.len() == 2 + 2 * CHALLENGE_LEN, "{}", reply[2].1);
        let identifier = reply[1].1.parse().unwrap();
        (identifier, hex::decode(&reply[2].1[2..]).unwrap())
    }

    #[test]
    fn one_way_chap_authenticates_the_right_secret() {
        let a = account(false);
        let book = ChallengeBook::default();
        let mut chap = ChapTarget::new(&a, &book);
        let (id, c) = challenge_of(&mut chap, "7,6,5");
        assert!(!chap.authenticated());
        let r = format!("0x{}", hex::encode(md5_by_hand(id, b"initiator-secret-1", &c)));
        let reply = chap.step(&pairs(&[("CHAP_N", "host-a"), ("CHAP_R", &r)])).unwrap();
        assert!(reply.is_empty() && chap.authenticated());
        assert!(chap.step(&[]).unwrap().is_empty(), "nothing more to do");
        assert!(matches!(chap.step(&pairs(&[("CHAP_A", "5")])), Err(ChapError::OutOfSequence(_))));
    }

    #[test]
    fn a_base64_response_is_as_good_as_hex() {
        use base64::Engine;
        let a = account(false);
        let book = ChallengeBook::default();
        let mut chap = ChapTarget::new(&a, &book);
        let (id, c) = challenge_of(&mut chap, "5");
        let r = format!(
            "0b{}",
            base64::engine::general_purpose::STANDARD.encode(md5_by_hand(id, b"initiator-secret-1", &c))
        );
        chap.step(&pairs(&[("CHAP_N", "host-a"), ("CHAP_R", &r)])).unwrap();
        assert!(chap.authenticated());
    }

    #[test]
    fn mutual_chap_answers_the_initiators_challenge_with_the_target_secret() {
        let a = account(true);
        let book = ChallengeBook::default();
        let mut chap = ChapTarget::new(&a, &book);
        let (id, c) = challenge_of(&mut chap, "5");
        let r = format!("0x{}", hex::encode(md5_by_hand(id, b"initiator-secret-1", &c)));
        let theirs = [0x5au8; 32];
        let keys = [
            ("CHAP_N", "host-a"),
            ("CHAP_R", &r),
            ("CHAP_I", "200"),
            ("CHAP_C", &format!("0x{}", hex::encode(theirs))),
        ];
        let reply = chap.step(&pairs(&keys)).unwrap();
        let expected = format!("0x{}", hex::encode(md5_by_hand(200, b"target-secret-22", &theirs)));
        assert_eq!(reply, pairs(&[("CHAP_N", "offload"), ("CHAP_R", &expected)]));
        assert!(chap.authenticated());
    }

    /// A fresh exchange at the response step: (exchange, identifier, challenge, the right CHAP_R).
    fn at_response<'a>(a: &'a Account, book: &'a ChallengeBook) -> (ChapTarget<'a>, u8, Vec<u8>, String) {
        let mut chap = ChapTarget::new(a, book);
        let (id, c) = challenge_of(&mut chap, "5");
        let r = format!("0x{}", hex::encode(md5_by_hand(id, b"initiator-secret-1", &c)));
        (chap, id, c, r)
    }

    #[test]
    fn failures() {
        let a = account(false);
        let book = ChallengeBook::default();
        let step = |keys: &[(&str, &str)]| {
            let (mut chap, ..) = at_response(&a, &book);
            let result = chap.step(&pairs(keys));
            assert!(!chap.authenticated() || result.is_ok());
            result
        };
        let (_, _, _, right) = at_response(&a, &book);
        // A wrong secret, and a response to another exchange's challenge (a replay).
        let (_, id, c, _) = at_response(&a, &book);
        let wrong = format!("0x{}", hex::encode(md5_by_hand(id, b"initiator-secret-2", &c)));
        assert!(matches!(step(&[("CHAP_N", "host-a"), ("CHAP_R", &wrong)]), Err(ChapError::WrongResponse(_))));
        assert!(matches!(step(&[("CHAP_N", "host-a"), ("CHAP_R", &right)]), Err(ChapError::WrongResponse(_))));
        // Short, long, malformed.
        let short = &right[..right.len() - 2];
        assert!(matches!(step(&[("CHAP_N", "host-a"), ("CHAP_R", short)]), Err(ChapError::ResponseLength(15))));
        let long = format!("{right}00");
        assert!(matches!(step(&[("CHAP_N", "host-a"), ("CHAP_R", &long)]), Err(ChapError::ResponseLength(17))));
        assert!(matches!(step(&[("CHAP_N", "host-a"), ("CHAP_R", "123")]), Err(ChapError::Encoding { .. })));
        // Unknown user, missing keys, keys out of sequence, duplicates.
        assert!(matches!(step(&[("CHAP_N", "host-b"), ("CHAP_R", &right)]), Err(ChapError::UnknownUser(_))));
        assert!(matches!(step(&[("CHAP_R", &right)]), Err(ChapError::Missing("CHAP_N"))));
        assert!(matches!(step(&[("CHAP_N", "host-a")]), Err(ChapError::Missing("CHAP_R"))));
        assert!(matches!(step(&[("CHAP_A", "5")]), Err(ChapError::OutOfSequence(_))));
        assert!(matches!(step(&[("CHAP_N", "a"), ("CHAP_N", "a")]), Err(ChapError::Duplicate(_))));
        // CHAP_A without MD5; CHAP_N before CHAP_A.
        let mut chap = ChapTarget::new(&a, &book);
        assert!(matches!(chap.step(&pairs(&[("CHAP_A", "6,7")])), Err(ChapError::NoMd5(_))));
        let mut chap = ChapTarget::new(&a, &book);
        assert!(matches!(chap.step(&pairs(&[("CHAP_N", "host-a")])), Err(ChapError::OutOfSequence(_))));
        let mut chap = ChapTarget::new(&a, &book);
        assert!(matches!(chap.step(&[]), Err(ChapError::Missing("CHAP_A"))));
    }

    #[test]
    fn mutual_failures() {
        let one_way = account(false);
        let a = account(true);
        let book = ChallengeBook::default();
        let theirs = format!("0x{}", hex::encode([0x11u8; 16]));
        // The initiator asks the target to authenticate; no mutual credentials are configured.
        let (mut chap, _, _, r) = at_response(&one_way, &book);
        let keys = pairs(&[("CHAP_N", "host-a"), ("CHAP_R", &r), ("CHAP_I", "1"), ("CHAP_C", &theirs)]);
        assert!(matches!(chap.step(&keys), Err(ChapError::NoMutualCredentials)));
        // Reflection: the target's own challenge of this exchange, and one it issued to another.
        let (mut chap, _, c, r) = at_response(&a, &book);
        let reflected = format!("0x{}", hex::encode(&c));
        let keys = pairs(&[("CHAP_N", "host-a"), ("CHAP_R", &r), ("CHAP_I", "1"), ("CHAP_C", &reflected)]);
        assert!(matches!(chap.step(&keys), Err(ChapError::Reflected)));
        let (mut chap, _, _, r) = at_response(&a, &book);
        let keys = pairs(&[("CHAP_N", "host-a"), ("CHAP_R", &r), ("CHAP_I", "1"), ("CHAP_C", &reflected)]);
        assert!(matches!(chap.step(&keys), Err(ChapError::Reflected)), "a challenge issued elsewhere");
        // Half a challenge, a bad identifier, an empty or oversized challenge.
        let (mut chap, _, _, r) = at_response(&a, &book);
        assert!(matches!(
            chap.step(&pairs(&[("CHAP_N", "host-a"), ("CHAP_R", &r), ("CHAP_I", "1")])),
            Err(ChapError::Missing("CHAP_C"))
        ));
        let (mut chap, _, _, r) = at_response(&a, &book);
        let keys = pairs(&[("CHAP_N", "host-a"), ("CHAP_R", &r), ("CHAP_I", "256"), ("CHAP_C", &theirs)]);
        assert!(matches!(chap.step(&keys), Err(ChapError::BadIdentifier(_))));
        let (mut chap, _, _, r) = at_response(&a, &book);
        let huge = format!("0x{}", "ab".repeat(INITIATOR_CHALLENGE_MAX + 1));
        let keys = pairs(&[("CHAP_N", "host-a"), ("CHAP_R", &r), ("CHAP_I", "1"), ("CHAP_C", &huge)]);
        assert!(matches!(chap.step(&keys), Err(ChapError::ChallengeLength(1025))));
        // The target's own response offered back (the same secret both ways).
        let (mut chap, id, c, _) = at_response(&a, &book);
        let mirrored = format!("0x{}", hex::encode(md5_by_hand(id, b"target-secret-22", &c)));
        assert!(matches!(chap.step(&pairs(&[("CHAP_N", "host-a"), ("CHAP_R", &mirrored)])), Err(ChapError::Mirrored)));
    }

    #[test]
    fn the_book_never_issues_a_challenge_twice_and_remembers_a_bounded_number() {
        let book = ChallengeBook::default();
        let first = book.issue().unwrap();
        assert!(book.issued(&first.value));
        assert!(!book.issued(&[0u8; 15]), "another length is never ours");
        for _ in 0..BOOK_CAPACITY {
            book.issue().unwrap();
        }
        assert!(!book.issued(&first.value), "forgotten after {BOOK_CAPACITY} more");
        assert_eq!(book.lock().len(), BOOK_CAPACITY);
    }
}
