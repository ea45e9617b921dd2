//! Certificate encodings (SPEC.md 8): certificate, issuer key set, phone number.

use super::*;

pub(super) fn certificate_files(s: &Sources) -> Vec<Generated> {
    let e = |d: DecodeError| CertificateError::Malformed(d);
    let mut files = Vec::new();

    // version || issuer (8) || serial || not_before || not_after || vec8 phone || identity (48)
    // || vec8 host_key || signature (96).
    let cert = unhex(&s.certificates.certificates[0].bytes);
    let phone_len = usize::from(cert[33]);
    let identity_at = 34 + phone_len;
    let host_at = identity_at + 48;
    assert_eq!(cert[host_at], 0, "the base certificate has no host key");
    let sig_at = host_at + 1;
    let mut f = File::new(
        "certificate",
        "certificate (SPEC.md 8.2)",
        "certificate::Certificate::from_bytes",
        cert.clone(),
        |b| Certificate::from_bytes(b).map(drop),
        certificate_json,
    );
    f.case(
        "empty",
        Truncated,
        vec![],
        e(truncated("certificate.version", 1, 0)),
    );
    f.case(
        "last byte missing",
        Truncated,
        f.truncated(),
        e(truncated("certificate.signature", 96, 95)),
    );
    f.case(
        "cut inside the phone number",
        Truncated,
        cert[..36].to_vec(),
        e(truncated("certificate.phone", phone_len, 2)),
    );
    f.case(
        "trailing byte",
        TrailingBytes,
        f.trailing(),
        e(trailing("certificate")),
    );
    f.case(
        "version 2",
        UnknownVersion,
        f.with_byte(0, 2),
        e(version("certificate.version", 2)),
    );
    let mut reversed = f.with(17, &cert[25..33]);
    reversed[25..33].copy_from_slice(&cert[17..25]);
    f.case(
        "not_before after not_after",
        InvalidValue,
        reversed,
        e(dec("certificate.not_after", Kind::InvalidValue)),
    );
    let with_phone = |phone: &[u8]| {
        let mut out = cert[..33].to_vec();
        out.push(phone.len() as u8);
        out.extend_from_slice(phone);
        out.extend_from_slice(&cert[identity_at..]);
        out
    };
    let bad_phone = e(dec("certificate.phone", Kind::InvalidValue));
    f.case(
        "phone without '+'",
        InvalidValue,
        with_phone(b"14155550100"),
        bad_phone,
    );
    f.case(
        "phone with a leading zero",
        InvalidValue,
        with_phone(b"+04155550100"),
        bad_phone,
    );
    f.case(
        "phone with a space",
        InvalidValue,
        with_phone(b"+1 4155550100"),
        bad_phone,
    );
    f.case("empty phone", InvalidValue, with_phone(b""), bad_phone);
    f.case(
        "phone of 17 bytes",
        OverlongLength,
        with_phone(b"+1234567890123456"),
        e(too_long("certificate.phone", 17, 16)),
    );
    f.g1_cases("identity key", identity_at, |k| {
        e(dec("certificate.identity_key", k))
    });
    f.case(
        "host key of 65 bytes",
        OverlongLength,
        f.with_byte(host_at, (MAX_HOST_KEY_LEN + 1) as u8),
        e(too_long("certificate.host_key", 65, 64)),
    );
    f.g2_cases("signature", sig_at, |k| e(dec("certificate.signature", k)));
    let mut applicable = vec![
        Truncated,
        TrailingBytes,
        UnknownVersion,
        InvalidValue,
        OverlongLength,
    ];
    applicable.extend(POINT_REASONS);
    files.push(f.finish(&applicable));

    // version || count || count x (public key || not_before || not_after).
    let set = unhex(&s.certificates.key_set);
    assert_eq!(set[1], 2, "the base key set has two keys");
    let entry = |i: usize| set[2 + 64 * i..2 + 64 * (i + 1)].to_vec();
    let mut f = File::new(
        "issuer_key_set",
        "certificate issuer key set (SPEC.md 8.3)",
        "certificate::IssuerKeySet::from_bytes",
        set.clone(),
        |b| IssuerKeySet::from_bytes(b).map(drop),
        certificate_json,
    );
    f.case(
        "empty",
        Truncated,
        vec![],
        e(truncated("issuer_key_set.version", 1, 0)),
    );
    f.case(
        "last byte missing",
        Truncated,
        f.truncated(),
        e(truncated("issuer_key_set.not_after", 8, 7)),
    );
    f.case(
        "count larger than the entries",
        Truncated,
        f.with_byte(1, 3),
        e(truncated("issuer_key_set.public_key", 48, 0)),
    );
    f.case(
        "trailing byte",
        TrailingBytes,
        f.trailing(),
        e(trailing("issuer_key_set")),
    );
    f.case(
        "version 2",
        UnknownVersion,
        f.with_byte(0, 2),
        e(version("issuer_key_set.version", 2)),
    );
    f.case(
        "no keys",
        InvalidValue,
        vec![1, 0],
        e(dec("issuer_key_set.count", Kind::InvalidValue)),
    );
    f.case(
        "17 keys",
        OverlongLength,
        f.with_byte(1, 17),
        e(too_long("issuer_key_set.count", 17, 16)),
    );
    let swapped = [&set[..2], &entry(1), &entry(0)].concat();
    f.case(
        "keys out of order",
        InvalidValue,
        swapped,
        e(dec("issuer_key_set.order", Kind::InvalidValue)),
    );
    let twice = [&set[..2], &entry(0), &entry(0)].concat();
    f.case(
        "the same key twice",
        InvalidValue,
        twice,
        e(dec("issuer_key_set.order", Kind::InvalidValue)),
    );
    let mut reversed = entry(0);
    let (nb, na) = (reversed[48..56].to_vec(), reversed[56..64].to_vec());
    reversed[48..56].copy_from_slice(&na);
    reversed[56..64].copy_from_slice(&nb);
    let reversed = [&[1, 1][..], &reversed].concat();
    f.case(
        "validity reversed",
        InvalidValue,
        reversed,
        e(dec("issuer_key_set.not_after", Kind::InvalidValue)),
    );
    f.g1_cases("second key", 2 + 64, |k| {
        e(dec("issuer_key_set.public_key", k))
    });
    let mut applicable = vec![
        Truncated,
        TrailingBytes,
        UnknownVersion,
        InvalidValue,
        OverlongLength,
    ];
    applicable.extend(POINT_REASONS);
    files.push(f.finish(&applicable));

    // Phone numbers as text (SPEC.md 8.1).
    let mut f = File::new(
        "phone_number",
        "phone number in E.164 form (SPEC.md 8.1), as text",
        "certificate::PhoneNumber::parse",
        b"+14155550100".to_vec(),
        |b| PhoneNumber::parse(std::str::from_utf8(b).unwrap()).map(drop),
        phone_json,
    );
    let text = |s: &str| s.as_bytes().to_vec();
    f.case(
        "empty",
        InvalidValue,
        text(""),
        PhoneNumberError::MissingPlus,
    );
    f.case(
        "no '+'",
        InvalidValue,
        text("14155550100"),
        PhoneNumberError::MissingPlus,
    );
    f.case(
        "fullwidth plus",
        InvalidValue,
        text("\u{ff0b}14155550100"),
        PhoneNumberError::MissingPlus,
    );
    f.case(
        "only '+'",
        InvalidValue,
        text("+"),
        PhoneNumberError::NoDigits,
    );
    f.case(
        "16 digits",
        OverlongLength,
        text("+1234567890123456"),
        PhoneNumberError::TooLong { digits: 16 },
    );
    f.case(
        "a letter",
        InvalidValue,
        text("+1415555o100"),
        PhoneNumberError::NotADigit { position: 8 },
    );
    f.case(
        "a space",
        InvalidValue,
        text("+1 4155550100"),
        PhoneNumberError::NotADigit { position: 2 },
    );
    f.case(
        "a dash",
        InvalidValue,
        text("+1-415-555-0100"),
        PhoneNumberError::NotADigit { position: 2 },
    );
    f.case(
        "trailing newline",
        InvalidValue,
        text("+14155550100\n"),
        PhoneNumberError::NotADigit { position: 12 },
    );
    f.case(
        "Arabic-Indic digits",
        InvalidValue,
        text("+\u{0661}\u{0662}"),
        PhoneNumberError::NotADigit { position: 1 },
    );
    f.case(
        "leading zero",
        InvalidValue,
        text("+04155550100"),
        PhoneNumberError::LeadingZero,
    );
    files.push(f.finish(&[InvalidValue, OverlongLength]));
    files
}
