//! Padding of sealed-payload plaintexts to a few bucket sizes (SPEC.md 10.1), so that the size
//! the server sees says little about what a payload holds: a first reply carrying an
//! introduction and a plain reply of similar text fall in one bucket.

use crate::encoding::{DecodeError, DecodeErrorKind};

/// The smallest bucket (bytes): an introduction with a message of a few hundred bytes and
/// typical host material (the introduction itself is about 800 bytes; with 200 bytes of text and
/// 256 of host material, 1262) lands in it, as does a plain message of the same text.
pub const MIN_PADDED_LEN: usize = 2048;

/// The largest bucket (bytes): every payload within the limits of SPEC.md 10.1 fits.
pub const MAX_PADDED_LEN: usize = 64 * 1024;

// The longest payload encoding the limits of SPEC.md 10.1 allow (an introduction with the
// largest certificate, host material and message) fits the largest bucket.
const _: () = {
    let max_payload_len = 2 // version, kind
        + 2 + super::payload::MAX_CERTIFICATE_LEN
        + 32 // recipient
        + crate::bbs04::GroupPublicKey::SIZE
        + crate::bbs04::MemberKey::SIZE
        + 2 + super::MAX_HOST_MATERIAL_LEN
        + 2 + super::MAX_MESSAGE_LEN
        + 8 // created_at
        + crate::bls::SIGNATURE_LEN;
    assert!(max_payload_len <= MAX_PADDED_LEN);
};

/// The bucket (padded length) an encoding of `len` bytes is padded to: the smallest power of two that is at
/// least [`MIN_PADDED_LEN`] and `len`; `None` above [`MAX_PADDED_LEN`].
pub fn padded_len(len: usize) -> Option<usize> {
    let padded = len.max(MIN_PADDED_LEN).checked_next_power_of_two()?;
    (padded <= MAX_PADDED_LEN).then_some(padded)
}

/// Appends zero bytes up to the bucket of `encoding`'s length. An encoding above the largest
/// bucket (a field over its limit, which the receiver refuses anyway) is left as it is.
pub(super) fn pad(mut encoding: alloc::vec::Vec<u8>) -> alloc::vec::Vec<u8> {
    if let Some(padded) = padded_len(encoding.len()) {
        encoding.resize(padded, 0);
    }
    encoding
}

/// Checks the padding after an encoding of `used` bytes: the whole input is the bucket of
/// `used` bytes long and `padding` (the rest) is all zero; otherwise `non_canonical_padding`.
pub(super) fn check(used: usize, padding: &[u8]) -> Result<(), DecodeError> {
    let total = used.checked_add(padding.len());
    // Plaintexts are secret: look at every padding byte, wherever a non-zero one is.
    let all_zero = padding.iter().fold(0u8, |acc, b| acc | b) == 0;
    if total.is_some() && total == padded_len(used) && all_zero {
        Ok(())
    } else {
        Err(DecodeError::new(
            "payload.padding",
            DecodeErrorKind::NonCanonicalPadding,
        ))
    }
}
