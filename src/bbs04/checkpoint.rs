//! Checkpoints: every remaining member's key of one generation, masked for that member alone,
//! so that a member any number of generations behind catches up in one step (SPEC.md 4.15).

use super::{Error, GroupPublicKey, MemberKey, VERSION};
use crate::curve::{G2Prepared, Scalar};
use crate::encoding::{dst_len, g1_from_bytes, scalar_to_be, DecodeError, DecodeErrorKind, Reader};
use alloc::vec::Vec;
use rand_core::CryptoRng;
use sha2::{Digest, Sha256, Sha512};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroize;

/// Domain-separation tag of an entry's tag (SPEC.md 2.3).
const TAG_DST: &[u8] = b"blindpost/v1/bbs04/checkpoint-tag";
/// Domain-separation tag of an entry's mask (SPEC.md 2.3).
const MASK_DST: &[u8] = b"blindpost/v1/bbs04/checkpoint-mask";

/// The most entries of a checkpoint, so the most members a group may keep at a revocation.
pub const MAX_CHECKPOINT_ENTRIES: usize = 1024;
/// The fewest entries of a checkpoint: small groups are padded to this many.
pub const MIN_CHECKPOINT_ENTRIES: usize = 16;

/// Bytes of an entry's tag.
const TAG_LEN: usize = 16;
/// Bytes of an entry's masked point.
const MASKED_LEN: usize = 48;
/// Bytes before the entries: version, generation, count.
const HEADER_LEN: usize = 1 + 4 + 2;
/// Bytes of one entry.
const ENTRY_LEN: usize = TAG_LEN + MASKED_LEN;

/// One entry: the tag that names a member in this generation, and its member point A XOR the
/// member's mask (or, for padding, uniformly random bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    tag: [u8; TAG_LEN],
    masked: [u8; MASKED_LEN],
}

/// The member keys of one generation, each masked so that only its member can find and read
/// it, padded to a power of two with random entries: what the group manager uploads with a
/// revocation and the server hands, unchanged, to every member who fetches the group key.
///
/// Layout (`7 + 64 n` bytes): `version (1) || generation u32 || n u16 || n x (tag (16) ||
/// masked A (48))`, tags strictly ascending, n a power of two in
/// [[`MIN_CHECKPOINT_ENTRIES`], [`MAX_CHECKPOINT_ENTRIES`]].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    generation: u32,
    entries: Vec<Entry>,
}

impl Checkpoint {
    /// The checkpoint of `group` for `members`, which must all be keys of `group`'s generation
    /// (at most [`MAX_CHECKPOINT_ENTRIES`], no key twice), padded with random entries drawn
    /// from `rng`.
    pub fn new<R: CryptoRng + ?Sized>(
        rng: &mut R,
        group: &GroupPublicKey,
        members: &[MemberKey],
    ) -> Result<Self, Error> {
        if members.len() > MAX_CHECKPOINT_ENTRIES {
            return Err(Error::TooManyMembers {
                count: members.len(),
                max: MAX_CHECKPOINT_ENTRIES,
            });
        }
        let group_bytes = group.to_bytes();
        let mut entries = Vec::with_capacity(MAX_CHECKPOINT_ENTRIES.min(members.len().max(1)));
        for member in members {
            member.check_generation(group)?;
            let (tag, mut mask) = tag_and_mask(&group_bytes, &member.x);
            let a = member.a.to_compressed();
            let mut masked = [0u8; MASKED_LEN];
            for ((m, k), p) in masked.iter_mut().zip(mask.iter()).zip(a.iter()) {
                *m = k ^ p;
            }
            mask.zeroize();
            entries.push(Entry { tag, masked });
        }
        entries.sort_unstable_by_key(|e| e.tag);
        if entries
            .windows(2)
            .any(|w| matches!(w, [a, b] if a.tag == b.tag))
        {
            return Err(Error::DuplicateMember);
        }
        let n = entry_count(members.len());
        while entries.len() < n {
            let mut dummy = Entry {
                tag: [0; TAG_LEN],
                masked: [0; MASKED_LEN],
            };
            rng.fill_bytes(&mut dummy.tag);
            rng.fill_bytes(&mut dummy.masked);
            // A random tag equal to another has probability about 2^-118; it is drawn again.
            if let Err(at) = entries.binary_search_by(|e| e.tag.cmp(&dummy.tag)) {
                entries.insert(at, dummy);
            }
        }
        Ok(Self {
            generation: group.generation,
            entries,
        })
    }

