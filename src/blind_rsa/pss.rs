//! EMSA-PSS encoding and verification with SHA-384 and MGF1-SHA-384 (RFC 8017, sections 9.1 and
//! B.2.1), as RFC 9474 uses them: `emBits = modBits - 1`, the salt length fixed by the variant.

use sha2::{Digest, Sha384};

/// Output length of SHA-384 (`hLen`).
pub(crate) const HASH_LEN: usize = 48;

/// The trailer byte of every EMSA-PSS encoded message.
const TRAILER: u8 = 0xbc;

/// `emLen = ceil(emBits / 8)`.
pub(crate) fn encoded_len(em_bits: u32) -> usize {
    usize::try_from(em_bits.div_ceil(8)).unwrap_or(usize::MAX)
}

/// The mask that clears the leftmost `8 * emLen - emBits` bits of the first byte.
fn first_byte_mask(em_bits: u32) -> u8 {
    // 8 * emLen - emBits is in 0..=7; emBits % 8 == 0 means no bit is cleared.
    match em_bits % 8 {
        0 => 0xff,
        r => 0xffu8.checked_shr(8u32.saturating_sub(r)).unwrap_or(0),
    }
}

/// XORs `MGF1-SHA-384(seed, db.len())` into `db`.
fn xor_mgf1(seed: &[u8], db: &mut [u8]) {
    let mut prefix = Sha384::new();
    prefix.update(seed);
    for (counter, chunk) in (0u32..).zip(db.chunks_mut(HASH_LEN)) {
        let mut h = prefix.clone();
        h.update(counter.to_be_bytes());
        let block = h.finalize();
        for (d, m) in chunk.iter_mut().zip(block.iter()) {
            *d ^= m;
        }
    }
}

/// `H = SHA-384(0x00 * 8 || mHash || salt)`.
fn salted_hash(m_hash: &[u8], salt: &[u8]) -> [u8; HASH_LEN] {
    let mut h = Sha384::new();
    h.update([0u8; 8]);
    h.update(m_hash);
    h.update(salt);
    h.finalize().into()
}

/// EMSA-PSS-ENCODE(msg, emBits) with the given salt. Returns `None` when `emLen < hLen + sLen + 2`
/// (the key is too small for the salt), which the key sizes this crate accepts never reach.
pub(crate) fn encode(msg: &[u8], salt: &[u8], em_bits: u32) -> Option<alloc::vec::Vec<u8>> {
    let em_len = encoded_len(em_bits);
    // Layout: maskedDB (emLen - hLen - 1) || H (hLen) || 0xbc, DB = PS || 0x01 || salt.
    let db_len = em_len.checked_sub(HASH_LEN)?.checked_sub(1)?;
    let ps_len = db_len.checked_sub(salt.len())?.checked_sub(1)?;
    let m_hash = Sha384::digest(msg);
    let h = salted_hash(&m_hash, salt);

    let mut em = alloc::vec![0u8; em_len];
    let db = em.get_mut(..db_len)?;
    *db.get_mut(ps_len)? = 0x01;
    db.get_mut(ps_len.checked_add(1)?..)?.copy_from_slice(salt);
    xor_mgf1(&h, db);
    if let Some(first) = db.first_mut() {
        *first &= first_byte_mask(em_bits);
    }
    em.get_mut(db_len..db_len.checked_add(HASH_LEN)?)?
        .copy_from_slice(&h);
    *em.last_mut()? = TRAILER;
    Some(em)
}

