//! What the client does with a delivery from its queue (SPEC.md 13.4).

use super::contacts::Membership;
use super::state::RECENT_DELIVERIES;
use super::{Client, ClientError, Event};
use crate::bbs04::PreparedGroupKey;
use crate::wire::{reply_context, Delivery, Introduction, Payload};
use crate::Time;
use sha2::{Digest, Sha256};

impl Client {
    /// A delivery arrived: `delivery` is what the server queued ([`Delivery::to_bytes`]) and
    /// `opened` is its sealed payload as the host decrypted it. Produces an event; a delivery
    /// seen before is ignored (redeliveries after a crash are expected).
    ///
    /// A delivery that fails any check is refused with a typed error and changes nothing.
    pub fn handle_delivery(
        &mut self,
        now: Time,
        delivery: &[u8],
        opened: &[u8],
    ) -> Result<(), ClientError> {
        if self.state.certificate.is_none() {
            return Err(ClientError::NotRegistered);
        }
        let delivery = Delivery::from_bytes(delivery)?;
        let payload = Payload::from_bytes(opened)?;
        let id = delivery_id(&delivery);
        if self.state.recent_deliveries.contains(&id) {
            return Ok(());
        }
        match delivery {
            Delivery::ColdCall { handle, .. } => {
                let Payload::Introduction(intro) = payload else {
                    return Err(ClientError::UnexpectedResponse);
                };
                self.verify_introduction(now, &intro)?;
                let sender = intro.sender();
                let index = self.state.contacts.index(&sender).ok();
                if index
                    .and_then(|i| self.state.contacts.get(i))
                    .is_some_and(|c| c.blocked)
                {
                    // A blocked contact's cold call keeps its token attached forever.
                    self.remember(id);
                    return Ok(());
                }
                if !self.store_introduction(&intro, Some(handle))? {
                    // The introduction we hold, again (under a fresh handle): nothing changes.
                    return Ok(());
                }
                self.events.push_back(Event::IntroductionReceived {
                    contact: sender,
                    phone: intro.content().certificate.phone().clone(),
                    message: intro.content().message.clone(),
                    host_material: intro.content().host_material.clone(),
                    cold_call: true,
                });
            }
            Delivery::Reply {
                generation,
                timestamp,
                sealed,
                signature,
            } => {
                // The group key the signature was made under: the current one, or one of the
                // last few generations (a reply may be in the queue across a revocation).
                let own = self.account();
                let group =
                    self.own_group_key(generation)
                        .ok_or(ClientError::UnknownGeneration {
                            generation,
                            current: self.state.group.public_key().generation(),
                        })?;
                // The server checked it; check again rather than trust the server.
                PreparedGroupKey::new(group).verify(
                    &reply_context(&own, generation, timestamp),
                    &sealed,
                    &signature,
                )?;
                let signer = self.state.group.open(&signature);
                let index = self
                    .state
                    .contacts
                    .by_member(&signer)
                    .ok_or(ClientError::UnknownSender)?;
                let contact = self
                    .state
                    .contacts
                    .get(index)
                    .map(|c| (c.account, c.blocked));
                let Some((account, blocked)) = contact else {
                    return Err(ClientError::UnknownSender);
                };
                if blocked {
                    self.remember(id);
                    return Ok(());
                }
                match payload {
                    Payload::Introduction(intro) => {
                        self.verify_introduction(now, &intro)?;
                        // The introduction must come from the contact the signature opened to.
                        if intro.sender() != account {
                            return Err(ClientError::UnknownSender);
                        }
                        if !self.store_introduction(&intro, None)? {
                            return Ok(());
                        }
                        self.events.push_back(Event::IntroductionReceived {
                            contact: account,
                            phone: intro.content().certificate.phone().clone(),
                            message: intro.content().message.clone(),
                            host_material: intro.content().host_material.clone(),
                            cold_call: false,
                        });
                    }
                    Payload::Message {
                        host_material,
                        message,
                    } => {
                        self.events.push_back(Event::MessageReceived {
                            contact: account,
                            message,
                            host_material,
                        });
                    }
                }
            }
        }
        self.remember(id);
        Ok(())
    }

    /// Our group's public key at `generation`, if it is current or remembered.
    fn own_group_key(&self, generation: u32) -> Option<crate::bbs04::GroupPublicKey> {
        let current = self.state.group.public_key();
        if current.generation() == generation {
            return Some(current.clone());
        }
        self.state
            .former_group_keys
            .iter()
            .find(|k| k.generation() == generation)
            .cloned()
    }

    fn verify_introduction(&self, now: Time, intro: &Introduction) -> Result<(), ClientError> {
        intro
            .verify(
                &self.state.keys.certificate_issuers,
                &self.account(),
                now,
                self.settings.max_clock_skew,
            )
            .map_err(ClientError::Introduction)
    }

    /// Records the sender of a checked introduction as a contact with its member key. An
    /// introduction older than the one held from that contact is refused and one as old is
    /// the same one replayed: `Ok(false)`, and neither changes anything (SPEC.md 13.4).
    fn store_introduction(
        &mut self,
        intro: &Introduction,
        handle: Option<crate::wire::DeliveryHandle>,
    ) -> Result<bool, ClientError> {
        let content = intro.content();
        let sender = intro.sender();
        let held = self
            .state
            .contacts
            .index(&sender)
            .ok()
            .and_then(|i| self.state.contacts.get(i))
            .and_then(|c| c.introduced_at);
        if let Some(stored) = held {
            if content.created_at < stored {
                return Err(ClientError::StaleIntroduction {
                    created_at: content.created_at,
                    stored,
                });
            }
            if content.created_at == stored {
                return Ok(false);
            }
        }
        let membership = Membership {
            member: content.member_key.clone(),
            group_key: content.group_key.clone(),
        };
        let index = self.state.contacts.upsert(sender, &content.certificate);
        if let Some(c) = self.state.contacts.get_mut(index) {
            c.membership = Some(membership);
            c.introduced_at = Some(content.created_at);
            if handle.is_some() {
                c.unreleased = handle;
            }
        }
        Ok(true)
    }

    fn remember(&mut self, id: [u8; 32]) {
        if self.state.recent_deliveries.len() >= RECENT_DELIVERIES {
            self.state.recent_deliveries.pop_front();
        }
        self.state.recent_deliveries.push_back(id);
    }
}

const DELIVERY_ID_DST: &[u8] = b"blindpost/v1/delivery-id";

/// A delivery's identity for duplicate detection: the digest of its bytes.
fn delivery_id(delivery: &Delivery) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([const { crate::encoding::dst_len(DELIVERY_ID_DST) }]);
    h.update(DELIVERY_ID_DST);
    h.update(delivery.to_bytes());
    h.finalize().into()
}
