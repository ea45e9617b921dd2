//! Replies under group signatures, and the group keys they are checked against (SPEC.md 12.5,
//! 12.6).

use super::records::{account_key, digest, revocation_key, seen_reply_key, AccountRecord};
use super::{Output, Refusal, Server};
use crate::account::AccountId;
use crate::bbs04::{GroupPublicKey, RevocationRecord};
use crate::store::Store;
use crate::wire::{
    reply_context, Delivery, ErrorCode, GroupKeyUpdate, ReplyRequest, Response,
    MAX_RECORDS_PER_UPDATE, REPLY_TIME_GRANULARITY,
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
        outputs: &mut Vec<Output>,
    ) -> Result<Response, Refusal> {
        if reply.sealed.len() > self.config.max_sealed_len {
            return Err(Refusal::new(
                ErrorCode::PayloadTooLarge,
                "sealed payload too large",
            ));
        }
        // Cheap checks first (SPEC.md 12.5): the clock, then the generation read from the stored
        // key's bytes, and only then the key decoded and prepared (or taken from the cache).
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
        let Some(record) = self.store.get(&account_key(&reply.recipient), now)? else {
            return Err(Refusal::new(ErrorCode::UnknownRecipient, "no such account"));
        };
        let (key_bytes, _) = AccountRecord::group_key_fields(&record)?;
        let generation = GroupPublicKey::generation_of_encoding(key_bytes)
            .ok_or_else(|| Refusal::new(ErrorCode::Internal, "stored group key corrupt"))?;
        if reply.generation != generation {
            return Err(Refusal::new(
                ErrorCode::StaleGeneration,
                "group key has moved on",
            ));
        }
        let prepared = self.prepared(&reply.recipient, key_bytes)?;
        let context = reply_context(&reply.recipient, reply.generation, reply.timestamp);
        prepared
            .verify(&context, &reply.sealed, &reply.signature)
            .map_err(|_| {
                Refusal::new(ErrorCode::BadSignature, "group signature does not verify")
            })?;
        // Remember the signature as long as its timestamp would still be accepted.
        let seen = seen_reply_key(&digest(SEEN_REPLY_DST, &[&reply.signature.to_bytes()]));
        if !self
            .store
            .insert_if_absent(&seen, &[], Some(accepted_until), now)?
        {
            return Err(Refusal::new(ErrorCode::Replayed, "reply already accepted"));
        }
        outputs.push(Output::Deliver {
            recipient: reply.recipient,
            delivery: Delivery::Reply {
                generation: reply.generation,
                timestamp: reply.timestamp,
                sealed: reply.sealed,
                signature: reply.signature,
            },
        });
        Ok(Response::ReplyAccepted)
    }

    /// The current group key and the records of the newest generations since the base one
    /// (registration or rotation), at most [`MAX_RECORDS_PER_UPDATE`], oldest first: the same
    /// answer for every member, who follows the records from its own generation.
    pub(super) fn fetch_group_key(
        &self,
        now: Time,
        account: AccountId,
    ) -> Result<Response, Refusal> {
        let Some(stored) = self.store.get(&account_key(&account), now)? else {
            return Err(Refusal::new(ErrorCode::UnknownRecipient, "no such account"));
        };
        let (key_bytes, base_generation) = AccountRecord::group_key_fields(&stored)?;
        let prepared = self.prepared(&account, key_bytes)?;
        let current = prepared.group_key().generation();
        let newest_kept =
            current.saturating_sub(u32::try_from(MAX_RECORDS_PER_UPDATE).unwrap_or(u32::MAX));
        let first = base_generation.max(newest_kept).saturating_add(1);
        let mut records = Vec::new();
        for generation in first..=current {
            let Some(bytes) = self.store.get(&revocation_key(&account, generation), now)? else {
                return Err(Refusal::new(
                    ErrorCode::Internal,
                    "revocation record missing",
                ));
            };
            records.push(
                RevocationRecord::from_bytes(&bytes)
                    .map_err(|_| Refusal::new(ErrorCode::Internal, "stored record corrupt"))?,
            );
        }
        Ok(Response::GroupKey(GroupKeyUpdate {
            group_key: prepared.group_key().clone(),
            records,
        }))
    }

    pub(super) fn upload_revocation(
        &self,
        now: Time,
        account: AccountId,
        record: &RevocationRecord,
    ) -> Result<Response, Refusal> {
        let Some((old_bytes, mut stored)) = self.account(now, &account)? else {
            return Err(Refusal::new(ErrorCode::UnknownRecipient, "no such account"));
        };
        let key = revocation_key(&account, record.generation());
        // A resend of a record that is already published is acknowledged again.
        if record.generation() <= stored.group_key.generation()
            && self.store.get(&key, now)?.as_deref() == Some(record.to_bytes().as_slice())
        {
            return Ok(Response::RevocationAccepted);
        }
        let next = stored
            .group_key
            .apply(record)
            .map_err(|e| Refusal::new(ErrorCode::BadRevocation, alloc::format!("{e}")))?;
        // The record first, so a member who sees the new generation always finds it.
        if !self
            .store
            .insert_if_absent(&key, &record.to_bytes(), None, now)?
        {
            let existing = self.store.get(&key, now)?;
            if existing.as_deref() != Some(record.to_bytes().as_slice()) {
                return Err(Refusal::new(
                    ErrorCode::BadRevocation,
                    "another record for this generation",
                ));
            }
        }
        stored.group_key = next;
        if !self.store.replace_if_matches(
            &account_key(&account),
            &old_bytes,
            &stored.to_bytes(),
            None,
            now,
        )? {
            // Another upload won; take back our record so the generation stays free.
            self.store
                .delete_if_matches(&key, &record.to_bytes(), now)?;
            return Err(Refusal::new(
                ErrorCode::BadRevocation,
                "group key changed concurrently",
            ));
        }
        Ok(Response::RevocationAccepted)
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
        Ok(Response::GroupKeyRotated)
    }
}
