//! The client's outstanding requests and when each may leave (SPEC.md 13.2 and 13.6).
//!
//! Every request waits in the outbox from the moment it is made until its response arrives.
//! Each has a not-before time: [`Outbox::next_due`] hands a request out only once that time
//! has come, and never twice in one session. After a restart nothing counts as handed out, so
//! every request without a response goes out again, and the server answers the resend
//! idempotently.

use super::state::Purpose;
use super::{RequestId, Transmit};
use crate::account::Channel;
use crate::certificate::PhoneNumber;
use crate::wire::{Request, RequestType};
use crate::Time;
use alloc::collections::BTreeSet;
use alloc::vec::Vec;

/// How long past its not-before time a request may still leave as scheduled. A request that
/// waited longer (the phone slept, or the app was not running) is given a fresh random time
/// instead, so that work that piled up never leaves in one burst.
pub const OVERDUE_GRACE: u64 = 60;

/// A request waiting for its response. Its bytes are fixed when it is made, so a resend after
/// a crash is the same request and the server answers it idempotently.
#[derive(Clone, Debug)]
pub(super) struct Pending {
    pub(super) id: u64,
    pub(super) channel: Channel,
    /// The earliest time the request may leave.
    pub(super) not_before: Time,
    pub(super) bytes: Vec<u8>,
    pub(super) purpose: Purpose,
}

impl Pending {
    /// The type of the request (from its bytes, which the client wrote).
    pub(super) fn request_type(&self) -> Option<RequestType> {
        RequestType::of_request(&self.bytes).ok()
    }
}

/// The outstanding requests, the next request id, and which requests this session handed out.
#[derive(Clone, Debug, Default)]
pub(super) struct Outbox {
    pub(super) entries: Vec<Pending>,
    pub(super) next_id: u64,
    /// Ids handed out by [`Outbox::next_due`] in this session (not persisted).
    pub(super) handed_out: BTreeSet<u64>,
}

impl Outbox {
    /// An empty outbox whose first request gets id 1.
    pub(super) fn new() -> Self {
        Self {
            entries: Vec::new(),
            next_id: 1,
            handed_out: BTreeSet::new(),
        }
    }

    /// Queues `request` on `channel`, to leave at `not_before` or later.
    pub(super) fn push(
        &mut self,
        channel: Channel,
        request: &Request,
        purpose: Purpose,
        not_before: Time,
    ) -> RequestId {
        let id = self.next_id;
        self.next_id = id.saturating_add(1);
        self.entries.push(Pending {
            id,
            channel,
            not_before,
            bytes: request.to_bytes(),
            purpose,
        });
        RequestId(id)
    }

    /// The due request that has waited longest, marked as handed out.
    pub(super) fn next_due(&mut self, now: Time) -> Option<Transmit> {
        let pending = self
            .waiting()
            .filter(|p| p.not_before <= now)
            .min_by_key(|p| (p.not_before, p.id))?;
        let transmit = Transmit {
            id: RequestId(pending.id),
            channel: pending.channel,
            bytes: pending.bytes.clone(),
        };
        self.handed_out.insert(transmit.id.0);
        Some(transmit)
    }

    /// The earliest not-before time of the requests not handed out yet.
    pub(super) fn earliest(&self) -> Option<Time> {
        self.waiting().map(|p| p.not_before).min()
    }

    /// Gives every request not handed out whose time passed more than [`OVERDUE_GRACE`] ago a
    /// fresh time `now + delay(purpose)`, drawn for each request on its own.
    pub(super) fn reschedule_overdue(&mut self, now: Time, mut delay: impl FnMut(&Purpose) -> u64) {
        let handed_out = &self.handed_out;
        for p in &mut self.entries {
            let overdue = p.not_before.saturating_add(OVERDUE_GRACE) < now;
            if overdue && !handed_out.contains(&p.id) {
                p.not_before = now.saturating_add(delay(&p.purpose));
            }
        }
    }

    /// Takes out the lookups not handed out whose token's window ended before `window`: their
    /// tokens are no good any more, so their batches must wait for a token of a later window
    /// (sent at wake with the old token, they would be refused beside the phone's connection).
    pub(super) fn take_expired_lookups(&mut self, window: u64) -> Vec<Vec<PhoneNumber>> {
        let handed_out = &self.handed_out;
        let (expired, kept): (Vec<Pending>, Vec<Pending>) = core::mem::take(&mut self.entries)
            .into_iter()
            .partition(|p| {
                matches!(p.purpose, Purpose::Lookup { window: w, .. } if w < window)
                    && !handed_out.contains(&p.id)
            });
        self.entries = kept;
        expired
            .into_iter()
            .filter_map(|p| match p.purpose {
                Purpose::Lookup { phones, .. } => Some(phones),
                _ => None,
            })
            .collect()
    }

