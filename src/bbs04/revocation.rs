//! Revocation records and member updates (SPEC.md 4.8 and 4.9).

use super::{Error, GroupPublicKey, MemberId, MemberKey, PreparedGroupKey, Writer, VERSION};
use crate::curve::fixed_base::ct_multi_mul;
use crate::curve::{G1Affine, G1Projective, G2Affine, G2Prepared, Scalar};
use crate::encoding::{scalar_to_be, Reader};
use ff::Field;
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// What the manager publishes to revoke the member (A*, x*): the next generation, A*, x* and
/// `g2' = g2^(1/(gamma + x*))`. The next group key is `g1' = A*`, `g2'`, `w' = g2 * g2'^(-x*)`
/// with h, u, v unchanged.
///
/// Layout (181 bytes): `version (1) || generation u32 || A* (48) || x* (32, non-zero) ||
/// g2' (96)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevocationRecord {
    pub(super) generation: u32,
    pub(super) a: G1Affine,
    pub(super) x: Scalar,
    pub(super) g2: G2Affine,
}

impl RevocationRecord {
    /// Bytes in the encoding.
    pub const SIZE: usize = 181;

    /// The generation of the group key this record produces.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// The revoked member, as [`super::GroupManagerKey::open`] named it before the revocation.
    pub fn revoked(&self) -> MemberId {
        MemberId::of(&self.a)
    }

    /// The canonical encoding.
    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut w = Writer::<{ Self::SIZE }>::new();
        w.put(&[VERSION]);
        w.put(&self.generation.to_be_bytes());
        w.put(&self.a.to_compressed());
        w.put(&scalar_to_be(&self.x));
        w.put(&self.g2.to_compressed());
        w.finish()
    }

    /// Decodes a record, rejecting any non-canonical or invalid field. Its pairing checks run
    /// when it is applied ([`GroupPublicKey::apply`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        r.version("revocation.version", VERSION)?;
        let record = Self {
            generation: r.u32("revocation.generation")?,
            a: r.g1("revocation.A")?,
            x: r.nonzero_scalar("revocation.x")?,
            g2: r.g2("revocation.g2")?,
        };
        r.finish("revocation")?;
        Ok(record)
    }
}

impl MemberKey {
    /// This member's key for the generation after `record`, which is applied to `old` (this
    /// key's group key) and checked first (SPEC.md 4.9). Fails with [`Error::Revoked`] for the
    /// revoked member. The caller gets the next group key from `old.apply(record)`.
    pub fn update(
        &self,
        record: &RevocationRecord,
        old: &GroupPublicKey,
    ) -> Result<MemberKey, Error> {
        self.check_generation(old)?;
        let next = old.apply(record)?;
        let g2 = G2Prepared::from(next.g2);
        let w = G2Prepared::from(next.w);
        self.update_checked(record, &next, &g2, &w)
    }

    /// [`MemberKey::update`] for a record already applied to this key's group, giving `next`.
    pub(super) fn update_to(
        &self,
        record: &RevocationRecord,
        next: &PreparedGroupKey,
    ) -> Result<MemberKey, Error> {
        self.update_checked(record, next.group_key(), &next.g2, &next.w)
    }

    fn update_checked(
        &self,
        record: &RevocationRecord,
        next: &GroupPublicKey,
        g2: &G2Prepared,
        w: &G2Prepared,
    ) -> Result<MemberKey, Error> {
        if bool::from(self.x.ct_eq(&record.x)) {
            return Err(Error::Revoked);
        }
        // A' = (A* / A)^(1/(x - x*))
        let mut d = self.x - record.x;
        let mut inverse = d.invert().unwrap_or(Scalar::ZERO);
        d.zeroize();
        let quotient = G1Projective::from(record.a) - self.a;
        let a = G1Affine::from(ct_multi_mul([(&G1Affine::from(quotient), &inverse)]));
        inverse.zeroize();
        // e(A', w' * g2'^x) = e(g1', g2') fails only if this key did not belong to the old group.
        if !next.holds_member(&a, &self.x, g2, w) {
            return Err(Error::NotAMember);
        }
        Ok(MemberKey {
            generation: next.generation,
            a,
            x: self.x,
        })
    }
}
