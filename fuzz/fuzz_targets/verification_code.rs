#![no_main]
//! Verification codes: `CodeConfig::check` with arbitrary configurations, times and code
//! strings. Input: `now u64 || window_seconds u64 || digits u8 || mode u8 || code`; mode 1, 2
//! and 3 submit the session's code requested in the current, the previous and the
//! one-before-previous window, mode 4 the current window's code of another session. A check
//! passes exactly when the code is the session's and was requested in the current or the
//! previous window.

use blindpost::certificate::PhoneNumber;
use blindpost::verification_code::{CodeConfig, CodeError, CodeSecret, CodeSession};
use blindpost::Time;
use common::format_error;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut input = common::input::Input::new(data);
    let now = Time::from_unix_secs(input.u64());
    let window_seconds = input.u64();
    let digits = input.u8();
    let mode = input.u8();
    let rest = input.bytes(usize::MAX);
    let config = match CodeConfig::new(digits, window_seconds) {
        Ok(c) => c,
        Err(e) => {
            format_error(&e);
            return;
        }
    };
    let secret = CodeSecret::from_bytes([0x42; 32]);
    let phone = PhoneNumber::parse("+14155550100").expect("phone");
    let window = config.window(now);
    let session = CodeSession::from_bytes([0x5e; 32]);
    let other = CodeSession::from_bytes([0x07; 32]);
    let derived =
        |w: u64, s: &CodeSession| config.derive(&secret, &phone, w, s).as_str().to_owned();
    // The window the code was requested in, and the code submitted.
    let (requested, code) = match mode {
        1 => (window, derived(window, &session)),
        2 => (
            window.saturating_sub(1),
            derived(window.saturating_sub(1), &session),
        ),
        3 => (
            window.saturating_sub(2),
            derived(window.saturating_sub(2), &session),
        ),
        4 => (window, derived(window, &other)),
        _ => (window, String::from_utf8_lossy(rest).into_owned()),
    };
    let valid = code == derived(requested, &session) && window - requested <= 1;
    match config.check(&secret, &phone, &session, requested, &code, now) {
        Ok(()) => assert!(valid, "accepted a wrong code"),
        Err(e) => {
            assert!(!valid, "rejected the right code: {e}");
            if code.len() == usize::from(config.digits())
                && code.bytes().all(|b| b.is_ascii_digit())
            {
                assert_eq!(e, CodeError::WrongCode);
            }
            format_error(&e);
        }
    }
});
