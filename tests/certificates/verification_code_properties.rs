//! Property tests for verification codes: a code is accepted from its request's window to the
//! end of the next one only and only with its session, the check agrees with derivation
//! exactly, configuration bounds and the policy.

use blindpost::certificate::PhoneNumber;
use blindpost::vector_rng::VectorRng;
use blindpost::verification_code::{CodeConfig, CodeError, CodePolicy, CodeSecret, CodeSession};
use blindpost::Time;
use proptest::prelude::*;

fn secret() -> CodeSecret {
    CodeSecret::generate(&mut VectorRng::new(b"code props"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn code_is_accepted_in_its_window_and_the_next_only(
        digits in 4u8..=10,
        window_seconds in 1u64..100_000,
        now in 0u64..(1u64 << 40),
        later in 0u64..5,
        number in "[1-9][0-9]{0,14}",
        session in any::<[u8; 32]>(),
    ) {
        let config = CodeConfig::new(digits, window_seconds).unwrap();
        let secret = secret();
        let phone = PhoneNumber::parse(&format!("+{number}")).unwrap();
        let session = CodeSession::from_bytes(session);
        let now = Time::from_unix_secs(now);
        let w = config.window(now);
        let code = config.derive(&secret, &phone, w, &session);
        prop_assert_eq!(code.as_str().len(), usize::from(digits));
        prop_assert!(code.as_str().bytes().all(|b| b.is_ascii_digit()));
        // Checked `later` windows after the request (same offset inside the window).
        let t = now.saturating_add(later * window_seconds);
        prop_assert_eq!(config.window(t), w + later);
        let r = config.check(&secret, &phone, &session, w, code.as_str(), t);
        prop_assert_eq!(r.is_ok(), later <= 1);
        if later > 1 {
            prop_assert_eq!(r, Err(CodeError::WrongCode));
        }
    }

    #[test]
    fn codes_depend_on_phone_session_window_and_secret(
        a in "[1-9][0-9]{5,14}",
        b in "[1-9][0-9]{5,14}",
        window in 0u64..u64::MAX,
        s in any::<[u8; 32]>(),
        t in any::<[u8; 32]>(),
    ) {
        prop_assume!(a != b && s != t);
        let config = CodeConfig::new(10, 600).unwrap();
        let s1 = secret();
        let s2 = CodeSecret::generate(&mut VectorRng::new(b"other secret"));
        let pa = PhoneNumber::parse(&format!("+{a}")).unwrap();
        let pb = PhoneNumber::parse(&format!("+{b}")).unwrap();
        let (ss, st) = (CodeSession::from_bytes(s), CodeSession::from_bytes(t));
        // 10-digit codes collide with probability 1e-10 per pair.
        let base = config.derive(&s1, &pa, window, &ss);
        for other in [
            config.derive(&s1, &pb, window, &ss),
            config.derive(&s2, &pa, window, &ss),
            config.derive(&s1, &pa, window, &st),
            config.derive(&s1, &pa, window + 1, &ss),
        ] {
            prop_assert_ne!(base.as_str(), other.as_str());
        }
    }

    #[test]
    fn malformed_submissions_are_rejected_before_comparison(code in "[0-9a-z]{0,12}") {
        let config = CodeConfig::default();
        let phone = PhoneNumber::parse("+15550100").unwrap();
        let session = CodeSession::from_bytes([1; 32]);
        let r = config.check(&secret(), &phone, &session, 1666, &code, Time::from_unix_secs(1_000_000));
        if code.len() != 6 {
            prop_assert_eq!(r, Err(CodeError::WrongLength { expected: 6, found: code.len() }));
        } else if !code.bytes().all(|b| b.is_ascii_digit()) {
            prop_assert_eq!(r, Err(CodeError::NotDigits));
        }
    }
}

#[test]
fn config_bounds() {
    assert_eq!(
        CodeConfig::new(3, 600),
        Err(CodeError::InvalidDigits { digits: 3 })
    );
    assert_eq!(
        CodeConfig::new(11, 600),
        Err(CodeError::InvalidDigits { digits: 11 })
    );
    assert_eq!(CodeConfig::new(6, 0), Err(CodeError::ZeroWindow));
    let d = CodeConfig::default();
    assert_eq!((d.digits(), d.window_seconds()), (6, 600));
    assert_eq!(d.window(Time::from_unix_secs(1199)), 1);
    assert_eq!(d.window(Time::from_unix_secs(1200)), 2);
}

#[test]
fn policy_blocks_at_the_limit() {
    let p = CodePolicy::new(3);
    assert!(p.allow_attempt(0).is_ok());
    assert!(p.allow_attempt(2).is_ok());
    assert_eq!(p.allow_attempt(3), Err(CodeError::TooManyAttempts));
    assert_eq!(p.allow_attempt(u32::MAX), Err(CodeError::TooManyAttempts));
    assert_eq!(
        CodePolicy::new(0).allow_attempt(0),
        Err(CodeError::TooManyAttempts)
    );
    assert_eq!(CodePolicy::default().max_attempts(), 5);
}

#[test]
fn secrets_and_codes_are_redacted() {
    let s = secret();
    assert_eq!(format!("{s:?}"), "CodeSecret(<redacted>)");
    let session = CodeSession::from_bytes([3; 32]);
    assert_eq!(format!("{session:?}"), "CodeSession(<redacted>)");
    let phone = PhoneNumber::parse("+1555").unwrap();
    let code = CodeConfig::default().derive(&s, &phone, 9, &session);
    assert_eq!(format!("{code:?}"), "VerificationCode(<redacted>)");
}
