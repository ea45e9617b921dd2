//! BBS04 group signatures (SPEC.md section 4): the manager's key, group public keys, member
//! keys, signatures and revocation records.

use crate::error::BlindpostError;
use crate::rng::{with_os_rng, VectorRng};
use blindpost::bbs04;
use std::sync::{Arc, Mutex, PoisonError};

/// The most member keys one `issue_members` call hands out.
pub const MAX_ISSUE_MEMBERS: u32 = 1024;

/// A group manager's secret key: issues member keys, opens signatures, revokes members. The
/// secrets are zeroized when the object is destroyed. `revoke` moves it to the next generation
/// (it is guarded by a lock, so the object may be shared between threads).
#[derive(uniffi::Object)]
pub struct GroupManagerKey {
    inner: Mutex<bbs04::GroupManagerKey>,
}

impl GroupManagerKey {
    fn wrap(inner: bbs04::GroupManagerKey) -> Arc<Self> {
        Arc::new(Self {
            inner: Mutex::new(inner),
        })
    }

    fn with<T>(&self, f: impl FnOnce(&mut bbs04::GroupManagerKey) -> T) -> T {
        // The core never panics while the lock is held, so it cannot be poisoned; if it were,
        // the key inside is still whole (revoke changes it only after every check passed).
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }
}

fn check_count(n: u32) -> Result<usize, BlindpostError> {
    if n > MAX_ISSUE_MEMBERS {
        return Err(BlindpostError::RequestTooLarge {
            reason: format!("asked for {n} member keys, at most {MAX_ISSUE_MEMBERS} per call"),
            requested: u64::from(n),
            max: u64::from(MAX_ISSUE_MEMBERS),
        });
    }
    Ok(usize::try_from(n).unwrap_or(0))
}

fn members(keys: Vec<bbs04::MemberKey>) -> Vec<Arc<MemberKey>> {
    keys.into_iter()
        .map(|inner| Arc::new(MemberKey { inner }))
        .collect()
}

#[uniffi::export]
impl GroupManagerKey {
    /// A new group (generation 0) from the operating system's randomness.
    #[uniffi::constructor]
    pub fn generate() -> Result<Arc<Self>, BlindpostError> {
        Ok(Self::wrap(with_os_rng(|rng| {
            bbs04::GroupManagerKey::generate(rng)
        })?))
    }

    /// What the core's `generate` draws from the test-vector generator: for reproducing
    /// vectors only, never for real keys.
    #[uniffi::constructor]
    pub fn generate_with_vector_rng(rng: &VectorRng) -> Arc<Self> {
        Self::wrap(rng.with(bbs04::GroupManagerKey::generate))
    }

    /// Decodes the 486-byte encoding and checks the secrets against the group key.
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>, BlindpostError> {
        Ok(Self::wrap(bbs04::GroupManagerKey::from_bytes(&bytes)?))
    }

    /// The 486-byte encoding (secret: the caller protects the copy it gets).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.with(|k| k.to_bytes().to_vec())
    }

    /// The current group public key.
    pub fn public_key(&self) -> Arc<GroupPublicKey> {
        Arc::new(GroupPublicKey {
            inner: self.with(|k| k.public_key().clone()),
        })
    }

    /// A fresh member key of the current generation.
    pub fn issue_member(&self) -> Result<Arc<MemberKey>, BlindpostError> {
        let inner = with_os_rng(|rng| self.with(|k| k.issue_member(rng)))?;
        Ok(Arc::new(MemberKey { inner }))
    }

    /// `count` fresh member keys (at most 1024 a call), cheaper than one at a time.
    pub fn issue_members(&self, count: u32) -> Result<Vec<Arc<MemberKey>>, BlindpostError> {
        let n = check_count(count)?;
        Ok(members(with_os_rng(|rng| {
            self.with(|k| k.issue_members(rng, n))
        })?))
    }

    /// [`GroupManagerKey::issue_members`] drawing from the test-vector generator (vectors only).
    pub fn issue_members_with_vector_rng(
        &self,
        rng: &VectorRng,
        count: u32,
    ) -> Result<Vec<Arc<MemberKey>>, BlindpostError> {
        let n = check_count(count)?;
        Ok(members(rng.with(|r| self.with(|k| k.issue_members(r, n)))))
    }

    /// The 48-byte id of the member that made `signature` (not verified: for an invalid
    /// signature the id names nobody; see `open_verified`).
    pub fn open(&self, signature: &GroupSignature) -> Vec<u8> {
        self.with(|k| k.open(&signature.inner).to_bytes().to_vec())
    }

    /// Verifies `signature` over `context` and `message` under `group` (which must be this
    /// manager's current group key), then opens it.
    pub fn open_verified(
        &self,
        group: &PreparedGroupKey,
        context: Vec<u8>,
        message: Vec<u8>,
        signature: &GroupSignature,
    ) -> Result<Vec<u8>, BlindpostError> {
        let id =
            self.with(|k| k.open_verified(&group.inner, &context, &message, &signature.inner))?;
        Ok(id.to_bytes().to_vec())
    }

    /// Revokes `member` (of the current generation): returns the record to publish, and this
    /// key moves to the next generation.
    pub fn revoke(&self, member: &MemberKey) -> Result<Arc<RevocationRecord>, BlindpostError> {
        let inner = self.with(|k| k.revoke(&member.inner))?;
        Ok(Arc::new(RevocationRecord { inner }))
    }
}

