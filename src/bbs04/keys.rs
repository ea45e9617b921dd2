//! Group public keys, member keys, member identities and the group manager's key (SPEC.md
//! 4.2-4.4, 4.7 and 4.10).

use super::{Error, GroupSignature, RevocationRecord, Writer, VERSION};
use crate::curve::fixed_base::{ct_multi_mul, CombTable};
use crate::curve::pairing::{pairing_product_is_one, Equation};
use crate::curve::random_nonzero_scalar;
use crate::curve::{G1Affine, G1Projective, G2Affine, G2Prepared, G2Projective, Scalar};
use crate::encoding::{
    g1_in_subgroup, g2_in_subgroup, scalar_to_be, DecodeError, DecodeErrorKind, Reader,
};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use ff::{BatchInverter, Field};
use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// A group's public key: what a verifier needs, with the generation it belongs to.
///
/// Layout (389 bytes): `version (1) || generation u32 || g1 || g2 || h || u || v || w`, G1
/// points 48 bytes and G2 points 96 bytes, compressed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupPublicKey {
    pub(super) generation: u32,
    pub(super) g1: G1Affine,
    pub(super) g2: G2Affine,
    pub(super) h: G1Affine,
    pub(super) u: G1Affine,
    pub(super) v: G1Affine,
    pub(super) w: G2Affine,
}

impl GroupPublicKey {
    /// Bytes in the encoding.
    pub const SIZE: usize = 389;

    /// The generation: 0 for a new group, one more after each revocation.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// The generation of an encoded group key, read from its fixed place (after the version
    /// byte) without decoding the points: `None` if `bytes` is not [`Self::SIZE`] long or has
    /// another version. A server checks a reply's generation this way before it pays for
    /// decoding and preparing the key.
    pub fn generation_of_encoding(bytes: &[u8]) -> Option<u32> {
        if bytes.len() != Self::SIZE || bytes.first() != Some(&VERSION) {
            return None;
        }
        Some(u32::from_be_bytes(bytes.get(1..5)?.try_into().ok()?))
    }

