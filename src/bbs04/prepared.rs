//! The prepared group key (what verification precomputes), the challenge hash and
//! verification (SPEC.md 4.5, 4.6 and 4.11).

use super::{Error, GroupPublicKey, GroupSignature};
use crate::curve::gt::GtElement;
use crate::curve::msm::{multi_exp_vartime_affine, SplitBase};
use crate::curve::pairing::pairing_product;
use crate::curve::scalar_from_wide_be;
use crate::curve::{G1Affine, G2Prepared, Scalar};
use core::fmt;
use sha2::{Digest, Sha512};

/// Domain-separation tag of the challenge hash (SPEC.md 2.3).
const CHALLENGE_DST: &[u8] = b"blindpost/v1/bbs04/challenge";

/// NAF width of the fixed bases' tables: 32 odd multiples each of P and 2^128 P.
const FIXED_WIDTH: u32 = 7;
/// NAF width of the per-signature tables of T1, T2, T3: 8 odd multiples each of P and
/// 2^128 P.
pub(super) const VARIABLE_WIDTH: u32 = 5;

/// Bytes the Miller-loop coefficients of one `G2Prepared` take: 68 steps of three Fp2
/// elements (96 bytes each).
#[cfg(not(feature = "blst"))]
const G2_PREPARED_BYTES: usize = 68 * 3 * 96;
/// With blst a prepared G2 point is its affine form, held inline: no heap bytes.
#[cfg(feature = "blst")]
const G2_PREPARED_BYTES: usize = 0;

/// A group public key with everything verification can precompute: the Miller-loop
/// coefficients of g2 and w, tables of odd multiples of u, v, h and g1 and of their 2^128
/// multiples, and the hash state of the challenge prefix. A server keeps one per group it
/// verifies for (65,792 heap bytes; see [`PreparedGroupKey::heap_bytes`]).
#[derive(Clone)]
pub struct PreparedGroupKey {
    key: GroupPublicKey,
    pub(super) g2: G2Prepared,
    pub(super) w: G2Prepared,
    pub(super) u: SplitBase,
    pub(super) v: SplitBase,
    pub(super) h: SplitBase,
    pub(super) g1: SplitBase,
    prefix: Sha512,
}

impl PreparedGroupKey {
    /// Prepares `key` for verification (and for signing under it).
    pub fn new(key: GroupPublicKey) -> Self {
        let [u, v, h, g1] = SplitBase::batch(&[key.u, key.v, key.h, key.g1], FIXED_WIDTH);
        let mut prefix = Sha512::new();
        // vec8(DST): the DST is 28 bytes.
        prefix.update([const { crate::encoding::dst_len(CHALLENGE_DST) }]);
        prefix.update(CHALLENGE_DST);
        prefix.update(key.to_bytes());
        Self {
            g2: G2Prepared::from(key.g2),
            w: G2Prepared::from(key.w),
            u,
            v,
            h,
            g1,
            prefix,
            key,
        }
    }

    /// The group public key.
    pub fn group_key(&self) -> &GroupPublicKey {
        &self.key
    }

    /// Heap bytes held by the precomputation (the two `G2Prepared` and the four tables).
    pub fn heap_bytes(&self) -> usize {
        [&self.u, &self.v, &self.h, &self.g1]
            .iter()
            .map(|t| t.heap_bytes())
            .fold(G2_PREPARED_BYTES.saturating_mul(2), usize::saturating_add)
    }

