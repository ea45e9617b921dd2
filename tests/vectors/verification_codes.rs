//! `test-vectors/verification_codes.json`: codes for several configurations, phone numbers,
//! windows and code sessions, check outcomes and the attempt policy, generated with `VectorRng`
//! (seed in file).
//!
//! One test regenerates the file and compares (`BLINDPOST_WRITE_VECTORS=1` rewrites it); the
//! other recomputes every code from the file with an independent HMAC and big-integer
//! arithmetic, and replays the checks through the public API.

use crate::vector_file;
use crate::vector_file::unhex;
use blindpost::certificate::PhoneNumber;
use blindpost::vector_rng::VectorRng;
use blindpost::verification_code::{
    CodeConfig, CodeError, CodePolicy, CodeSecret, CodeSession, CODE_DST,
};
use blindpost::Time;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::Sha256;

const FILE: &str = "verification_codes.json";
const SEED: &str = "blindpost/v1 verification code vectors";
const PHONES: [&str; 3] = ["+14155550100", "+442079460018", "+1"];
const CONFIGS: [(u8, u64); 4] = [(6, 600), (4, 60), (8, 300), (10, 3600)];
const WINDOWS: [u64; 4] = [0, 1, 2_933_334, u64::MAX];
const NOW: Time = Time::from_unix_secs(1_760_000_123);

/// `test-vectors/verification_codes.json` (byte strings hex).
#[derive(Debug, Deserialize)]
struct CodesFile {
    secret: String,
    sessions: Vec<String>,
    derive_cases: Vec<DeriveCase>,
    check_config: CheckConfig,
    check_cases: Vec<CheckCase>,
    policy_max_attempts: u32,
    policy_cases: Vec<PolicyCase>,
}

#[derive(Debug, Deserialize)]
struct DeriveCase {
    digits: u8,
    phone: String,
    window: u64,
    session: String,
    hmac_input: String,
    hmac: String,
    code: String,
}

#[derive(Debug, Deserialize)]
struct CheckConfig {
    digits: u8,
    window_seconds: u64,
}

#[derive(Debug, Deserialize)]
struct CheckCase {
    name: String,
    phone: String,
    session: String,
    window: u64,
    code: String,
    now: u64,
    expected: String,
}

#[derive(Debug, Deserialize)]
struct PolicyCase {
    attempts_so_far: u32,
    expected: String,
}

fn outcome(r: Result<(), CodeError>) -> &'static str {
    match r {
        Ok(()) => "ok",
        Err(CodeError::WrongCode) => "wrong_code",
        Err(CodeError::WrongLength { .. }) => "wrong_length",
        Err(CodeError::NotDigits) => "not_digits",
        Err(CodeError::TooManyAttempts) => "too_many_attempts",
        Err(e) => panic!("unexpected {e:?}"),
    }
}

/// HMAC-SHA256(secret, vec8(DST) || u64(window) || vec8(phone) || session), computed here
/// directly.
fn hmac_input_and_output(
    secret: &[u8],
    phone: &str,
    window: u64,
    session: &[u8],
) -> (Vec<u8>, [u8; 32]) {
    let mut input = vec![CODE_DST.len() as u8];
    input.extend_from_slice(CODE_DST);
    input.extend_from_slice(&window.to_be_bytes());
    input.push(phone.len() as u8);
    input.extend_from_slice(phone.as_bytes());
    input.extend_from_slice(session);
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap();
    mac.update(&input);
    (input, mac.finalize().into_bytes().into())
}

/// floor(h * 10^digits / 2^256), zero-padded, with schoolbook byte arithmetic.
fn digits_from_hmac(h: &[u8; 32], digits: u8) -> String {
    // product = h * 10^digits as little-endian bytes.
    let mut product: Vec<u32> = h.iter().rev().map(|&b| u32::from(b)).collect();
    product.extend([0u32; 8]);
    for _ in 0..digits {
        let mut carry = 0u32;
        for limb in product.iter_mut() {
            let t = *limb * 10 + carry;
            *limb = t & 0xff;
            carry = t >> 8;
        }
        assert_eq!(carry, 0);
    }
    let high = product[32..]
        .iter()
        .rev()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    format!("{high:0width$}", width = usize::from(digits))
}

