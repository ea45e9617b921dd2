//! KeyGen's HKDF-SHA256 (RFC 5869) for the one output length it needs, on `hmac` 0.12.

use crate::curve::scalar_from_wide_be;
use crate::curve::Scalar;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The initial KeyGen salt (draft section 2.3).
const KEYGEN_SALT: &[u8] = b"BLS-SIG-KEYGEN-SALT-";
/// `I2OSP(L, 2)` for KeyGen's output length L = ceil((3 * ceil(log2(r))) / 16) = 48, the
/// suffix of HKDF-Expand's info.
const L_BYTES: [u8; 2] = [0, 48];

/// HMAC-SHA256 keyed with a 32-byte key over the concatenation of `parts`.
///
/// A key no longer than the 64-byte block is zero-padded to the block by HMAC itself, so
/// keying with the padded block is the same function; that constructor cannot fail.
fn hmac32(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    let mut block = Zeroizing::new([0u8; 64]);
    if let Some(head) = block.get_mut(..32) {
        head.copy_from_slice(key);
    }
    let mut mac = <Hmac<Sha256> as hmac::digest::KeyInit>::new(&(*block).into());
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// KeyGen's loop: returns the first non-zero `OS2IP(HKDF(...)) mod r`.
pub(super) fn key_gen_scalar(ikm: &[u8], key_info: &[u8]) -> Scalar {
    let mut salt: [u8; 32] = Sha256::digest(KEYGEN_SALT).into();
    let l_bytes = L_BYTES;
    // The draft hashes the salt at the top of each round; the first round's hash is above.
    loop {
        // HKDF-Extract(salt, IKM || I2OSP(0, 1)) = HMAC(salt, IKM || 0x00).
        let prk = Zeroizing::new(hmac32(&salt, &[ikm, &[0u8]]));
        // HKDF-Expand(PRK, key_info || I2OSP(L, 2), 48): T(1) || first 16 bytes of T(2).
        let t1 = Zeroizing::new(hmac32(&prk, &[key_info, &l_bytes, &[1u8]]));
        let t2 = Zeroizing::new(hmac32(&prk, &[t1.as_ref(), key_info, &l_bytes, &[2u8]]));
        // OS2IP(OKM) mod r, with OKM right-aligned in a 64-byte big-endian buffer.
        let mut wide = Zeroizing::new([0u8; 64]);
        if let Some(dst) = wide.get_mut(16..48) {
            dst.copy_from_slice(t1.as_ref());
        }
        if let (Some(dst), Some(src)) = (wide.get_mut(48..64), t2.get(..16)) {
            dst.copy_from_slice(src);
        }
        let sk = scalar_from_wide_be(&wide);
        if !bool::from(ff::Field::is_zero(&sk)) {
            return sk;
        }
        salt = Sha256::digest(salt).into();
    }
}
