//! Signatures and signing (SPEC.md 4.5 and 4.10).

use super::prepared::{context_len, Commitments};
use super::{Error, MemberKey, PreparedGroupKey, RevocationRecord, Writer};
use crate::curve::fixed_base::CombTable;
use crate::curve::gt::{GtElement, GT_BYTES};
use crate::curve::pairing::pairing_product;
use crate::curve::{random_nonzero_scalar, random_scalar};
use crate::curve::{G1Affine, G1Projective, Scalar};
use crate::encoding::{scalar_to_be, Reader};
use core::fmt;
use rand_core::CryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A group signature: (T1, T2, T3, c, s_alpha, s_beta, s_x, s_delta1, s_delta2, R3).
///
/// Layout (913 bytes): `version (1) = 2 || T1 || T2 || T3 (48 each) || c || s_alpha || s_beta
/// || s_x || s_delta1 || s_delta2 (32 each) || R3 (576)`. R3, the commitment in GT, travels so
/// that a server can check many signatures' pairing equations at once
/// ([`PreparedGroupKey::verify_batch`](super::PreparedGroupKey::verify_batch)). Decoding rejects
/// identity and invalid points, scalars >= r and an R3 outside GT, so a valid signature has
/// exactly one encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupSignature {
    pub(super) t1: G1Affine,
    pub(super) t2: G1Affine,
    pub(super) t3: G1Affine,
    pub(super) c: Scalar,
    pub(super) s_alpha: Scalar,
    pub(super) s_beta: Scalar,
    pub(super) s_x: Scalar,
    pub(super) s_delta1: Scalar,
    pub(super) s_delta2: Scalar,
    pub(super) r3: GtElement,
}

/// The signature's version byte: 2 since R3 is part of it (SPEC.md 4.5).
const SIGNATURE_VERSION: u8 = 2;

impl GroupSignature {
    /// Bytes in the encoding.
    pub const SIZE: usize = 1 + 3 * 48 + 6 * 32 + GT_BYTES;

    /// The canonical encoding.
    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut w = Writer::<{ Self::SIZE }>::new();
        w.put(&[SIGNATURE_VERSION]);
        for t in [&self.t1, &self.t2, &self.t3] {
            w.put(&t.to_compressed());
        }
        for s in [
            &self.c,
            &self.s_alpha,
            &self.s_beta,
            &self.s_x,
            &self.s_delta1,
            &self.s_delta2,
        ] {
            w.put(&scalar_to_be(s));
        }
        w.put(&self.r3.to_bytes());
        w.finish()
    }

    /// Decodes a signature, rejecting any non-canonical or invalid field.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        r.version("signature.version", SIGNATURE_VERSION)?;
        let sig = Self {
            t1: r.g1("signature.T1")?,
            t2: r.g1("signature.T2")?,
            t3: r.g1("signature.T3")?,
            c: r.scalar("signature.c")?,
            s_alpha: r.scalar("signature.s_alpha")?,
            s_beta: r.scalar("signature.s_beta")?,
            s_x: r.scalar("signature.s_x")?,
            s_delta1: r.scalar("signature.s_delta1")?,
            s_delta2: r.scalar("signature.s_delta2")?,
            r3: r.gt("signature.R3")?,
        };
        r.finish("signature")?;
        Ok(sig)
    }
}

/// Constant-time fixed-base tables for the bases signing multiplies by secret scalars.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
struct SigningTables {
    u: CombTable,
    v: CombTable,
    h: CombTable,
    a: CombTable,
}

impl SigningTables {
    fn new(member: &MemberKey, group: &PreparedGroupKey) -> Self {
        let key = group.group_key();
        Self {
            u: CombTable::new(&key.u),
            v: CombTable::new(&key.v),
            h: CombTable::new(&key.h),
            a: CombTable::new(&member.a),
        }
    }
}

/// The secret scalars of one signature, zeroized when dropped.
#[derive(Zeroize, ZeroizeOnDrop)]
struct Nonces {
    alpha: Scalar,
    beta: Scalar,
    r_alpha: Scalar,
    r_beta: Scalar,
    r_x: Scalar,
    r_delta1: Scalar,
    r_delta2: Scalar,
}

impl Nonces {
    /// Draws, in this order: alpha, beta (non-zero), r_alpha, r_beta, r_x, r_delta1, r_delta2.
    fn draw<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self {
            alpha: random_nonzero_scalar(rng),
            beta: random_nonzero_scalar(rng),
            r_alpha: random_scalar(rng),
            r_beta: random_scalar(rng),
            r_x: random_scalar(rng),
            r_delta1: random_scalar(rng),
            r_delta2: random_scalar(rng),
        }
    }
}