    /// The canonical encoding.
    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut w = Writer::<{ Self::SIZE }>::new();
        w.put(&[VERSION]);
        w.put(&self.generation.to_be_bytes());
        w.put(&self.g1.to_compressed());
        w.put(&self.g2.to_compressed());
        w.put(&self.h.to_compressed());
        w.put(&self.u.to_compressed());
        w.put(&self.v.to_compressed());
        w.put(&self.w.to_compressed());
        w.finish()
    }

    /// Decodes a group public key, rejecting any non-canonical or invalid field.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        let key = Self::read(&mut r)?;
        r.finish("group_key")?;
        Ok(key)
    }

    pub(super) fn read(r: &mut Reader<'_>) -> Result<Self, Error> {
        r.version("group_key.version", VERSION)?;
        Ok(Self {
            generation: r.u32("group_key.generation")?,
            g1: r.g1("group_key.g1")?,
            g2: r.g2("group_key.g2")?,
            h: r.g1("group_key.h")?,
            u: r.g1("group_key.u")?,
            v: r.g1("group_key.v")?,
            w: r.g2("group_key.w")?,
        })
    }

    /// Appends the form the client's state blob stores (SPEC.md 13.1): the layout of
    /// [`GroupPublicKey::to_bytes`] with every point uncompressed (773 bytes).
    pub(crate) fn write_stored(&self, w: &mut crate::encoding::Writer) {
        w.u8(VERSION).u32(self.generation);
        w.bytes(&self.g1.to_uncompressed());
        w.bytes(&self.g2.to_uncompressed());
        w.bytes(&self.h.to_uncompressed());
        w.bytes(&self.u.to_uncompressed());
        w.bytes(&self.v.to_uncompressed());
        w.bytes(&self.w.to_uncompressed());
    }

    /// Reads [`GroupPublicKey::write_stored`]: every point canonical, on its curve and not the
    /// identity. The subgroups are left to [`GroupPublicKey::check_subgroups`], which the
    /// caller must run before the key is used.
    pub(crate) fn read_stored(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.version("group_key.version", VERSION)?;
        Ok(Self {
            generation: r.u32("group_key.generation")?,
            g1: r.g1_stored("group_key.g1")?,
            g2: r.g2_stored("group_key.g2")?,
            h: r.g1_stored("group_key.h")?,
            u: r.g1_stored("group_key.u")?,
            v: r.g1_stored("group_key.v")?,
            w: r.g2_stored("group_key.w")?,
        })
    }

    /// Whether every point is in its subgroup (for a key read by
    /// [`GroupPublicKey::read_stored`]).
    pub(crate) fn check_subgroups(&self) -> Result<(), DecodeError> {
        g1_in_subgroup("group_key.g1", &self.g1)?;
        g2_in_subgroup("group_key.g2", &self.g2)?;
        g1_in_subgroup("group_key.h", &self.h)?;
        g1_in_subgroup("group_key.u", &self.u)?;
        g1_in_subgroup("group_key.v", &self.v)?;
        g2_in_subgroup("group_key.w", &self.w)
    }

    /// The group key of the next generation after `record` (SPEC.md 4.8). Anyone can apply a
    /// record; it is checked with two pairing products first, and its generation must be this
    /// key's generation plus one.
    pub fn apply(&self, record: &RevocationRecord) -> Result<GroupPublicKey, Error> {
        let expected = self
            .generation
            .checked_add(1)
            .ok_or(Error::GenerationExhausted)?;
        if record.generation != expected {
            return Err(Error::WrongGeneration {
                expected,
                found: record.generation,
            });
        }
        let g2 = G2Prepared::from(self.g2);
        let g2_next = G2Prepared::from(record.g2);
        let w = G2Prepared::from(self.w);
        let neg_g1 = -self.g1;
        // e(A*, g2) = e(g1, g2')
        let first = pairing_product_is_one(&[(&record.a, &g2), (&neg_g1, &g2_next)]);
        // e(A*, w * g2^x*) = e(g1, g2), as e(A*, w) * e(x* A* - g1, g2) = 1.
        let shifted = G1Affine::from(record.a * record.x - G1Projective::from(self.g1));
        let second = pairing_product_is_one(&[(&record.a, &w), (&shifted, &g2)]);
        if !(first && second) {
            return Err(Error::InvalidRevocationRecord);
        }
        Ok(GroupPublicKey {
            generation: expected,
            g1: record.a,
            g2: record.g2,
            h: self.h,
            u: self.u,
            v: self.v,
            // w' = g2 * g2'^(-x*) = g2'^gamma.
            w: G2Affine::from(G2Projective::from(self.g2) - record.g2 * record.x),
        })
    }

    /// Whether this key can be a later generation of `earlier`'s group: a later generation
    /// with the same h, u, v (revocations keep them; a rotated group has new ones). Says
    /// nothing about how it was reached: members check their own key (SPEC.md 4.15).
    pub fn follows(&self, earlier: &GroupPublicKey) -> bool {
        self.generation > earlier.generation
            && self.h == earlier.h
            && self.u == earlier.u
            && self.v == earlier.v
    }

    /// Whether `e(a, w * g2^x) = e(g1, g2)`, as `e(a, w) * e(x a - g1, g2) = 1`.
    pub(super) fn holds_member(
        &self,
        a: &G1Affine,
        x: &Scalar,
        g2: &G2Prepared,
        w: &G2Prepared,
    ) -> bool {
        let shifted = G1Affine::from(ct_multi_mul([(a, x)]) - G1Projective::from(self.g1));
        pairing_product_is_one(&[(a, w), (&shifted, g2)])
    }
}

/// Which member a signature came from: the compressed point A of its member key (48 bytes).
/// [`GroupManagerKey::open`] returns it and [`MemberKey::id`] computes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemberId([u8; 48]);

impl MemberId {
    /// Bytes in the encoding.
    pub const SIZE: usize = 48;

