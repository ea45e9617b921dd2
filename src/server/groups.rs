//! Replies under group signatures, and the group keys they are checked against (SPEC.md 12.5,
//! 12.6).

use super::batch::Verdict;
use super::records::{account_key, checkpoint_key, digest, seen_reply_key, AccountRecord};
use super::{Output, Refusal, Server};
use crate::account::AccountId;
use crate::bbs04::{Checkpoint, GroupPublicKey, RevocationRecord};
use crate::store::Store;
use crate::wire::{
    reply_context, Delivery, ErrorCode, GroupKeyUpdate, ReplyRequest, Response,
    REPLY_TIME_GRANULARITY,
};
use crate::Time;
use alloc::vec::Vec;

const SEEN_REPLY_DST: &[u8] = b"blindpost/v1/seen-reply";

impl<S: Store> Server<S> {
    fn account(
        &self,
        now: Time,
        account: &AccountId,
    ) -> Result<Option<(Vec<u8>, AccountRecord)>, Refusal> {
        match self.store.get(&account_key(account), now)? {
            None => Ok(None),
            Some(bytes) => {
                let record = AccountRecord::from_bytes(&bytes)?;
                Ok(Some((bytes, record)))
            }
        }
    }

    pub(super) fn reply(
        &self,
        now: Time,
        reply: ReplyRequest,
        verdict: Option<&Verdict>,
        outputs: &mut Vec<Output>,
    ) -> Result<Response, Refusal> {
        // Cheap checks first (SPEC.md 12.5): size and clock, then the generation read from the
        // stored key's bytes, and only then the key decoded and prepared (or taken from the
        // cache).
        let accepted_until = self.reply_precheck(now, &reply)?;
        let Some(record) = self.store.get(&account_key(&reply.recipient), now)? else {
            return Err(Refusal::new(ErrorCode::UnknownRecipient, "no such account"));
        };
        let key_bytes = current_group_key(&record, &reply)?;
        // A verdict from a batch holds if it was reached under this very key (an earlier
        // request of the batch may have replaced it).
        let valid = match verdict {
            Some(v) if *v.key == *key_bytes => v.valid,
            _ => {
                let prepared = self.prepared(&reply.recipient, key_bytes)?;
                let context = reply_context(&reply.recipient, reply.generation, reply.timestamp);
                prepared
                    .verify(&context, &reply.sealed, &reply.signature)
                    .is_ok()
            }
        };
        if !valid {
            return Err(Refusal::new(
                ErrorCode::BadSignature,
                "group signature does not verify",
            ));
        }
        // Remember the signature as long as its timestamp would still be accepted.
        let seen = seen_reply_key(&digest(SEEN_REPLY_DST, &[&reply.signature.to_bytes()]));
        let first = self
            .store
            .insert_if_absent(&seen, &[], Some(accepted_until), now)?;
        outputs.push(Output::Deliver {
            recipient: reply.recipient,
            delivery: Delivery::Reply {
                generation: reply.generation,
                timestamp: reply.timestamp,
                sealed: reply.sealed,
                signature: reply.signature,
            },
        });
        if !first {
            // Queued again all the same: the first attempt's host may have died before it
            // queued the reply (SPEC.md 12.8); the recipient's client drops the copy by its
            // digest (13.4).
            return Err(
                Refusal::new(ErrorCode::Replayed, "reply already accepted").keeping_outputs()
            );
        }
        Ok(Response::ReplyAccepted)
    }

    /// The checks of a reply that need no store read (SPEC.md 12.5): the sealed payload's
    /// size, then the clock. Returns the first second the timestamp check refuses it.
    pub(super) fn reply_precheck(&self, now: Time, reply: &ReplyRequest) -> Result<Time, Refusal> {
        if reply.sealed.len() > self.config.max_sealed_len {
            return Err(Refusal::new(
                ErrorCode::PayloadTooLarge,
                "sealed payload too large",
            ));
        }
        // The signer's clock was somewhere in [t, t + granularity): accept if a point of it is
        // within the skew of ours, that is t - skew <= now < t + granularity + skew.
        let accepted_until = reply
            .timestamp
            .saturating_add(REPLY_TIME_GRANULARITY)
            .saturating_add(self.config.reply_skew);
        if now < reply.timestamp.saturating_sub(self.config.reply_skew) || now >= accepted_until {
            return Err(Refusal::new(
                ErrorCode::ClockSkew,
                "timestamp too far from the server clock",
            ));
        }
        Ok(accepted_until)
    }

    /// The current group key and the checkpoint of its generation (none before the first
    /// revocation after the base key): the same answer for every member, whatever its
    /// generation, of a size set by the group alone (SPEC.md 12.6). Two store reads; the key
    /// comes from the prepared-key cache (the reply that follows the fetch needs it there),
    /// and the checkpoint holds no point to decode.
    pub(super) fn fetch_group_key(
        &self,
        now: Time,
        account: AccountId,
    ) -> Result<Response, Refusal> {
        let Some(stored) = self.store.get(&account_key(&account), now)? else {
            return Err(Refusal::new(ErrorCode::UnknownRecipient, "no such account"));
        };
        let (key_bytes, base_generation) = AccountRecord::group_key_fields(&stored)?;
        let group_key = self.prepared(&account, key_bytes)?.group_key().clone();
        let generation = group_key.generation();
        let checkpoint = if generation > base_generation {
            let Some(bytes) = self.store.get(&checkpoint_key(&account, generation), now)? else {
                return Err(Refusal::new(ErrorCode::Internal, "checkpoint missing"));
            };
            Some(
                Checkpoint::from_bytes(&bytes)
                    .map_err(|_| Refusal::new(ErrorCode::Internal, "stored checkpoint corrupt"))?,
            )
        } else {
            None
        };
        Ok(Response::GroupKey(GroupKeyUpdate {
            group_key,
            checkpoint,
        }))
    }

