//! Synthetic contacts for measuring and testing a large client state (feature `test-util`):
//! genuine certificates, member keys and group keys, added without running the protocol.

use super::contacts::{Contact, Membership, PointsChecked};
use super::Client;
use crate::account::AccountId;
use crate::bbs04::GroupManagerKey;
use crate::bls::SecretKey;
use crate::certificate::{CertificateContent, CertificateError, CertificateIssuer, PhoneNumber};
use crate::encoding::{DecodeError, DecodeErrorKind};
use crate::Time;
use alloc::format;
use rand_core::CryptoRng;

impl Client {
    /// Adds `n` contacts as a long-used client holds them: each with a certificate `issuer`
    /// signed (valid from `now` for a day, phone number `+1555` and the contact's index), a
    /// member key of our group issued to it, a member key of its own new group with that
    /// group's key, and the time of its introduction. Test and measurement only: nothing is
    /// exchanged with a server or the contacts, so the contacts exist for this client alone.
    pub fn add_synthetic_contacts<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        issuer: &CertificateIssuer,
        now: Time,
        n: usize,
    ) -> Result<(), CertificateError> {
        let start = self.state.contacts.len();
        let issued = self.state.group.issue_members(rng, n);
        for (i, issued) in issued.into_iter().enumerate() {
            let identity = SecretKey::generate(rng).public_key();
            let index = start.saturating_add(i);
            let certificate = issuer.issue(CertificateContent {
                // Always a valid number: "+1555" and eight digits.
                phone: PhoneNumber::parse(&format!("+1555{index:08}")).map_err(|_| {
                    CertificateError::Malformed(DecodeError::new(
                        "synthetic.phone",
                        DecodeErrorKind::InvalidValue,
                    ))
                })?,
                identity_key: identity,
                host_key: None,
                serial: u64::try_from(index).unwrap_or(u64::MAX),
                not_before: now,
                not_after: now.saturating_add(86_400),
            })?;
            let group = GroupManagerKey::generate(rng);
            self.state.contacts.list.push(Contact {
                account: AccountId::for_identity_key(&identity.to_bytes()),
                certificate,
                issued: Some(issued),
                former_ids: alloc::vec::Vec::new(),
                membership: Some(Membership {
                    member: group.issue_member(rng),
                    group_key: group.public_key().clone(),
                }),
                unreleased: None,
                blocked: false,
                introduced_at: Some(now),
                points_checked: PointsChecked::checked(),
            });
        }
        Ok(())
    }
}
