//! The client's contacts, keyed by account id (SPEC.md 13.1): whom we introduced ourselves to,
//! who introduced itself to us, and what each side holds of the other's group.

use super::{ClientError, StateError};
use crate::account::AccountId;
use crate::bbs04::{GroupPublicKey, MemberId, MemberKey};
use crate::certificate::{Certificate, CertificateError};
use crate::wire::DeliveryHandle;
use crate::Time;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};

/// A contact: someone who introduced itself to us, or whom we introduced ourselves to.
#[derive(Clone, Debug)]
pub(super) struct Contact {
    pub(super) account: AccountId,
    pub(super) certificate: Certificate,
    /// The member key of our group we gave them (to open their replies, or revoke them).
    pub(super) issued: Option<MemberKey>,
    /// Ids their member key had in earlier generations of our group.
    pub(super) former_ids: Vec<MemberId>,
    /// A member key of their group, for replying to them.
    pub(super) membership: Option<Membership>,
    /// The handle of their cold call, whose token is attached to us until we release it.
    pub(super) unreleased: Option<DeliveryHandle>,
    pub(super) blocked: bool,
    /// The `created_at` of the introduction behind `membership`: an older one is refused
    /// (SPEC.md 13.4), so a replayed introduction cannot overwrite a newer membership.
    pub(super) introduced_at: Option<Time>,
    /// Whether every point above is known to be in its subgroup (see [`PointsChecked`]).
    pub(super) points_checked: PointsChecked,
}

/// Whether a contact's points are known to be in their subgroups. A contact built from
/// validated input is; one read from the state blob is not until [`Contact::check_points`] has
/// run (SPEC.md 13.1: the blob stores points uncompressed and its reader checks them on the
/// curve only, leaving the subgroup checks to a contact's first use). An atomic flag, so that a
/// check run through `&self` is remembered and the client stays `Sync`.
#[derive(Debug, Default)]
pub(super) struct PointsChecked(AtomicBool);

impl PointsChecked {
    /// Known to be in their subgroups.
    pub(super) fn checked() -> Self {
        Self(AtomicBool::new(true))
    }

    /// Whether the points are known to be in their subgroups.
    pub(super) fn is_checked(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

impl Clone for PointsChecked {
    fn clone(&self) -> Self {
        Self(AtomicBool::new(self.0.load(Ordering::Relaxed)))
    }
}

impl Contact {
    /// A contact we know only by its certificate so far.
    fn new(account: AccountId, certificate: Certificate) -> Self {
        Self {
            account,
            certificate,
            issued: None,
            former_ids: Vec::new(),
            membership: None,
            unreleased: None,
            blocked: false,
            introduced_at: None,
            points_checked: PointsChecked::checked(),
        }
    }

    /// Checks that every point of this contact (its certificate's, the member key we issued
    /// it, our member key of its group and that group's key) is in its subgroup, once: a
    /// contact read from the state blob is checked here before any of its points is computed
    /// with or handed out (SPEC.md 13.1). Fails with the field that is not, and changes nothing.
    pub(super) fn check_points(&self) -> Result<(), StateError> {
        if self.points_checked.is_checked() {
            return Ok(());
        }
        self.certificate
            .check_subgroups()
            .map_err(|e| StateError::Embedded {
                field: "contact.certificate",
                cause: CertificateError::Malformed(e).into(),
            })?;
        if let Some(issued) = &self.issued {
            issued.check_subgroups()?;
        }
        if let Some(m) = &self.membership {
            m.member.check_subgroups()?;
            m.group_key.check_subgroups()?;
        }
        self.points_checked.0.store(true, Ordering::Relaxed);
        Ok(())
    }
}

/// A member key of a contact's group and the group key it belongs to.
#[derive(Clone, Debug)]
pub(super) struct Membership {
    pub(super) member: MemberKey,
    pub(super) group_key: GroupPublicKey,
}

/// Every contact, in the order we met them.
#[derive(Clone, Debug, Default)]
pub(super) struct Contacts {
    pub(super) list: Vec<Contact>,
}

impl Contacts {
    /// The index of the contact with this account, or [`ClientError::UnknownContact`].
    pub(super) fn index(&self, account: &AccountId) -> Result<usize, ClientError> {
        self.list
            .iter()
            .position(|c| c.account == *account)
            .ok_or(ClientError::UnknownContact)
    }

    /// The index of the contact with this account if the app may act on it: it exists
    /// ([`ClientError::UnknownContact`]) and is not blocked ([`ClientError::Blocked`]). The
    /// one notion of an active contact.
    pub(super) fn active(&self, account: &AccountId) -> Result<usize, ClientError> {
        let index = self.index(account)?;
        match self.list.get(index) {
            Some(c) if c.blocked => Err(ClientError::Blocked),
            Some(_) => Ok(index),
            None => Err(ClientError::UnknownContact),
        }
    }

    /// The index of the contact with this account, its certificate replaced by `certificate`;
    /// a new contact if there was none.
    pub(super) fn upsert(&mut self, account: AccountId, certificate: &Certificate) -> usize {
        if let Ok(i) = self.index(&account) {
            if let Some(c) = self.list.get_mut(i) {
                c.certificate = certificate.clone();
            }
            return i;
        }
        self.list.push(Contact::new(account, certificate.clone()));
        self.list.len().saturating_sub(1)
    }

    /// The contact we issued the member key `id` to (now or in an earlier generation).
    pub(super) fn by_member(&self, id: &MemberId) -> Option<usize> {
        self.list.iter().position(|c| {
            c.issued.as_ref().is_some_and(|m| m.id() == *id) || c.former_ids.contains(id)
        })
    }

    /// The contact at `index`.
    pub(super) fn get(&self, index: usize) -> Option<&Contact> {
        self.list.get(index)
    }

    /// The contact at `index`, to change.
    pub(super) fn get_mut(&mut self, index: usize) -> Option<&mut Contact> {
        self.list.get_mut(index)
    }

    /// Every contact.
    pub(super) fn iter(&self) -> impl Iterator<Item = &Contact> {
        self.list.iter()
    }

    /// Every contact, to change.
    pub(super) fn iter_mut(&mut self) -> impl Iterator<Item = &mut Contact> {
        self.list.iter_mut()
    }

    /// How many contacts there are.
    pub(super) fn len(&self) -> usize {
        self.list.len()
    }
}
