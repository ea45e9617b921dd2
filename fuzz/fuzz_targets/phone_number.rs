#![no_main]
//! Phone numbers (`PhoneNumber::parse`): accepted exactly when the text is E.164 (checked
//! against an independent statement of the rule), and kept byte for byte.

use blindpost::certificate::PhoneNumber;
use common::format_error;

fn is_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (1..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match PhoneNumber::parse(text) {
        Ok(phone) => {
            assert!(is_e164(text), "accepted {text:?}");
            assert_eq!(phone.as_str(), text);
            assert_eq!(phone.as_bytes(), data);
        }
        Err(e) => {
            assert!(!is_e164(text), "rejected {text:?}: {e}");
            format_error(&e);
        }
    }
});
