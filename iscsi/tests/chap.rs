//! CHAP logins against the target on an ephemeral loopback port: the crate's initiator one-way and
//! mutual (and detecting a target that answers with the wrong secret), and hand-made login PDUs for
//! everything an honest initiator never sends — wrong, short and replayed responses, reflected
//! challenges, unknown users, algorithms without MD5, AuthMethod=None or no security stage at all from
//! an initiator that must authenticate. Every expected response here is computed in this file, by MD5
//! over bytes assembled by hand (RFC 1994: identifier ‖ secret ‖ challenge).

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use md5::{Digest, Md5};
use offload_iscsi::auth::{Account, Credentials, Secret};
use offload_iscsi::backend::{self, BackendKind, Media};
use offload_iscsi::initiator::{Initiator, InitiatorError, LoginOptions};
use offload_iscsi::pdu::{self, LoginRequest, Message};
use offload_iscsi::target::{AuthConfig, DEFAULT_TARGET_NAME, RunningTarget, Settings, Target};
use offload_iscsi::text;
use offload_model::config::{TargetConfig, UnitConfig};

const ONE_WAY: &str = "iqn.2026-11.test:one-way";
const MUTUAL: &str = "iqn.2026-11.test:mutual";
const STRANGER: &str = "iqn.2026-11.test:stranger";

/// The accounts: one-way for ONE_WAY, mutual for MUTUAL; STRANGER has none (AuthMethod=None).
const AUTH: &str = r#"{
  "initiators": {
    "iqn.2026-11.test:one-way": { "user": "one-way", "secret": "one-way-secret" },
    "iqn.2026-11.test:mutual": {
      "user": "mutual", "secret": "mutual-initiator-secret",
      "mutual": { "user": "offload-target", "secret": "mutual-target-secret" }
    }
  }
}"#;

fn start(auth: &str) -> RunningTarget {
    let unit = UnitConfig { blocks: 2048, block_size: 512, ..UnitConfig::default() };
    let config = TargetConfig { units: vec![unit], ..TargetConfig::default() };
    let backend = backend::build(BackendKind::Model, config, &Media::Memory, DEFAULT_TARGET_NAME).unwrap();
    let (auth, warnings) = AuthConfig::from_json(auth).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let settings = Settings {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        auth,
        verbosity: 0,
        login_timeout: Duration::from_secs(5),
        ..Settings::default()
    };
    Target::bind(settings, backend).unwrap().spawn().unwrap()
}

fn account(user: &str, secret: &str, mutual: Option<(&str, &str)>) -> Account {
    Account {
        user: user.into(),
        secret: Secret::from(secret),
        mutual: mutual.map(|(user, secret)| Credentials { user: user.into(), secret: Secret::from(secret) }),
    }
}

fn chap_login(t: &RunningTarget, initiator: &str, account: Account) -> Result<Initiator, InitiatorError> {
    Initiator::connect(t.addr(), &LoginOptions::new(initiator, Some(DEFAULT_TARGET_NAME)).chap(account))
}

/// Login options with their own ISID (one initiator's sessions must differ in it, or the newer one
/// reinstates the older).
fn with_isid(options: LoginOptions, last: u8) -> LoginOptions {
    LoginOptions { isid: [0x80, 0, 0, 0, 0x10, last], ..options }
}

fn status(result: Result<Initiator, InitiatorError>) -> Option<u16> {
    match result {
        Ok(_) => None,
        Err(InitiatorError::Login { status }) => Some(status),
        Err(e) => panic!("not a login status: {e}"),
    }
}

/// TEST UNIT READY: the session works.
fn ready(i: &mut Initiator) -> u8 {
    i.command(0, &[0; 6], &[], 0).unwrap().status
}

#[test]
fn one_way_and_mutual_chap_log_in_and_work() {
    let t = start(AUTH);
    let mut one_way = chap_login(&t, ONE_WAY, account("one-way", "one-way-secret", None)).unwrap();
    assert_eq!(ready(&mut one_way), 0);
    let mutual = account("mutual", "mutual-initiator-secret", Some(("offload-target", "mutual-target-secret")));
    let mut both = chap_login(&t, MUTUAL, mutual.clone()).unwrap();
    assert_eq!(ready(&mut both), 0);
    // One-way CHAP for an account that has mutual credentials: the initiator need not ask.
    let one_way_only = account("mutual", "mutual-initiator-secret", None);
    let options = with_isid(LoginOptions::new(MUTUAL, Some(DEFAULT_TARGET_NAME)).chap(one_way_only), 2);
    let mut only_initiator = Initiator::connect(t.addr(), &options).unwrap();
    assert_eq!(ready(&mut only_initiator), 0);
    // A stranger (no account) logs in without CHAP.
    let mut stranger = Initiator::connect(t.addr(), &LoginOptions::new(STRANGER, Some(DEFAULT_TARGET_NAME))).unwrap();
    assert_eq!(ready(&mut stranger), 0);
    // Discovery authenticates like a normal session.
    let options = with_isid(LoginOptions::new(MUTUAL, None).chap(mutual), 3);
    let mut discovery = Initiator::connect(t.addr(), &options).unwrap();
    let targets = discovery.send_targets("All").unwrap();
    assert_eq!(targets[0], ("TargetName".into(), DEFAULT_TARGET_NAME.into()));
    assert_eq!(t.sessions(), 5);
    for mut i in [one_way, both, only_initiator, stranger, discovery] {
        assert_eq!(i.logout().unwrap(), 0);
    }
}

