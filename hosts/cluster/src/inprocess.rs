//! The baseline: the same workload with no HTTP, no processes and no database. Requests go
//! straight to [`Server::handle`] over a [`MemoryStore`], deliveries through the server
//! crate's [`DeliveryQueue`] on the same store, codes into a map.

use crate::link::{Link, LinkError, Rng};
use blindpost::account::{AccountId, Channel};
use blindpost::certificate::PhoneNumber;
use blindpost::client::{Client, Transmit};
use blindpost::server::{Output, Server, ServerConfig, ServerSecrets};
use blindpost::store::MemoryStore;
use blindpost::Time;
use blindpost_server::queue::{DeliveryQueue, QueueLimits};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The issuer name of the in-process server.
const NAME: &[u8] = b"blindpost.local";

/// A server, its delivery queue and its SMS log, in this process.
pub struct InProcess {
    server: Server<Arc<MemoryStore>>,
    queue: DeliveryQueue<Arc<MemoryStore>>,
    sms: Mutex<HashMap<PhoneNumber, String>>,
}

impl InProcess {
    /// A fresh server with the default configuration and newly generated keys.
    pub fn new(rng: &mut Rng, now: Time) -> Result<Self, String> {
        let config = ServerConfig::default();
        let secrets = ServerSecrets::generate(rng, now, NAME, &config.discovery)
            .map_err(|e| e.to_string())?;
        let store = Arc::new(MemoryStore::new());
        let server = Server::new(config, secrets, Arc::clone(&store)).map_err(|e| e.to_string())?;
        Ok(Self {
            server,
            queue: DeliveryQueue::new(store, QueueLimits::default()),
            sms: Mutex::new(HashMap::new()),
        })
    }

    /// The keys clients pin.
    pub fn public_keys(&self) -> blindpost::wire::ServerKeys {
        self.server.public_keys()
    }

    /// The account an authenticated request comes from, established as the HTTP host does:
    /// the client signs the credential (`Client::authorize`) over the method, path and body,
    /// and the server checks it (`Server::authenticate`), so both runs pay the same for it.
    fn authenticate(
        &self,
        client: &Client,
        rng: &mut Rng,
        now: Time,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<AccountId, LinkError> {
        let auth = client
            .authorize(rng, now, method, path, body)
            .map_err(|e| LinkError(e.to_string()))?;
        self.server
            .authenticate(now, &auth.to_bytes(), method, path, body)
            .map_err(|e| LinkError(e.to_string()))
    }
}

impl Link for InProcess {
    fn routes(&self) -> usize {
        1
    }

    async fn send(
        &self,
        _route: usize,
        client: &Client,
        rng: &mut Rng,
        now: Time,
        transmit: &Transmit,
    ) -> Result<Vec<u8>, LinkError> {
        let channel = match transmit.channel {
            Channel::Authenticated(_) => Channel::Authenticated(self.authenticate(
                client,
                rng,
                now,
                "POST",
                "/v1/authenticated",
                &transmit.bytes,
            )?),
            other => other,
        };
        let handled = self.server.handle(rng, now, channel, &transmit.bytes);
        // As the HTTP host does: every delivery is queued before the response leaves.
        for output in handled.outputs {
            match output {
                Output::SendCode { phone, code } => {
                    self.sms
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(phone, code.as_str().to_string());
                }
                Output::Deliver {
                    recipient,
                    delivery,
                } => {
                    self.queue
                        .enqueue(now, &recipient, &delivery.to_bytes())
                        .map_err(|e| LinkError(e.to_string()))?;
                }
            }
        }
        Ok(handled.response)
    }

    async fn fetch(
        &self,
        _route: usize,
        client: &Client,
        rng: &mut Rng,
        now: Time,
    ) -> Result<Vec<(u64, Vec<u8>)>, LinkError> {
        let account = self.authenticate(client, rng, now, "GET", "/v1/deliveries", b"")?;
        self.queue
            .fetch(now, &account, 64)
            .map_err(|e| LinkError(e.to_string()))
    }

    async fn ack(
        &self,
        _route: usize,
        client: &Client,
        rng: &mut Rng,
        now: Time,
        up_to: u64,
    ) -> Result<(), LinkError> {
        let body = up_to.to_be_bytes();
        let account = self.authenticate(client, rng, now, "POST", "/v1/deliveries/ack", &body)?;
        self.queue
            .ack(now, &account, up_to)
            .map(|_| ())
            .map_err(|e| LinkError(e.to_string()))
    }

    fn code(&self, phone: &PhoneNumber) -> Option<String> {
        self.sms
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(phone)
            .cloned()
    }
}