    /// Verifies `signature` on `message` under this group key and `context` (SPEC.md 4.6):
    /// the challenge must match the recomputed commitments (with R3 as sent), and R3 must be
    /// the value of its pairing equation.
    pub fn verify(
        &self,
        context: &[u8],
        message: &[u8],
        signature: &GroupSignature,
    ) -> Result<(), Error> {
        let s = signature;
        let neg_c = -s.c;
        let [t1, t2, t3] = SplitBase::batch(&[s.t1, s.t2, s.t3], VARIABLE_WIDTH);
        let [r1, r2, r4, r5, p, q] = multi_exp_vartime_affine([
            // R1 = u^s_alpha * T1^-c
            &[(&self.u, &s.s_alpha), (&t1, &neg_c)],
            // R2 = v^s_beta * T2^-c
            &[(&self.v, &s.s_beta), (&t2, &neg_c)],
            // R4 = T1^s_x * u^-s_delta1
            &[(&t1, &s.s_x), (&self.u, &-s.s_delta1)],
            // R5 = T2^s_x * v^-s_delta2
            &[(&t2, &s.s_x), (&self.v, &-s.s_delta2)],
            // P = T3^s_x * h^-(s_delta1 + s_delta2) * g1^-c, paired with g2
            &[
                (&t3, &s.s_x),
                (&self.h, &-(s.s_delta1 + s.s_delta2)),
                (&self.g1, &neg_c),
            ],
            // Q = T3^c * h^-(s_alpha + s_beta), paired with w
            &[(&t3, &s.c), (&self.h, &-(s.s_alpha + s.s_beta))],
        ]);
        self.challenge_holds(context, message, s, [r1, r2, r4, r5])?;
        if GtElement::from_gt(&pairing_product(&[(&p, &self.g2), (&q, &self.w)])) != s.r3 {
            return Err(Error::InvalidSignature);
        }
        Ok(())
    }

    /// Whether the signature's challenge is that of R1, R2, R4, R5 as recomputed and its own R3
    /// (SPEC.md 4.6, the pairing equation aside).
    pub(super) fn challenge_holds(
        &self,
        context: &[u8],
        message: &[u8],
        s: &GroupSignature,
        [r1, r2, r4, r5]: [G1Affine; 4],
    ) -> Result<(), Error> {
        let commitments = Commitments {
            r1,
            r2,
            r3: s.r3,
            r4,
            r5,
        };
        if self.challenge(context, message, [&s.t1, &s.t2, &s.t3], &commitments)? == s.c {
            Ok(())
        } else {
            Err(Error::InvalidSignature)
        }
    }

    /// The Fiat-Shamir challenge (SPEC.md 4.5).
    pub(super) fn challenge(
        &self,
        context: &[u8],
        message: &[u8],
        t: [&G1Affine; 3],
        r: &Commitments,
    ) -> Result<Scalar, Error> {
        let context_len = context_len(context)?;
        let r3 = r.r3.to_bytes();
        let mut hash = self.prefix.clone();
        hash.update(context_len.to_be_bytes());
        hash.update(context);
        hash.update(
            u64::try_from(message.len())
                .unwrap_or(u64::MAX)
                .to_be_bytes(),
        );
        hash.update(message);
        for point in t {
            hash.update(point.to_compressed());
        }
        // The identity has a defined compressed form (flags 0xc0, then zeros); the R values
        // may be the identity and are hashed in that form.
        hash.update(r.r1.to_compressed());
        hash.update(r.r2.to_compressed());
        hash.update(r3);
        hash.update(r.r4.to_compressed());
        hash.update(r.r5.to_compressed());
        Ok(scalar_from_wide_be(&hash.finalize().into()))
    }
}

impl fmt::Debug for PreparedGroupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedGroupKey")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// The context's length as the challenge encodes it, or `ContextTooLong`.
pub(super) fn context_len(context: &[u8]) -> Result<u16, Error> {
    u16::try_from(context.len()).map_err(|_| Error::ContextTooLong {
        length: context.len(),
    })
}

/// The commitments R1..R5 a signature's challenge binds.
pub(super) struct Commitments {
    pub(super) r1: G1Affine,
    pub(super) r2: G1Affine,
    pub(super) r3: GtElement,
    pub(super) r4: G1Affine,
    pub(super) r5: G1Affine,
}