    /// Publishes a revocation and the checkpoint of the generation it produces (SPEC.md 12.6).
    /// Cheap checks first (generations), then the record's pairing checks; then the checkpoint
    /// is stored, the account's group key replaced by compare-and-swap, and the previous
    /// checkpoints deleted.
    pub(super) fn upload_revocation(
        &self,
        now: Time,
        account: AccountId,
        record: &RevocationRecord,
        checkpoint: &Checkpoint,
    ) -> Result<Response, Refusal> {
        if checkpoint.generation() != record.generation() {
            return Err(Refusal::new(
                ErrorCode::BadRevocation,
                "checkpoint and record are for different generations",
            ));
        }
        let Some((old_bytes, mut stored)) = self.account(now, &account)? else {
            return Err(Refusal::new(ErrorCode::UnknownRecipient, "no such account"));
        };
        let current = stored.group_key.generation();
        let key = checkpoint_key(&account, record.generation());
        let bytes = checkpoint.to_bytes();
        // A resend of an upload already accepted is acknowledged again (the checkpoint's random
        // padding makes its bytes unique to that upload).
        if record.generation() == current
            && current > stored.base_generation
            && self.store.get(&key, now)?.as_deref() == Some(bytes.as_slice())
        {
            return Ok(Response::RevocationAccepted);
        }
        if Some(record.generation()) != current.checked_add(1) {
            return Err(Refusal::new(
                ErrorCode::BadRevocation,
                "revocation must produce the next generation",
            ));
        }
        let next = stored
            .group_key
            .apply(record)
            .map_err(|e| Refusal::new(ErrorCode::BadRevocation, alloc::format!("{e}")))?;
        // The checkpoint first, so a member who sees the new generation always finds it.
        if !self.store.insert_if_absent(&key, &bytes, None, now)?
            && self.store.get(&key, now)?.as_deref() != Some(bytes.as_slice())
        {
            // Another upload for this generation is under way, or was interrupted before it
            // replaced the key: the owner resends that one, or rotates the group key.
            return Err(Refusal::new(
                ErrorCode::BadRevocation,
                "another checkpoint for this generation",
            ));
        }
        stored.group_key = next;
        if !self.store.replace_if_matches(
            &account_key(&account),
            &old_bytes,
            &stored.to_bytes(),
            None,
            now,
        )? {
            // Another upload won; take back our checkpoint so the generation stays free.
            self.store.delete_if_matches(&key, &bytes, now)?;
            return Err(Refusal::new(
                ErrorCode::BadRevocation,
                "group key changed concurrently",
            ));
        }
        // The previous checkpoint, and one an earlier interrupted upload may have left.
        for old in [current, current.saturating_sub(1)] {
            if old < record.generation() {
                self.delete_checkpoint(now, &account, old)?;
            }
        }
        Ok(Response::RevocationAccepted)
    }

    /// Deletes every checkpoint an account at `generation` may hold: the current one, the
    /// previous one if a crash stopped an upload before deleting it, and one an interrupted
    /// upload may have left for the next generation.
    pub(super) fn delete_checkpoints(
        &self,
        now: Time,
        account: &AccountId,
        generation: u32,
    ) -> Result<(), Refusal> {
        for g in [
            generation.saturating_sub(1),
            generation,
            generation.saturating_add(1),
        ] {
            self.delete_checkpoint(now, account, g)?;
        }
        Ok(())
    }

    fn delete_checkpoint(
        &self,
        now: Time,
        account: &AccountId,
        generation: u32,
    ) -> Result<(), Refusal> {
        let key = checkpoint_key(account, generation);
        if let Some(v) = self.store.get(&key, now)? {
            self.store.delete_if_matches(&key, &v, now)?;
        }
        Ok(())
    }

    pub(super) fn rotate_group_key(
        &self,
        now: Time,
        account: AccountId,
        group_key: GroupPublicKey,
    ) -> Result<Response, Refusal> {
        let Some((old_bytes, mut stored)) = self.account(now, &account)? else {
            return Err(Refusal::new(ErrorCode::UnknownRecipient, "no such account"));
        };
        if group_key.generation() <= stored.group_key.generation() {
            return Err(Refusal::new(
                ErrorCode::BadRotation,
                "new group key must have a later generation",
            ));
        }
        let old_generation = stored.group_key.generation();
        stored.base_generation = group_key.generation();
        stored.group_key = group_key;
        if !self.store.replace_if_matches(
            &account_key(&account),
            &old_bytes,
            &stored.to_bytes(),
            None,
            now,
        )? {
            return Err(Refusal::new(
                ErrorCode::BadRotation,
                "group key changed concurrently",
            ));
        }
        // The new key has no checkpoint: members of the old group cannot follow it.
        self.delete_checkpoints(now, &account, old_generation)?;
        Ok(Response::GroupKeyRotated)
    }
}

/// The encoding of the recipient's group key in its stored record, if the reply's generation is
/// the key's: read from the key's bytes without decoding it (SPEC.md 12.5).
pub(super) fn current_group_key<'r>(
    record: &'r [u8],
    reply: &ReplyRequest,
) -> Result<&'r [u8], Refusal> {
    let (key_bytes, _) = AccountRecord::group_key_fields(record)?;
    let generation = GroupPublicKey::generation_of_encoding(key_bytes)
        .ok_or_else(|| Refusal::new(ErrorCode::Internal, "stored group key corrupt"))?;
    if reply.generation != generation {
        return Err(Refusal::new(
            ErrorCode::StaleGeneration,
            "group key has moved on",
        ));
    }
    Ok(key_bytes)
}
