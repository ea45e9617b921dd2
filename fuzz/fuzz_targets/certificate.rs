#![no_main]
//! Certificates: decoding; a decoded certificate is verified against the vector issuer keys at
//! a time taken from the input, without panicking.

use blindpost::certificate::{Certificate, IssuerKeySet};
use blindpost::Time;
use common::{format_error, roundtrip, vectors::vectors};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(cert) = roundtrip(data, Certificate::from_bytes, Certificate::to_bytes) else {
        return;
    };
    let issuers: &IssuerKeySet = &vectors().issuers;
    for now in [Time::EPOCH, cert.not_before(), cert.not_after(), Time::MAX] {
        if let Err(e) = issuers.verify_certificate(&cert, now, Some(cert.phone())) {
            format_error(&e);
        }
    }
});