    /// The compressed point A.
    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        self.0
    }

    /// Decodes a member id: a valid, non-identity G1 point in compressed form.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        let a = r.g1("member_id")?;
        r.finish("member_id")?;
        Ok(Self(a.to_compressed()))
    }

    pub(super) fn of(a: &G1Affine) -> Self {
        Self(a.to_compressed())
    }

    /// A member id as the client's state blob stores it (SPEC.md 13.1): 48 bytes whose flags
    /// say "compressed, not the identity", not decompressed. A stored id is only compared with
    /// the ids [`GroupManagerKey::open`] computes from verified signatures (which are points),
    /// never computed with, so bytes that are no point simply match nothing.
    pub(crate) fn read_stored(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let bytes: [u8; 48] = r.array("member_id")?;
        // Bit 7: compressed; bit 6: the identity.
        if bytes[0] & 0xc0 != 0x80 {
            return Err(DecodeError::new("member_id", DecodeErrorKind::InvalidPoint));
        }
        Ok(Self(bytes))
    }
}

/// A member's secret key (A, x) with `A = g1^(1/(gamma + x))`, and the generation of the group
/// key it belongs to.
///
/// Layout (85 bytes): `version (1) || generation u32 || A (48) || x (32, non-zero)`.
/// Decoding checks the structure only; [`MemberKey::check`] checks the key against a group
/// key.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct MemberKey {
    pub(super) generation: u32,
    pub(super) a: G1Affine,
    pub(super) x: Scalar,
}

impl MemberKey {
    /// Bytes in the encoding.
    pub const SIZE: usize = 85;

    /// The generation of the group key this member key belongs to.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// The member's identity, as [`GroupManagerKey::open`] reports it.
    pub fn id(&self) -> MemberId {
        MemberId::of(&self.a)
    }

    /// The canonical encoding. It holds the secret x: keep it secret (the bytes are wiped when
    /// dropped).
    pub fn to_bytes(&self) -> Zeroizing<[u8; Self::SIZE]> {
        let mut w = Writer::<{ Self::SIZE }>::new();
        w.put(&[VERSION]);
        w.put(&self.generation.to_be_bytes());
        w.put(&self.a.to_compressed());
        let mut x = scalar_to_be(&self.x);
        w.put(&x);
        x.zeroize();
        Zeroizing::new(w.finish())
    }

    /// Decodes a member key (structure only: see [`MemberKey::check`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        r.version("member_key.version", VERSION)?;
        let key = Self {
            generation: r.u32("member_key.generation")?,
            a: r.g1("member_key.A")?,
            x: r.nonzero_scalar("member_key.x")?,
        };
        r.finish("member_key")?;
        Ok(key)
    }

    /// Appends the form the client's state blob stores (SPEC.md 13.1): the layout of
    /// [`MemberKey::to_bytes`] with A uncompressed (133 bytes). It holds the secret x.
    pub(crate) fn write_stored(&self, w: &mut crate::encoding::Writer) {
        w.u8(VERSION).u32(self.generation);
        w.bytes(&self.a.to_uncompressed());
        let mut x = scalar_to_be(&self.x);
        w.bytes(&x);
        x.zeroize();
    }

    /// Reads [`MemberKey::write_stored`]: A canonical, on the curve and not the identity, x
    /// canonical and non-zero. A's subgroup is left to [`MemberKey::check_subgroups`], which
    /// the caller must run before the key is used.
    pub(crate) fn read_stored(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.version("member_key.version", VERSION)?;
        Ok(Self {
            generation: r.u32("member_key.generation")?,
            a: r.g1_stored("member_key.A")?,
            x: r.nonzero_scalar("member_key.x")?,
        })
    }

    /// Whether A is in G1 (for a key read by [`MemberKey::read_stored`]).
    pub(crate) fn check_subgroups(&self) -> Result<(), DecodeError> {
        g1_in_subgroup("member_key.A", &self.a)
    }

    /// Checks that this key belongs to `group`: same generation and
    /// `e(A, w * g2^x) = e(g1, g2)`. Costs a pairing product.
    pub fn check(&self, group: &GroupPublicKey) -> Result<(), Error> {
        self.check_generation(group)?;
        let g2 = G2Prepared::from(group.g2);
        let w = G2Prepared::from(group.w);
        if group.holds_member(&self.a, &self.x, &g2, &w) {
            Ok(())
        } else {
            Err(Error::NotAMember)
        }
    }

    /// The pairing equation `e(A, w) * e(x A - g1, g2) = 1` of [`Self::check`], for checking
    /// together with others (the generation is not part of it).
    pub(crate) fn membership_equation(&self, group: &GroupPublicKey) -> Equation {
        let shifted =
            G1Affine::from(ct_multi_mul([(&self.a, &self.x)]) - G1Projective::from(group.g1));
        [(self.a, group.w), (shifted, group.g2)]
    }

    pub(crate) fn check_generation(&self, group: &GroupPublicKey) -> Result<(), Error> {
        if self.generation == group.generation {
            Ok(())
        } else {
            Err(Error::GenerationMismatch {
                member: self.generation,
                group: group.generation,
            })
        }
    }
}