/// A group's public key with its generation (389 bytes).
#[derive(uniffi::Object, Debug, PartialEq, Eq)]
#[uniffi::export(Eq)]
pub struct GroupPublicKey {
    pub(crate) inner: bbs04::GroupPublicKey,
}

#[uniffi::export]
impl GroupPublicKey {
    /// Decodes and validates the 389-byte encoding.
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>, BlindpostError> {
        Ok(Arc::new(Self {
            inner: bbs04::GroupPublicKey::from_bytes(&bytes)?,
        }))
    }

    /// The 389-byte encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes().to_vec()
    }

    /// 0 for a new group, one more after each revocation.
    pub fn generation(&self) -> u32 {
        self.inner.generation()
    }

    /// The group key of the next generation, after checking `record` against this key.
    pub fn apply(&self, record: &RevocationRecord) -> Result<Arc<GroupPublicKey>, BlindpostError> {
        Ok(Arc::new(Self {
            inner: self.inner.apply(&record.inner)?,
        }))
    }
}

/// A group public key prepared for verifying (precomputed tables: build it once per group key
/// and reuse it).
#[derive(uniffi::Object)]
pub struct PreparedGroupKey {
    inner: bbs04::PreparedGroupKey,
}

#[uniffi::export]
impl PreparedGroupKey {
    /// Prepares `group_key`.
    #[uniffi::constructor]
    pub fn new(group_key: &GroupPublicKey) -> Arc<Self> {
        Arc::new(Self {
            inner: bbs04::PreparedGroupKey::new(group_key.inner.clone()),
        })
    }

    /// The group key it was prepared from.
    pub fn group_key(&self) -> Arc<GroupPublicKey> {
        Arc::new(GroupPublicKey {
            inner: self.inner.group_key().clone(),
        })
    }

    /// Verifies `signature` over `context` and `message`; throws `Group` (`InvalidSignature`).
    pub fn verify(
        &self,
        context: Vec<u8>,
        message: Vec<u8>,
        signature: &GroupSignature,
    ) -> Result<(), BlindpostError> {
        Ok(self.inner.verify(&context, &message, &signature.inner)?)
    }
}

/// A member's secret key of one generation of a group (85 bytes). Zeroized when the object is
/// destroyed.
#[derive(uniffi::Object)]
pub struct MemberKey {
    inner: bbs04::MemberKey,
}

#[uniffi::export]
impl MemberKey {
    /// Decodes the 85-byte encoding.
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>, BlindpostError> {
        Ok(Arc::new(Self {
            inner: bbs04::MemberKey::from_bytes(&bytes)?,
        }))
    }