    /// The generation of the member keys inside.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// How many entries (members and padding) it holds: a power of two.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Never true: a checkpoint holds at least [`MIN_CHECKPOINT_ENTRIES`] entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Bytes in the encoding.
    pub fn encoded_len(&self) -> usize {
        self.entries
            .len()
            .saturating_mul(ENTRY_LEN)
            .saturating_add(HEADER_LEN)
    }

    /// The canonical encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        out.push(VERSION);
        out.extend_from_slice(&self.generation.to_be_bytes());
        // At most MAX_CHECKPOINT_ENTRIES, which fits a u16.
        let n = u16::try_from(self.entries.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&n.to_be_bytes());
        for e in &self.entries {
            out.extend_from_slice(&e.tag);
            out.extend_from_slice(&e.masked);
        }
        out
    }

    /// Decodes a checkpoint, refusing a count that is not a power of two in
    /// [[`MIN_CHECKPOINT_ENTRIES`], [`MAX_CHECKPOINT_ENTRIES`]], tags that are not strictly
    /// ascending, and trailing bytes. No point is decoded (the entries are opaque until a
    /// member unmasks its own).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        let checkpoint = Self::read(&mut r)?;
        r.finish("checkpoint")?;
        Ok(checkpoint)
    }

    /// Reads a checkpoint from the front of `r` (its count says where it ends).
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, Error> {
        r.version("checkpoint.version", VERSION)?;
        let generation = r.u32("checkpoint.generation")?;
        let n = usize::from(r.u16("checkpoint.count")?);
        if !n.is_power_of_two() || !(MIN_CHECKPOINT_ENTRIES..=MAX_CHECKPOINT_ENTRIES).contains(&n) {
            return Err(invalid("checkpoint.count"));
        }
        let mut entries: Vec<Entry> = Vec::with_capacity(n);
        for _ in 0..n {
            let entry = Entry {
                tag: r.array("checkpoint.tag")?,
                masked: r.array("checkpoint.masked")?,
            };
            if entries.last().is_some_and(|last| last.tag >= entry.tag) {
                return Err(invalid("checkpoint.tag"));
            }
            entries.push(entry);
        }
        Ok(Self {
            generation,
            entries,
        })
    }

    /// The masked point of the entry tagged `tag`, found by looking at every entry, so that
    /// the time taken does not depend on where (or whether) it is.
    fn find(&self, tag: &[u8; TAG_LEN]) -> Option<[u8; MASKED_LEN]> {
        let mut found = Choice::from(0);
        let mut masked = [0u8; MASKED_LEN];
        for e in &self.entries {
            let here = e.tag.ct_eq(tag);
            for (m, x) in masked.iter_mut().zip(e.masked.iter()) {
                m.conditional_assign(x, here);
            }
            found |= here;
        }
        bool::from(found).then_some(masked)
    }
}

impl MemberKey {
    /// This member's key for `group`, caught up from any earlier generation through
    /// `checkpoint` (SPEC.md 4.15): unchanged if already of `group`'s generation; otherwise the
    /// checkpoint must be of that generation, hold this member's entry ([`Error::Revoked`] if
    /// not: revoked, or the group moved on without this member) and unmask to a point A' with
    /// `e(A', w' g2'^x) = e(g1', g2')` ([`Error::NotAMember`] if not).
    pub fn catch_up(
        &self,
        group: &GroupPublicKey,
        checkpoint: &Checkpoint,
    ) -> Result<MemberKey, Error> {
        if self.generation == group.generation {
            return Ok(self.clone());
        }
        if self.generation > group.generation {
            return Err(Error::GenerationMismatch {
                member: self.generation,
                group: group.generation,
            });
        }
        if checkpoint.generation != group.generation {
            return Err(Error::WrongGeneration {
                expected: group.generation,
                found: checkpoint.generation,
            });
        }
        let (mut tag, mut mask) = tag_and_mask(&group.to_bytes(), &self.x);
        let found = checkpoint.find(&tag);
        tag.zeroize();
        let Some(mut point) = found else {
            mask.zeroize();
            return Err(Error::Revoked);
        };
        for (p, k) in point.iter_mut().zip(mask.iter()) {
            *p ^= k;
        }
        mask.zeroize();
        let decoded = g1_from_bytes("checkpoint.A", &point);
        point.zeroize();
        let a = decoded.map_err(|_| Error::NotAMember)?;
        let g2 = G2Prepared::from(group.g2);
        let w = G2Prepared::from(group.w);
        if !group.holds_member(&a, &self.x, &g2, &w) {
            return Err(Error::NotAMember);
        }
        Ok(MemberKey {
            generation: group.generation,
            a,
            x: self.x,
        })
    }
}