    /// The request with this id.
    pub(super) fn get(&self, id: RequestId) -> Option<&Pending> {
        self.entries.iter().find(|p| p.id == id.0)
    }

    /// Removes the request with this id (its response arrived).
    pub(super) fn remove(&mut self, id: RequestId) -> Option<Pending> {
        let index = self.entries.iter().position(|p| p.id == id.0)?;
        self.handed_out.remove(&id.0);
        Some(self.entries.remove(index))
    }

    /// The transport lost request `id`: it may be handed out again. False if no such request
    /// is outstanding.
    pub(super) fn unmark(&mut self, id: RequestId) -> bool {
        if self.get(id).is_none() {
            return false;
        }
        self.handed_out.remove(&id.0);
        true
    }

    /// How many requests wait for a response.
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The outstanding requests.
    pub(super) fn iter(&self) -> impl Iterator<Item = &Pending> {
        self.entries.iter()
    }

    /// The outstanding requests, to update what their responses will do.
    pub(super) fn iter_mut(&mut self) -> impl Iterator<Item = &mut Pending> {
        self.entries.iter_mut()
    }

    fn waiting(&self) -> impl Iterator<Item = &Pending> {
        self.entries
            .iter()
            .filter(|p| !self.handed_out.contains(&p.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Time = Time::from_unix_secs(1_800_000_000);

    fn outbox(times: &[u64]) -> Outbox {
        let mut outbox = Outbox::new();
        for t in times {
            outbox.push(
                Channel::Anonymous,
                &Request::FetchKeys,
                Purpose::FetchKeys { then_issue: false },
                T + *t,
            );
        }
        outbox
    }

    fn ids(outbox: &mut Outbox, now: Time) -> Vec<u64> {
        core::iter::from_fn(|| outbox.next_due(now).map(|t| t.id.0)).collect()
    }

    #[test]
    fn only_due_requests_leave_oldest_time_first_and_once() {
        let mut outbox = outbox(&[30, 10, 20, 100]);
        assert_eq!(outbox.earliest(), Some(T + 10));
        assert_eq!(ids(&mut outbox, T + 9), Vec::<u64>::new());
        assert_eq!(ids(&mut outbox, T + 30), [2, 3, 1]);
        assert_eq!(ids(&mut outbox, T + 30), Vec::<u64>::new(), "never twice");
        assert_eq!(outbox.earliest(), Some(T + 100));
        assert_eq!(outbox.len(), 4, "handed out is still outstanding");
        assert!(outbox.unmark(RequestId(3)));
        assert_eq!(ids(&mut outbox, T + 30), [3], "a lost request goes again");
        assert!(outbox.remove(RequestId(3)).is_some());
        assert!(!outbox.unmark(RequestId(3)));
    }

    #[test]
    fn only_waiting_requests_past_the_grace_get_fresh_times() {
        let mut outbox = outbox(&[0, 10, 500]);
        assert_eq!(ids(&mut outbox, T), [1]);
        // At T + 70: request 2 waited 60 s past its time (still in grace), request 1 is handed
        // out, request 3 is not due.
        outbox.reschedule_overdue(T + 70, |_| 1000);
        let times: Vec<Time> = outbox.iter().map(|p| p.not_before).collect();
        assert_eq!(times, [T, T + 10, T + 500]);
        // One second later request 2 is overdue: it alone moves, by its own draw.
        outbox.reschedule_overdue(T + 71, |_| 1000);
        let times: Vec<Time> = outbox.iter().map(|p| p.not_before).collect();
        assert_eq!(times, [T, T + 1071, T + 500]);
        assert_eq!(ids(&mut outbox, T + 1000), [3]);
    }

    #[test]
    fn a_restored_outbox_hands_everything_out_again() {
        let mut outbox = outbox(&[0, 0]);
        assert_eq!(ids(&mut outbox, T), [1, 2]);
        let mut restored = Outbox {
            entries: outbox.entries.clone(),
            next_id: outbox.next_id,
            handed_out: BTreeSet::new(),
        };
        assert_eq!(ids(&mut restored, T), [1, 2]);
        let next = restored.push(
            Channel::Direct,
            &Request::FetchKeys,
            Purpose::RequestCode,
            T,
        );
        assert_eq!(next, RequestId(3), "ids are never reused");
    }
}