#[test]
fn authentication_failures_are_0201() {
    let t = start(AUTH);
    let wrong_secret = chap_login(&t, ONE_WAY, account("one-way", "not-the-right-secret", None));
    assert_eq!(status(wrong_secret), Some(0x0201), "wrong secret");
    let wrong_user = chap_login(&t, ONE_WAY, account("mutual", "one-way-secret", None));
    assert_eq!(status(wrong_user), Some(0x0201), "unknown user name");
    let none = Initiator::connect(t.addr(), &LoginOptions::new(ONE_WAY, Some(DEFAULT_TARGET_NAME)));
    assert_eq!(status(none), Some(0x0201), "AuthMethod=None from an initiator with an account");
    let mut skip = LoginOptions::new(MUTUAL, Some(DEFAULT_TARGET_NAME));
    skip.security_stage = false;
    assert_eq!(status(Initiator::connect(t.addr(), &skip)), Some(0x0201), "no security stage at all");
    let discovery = Initiator::connect(t.addr(), &LoginOptions::new(ONE_WAY, None));
    assert_eq!(status(discovery), Some(0x0201), "discovery without CHAP");
    let stranger = chap_login(&t, STRANGER, account("stranger", "stranger-secret", None));
    assert!(matches!(stranger, Err(InitiatorError::Unexpected(_))), "the target chose None for a stranger");
    assert_eq!(t.sessions(), 0);
}

#[test]
fn the_initiator_catches_a_target_with_the_wrong_mutual_secret() {
    let t = start(AUTH);
    let expects_other = account("mutual", "mutual-initiator-secret", Some(("offload-target", "another-target-secret")));
    let result = chap_login(&t, MUTUAL, expects_other);
    assert!(matches!(result, Err(InitiatorError::TargetAuthentication(_))), "{:?}", result.err());
    let other_name = account("mutual", "mutual-initiator-secret", Some(("someone-else", "mutual-target-secret")));
    assert!(matches!(chap_login(&t, MUTUAL, other_name), Err(InitiatorError::TargetAuthentication(_))));
}