/// Signs with precomputed tables (SPEC.md 4.5); the caller has checked that the member key and
/// the group key are of the same generation. Every secret goes through constant-time
/// arithmetic: scalar field operations, comb-table multiplications and the pairing.
fn sign_with<R: CryptoRng + ?Sized>(
    member: &MemberKey,
    group: &PreparedGroupKey,
    tables: &SigningTables,
    rng: &mut R,
    context: &[u8],
    message: &[u8],
) -> Result<GroupSignature, Error> {
    // Fail before drawing any randomness (SPEC.md 4.5 step 1).
    context_len(context)?;
    loop {
        let n = Nonces::draw(rng);
        let mut sum = n.alpha + n.beta;
        let mut e4 = n.alpha * n.r_x - n.r_delta1;
        let mut e5 = n.beta * n.r_x - n.r_delta2;
        let mut e_g2 = sum * n.r_x - n.r_delta1 - n.r_delta2;
        let mut e_w = -(n.r_alpha + n.r_beta);
        let mut projective = [
            tables.u.mul(&n.alpha),
            tables.v.mul(&n.beta),
            tables.h.mul(&sum) + member.a,
            tables.u.mul(&n.r_alpha),
            tables.v.mul(&n.r_beta),
            tables.u.mul(&e4),
            tables.v.mul(&e5),
            tables.a.mul(&n.r_x) + tables.h.mul(&e_g2),
            tables.h.mul(&e_w),
        ];
        for s in [&mut sum, &mut e4, &mut e5, &mut e_g2, &mut e_w] {
            s.zeroize();
        }
        let mut affine = [G1Affine::identity(); 9];
        G1Projective::batch_normalize(&projective, &mut affine);
        projective.zeroize();
        let [t1, t2, t3, r1, r2, r4, r5, mut p, mut q] = affine;
        affine.zeroize();
        // T1 and T2 are never the identity (alpha, beta != 0); T3 is with probability 2^-255,
        // and then the signer starts over.
        if bool::from(t3.is_identity()) {
            continue;
        }
        // R3 = e(T3, g2)^r_x * e(h, w)^-(r_alpha + r_beta) * e(h, g2)^-(r_delta1 + r_delta2)
        let r3 = GtElement::from_gt(&pairing_product(&[(&p, &group.g2), (&q, &group.w)]));
        p.zeroize();
        q.zeroize();
        let c = group.challenge(
            context,
            message,
            [&t1, &t2, &t3],
            &Commitments { r1, r2, r3, r4, r5 },
        )?;
        let mut delta1 = member.x * n.alpha;
        let mut delta2 = member.x * n.beta;
        let signature = GroupSignature {
            t1,
            t2,
            t3,
            c,
            s_alpha: n.r_alpha + c * n.alpha,
            s_beta: n.r_beta + c * n.beta,
            s_x: n.r_x + c * member.x,
            s_delta1: n.r_delta1 + c * delta1,
            s_delta2: n.r_delta2 + c * delta2,
            r3,
        };
        delta1.zeroize();
        delta2.zeroize();
        return Ok(signature);
    }
}

impl MemberKey {
    /// Signs `message` under `group` and `context` (SPEC.md 4.5). The member key must belong to
    /// the group key's generation. This builds the signing tables for this one signature; a
    /// member that signs repeatedly keeps a [`Signer`] instead.
    pub fn sign<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        group: &PreparedGroupKey,
        context: &[u8],
        message: &[u8],
    ) -> Result<GroupSignature, Error> {
        self.check_generation(group.group_key())?;
        let tables = SigningTables::new(self, group);
        sign_with(self, group, &tables, rng, context, message)
    }
}

/// A member key ready to sign: the key, the prepared group key and constant-time fixed-base
/// tables for u, v, h and the member's A. A client builds one per group it replies to and
/// rebuilds it with [`Signer::update`] after a revocation.
#[derive(Clone)]
pub struct Signer {
    member: MemberKey,
    group: PreparedGroupKey,
    tables: SigningTables,
}

impl Signer {
    /// Checks that `member` belongs to `group` (a pairing product) and builds the tables.
    pub fn new(member: &MemberKey, group: &PreparedGroupKey) -> Result<Self, Error> {
        member.check_generation(group.group_key())?;
        if !group
            .group_key()
            .holds_member(&member.a, &member.x, &group.g2, &group.w)
        {
            return Err(Error::NotAMember);
        }
        Ok(Self::new_unchecked(member.clone(), group.clone()))
    }

    fn new_unchecked(member: MemberKey, group: PreparedGroupKey) -> Self {
        let tables = SigningTables::new(&member, &group);
        Self {
            member,
            group,
            tables,
        }
    }

    /// Signs `message` under the group key and `context` (SPEC.md 4.5).
    pub fn sign<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        context: &[u8],
        message: &[u8],
    ) -> Result<GroupSignature, Error> {
        sign_with(
            &self.member,
            &self.group,
            &self.tables,
            rng,
            context,
            message,
        )
    }

    /// Applies a revocation record: the next generation's group key and member key, with
    /// tables rebuilt. Fails with [`Error::Revoked`] for the revoked member.
    pub fn update(&self, record: &RevocationRecord) -> Result<Self, Error> {
        let next = self.group.group_key().apply(record)?;
        let group = PreparedGroupKey::new(next);
        let member = self.member.update_to(record, &group)?;
        Ok(Self::new_unchecked(member, group))
    }

    /// The member key.
    pub fn member_key(&self) -> &MemberKey {
        &self.member
    }

    /// The prepared group key.
    pub fn group(&self) -> &PreparedGroupKey {
        &self.group
    }

    /// Heap bytes held: the prepared group key and the four signing tables.
    pub fn heap_bytes(&self) -> usize {
        let t = &self.tables;
        [&t.u, &t.v, &t.h, &t.a]
            .iter()
            .map(|table| table.heap_bytes())
            .fold(self.group.heap_bytes(), usize::saturating_add)
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("member", &self.member)
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}
