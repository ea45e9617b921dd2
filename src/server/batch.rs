//! Several requests handled at once (SPEC.md 12.5.1): replies to the same recipient have their
//! group signatures verified in one batch, everything else is handled as by `Server::handle`.

use super::groups::current_group_key;
use super::records::account_key;
use super::{Handled, Server};
use crate::account::{AccountId, Channel, ChannelKind};
use crate::bbs04::BatchEntry;
use crate::store::Store;
use crate::wire::{reply_context, Request};
use crate::Time;
use alloc::collections::BTreeMap;
use alloc::rc::Rc;
use alloc::vec::Vec;
use rand_core::CryptoRng;

/// One request of a batch: its encoding and the channel it arrived on.
#[derive(Clone, Copy, Debug)]
pub struct BatchRequest<'a> {
    /// The channel the request arrived on.
    pub channel: Channel,
    /// The request's encoding.
    pub request: &'a [u8],
}

/// A reply's signature verified ahead, and the group key encoding it was verified under
/// (shared by the recipient's replies).
#[derive(Clone, Debug)]
pub(super) struct Verdict {
    pub(super) key: Rc<[u8]>,
    pub(super) valid: bool,
}

impl<S: Store> Server<S> {
    /// Handles `requests`, which arrived at `now`, in order: each gets the response and outputs
    /// [`Server::handle`] would give it, handled one after the other. The difference is the
    /// cost: the signatures of replies to the same recipient (under its current group key,
    /// past the checks that need no signature) are verified together
    /// ([`crate::bbs04::PreparedGroupKey::verify_batch`]), about half the cost of verifying
    /// each. A verdict is used only if the request meets the same group key when its turn
    /// comes; otherwise its signature is verified alone.
    pub fn handle_batch<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        now: Time,
        requests: &[BatchRequest<'_>],
    ) -> Vec<Handled> {
        let decoded: Vec<_> = requests
            .iter()
            .map(|r| Request::from_bytes(r.request))
            .collect();
        let mut verdicts: Vec<Option<Verdict>> = requests.iter().map(|_| None).collect();
        // Replies worth verifying, by recipient: on the anonymous channel, within the size and
        // clock limits.
        let mut by_recipient: BTreeMap<AccountId, Vec<usize>> = BTreeMap::new();
        for (i, (request, decoded)) in requests.iter().zip(decoded.iter()).enumerate() {
            if let Ok(Request::Reply(reply)) = decoded {
                if request.channel.kind() == ChannelKind::Anonymous
                    && self.reply_precheck(now, reply).is_ok()
                {
                    by_recipient.entry(reply.recipient).or_default().push(i);
                }
            }
        }
        for (recipient, indices) in by_recipient {
            // Any failure here leaves the replies to be verified, and refused, one by one.
            let Ok(Some(record)) = self.store.get(&account_key(&recipient), now) else {
                continue;
            };
            let mut replies = Vec::with_capacity(indices.len());
            let mut key = None;
            for i in indices {
                if let Some(Ok(Request::Reply(reply))) = decoded.get(i) {
                    if let Ok(bytes) = current_group_key(&record, reply) {
                        key = Some(bytes);
                        replies.push((i, reply));
                    }
                }
            }
            let Some(key) = key else { continue };
            let Ok(prepared) = self.prepared(&recipient, key) else {
                continue;
            };
            let contexts: Vec<_> = replies
                .iter()
                .map(|(_, r)| reply_context(&r.recipient, r.generation, r.timestamp))
                .collect();
            let entries: Vec<BatchEntry<'_>> = replies
                .iter()
                .zip(contexts.iter())
                .map(|((_, r), context)| BatchEntry {
                    context,
                    message: &r.sealed,
                    signature: &r.signature,
                })
                .collect();
            let results = prepared.verify_batch(rng, &entries);
            let key: Rc<[u8]> = Rc::from(key);
            for ((i, _), result) in replies.iter().zip(results) {
                if let Some(slot) = verdicts.get_mut(*i) {
                    *slot = Some(Verdict {
                        key: Rc::clone(&key),
                        valid: result.is_ok(),
                    });
                }
            }
        }
        requests
            .iter()
            .zip(decoded)
            .zip(verdicts.iter())
            .map(|((request, decoded), verdict)| {
                self.handle_decoded(
                    rng,
                    now,
                    request.channel,
                    request.request,
                    decoded,
                    verdict.as_ref(),
                )
            })
            .collect()
    }
}
