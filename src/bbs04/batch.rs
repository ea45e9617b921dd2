//! Batch verification (SPEC.md 4.16): many signatures under one group key, their pairing
//! equations checked together with random coefficients.

use super::prepared::VARIABLE_WIDTH;
use super::{Error, GroupSignature, PreparedGroupKey};
use crate::curve::gt::GtElement;
use crate::curve::msm::{
    multi_exp_vartime_affine, multi_exp_wide_vartime_affine, SplitBase, WideBases,
};
use crate::curve::pairing::pairing_product;
use crate::curve::{G1Affine, Scalar};
use alloc::vec::Vec;
use ff::Field;
use rand_core::CryptoRng;

/// Bits of each random coefficient of the combined check: a batch holding an invalid
/// signature passes with probability at most 2^-64 (SPEC.md 4.16).
const COEFFICIENT_BITS: u32 = 64;

/// NAF width of the T3 tables of a batch.
const WIDE_WIDTH: u32 = 5;

/// One signature of a batch and what it signs.
#[derive(Clone, Copy, Debug)]
pub struct BatchEntry<'a> {
    /// The context the signature was made for (at most 65535 bytes).
    pub context: &'a [u8],
    /// The signed message.
    pub message: &'a [u8],
    /// The signature.
    pub signature: &'a GroupSignature,
}

impl PreparedGroupKey {
    /// Verifies several signatures under this group key (SPEC.md 4.16), returning one result
    /// per entry, in order: exactly what [`PreparedGroupKey::verify`] returns for it.
    ///
    /// Each signature's challenge is checked on its own (G1 work and a hash). The pairing
    /// equations `R3_i = e(P_i, g2) · e(Q_i, w)` of the signatures whose challenge holds are
    /// then checked together: with 64-bit coefficients `ρ_i` drawn from `rng` (the first one 1),
    /// `prod R3_i^ρ_i = e(sum ρ_i P_i, g2) · e(sum ρ_i Q_i, w)`, one multi-Miller loop and one
    /// final exponentiation for the whole batch. If that fails, each equation is checked
    /// alone to find the bad ones. A batch with an invalid signature passes the combined
    /// check with probability at most 2^-64 over `rng`.
    pub fn verify_batch<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        entries: &[BatchEntry<'_>],
    ) -> Vec<Result<(), Error>> {
        let mut results: Vec<Result<(), Error>> = entries
            .iter()
            .map(|e| self.check_challenge(e.context, e.message, e.signature))
            .collect();
        let pending: Vec<usize> = results
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.is_ok().then_some(i))
            .collect();
        let signatures: Vec<&GroupSignature> = pending
            .iter()
            .filter_map(|&i| entries.get(i).map(|e| e.signature))
            .collect();
        if signatures.len() > 1 && self.pairing_equations_hold(rng, &signatures) {
            return results;
        }
        // One signature, or a failed combined check: each equation alone.
        for (&i, s) in pending.iter().zip(signatures) {
            if !self.pairing_equations_hold_alone(s) {
                if let Some(r) = results.get_mut(i) {
                    *r = Err(Error::InvalidSignature);
                }
            }
        }
        results
    }

    /// Whether the challenge matches R1, R2, R4, R5 recomputed and R3 as sent (SPEC.md 4.6,
    /// without the pairing equation).
    fn check_challenge(
        &self,
        context: &[u8],
        message: &[u8],
        s: &GroupSignature,
    ) -> Result<(), Error> {
        let neg_c = -s.c;
        let [t1, t2] = SplitBase::batch(&[s.t1, s.t2], VARIABLE_WIDTH);
        let r = multi_exp_vartime_affine([
            &[(&self.u, &s.s_alpha), (&t1, &neg_c)],
            &[(&self.v, &s.s_beta), (&t2, &neg_c)],
            &[(&t1, &s.s_x), (&self.u, &-s.s_delta1)],
            &[(&t2, &s.s_x), (&self.v, &-s.s_delta2)],
        ]);
        self.challenge_holds(context, message, s, r)
    }

    /// The combined check of every signature's pairing equation.
    fn pairing_equations_hold<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        signatures: &[&GroupSignature],
    ) -> bool {
        let rho: Vec<u128> = (0..signatures.len())
            .map(|i| if i == 0 { 1 } else { coefficient(rng) })
            .collect();
        let mut on_t3_p = Vec::with_capacity(signatures.len());
        let mut on_t3_q = Vec::with_capacity(signatures.len());
        let (mut on_h_p, mut on_g1, mut on_h_q) = (Scalar::ZERO, Scalar::ZERO, Scalar::ZERO);
        for (s, &r) in signatures.iter().zip(rho.iter()) {
            let r = scalar_of(r);
            on_t3_p.push(r * s.s_x);
            on_t3_q.push(r * s.c);
            on_h_p -= r * (s.s_delta1 + s.s_delta2);
            on_g1 -= r * s.c;
            on_h_q -= r * (s.s_alpha + s.s_beta);
        }
        let t3: Vec<G1Affine> = signatures.iter().map(|s| s.t3).collect();
        let wide = WideBases::new(&t3, WIDE_WIDTH);
        let [p, q] = multi_exp_wide_vartime_affine(
            &wide,
            [
                (&on_t3_p, &[(&self.h, &on_h_p), (&self.g1, &on_g1)]),
                (&on_t3_q, &[(&self.h, &on_h_q)]),
            ],
        );
        let right = GtElement::from_gt(&pairing_product(&[(&p, &self.g2), (&q, &self.w)]));
        let terms: Vec<(&GtElement, u128)> = signatures
            .iter()
            .zip(rho.iter())
            .map(|(s, &r)| (&s.r3, r))
            .collect();
        GtElement::multi_exp_vartime(&terms) == right
    }

    /// One signature's pairing equation `R3 = e(P, g2) · e(Q, w)` (SPEC.md 4.6).
    fn pairing_equations_hold_alone(&self, s: &GroupSignature) -> bool {
        let [t3] = SplitBase::batch(&[s.t3], VARIABLE_WIDTH);
        let [p, q] = multi_exp_vartime_affine([
            &[
                (&t3, &s.s_x),
                (&self.h, &-(s.s_delta1 + s.s_delta2)),
                (&self.g1, &-s.c),
            ],
            &[(&t3, &s.c), (&self.h, &-(s.s_alpha + s.s_beta))],
        ]);
        GtElement::from_gt(&pairing_product(&[(&p, &self.g2), (&q, &self.w)])) == s.r3
    }
}