/// How many entries a checkpoint of `members` members has: the next power of two, at least
/// [`MIN_CHECKPOINT_ENTRIES`].
fn entry_count(members: usize) -> usize {
    members
        .checked_next_power_of_two()
        .unwrap_or(MAX_CHECKPOINT_ENTRIES)
        .max(MIN_CHECKPOINT_ENTRIES)
}

/// The tag `SHA-256(vec8(TAG_DST) || group || x)[..16]` and the mask
/// `SHA-512(vec8(MASK_DST) || group || x)[..48]` of the member with secret `x` under the
/// encoded group key `group`. Hashing only: nothing branches on x.
fn tag_and_mask(group: &[u8], x: &Scalar) -> ([u8; TAG_LEN], [u8; MASKED_LEN]) {
    let mut x_bytes = scalar_to_be(x);
    let mut tag_hash = Sha256::new();
    tag_hash.update([const { dst_len(TAG_DST) }]);
    tag_hash.update(TAG_DST);
    tag_hash.update(group);
    tag_hash.update(x_bytes);
    let mut mask_hash = Sha512::new();
    mask_hash.update([const { dst_len(MASK_DST) }]);
    mask_hash.update(MASK_DST);
    mask_hash.update(group);
    mask_hash.update(x_bytes);
    x_bytes.zeroize();
    let mut tag_full: [u8; 32] = tag_hash.finalize().into();
    let mut mask_full: [u8; 64] = mask_hash.finalize().into();
    let mut tag = [0u8; TAG_LEN];
    let mut mask = [0u8; MASKED_LEN];
    for (t, h) in tag.iter_mut().zip(tag_full.iter()) {
        *t = *h;
    }
    for (m, h) in mask.iter_mut().zip(mask_full.iter()) {
        *m = *h;
    }
    tag_full.zeroize();
    mask_full.zeroize();
    (tag, mask)
}

fn invalid(field: &'static str) -> Error {
    Error::Decode(DecodeError::new(field, DecodeErrorKind::InvalidValue))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bbs04::GroupManagerKey;
    use crate::vector_rng::VectorRng;

    #[test]
    fn a_member_far_behind_catches_up_and_the_revoked_one_cannot() {
        let mut rng = VectorRng::new(b"checkpoint unit");
        let mut manager = GroupManagerKey::generate(&mut rng);
        let members = manager.issue_members(&mut rng, 3);
        let [a, b, c] = [&members[0], &members[1], &members[2]];
        // Revoke b, then c: a is two generations behind.
        manager.revoke(b).unwrap();
        let kept = manager.reissue(&[a.clone(), c.clone()]).unwrap();
        manager.revoke(&kept[1]).unwrap();
        let kept = manager.reissue(core::slice::from_ref(a)).unwrap();
        let checkpoint = Checkpoint::new(&mut rng, manager.public_key(), &kept).unwrap();
        assert_eq!(checkpoint.len(), MIN_CHECKPOINT_ENTRIES);
        let decoded = Checkpoint::from_bytes(&checkpoint.to_bytes()).unwrap();
        assert_eq!(decoded, checkpoint);
        let caught = a.catch_up(manager.public_key(), &decoded).unwrap();
        assert_eq!(caught, kept[0]);
        caught.check(manager.public_key()).unwrap();
        assert_eq!(
            c.catch_up(manager.public_key(), &decoded),
            Err(Error::Revoked)
        );
    }

    #[test]
    fn counts_are_powers_of_two_within_bounds() {
        assert_eq!(entry_count(0), 16);
        assert_eq!(entry_count(16), 16);
        assert_eq!(entry_count(17), 32);
        assert_eq!(entry_count(1024), 1024);
    }
}