    /// The 85-byte encoding (secret).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes().to_vec()
    }

    /// The generation the key belongs to.
    pub fn generation(&self) -> u32 {
        self.inner.generation()
    }

    /// The 48-byte id the manager's `open` returns for this member's signatures.
    pub fn id(&self) -> Vec<u8> {
        self.inner.id().to_bytes().to_vec()
    }

    /// Checks that this key belongs to `group` (generation and pairing equation).
    pub fn check(&self, group: &GroupPublicKey) -> Result<(), BlindpostError> {
        Ok(self.inner.check(&group.inner)?)
    }

    /// This member's key for the generation after `record`, applied to `old` (this key's group
    /// key). Throws `Group` (`Revoked`) for the revoked member.
    pub fn update(
        &self,
        record: &RevocationRecord,
        old: &GroupPublicKey,
    ) -> Result<Arc<MemberKey>, BlindpostError> {
        Ok(Arc::new(Self {
            inner: self.inner.update(&record.inner, &old.inner)?,
        }))
    }

    /// This member's key for `group`, caught up from any earlier generation through
    /// `checkpoint` (SPEC.md 4.15). Throws `Group` (`Revoked`) if the checkpoint holds no entry
    /// for this member, `WrongGeneration` if it is not of `group`'s generation.
    pub fn catch_up(
        &self,
        group: &GroupPublicKey,
        checkpoint: &Checkpoint,
    ) -> Result<Arc<MemberKey>, BlindpostError> {
        Ok(Arc::new(Self {
            inner: self.inner.catch_up(&group.inner, &checkpoint.inner)?,
        }))
    }

    /// Signs `message` under `group` and `context` with the operating system's randomness.
    pub fn sign(
        &self,
        group: &PreparedGroupKey,
        context: Vec<u8>,
        message: Vec<u8>,
    ) -> Result<Arc<GroupSignature>, BlindpostError> {
        let inner = with_os_rng(|rng| self.inner.sign(rng, &group.inner, &context, &message))??;
        Ok(Arc::new(GroupSignature { inner }))
    }

    /// [`MemberKey::sign`] drawing from the test-vector generator (vectors only).
    pub fn sign_with_vector_rng(
        &self,
        rng: &VectorRng,
        group: &PreparedGroupKey,
        context: Vec<u8>,
        message: Vec<u8>,
    ) -> Result<Arc<GroupSignature>, BlindpostError> {
        let inner = rng.with(|r| self.inner.sign(r, &group.inner, &context, &message))?;
        Ok(Arc::new(GroupSignature { inner }))
    }
}

/// A BBS04 group signature (913 bytes).
#[derive(uniffi::Object, Debug, PartialEq, Eq)]
#[uniffi::export(Eq)]
pub struct GroupSignature {
    pub(crate) inner: bbs04::GroupSignature,
}

#[uniffi::export]
impl GroupSignature {
    /// Decodes and validates the 913-byte encoding.
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>, BlindpostError> {
        Ok(Arc::new(Self {
            inner: bbs04::GroupSignature::from_bytes(&bytes)?,
        }))
    }

    /// The 913-byte encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes().to_vec()
    }
}

/// A revocation record (181 bytes): moves a group key to its next generation and lets every
/// member but the revoked one update its key.
#[derive(uniffi::Object, Debug, PartialEq, Eq)]
#[uniffi::export(Eq)]
pub struct RevocationRecord {
    inner: bbs04::RevocationRecord,
}

#[uniffi::export]
impl RevocationRecord {
    /// Decodes and validates the 181-byte encoding.
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>, BlindpostError> {
        Ok(Arc::new(Self {
            inner: bbs04::RevocationRecord::from_bytes(&bytes)?,
        }))
    }

    /// The 181-byte encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes().to_vec()
    }

    /// The generation the record leads to.
    pub fn generation(&self) -> u32 {
        self.inner.generation()
    }

    /// The 48-byte id of the revoked member.
    pub fn revoked(&self) -> Vec<u8> {
        self.inner.revoked().to_bytes().to_vec()
    }
}

/// A checkpoint (7 + 64 n bytes, SPEC.md 4.15): every remaining member's key of one generation,
/// each masked for its member, padded to a power of two; members catch up through it in one step.
#[derive(uniffi::Object, Debug, PartialEq, Eq)]
#[uniffi::export(Eq)]
pub struct Checkpoint {
    inner: bbs04::Checkpoint,
}

#[uniffi::export]
impl Checkpoint {
    /// Decodes the encoding, refusing a count that is not a power of two in [16, 1024] and tags
    /// that are not strictly ascending.
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>, BlindpostError> {
        Ok(Arc::new(Self {
            inner: bbs04::Checkpoint::from_bytes(&bytes)?,
        }))
    }

    /// The encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes()
    }

    /// The generation of the member keys inside.
    pub fn generation(&self) -> u32 {
        self.inner.generation()
    }

    /// The number of entries, members and padding: a power of two.
    pub fn entries(&self) -> u32 {
        u32::try_from(self.inner.len()).unwrap_or(u32::MAX)
    }
}
