//! Hashing to the curve (RFC 9380).

#[cfg(all(feature = "blst", not(feature = "differential")))]
pub(crate) use super::blst_backend::hash_to_g2;
#[cfg(feature = "differential")]
pub(crate) use super::differential::hash_to_g2;
#[cfg(not(feature = "blst"))]
use bls12_381::hash_to_curve::{ExpandMsgXmd, HashToCurve};
#[cfg(not(feature = "blst"))]
use bls12_381::G2Projective;
#[cfg(not(feature = "blst"))]
use sha2::Sha256;

/// RFC 9380 `hash_to_curve` to G2 (`BLS12381G2_XMD:SHA-256_SSWU_RO_`) over the concatenation
/// of `parts`, with `dst` as the domain-separation tag.
#[cfg(not(feature = "blst"))]
pub(crate) fn hash_to_g2(dst: &[u8], parts: &[&[u8]]) -> G2Projective {
    <G2Projective as HashToCurve<ExpandMsgXmd<Sha256>>>::hash_to_curve(parts.iter(), dst)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bls12_381::G2Affine;

    /// RFC 9380 J.10.1: `hash_to_g2` with the suite's test DST gives the published points.
    #[test]
    fn hash_to_g2_matches_rfc9380_j10_1() {
        let v: serde_json::Value =
            serde_json::from_str(include_str!("../../test-vectors/hash_to_curve_g2.json")).unwrap();
        let dst = v["dst"].as_str().unwrap().as_bytes();
        let vectors = v["vectors"].as_array().unwrap();
        assert_eq!(vectors.len(), 5);
        for t in vectors {
            let msg = t["msg"].as_str().unwrap().as_bytes();
            // The uncompressed encoding is x.c1 || x.c0 || y.c1 || y.c0, each 48 bytes.
            let mut expected = alloc::vec::Vec::new();
            for key in ["P_x_c1", "P_x_c0", "P_y_c1", "P_y_c0"] {
                expected.extend(hex::decode(t[key].as_str().unwrap()).unwrap());
            }
            let p = G2Affine::from(hash_to_g2(dst, &[msg]));
            assert_eq!(p.to_uncompressed().to_vec(), expected);
            // Splitting the message into parts hashes the concatenation.
            let (a, b) = msg.split_at(msg.len() / 2);
            assert_eq!(G2Affine::from(hash_to_g2(dst, &[a, b])), p);
        }
    }

    /// RFC 9380 K.1: the expander under `hash_to_g2` (bls12_381's expand_message_xmd with
    /// SHA-256) gives the published uniform bytes, including the long-DST case.
    #[test]
    fn expand_message_xmd_matches_rfc9380_k1() {
        use bls12_381::hash_to_curve::{ExpandMessage, ExpandMsgXmd};
        use sha2::Sha256;
        let v: serde_json::Value = serde_json::from_str(include_str!(
            "../../test-vectors/hash_to_curve_expand_xmd.json"
        ))
        .unwrap();
        let mut count = 0;
        for set in v["sets"].as_array().unwrap() {
            let dst = set["dst"].as_str().unwrap().as_bytes();
            for t in set["tests"].as_array().unwrap() {
                let msg = t["msg"].as_str().unwrap().as_bytes();
                let len = usize::try_from(t["len_in_bytes"].as_u64().unwrap()).unwrap();
                let out = ExpandMsgXmd::<Sha256>::init_expand::<_, sha2::digest::typenum::U32>(
                    [msg],
                    dst,
                    len,
                )
                .into_vec();
                assert_eq!(hex::encode(out), t["uniform_bytes"].as_str().unwrap());
                count += 1;
            }
        }
        assert_eq!(count, 20);
    }
}
