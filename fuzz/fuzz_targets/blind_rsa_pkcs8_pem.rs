#![no_main]
//! RSA private keys in PKCS#8 PEM. The DER inside must be canonical (the DER target checks it
//! byte for byte). RFC 7468 lets PEM text vary outside the encapsulated block (explanatory
//! text, which may even look like other blocks) and in line endings, so the check is that,
//! apart from whitespace, the text contains the key's own encoding from `-----BEGIN` to
//! `-----END PRIVATE KEY-----` (no other base64 of the same DER is accepted).

use blindpost::blind_rsa::SecretKey;
use common::format_error;

fn without_whitespace(s: &str) -> String {
    s.chars().filter(|c| !c.is_ascii_whitespace()).collect()
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match SecretKey::from_pkcs8_pem(text) {
        Ok(key) => {
            let pem = key.to_pkcs8_pem().expect("a decoded key encodes");
            assert!(
                without_whitespace(text).contains(&without_whitespace(&pem)),
                "the accepted PEM block is not the key's encoding"
            );
            let der = key.to_pkcs8_der().expect("a decoded key encodes");
            let again = SecretKey::from_pkcs8_der(&der).expect("its own DER decodes");
            assert_eq!(again.public_key(), key.public_key());
        }
        Err(e) => format_error(&e),
    }
});