/// EMSA-PSS-VERIFY(msg, EM, emBits) for a salt of exactly `salt_len` bytes. `em` must be `emLen`
/// bytes. Returns whether the encoding is consistent.
pub(crate) fn verify(msg: &[u8], em: &[u8], em_bits: u32, salt_len: usize) -> bool {
    let em_len = encoded_len(em_bits);
    if em.len() != em_len {
        return false;
    }
    let Some(db_len) = em_len.checked_sub(HASH_LEN).and_then(|l| l.checked_sub(1)) else {
        return false;
    };
    let Some(ps_len) = db_len.checked_sub(salt_len).and_then(|l| l.checked_sub(1)) else {
        return false;
    };
    let Some((masked_db, rest)) = em.split_at_checked(db_len) else {
        return false;
    };
    let Some((h, trailer)) = rest.split_at_checked(HASH_LEN) else {
        return false;
    };
    if trailer != [TRAILER] {
        return false;
    }
    let mask = first_byte_mask(em_bits);
    if masked_db.first().is_some_and(|b| b & !mask != 0) {
        return false;
    }
    let mut db = alloc::vec::Vec::from(masked_db);
    xor_mgf1(h, &mut db);
    if let Some(first) = db.first_mut() {
        *first &= mask;
    }
    let Some((ps, one_and_salt)) = db.split_at_checked(ps_len) else {
        return false;
    };
    let Some((one, salt)) = one_and_salt.split_first() else {
        return false;
    };
    if ps.iter().any(|&b| b != 0) || *one != 0x01 {
        return false;
    }
    let m_hash = Sha384::digest(msg);
    salted_hash(&m_hash, salt) == h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_then_verify_round_trips_for_both_salt_lengths() {
        for (salt, em_bits) in [
            (&[7u8; 48][..], 2047),
            (&[][..], 2047),
            (&[1u8; 48][..], 3071),
        ] {
            let em = encode(b"message", salt, em_bits).unwrap();
            assert_eq!(em.len(), encoded_len(em_bits));
            assert_eq!(em[0] & 0x80, 0, "leftmost bit must be cleared");
            assert!(verify(b"message", &em, em_bits, salt.len()));
            assert!(!verify(b"messagf", &em, em_bits, salt.len()));
            assert!(!verify(b"message", &em, em_bits, salt.len() ^ 16));
        }
    }

    #[test]
    fn em_bits_multiple_of_eight_keeps_whole_first_byte() {
        // modBits = 2049 gives emBits = 2048 and emLen = 256 with no bit to clear.
        let em = encode(b"m", &[3u8; 48], 2048).unwrap();
        assert_eq!(em.len(), 256);
        assert!(verify(b"m", &em, 2048, 48));
    }

    #[test]
    fn verify_rejects_each_malformed_part() {
        let em = encode(b"m", &[9u8; 48], 2047).unwrap();
        let mut bad_trailer = em.clone();
        *bad_trailer.last_mut().unwrap() ^= 1;
        assert!(!verify(b"m", &bad_trailer, 2047, 48));
        let mut top_bit = em.clone();
        top_bit[0] |= 0x80;
        assert!(!verify(b"m", &top_bit, 2047, 48));
        let mut bad_h = em.clone();
        bad_h[em.len() - 2] ^= 1;
        assert!(!verify(b"m", &bad_h, 2047, 48));
        let mut bad_db = em.clone();
        bad_db[10] ^= 1;
        assert!(!verify(b"m", &bad_db, 2047, 48));
        assert!(!verify(b"m", &em[1..], 2047, 48));
    }

    #[test]
    fn encoding_matches_rfc9474_vectors() {
        let vectors: serde_json::Value =
            serde_json::from_str(include_str!("../../test-vectors/rfc9474.json")).unwrap();
        let mut checked = 0;
        for v in vectors["vectors"].as_array().unwrap() {
            let Some(encoded) = v["encoded_msg"].as_str() else {
                continue;
            };
            let input = hex::decode(v["input_msg"].as_str().unwrap()).unwrap();
            let salt = hex::decode(v["salt"].as_str().unwrap()).unwrap();
            let em = encode(&input, &salt, 4095).unwrap();
            assert_eq!(hex::encode(&em), encoded);
            assert!(verify(&input, &em, 4095, salt.len()));
            checked += 1;
        }
        assert_eq!(checked, 3);
    }
}
