//! Property tests for verification codes: a code is accepted in its own window and the next
//! one only, the check agrees with derivation exactly, configuration bounds and the policy.

use blindpost::certificate::PhoneNumber;
use blindpost::vector_rng::VectorRng;
use blindpost::verification_code::{CodeConfig, CodeError, CodePolicy, CodeSecret};
use blindpost::Time;
use proptest::prelude::*;

fn secret() -> CodeSecret {
    CodeSecret::generate(&mut VectorRng::new(b"code props"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn code_is_accepted_in_current_and_previous_window_only(
        digits in 4u8..=10,
        window_seconds in 1u64..100_000,
        now in 0u64..(1u64 << 40),
        later in 0u64..5,
        number in "[1-9][0-9]{0,14}",
    ) {
        let config = CodeConfig::new(digits, window_seconds).unwrap();
        let secret = secret();
        let phone = PhoneNumber::parse(&format!("+{number}")).unwrap();
        let now = Time::from_unix_secs(now);
        let w = config.window(now);
        let code = config.derive(&secret, &phone, w);
        prop_assert_eq!(code.as_str().len(), usize::from(digits));
        prop_assert!(code.as_str().bytes().all(|b| b.is_ascii_digit()));
        // Checked `later` windows after issuance (same offset inside the window).
        let t = now.saturating_add(later * window_seconds);
        let tw = config.window(t);
        prop_assert_eq!(tw, w + later);
        let r = config.check(&secret, &phone, code.as_str(), t);
        // Exactly: accepted iff it equals the code of the window of `t` or of the one before.
        let current = config.derive(&secret, &phone, tw);
        let previous = tw.checked_sub(1).map(|p| config.derive(&secret, &phone, p));
        let expected = current.as_str() == code.as_str()
            || previous.is_some_and(|p| p.as_str() == code.as_str());
        prop_assert_eq!(r.is_ok(), expected);
        if later <= 1 {
            prop_assert!(r.is_ok());
        } else if r.is_err() {
            prop_assert_eq!(r, Err(CodeError::WrongCode));
        }
    }

    #[test]
    fn codes_depend_on_phone_and_secret(
        a in "[1-9][0-9]{5,14}",
        b in "[1-9][0-9]{5,14}",
        window in any::<u64>(),
    ) {
        prop_assume!(a != b);
        let config = CodeConfig::new(10, 600).unwrap();
        let s1 = secret();
        let s2 = CodeSecret::generate(&mut VectorRng::new(b"other secret"));
        let pa = PhoneNumber::parse(&format!("+{a}")).unwrap();
        let pb = PhoneNumber::parse(&format!("+{b}")).unwrap();
        // 10-digit codes collide with probability 1e-10 per pair.
        let (c1a, c1b, c2a) = (
            config.derive(&s1, &pa, window),
            config.derive(&s1, &pb, window),
            config.derive(&s2, &pa, window),
        );
        prop_assert_ne!(c1a.as_str(), c1b.as_str());
        prop_assert_ne!(c1a.as_str(), c2a.as_str());
    }

    #[test]
    fn malformed_submissions_are_rejected_before_comparison(code in "[0-9a-z]{0,12}") {
        let config = CodeConfig::default();
        let phone = PhoneNumber::parse("+15550100").unwrap();
        let r = config.check(&secret(), &phone, &code, Time::from_unix_secs(1_000_000));
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
    assert_eq!(CodePolicy::default().max_failures(), 5);
}

#[test]
fn secrets_and_codes_are_redacted() {
    let s = secret();
    assert_eq!(format!("{s:?}"), "CodeSecret(<redacted>)");
    let code = CodeConfig::default().derive(&s, &PhoneNumber::parse("+1555").unwrap(), 9);
    assert_eq!(format!("{code:?}"), "VerificationCode(<redacted>)");
}