fn generate() -> Value {
    let mut rng = VectorRng::new(SEED.as_bytes());
    let secret = CodeSecret::generate(&mut rng);
    let sessions = [
        CodeSession::generate(&mut rng),
        CodeSession::generate(&mut rng),
    ];

    let mut derive_cases = Vec::new();
    for (digits, window_seconds) in CONFIGS {
        let config = CodeConfig::new(digits, window_seconds).unwrap();
        for phone in PHONES {
            let p = PhoneNumber::parse(phone).unwrap();
            for window in WINDOWS {
                for session in &sessions {
                    let (input, mac) =
                        hmac_input_and_output(secret.as_bytes(), phone, window, session.as_bytes());
                    derive_cases.push(json!({
                        "digits": digits,
                        "phone": phone,
                        "window": window,
                        "session": hex::encode(session.as_bytes()),
                        "hmac_input": hex::encode(input),
                        "hmac": hex::encode(mac),
                        "code": config.derive(&secret, &p, window, session).as_str(),
                    }));
                }
            }
        }
    }

    let config = CodeConfig::default();
    let phone = PhoneNumber::parse(PHONES[0]).unwrap();
    let w = config.window(NOW);
    let [mine, other] = &sessions;
    let code_in = |window: u64| {
        config
            .derive(&secret, &phone, window, mine)
            .as_str()
            .to_string()
    };
    // (name, session, window of the request, submitted code, time of the check)
    let check_inputs: Vec<(&str, &CodeSession, u64, String, Time)> = vec![
        ("requested_this_window", mine, w, code_in(w), NOW),
        ("requested_last_window", mine, w - 1, code_in(w - 1), NOW),
        (
            "requested_two_windows_back",
            mine,
            w - 2,
            code_in(w - 2),
            NOW,
        ),
        ("requested_next_window", mine, w + 1, code_in(w + 1), NOW),
        (
            "last_second_of_the_next_window",
            mine,
            w - 1,
            code_in(w - 1),
            Time::from_unix_secs(w * 600 + 599),
        ),
        ("another_session", other, w, code_in(w), NOW),
        ("at_time_zero", mine, 0, code_in(0), Time::EPOCH),
        ("too_short", mine, w, "12345".to_string(), NOW),
        ("too_long", mine, w, "1234567".to_string(), NOW),
        ("not_digits", mine, w, "12a456".to_string(), NOW),
        ("non_ascii_digits", mine, w, "١٢٣".to_string(), NOW),
    ];
    let check_cases: Vec<Value> = check_inputs
        .iter()
        .map(|(name, session, window, code, now)| {
            json!({
                "name": name,
                "phone": PHONES[0],
                "session": hex::encode(session.as_bytes()),
                "window": window,
                "code": code,
                "now": now.unix_secs(),
                "expected": outcome(config.check(&secret, &phone, session, *window, code, *now)),
            })
        })
        .collect();
    let policy = CodePolicy::default();
    let policy_cases: Vec<Value> = (0..=6)
        .map(|attempts| {
            json!({
                "attempts_so_far": attempts,
                "expected": outcome(policy.allow_attempt(attempts)),
            })
        })
        .collect();

    json!({
        "source": "generated by blindpost (tests/vectors/verification_codes.rs), SPEC.md section 9; \
                   the secret is the first 32 bytes of VectorRng(seed) (SPEC.md 2.5), the two code \
                   sessions the next 64",
        "seed": SEED,
        "secret": hex::encode(secret.as_bytes()),
        "sessions": sessions.iter().map(|s| hex::encode(s.as_bytes())).collect::<Vec<_>>(),
        "dst": std::str::from_utf8(CODE_DST).unwrap(),
        "derive_cases": derive_cases,
        "check_config": { "digits": config.digits(), "window_seconds": config.window_seconds() },
        "check_cases": check_cases,
        "policy_max_attempts": policy.max_attempts(),
        "policy_cases": policy_cases,
    })
}

#[test]
fn vectors_regenerate_identically() {
    vector_file::check_generated(FILE, &generate());
}

#[test]
fn vectors_check_without_the_generator() {
    let v: CodesFile = vector_file::read(FILE);
    let secret_bytes: [u8; 32] = unhex(&v.secret).try_into().unwrap();
    let secret = CodeSecret::from_bytes(secret_bytes);
    assert_eq!(v.sessions.len(), 2);
    assert_eq!(
        v.derive_cases.len(),
        CONFIGS.len() * PHONES.len() * WINDOWS.len() * v.sessions.len()
    );
    for c in &v.derive_cases {
        let session_bytes = unhex(&c.session);
        let (input, mac) = hmac_input_and_output(&secret_bytes, &c.phone, c.window, &session_bytes);
        let session = CodeSession::from_bytes(session_bytes.try_into().unwrap());
        assert_eq!(hex::encode(&input), c.hmac_input);
        assert_eq!(hex::encode(mac), c.hmac);
        assert_eq!(digits_from_hmac(&mac, c.digits), c.code);
        // The library agrees (the window length does not enter the derivation).
        let config = CodeConfig::new(c.digits, 600).unwrap();
        let p = PhoneNumber::parse(&c.phone).unwrap();
        assert_eq!(
            config.derive(&secret, &p, c.window, &session).as_str(),
            c.code
        );
    }

    let config = CodeConfig::new(v.check_config.digits, v.check_config.window_seconds).unwrap();
    for c in &v.check_cases {
        let phone = PhoneNumber::parse(&c.phone).unwrap();
        let session = CodeSession::from_bytes(unhex(&c.session).try_into().unwrap());
        let now = Time::from_unix_secs(c.now);
        let r = config.check(&secret, &phone, &session, c.window, &c.code, now);
        assert_eq!(outcome(r), c.expected, "{}", c.name);
    }

    let policy = CodePolicy::new(v.policy_max_attempts);
    for c in &v.policy_cases {
        let r = policy.allow_attempt(c.attempts_so_far);
        assert_eq!(outcome(r), c.expected);
    }
}