#[test]
fn open_discovery_and_a_default_account() {
    let t = start(r#"{"default": {"user": "everyone", "secret": "the-default-secret"}, "open_discovery": true}"#);
    let mut discovery = Initiator::connect(t.addr(), &LoginOptions::new(STRANGER, None)).unwrap();
    assert_eq!(discovery.send_targets("All").unwrap().len(), 2);
    let none = Initiator::connect(t.addr(), &LoginOptions::new(STRANGER, Some(DEFAULT_TARGET_NAME)));
    assert_eq!(status(none), Some(0x0201), "the default account requires CHAP of everyone");
    let mut chap = chap_login(&t, STRANGER, account("everyone", "the-default-secret", None)).unwrap();
    assert_eq!(ready(&mut chap), 0);
}

// ----- hand-made login PDUs -----

/// MD5(identifier ‖ secret ‖ challenge), assembled here.
fn md5(identifier: u8, secret: &[u8], challenge: &[u8]) -> Vec<u8> {
    let mut message = vec![identifier];
    message.extend_from_slice(secret);
    message.extend_from_slice(challenge);
    Md5::digest(&message).to_vec()
}

fn hex(bytes: &[u8]) -> String {
    format!("0x{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// What a Login Response said.
#[derive(Debug)]
struct Answer {
    status: u16,
    transit: bool,
    keys: Vec<(String, String)>,
}

impl Answer {
    fn value(&self, key: &str) -> &str {
        self.keys.iter().find(|(k, _)| k == key).map_or_else(|| panic!("no {key} in {:?}", self.keys), |(_, v)| v)
    }
}

/// One login on its own connection, a PDU at a time.
struct RawLogin {
    stream: TcpStream,
    stat_sn: u32,
}

impl RawLogin {
    fn new(addr: SocketAddr) -> RawLogin {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        RawLogin { stream, stat_sn: 0 }
    }

    fn send(&mut self, transit: bool, csg: u8, nsg: u8, keys: &[(&str, &str)]) -> Answer {
        let request = LoginRequest {
            transit,
            csg,
            nsg: if transit { nsg } else { 0 },
            isid: [0x80, 0, 0, 0, 0x42, 1],
            itt: 7,
            cid: 1,
            cmd_sn: 1,
            exp_stat_sn: self.stat_sn,
            data: text::encode(keys),
            ..Default::default()
        };
        pdu::write_pdu(&mut self.stream, &Message::LoginRequest(request).encode(), Default::default()).unwrap();
        let raw = pdu::read_pdu(&mut self.stream, Default::default(), 8192).unwrap();
        let Ok(Message::LoginResponse(r)) = Message::decode(raw) else { panic!("not a Login Response") };
        self.stat_sn = r.numbers.stat_sn.wrapping_add(1);
        let status = (u16::from(r.status_class) << 8) | u16::from(r.status_detail);
        Answer { status, transit: r.transit, keys: text::parse(&r.data).unwrap() }
    }

    /// The leading PDU and CHAP_A=5 for `initiator`: returns the target's (CHAP_I, CHAP_C).
    fn challenge(addr: SocketAddr, initiator: &str) -> (RawLogin, u8, Vec<u8>) {
        let mut l = RawLogin::new(addr);
        let leading = [
            ("InitiatorName", initiator),
            ("TargetName", DEFAULT_TARGET_NAME),
            ("SessionType", "Normal"),
            ("AuthMethod", "CHAP,None"),
        ];
        let a = l.send(true, 0, 1, &leading);
        assert_eq!((a.status, a.transit, a.value("AuthMethod")), (0, false, "CHAP"), "CHAP chosen, no transit yet");
        let a = l.send(true, 0, 1, &[("CHAP_A", "7,5")]);
        assert_eq!((a.status, a.transit, a.value("CHAP_A")), (0, false, "5"));
        let identifier: u8 = a.value("CHAP_I").parse().unwrap();
        let c = a.value("CHAP_C");
        assert!(c.starts_with("0x"), "{c}");
        let challenge: Vec<u8> =
            (2..c.len()).step_by(2).map(|i| u8::from_str_radix(&c[i..i + 2], 16).unwrap()).collect();
        assert_eq!(challenge.len(), 16);
        (l, identifier, challenge)
    }
}

#[test]
fn a_response_computed_by_hand_is_accepted_on_the_wire_and_the_mutual_answer_checks_out() {
    let t = start(AUTH);
    let (mut l, id, c) = RawLogin::challenge(t.addr(), MUTUAL);
    let r = hex(&md5(id, b"mutual-initiator-secret", &c));
    let ours = [0xC3u8; 24];
    let a = l.send(true, 0, 1, &[("CHAP_N", "mutual"), ("CHAP_R", &r), ("CHAP_I", "0x2a"), ("CHAP_C", &hex(&ours))]);
    assert_eq!((a.status, a.transit), (0, true), "{a:?}");
    assert_eq!(a.value("CHAP_N"), "offload-target");
    assert_eq!(a.value("CHAP_R"), hex(&md5(42, b"mutual-target-secret", &ours)));
    let a = l.send(true, 1, 3, &[("MaxRecvDataSegmentLength", "8192")]);
    assert_eq!((a.status, a.transit), (0, true), "full feature phase");
}

#[test]
fn hand_made_failures_are_0201() {
    let t = start(AUTH);
    let addr = t.addr();
    // A short response (15 bytes) and a wrong one.
    let (mut l, id, c) = RawLogin::challenge(addr, ONE_WAY);
    let right = md5(id, b"one-way-secret", &c);
    assert_eq!(l.send(true, 0, 1, &[("CHAP_N", "one-way"), ("CHAP_R", &hex(&right[..15]))]).status, 0x0201);
    let (mut l, id, c) = RawLogin::challenge(addr, ONE_WAY);
    let wrong = md5(id, b"one-way-secreT", &c);
    assert_eq!(l.send(true, 0, 1, &[("CHAP_N", "one-way"), ("CHAP_R", &hex(&wrong))]).status, 0x0201);
    // A replay: the right response to one login's challenge, sent in the next login.
    let (mut first, id, c) = RawLogin::challenge(addr, ONE_WAY);
    let recorded = hex(&md5(id, b"one-way-secret", &c));
    assert_eq!(first.send(true, 0, 1, &[("CHAP_N", "one-way"), ("CHAP_R", &recorded)]).status, 0, "first use");
    assert_eq!(first.send(true, 1, 3, &[("MaxRecvDataSegmentLength", "8192")]).status, 0);
    let (mut replay, ..) = RawLogin::challenge(addr, ONE_WAY);
    assert_eq!(replay.send(true, 0, 1, &[("CHAP_N", "one-way"), ("CHAP_R", &recorded)]).status, 0x0201, "replayed");
    // Reflection: the target's own challenge sent back as the initiator's, on the same connection and
    // from another connection (the target's challenge to a login still waiting for its response).
    let (mut l, id, c) = RawLogin::challenge(addr, MUTUAL);
    let r = hex(&md5(id, b"mutual-initiator-secret", &c));
    let a = l.send(true, 0, 1, &[("CHAP_N", "mutual"), ("CHAP_R", &r), ("CHAP_I", "1"), ("CHAP_C", &hex(&c))]);
    assert_eq!(a.status, 0x0201, "reflected on the same connection");
    assert!(!a.keys.iter().any(|(k, _)| k == "CHAP_R"), "no response to a reflected challenge");
    let (_waiting, _, pending) = RawLogin::challenge(addr, ONE_WAY);
    let (mut l, id, c) = RawLogin::challenge(addr, MUTUAL);
    let r = hex(&md5(id, b"mutual-initiator-secret", &c));
    let a = l.send(true, 0, 1, &[("CHAP_N", "mutual"), ("CHAP_R", &r), ("CHAP_I", "1"), ("CHAP_C", &hex(&pending))]);
    assert_eq!(a.status, 0x0201, "another connection's challenge");
    // CHAP_A without MD5.
    let mut l = RawLogin::new(addr);
    let leading = [("InitiatorName", ONE_WAY), ("TargetName", DEFAULT_TARGET_NAME), ("AuthMethod", "CHAP")];
    assert_eq!(l.send(false, 0, 1, &leading).status, 0);
    assert_eq!(l.send(false, 0, 1, &[("CHAP_A", "6,7")]).status, 0x0201);
    // The response step skipped: straight out of the security stage after the challenge.
    let (mut l, ..) = RawLogin::challenge(addr, ONE_WAY);
    assert_eq!(l.send(true, 0, 1, &[]).status, 0x0201);
    // (Jumping to stage 1 unasked is a stage error first: the target never transited.)
    let (mut l, ..) = RawLogin::challenge(addr, ONE_WAY);
    assert_eq!(l.send(true, 1, 3, &[("MaxRecvDataSegmentLength", "8192")]).status, 0x0200, "CSG out of sequence");
    // Leaving the security stage without offering AuthMethod at all.
    let mut l = RawLogin::new(addr);
    assert_eq!(l.send(true, 0, 1, &[("InitiatorName", ONE_WAY), ("TargetName", DEFAULT_TARGET_NAME)]).status, 0x0201);
    // CHAP keys from an initiator for which None was chosen.
    let mut l = RawLogin::new(addr);
    let leading = [("InitiatorName", STRANGER), ("TargetName", DEFAULT_TARGET_NAME), ("AuthMethod", "None")];
    assert_eq!(l.send(false, 0, 1, &leading).status, 0);
    assert_eq!(l.send(false, 0, 1, &[("CHAP_A", "5")]).status, 0x0201);
    assert_eq!(t.sessions(), 1, "only the first use of the recorded response logged in");
}

#[test]
fn an_initiator_without_an_account_offering_chap_gets_none_as_libiscsi_does_it() {
    // libiscsi with a user name and password, to a target that chose None: it transits at once and
    // repeats InitiatorName, TargetName and SessionType (unchanged) in its operational stage PDU.
    let t = start(AUTH);
    let mut l = RawLogin::new(t.addr());
    let leading = [
        ("InitiatorName", STRANGER),
        ("TargetName", DEFAULT_TARGET_NAME),
        ("SessionType", "Normal"),
        ("AuthMethod", "CHAP,None"),
    ];
    let a = l.send(true, 0, 1, &leading);
    assert_eq!((a.status, a.transit, a.value("AuthMethod")), (0, true, "None"));
    let again = [
        ("InitiatorName", STRANGER),
        ("TargetName", DEFAULT_TARGET_NAME),
        ("SessionType", "Normal"),
        ("MaxRecvDataSegmentLength", "8192"),
    ];
    let a = l.send(true, 1, 3, &again);
    assert_eq!((a.status, a.transit), (0, true), "{a:?}");
    // A changed InitiatorName is still refused.
    let mut l = RawLogin::new(t.addr());
    assert_eq!(l.send(true, 0, 1, &leading).status, 0);
    assert_eq!(l.send(true, 1, 3, &[("InitiatorName", ONE_WAY)]).status, 0x0200);
    let mut l = RawLogin::new(t.addr());
    assert_eq!(l.send(true, 0, 1, &leading).status, 0);
    assert_eq!(l.send(true, 1, 3, &[("SessionType", "Discovery")]).status, 0x0200);
}