impl ConstantTimeEq for MemberKey {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        self.generation.ct_eq(&other.generation) & self.a.ct_eq(&other.a) & self.x.ct_eq(&other.x)
    }
}

impl PartialEq for MemberKey {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for MemberKey {}

impl fmt::Debug for MemberKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemberKey")
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

/// The group manager's key: the secrets xi1, xi2 (to open signatures) and gamma (to issue and
/// revoke member keys), and the current group public key.
///
/// Layout (486 bytes): `version (1) || xi1 (32) || xi2 (32) || gamma (32) || group key (389)`,
/// scalars non-zero. Decoding checks `u^xi1 = v^xi2 = h` and `w = g2^gamma`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct GroupManagerKey {
    xi1: Scalar,
    xi2: Scalar,
    gamma: Scalar,
    #[zeroize(skip)]
    public: GroupPublicKey,
}

impl GroupManagerKey {
    /// Bytes in the encoding.
    pub const SIZE: usize = 486;

    /// A new group at generation 0. Draws, in this order, the non-zero scalars t_g1, t_h, t_g2,
    /// xi1, xi2, gamma (SPEC.md 4.3).
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut t_g1 = random_nonzero_scalar(rng);
        let mut t_h = random_nonzero_scalar(rng);
        let mut t_g2 = random_nonzero_scalar(rng);
        let xi1 = random_nonzero_scalar(rng);
        let xi2 = random_nonzero_scalar(rng);
        let gamma = random_nonzero_scalar(rng);
        let g1 = G1Projective::generator() * t_g1;
        let h = G1Projective::generator() * t_h;
        let g2 = G2Projective::generator() * t_g2;
        let mut inverses = [xi1, xi2];
        let mut scratch = [Scalar::ZERO; 2];
        BatchInverter::invert_with_external_scratch(&mut inverses, &mut scratch);
        let [inv1, inv2] = inverses;
        let h_affine = G1Affine::from(h);
        let u = ct_multi_mul([(&h_affine, &inv1)]);
        let v = ct_multi_mul([(&h_affine, &inv2)]);
        let w = g2 * gamma;
        let mut g1_points = [G1Affine::identity(); 4];
        G1Projective::batch_normalize(&[g1, h, u, v], &mut g1_points);
        let [g1, h, u, v] = g1_points;
        for s in [&mut t_g1, &mut t_h, &mut t_g2] {
            s.zeroize();
        }
        inverses.zeroize();
        scratch.zeroize();
        Self {
            xi1,
            xi2,
            gamma,
            public: GroupPublicKey {
                generation: 0,
                g1,
                g2: G2Affine::from(g2),
                h,
                u,
                v,
                w: G2Affine::from(w),
            },
        }
    }

    /// The current group public key.
    pub fn public_key(&self) -> &GroupPublicKey {
        &self.public
    }

    /// Issues one member key of the current generation (SPEC.md 4.4).
    pub fn issue_member<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> MemberKey {
        let (x, mut inverse) = self.draw_x(rng);
        let a = ct_multi_mul([(&self.public.g1, &inverse)]);
        inverse.zeroize();
        MemberKey {
            generation: self.public.generation,
            a: G1Affine::from(a),
            x,
        }
    }

    /// Issues `n` member keys: the same keys, drawn in the same order, as `n` calls of
    /// [`GroupManagerKey::issue_member`], computed with one batch inversion, a fixed-base table
    /// for g1 and one batch normalisation.
    pub fn issue_members<R: CryptoRng + ?Sized>(&self, rng: &mut R, n: usize) -> Vec<MemberKey> {
        let mut xs = Vec::with_capacity(n);
        let mut inverses = Vec::with_capacity(n);
        for _ in 0..n {
            let (x, d) = self.draw_x_uninverted(rng);
            xs.push(x);
            inverses.push(d);
        }
        let mut scratch = vec![Scalar::ZERO; n];
        BatchInverter::invert_with_external_scratch(&mut inverses, &mut scratch);
        let table = CombTable::new(&self.public.g1);
        let mut projective: Vec<G1Projective> = inverses.iter().map(|d| table.mul(d)).collect();
        let mut affine = vec![G1Affine::identity(); n];
        G1Projective::batch_normalize(&projective, &mut affine);
        inverses.zeroize();
        scratch.zeroize();
        projective.zeroize();
        let keys = xs
            .iter()
            .zip(affine.iter())
            .map(|(x, a)| MemberKey {
                generation: self.public.generation,
                a: *a,
                x: *x,
            })
            .collect();
        xs.zeroize();
        affine.zeroize();
        keys
    }

    /// The keys of the current generation for members holding `members` (of any earlier
    /// generation): the same x, with `A' = g1'^(1/(gamma + x))` (SPEC.md 4.15). What the
    /// manager puts in a checkpoint after a revocation; one batch inversion and a fixed-base
    /// table for g1. Fails with [`Error::NotAMember`] if gamma + x is zero for one of them.
    pub fn reissue(&self, members: &[MemberKey]) -> Result<Vec<MemberKey>, Error> {
        let mut inverses: Vec<Scalar> = members.iter().map(|m| self.gamma + m.x).collect();
        let any_zero = inverses
            .iter()
            .fold(subtle::Choice::from(0), |acc, d| acc | d.is_zero());
        if bool::from(any_zero) {
            inverses.zeroize();
            return Err(Error::NotAMember);
        }
        let mut scratch = vec![Scalar::ZERO; members.len()];
        BatchInverter::invert_with_external_scratch(&mut inverses, &mut scratch);
        scratch.zeroize();
        let table = CombTable::new(&self.public.g1);
        let mut projective: Vec<G1Projective> = inverses.iter().map(|d| table.mul(d)).collect();
        inverses.zeroize();
        let mut affine = vec![G1Affine::identity(); members.len()];
        G1Projective::batch_normalize(&projective, &mut affine);
        projective.zeroize();
        let keys = members
            .iter()
            .zip(affine.iter())
            .map(|(m, a)| MemberKey {
                generation: self.public.generation,
                a: *a,
                x: m.x,
            })
            .collect();
        affine.zeroize();
        Ok(keys)
    }

    /// Draws x (non-zero, gamma + x non-zero) and returns it with gamma + x.
    fn draw_x_uninverted<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> (Scalar, Scalar) {
        loop {
            let x = random_nonzero_scalar(rng);
            let d = self.gamma + x;
            // Probability about 2^-255; the draw is repeated (SPEC.md 4.4).
            if !bool::from(d.is_zero()) {
                return (x, d);
            }
        }
    }

    /// Draws x as [`Self::draw_x_uninverted`] and returns it with 1/(gamma + x).
    fn draw_x<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> (Scalar, Scalar) {
        let (x, mut d) = self.draw_x_uninverted(rng);
        let inverse = d.invert().unwrap_or(Scalar::ZERO);
        d.zeroize();
        (x, inverse)
    }

    /// Opens a signature: the member that made it, `A = T3 / (T1^xi1 * T2^xi2)` (SPEC.md 4.7).
    /// The signature is not verified: for an invalid one the result names nobody. See
    /// [`GroupManagerKey::open_verified`].
    pub fn open(&self, signature: &GroupSignature) -> MemberId {
        let blind = ct_multi_mul([(&signature.t1, &self.xi1), (&signature.t2, &self.xi2)]);
        MemberId::of(&G1Affine::from(G1Projective::from(signature.t3) - blind))
    }

    /// Verifies the signature against `group` (which must be this manager's current group
    /// key), then opens it.
    pub fn open_verified(
        &self,
        group: &super::PreparedGroupKey,
        context: &[u8],
        message: &[u8],
        signature: &GroupSignature,
    ) -> Result<MemberId, Error> {
        if group.group_key() != &self.public {
            return Err(Error::GroupMismatch);
        }
        group.verify(context, message, signature)?;
        Ok(self.open(signature))
    }

    /// Revokes `member` (SPEC.md 4.8): returns the record to publish and moves this key to the
    /// next generation. The member must belong to the current generation.
    pub fn revoke(&mut self, member: &MemberKey) -> Result<RevocationRecord, Error> {
        member.check_generation(&self.public)?;
        let generation = self
            .public
            .generation
            .checked_add(1)
            .ok_or(Error::GenerationExhausted)?;
        let mut d = self.gamma + member.x;
        // (gamma + x) A = g1 holds exactly for keys this manager issued at this generation.
        let issued = ct_multi_mul([(&member.a, &d)]);
        if !bool::from(G1Affine::from(issued).ct_eq(&self.public.g1)) {
            d.zeroize();
            return Err(Error::NotAMember);
        }
        let mut inverse = d.invert().unwrap_or(Scalar::ZERO);
        d.zeroize();
        let g2_next = G2Projective::from(self.public.g2) * inverse;
        inverse.zeroize();
        let w_next = g2_next * self.gamma;
        let mut points = [G2Affine::identity(); 2];
        G2Projective::batch_normalize(&[g2_next, w_next], &mut points);
        let [g2_next, w_next] = points;
        let record = RevocationRecord {
            generation,
            a: member.a,
            x: member.x,
            g2: g2_next,
        };
        self.public = GroupPublicKey {
            generation,
            g1: member.a,
            g2: g2_next,
            h: self.public.h,
            u: self.public.u,
            v: self.public.v,
            w: w_next,
        };
        Ok(record)
    }

    /// The canonical encoding. It holds the group's secrets: keep it secret (the bytes are wiped
    /// when dropped).
    pub fn to_bytes(&self) -> Zeroizing<[u8; Self::SIZE]> {
        let mut w = Writer::<{ Self::SIZE }>::new();
        w.put(&[VERSION]);
        for s in [&self.xi1, &self.xi2, &self.gamma] {
            let mut b = scalar_to_be(s);
            w.put(&b);
            b.zeroize();
        }
        w.put(&self.public.to_bytes());
        Zeroizing::new(w.finish())
    }

    /// Decodes a manager key and checks that its secrets match its group key.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        r.version("manager_key.version", VERSION)?;
        let xi1 = r.nonzero_scalar("manager_key.xi1")?;
        let xi2 = r.nonzero_scalar("manager_key.xi2")?;
        let gamma = r.nonzero_scalar("manager_key.gamma")?;
        let public = GroupPublicKey::read(&mut r)?;
        r.finish("manager_key")?;
        let key = Self {
            xi1,
            xi2,
            gamma,
            public,
        };
        let u_ok = G1Affine::from(ct_multi_mul([(&key.public.u, &key.xi1)])).ct_eq(&key.public.h);
        let v_ok = G1Affine::from(ct_multi_mul([(&key.public.v, &key.xi2)])).ct_eq(&key.public.h);
        let w_ok = G2Affine::from(key.public.g2 * key.gamma).ct_eq(&key.public.w);
        if bool::from(u_ok & v_ok & w_ok) {
            Ok(key)
        } else {
            Err(Error::InconsistentManagerKey)
        }
    }
}

impl fmt::Debug for GroupManagerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupManagerKey")
            .field("generation", &self.public.generation)
            .finish_non_exhaustive()
    }
}