/// A uniformly random coefficient of [`COEFFICIENT_BITS`] bits.
fn coefficient<R: CryptoRng + ?Sized>(rng: &mut R) -> u128 {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    u128::from_be_bytes(bytes) >> (128 - COEFFICIENT_BITS)
}

/// A coefficient as a scalar (it is below r).
fn scalar_of(k: u128) -> Scalar {
    Scalar::from_raw([k as u64, (k >> 64) as u64, 0, 0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bbs04::prepared::Commitments;
    use crate::bbs04::{GroupManagerKey, MemberKey};
    use crate::curve::{random_scalar, G1Projective};
    use crate::vector_rng::VectorRng;
    use alloc::vec;

    /// A signature by `member` made as in SPEC.md 4.5 except that its challenge binds
    /// `R3 · e(g1, g2)`: its challenge holds, its pairing equation does not.
    fn with_wrong_r3(
        rng: &mut VectorRng,
        group: &PreparedGroupKey,
        member: &MemberKey,
        message: &[u8],
    ) -> GroupSignature {
        let key = group.group_key();
        let [alpha, beta, r_alpha, r_beta, r_x, r_delta1, r_delta2] =
            [(); 7].map(|_| random_scalar(rng));
        let g = |p: &G1Affine, k: Scalar| G1Affine::from(G1Projective::from(p) * k);
        let (t1, t2) = (g(&key.u, alpha), g(&key.v, beta));
        let t3 = G1Affine::from(
            G1Projective::from(member.a) + G1Projective::from(key.h) * (alpha + beta),
        );
        let (r1, r2) = (g(&key.u, r_alpha), g(&key.v, r_beta));
        let r4 = g(&key.u, alpha * r_x - r_delta1);
        let r5 = g(&key.v, beta * r_x - r_delta2);
        // P = A^r_x · h^((α+β)r_x − r_δ1 − r_δ2), and one g1 more.
        let p = G1Affine::from(
            G1Projective::from(member.a) * r_x
                + G1Projective::from(key.h) * ((alpha + beta) * r_x - r_delta1 - r_delta2)
                + G1Projective::from(key.g1),
        );
        let q = g(&key.h, -(r_alpha + r_beta));
        let r3 = GtElement::from_gt(&pairing_product(&[(&p, &group.g2), (&q, &group.w)]));
        let c = group
            .challenge(
                b"ctx",
                message,
                [&t1, &t2, &t3],
                &Commitments { r1, r2, r3, r4, r5 },
            )
            .unwrap();
        GroupSignature {
            t1,
            t2,
            t3,
            c,
            s_alpha: r_alpha + c * alpha,
            s_beta: r_beta + c * beta,
            s_x: r_x + c * member.x,
            s_delta1: r_delta1 + c * member.x * alpha,
            s_delta2: r_delta2 + c * member.x * beta,
            r3,
        }
    }

    fn entries<'a>(
        signatures: &'a [GroupSignature],
        messages: &'a [[u8; 1]],
    ) -> Vec<BatchEntry<'a>> {
        signatures
            .iter()
            .zip(messages.iter())
            .map(|(signature, m)| BatchEntry {
                context: b"ctx",
                message: m,
                signature,
            })
            .collect()
    }

    #[test]
    fn a_batch_returns_what_verifying_each_returns() {
        let mut rng = VectorRng::new(b"bbs04 batch");
        let manager = GroupManagerKey::generate(&mut rng);
        let other = GroupManagerKey::generate(&mut rng);
        let group = PreparedGroupKey::new(manager.public_key().clone());
        let other_group = PreparedGroupKey::new(other.public_key().clone());
        let members = manager.issue_members(&mut rng, 4);
        let outsider = other.issue_member(&mut rng);
        let messages: Vec<[u8; 1]> = (0..20u8).map(|i| [i]).collect();
        let mut signatures: Vec<GroupSignature> = messages
            .iter()
            .zip(members.iter().cycle())
            .map(|(m, member)| member.sign(&mut rng, &group, b"ctx", m).unwrap())
            .collect();
        let long_context = vec![0u8; 65536];
        // 20 valid signatures: all accepted, through the combined check.
        let results = group.verify_batch(&mut rng, &entries(&signatures, &messages));
        assert_eq!(results, vec![Ok(()); 20]);
        assert!(group.pairing_equations_hold(&mut rng, &signatures.iter().collect::<Vec<_>>()));

        // Bad ones of every kind, among good ones.
        signatures[3] = with_wrong_r3(&mut rng, &group, &members[0], &messages[3]);
        signatures[7] = outsider
            .sign(&mut rng, &other_group, b"ctx", &messages[7])
            .unwrap();
        signatures[11] = with_wrong_r3(&mut rng, &group, &members[1], &messages[11]);
        let mut entries = entries(&signatures, &messages);
        entries[5].message = b"another message";
        entries[9].context = &long_context;
        let results = group.verify_batch(&mut rng, &entries);
        for (i, (got, e)) in results.iter().zip(entries.iter()).enumerate() {
            assert_eq!(
                *got,
                group.verify(e.context, e.message, e.signature),
                "entry {i}"
            );
            let bad = [3, 5, 7, 9, 11].contains(&i);
            assert_eq!(got.is_err(), bad, "entry {i}");
        }
        assert!(matches!(
            results[9],
            Err(Error::ContextTooLong { length: 65536 })
        ));
        // The wrong R3 passes the challenge check, so only the pairing equation catches it.
        assert_eq!(
            group.check_challenge(b"ctx", &messages[3], &signatures[3]),
            Ok(())
        );
        assert!(!group.pairing_equations_hold_alone(&signatures[3]));
        assert!(!group
            .pairing_equations_hold(&mut rng, &[&signatures[0], &signatures[3], &signatures[4]]));

        // A batch of one, and an empty one.
        assert_eq!(
            group.verify_batch(&mut rng, &entries[3..4]),
            vec![Err(Error::InvalidSignature)]
        );
        assert_eq!(group.verify_batch(&mut rng, &entries[4..5]), vec![Ok(())]);
        assert!(group.verify_batch(&mut rng, &[]).is_empty());
    }
}
