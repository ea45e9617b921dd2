//! The client host's run loop (SPEC.md 13.2, 13.6, 17.5): one [`Host::step`] runs the
//! client's timers, makes its events durable, sends the requests whose time has come (each
//! response fed back, each failure handed to `handle_send_failure`), fetches the queued
//! deliveries, opens them and hands them over, saves, and only then acknowledges them.
//! [`Host::run`] repeats steps, sleeping until the client's next time.
//!
//! Every call into the client is followed by a save that first moves the client's events into
//! the app data, so the state file always holds the events of the state it holds (13.2 steps
//! 1 and 2 in one crash-safe write); transmits and acknowledgements happen only after it.
//!
//! Payloads are sealed end to end as [`sealing`] says ([`Host::cold_call`], [`Host::reply`],
//! [`Host::accept_delivery`]). The end-to-end state is saved in the same write as the
//! client's: after every seal, before the request leaves; after every open, before the
//! acknowledgement.

use crate::sealing::{self, ComposeError, DeliveryRefused};
use crate::state::{AppData, HostSettings, ReceivedMessage, StateFile, StateFileError};
use crate::transport::{Transport, TransportError, TransportOptions};
use blindpost::account::AccountId;
use blindpost::certificate::{Certificate, HostKey};
use blindpost::client::{
    Client, ClientError, ClientSettings, Delay, Event, FailureReason, RequestId,
};
use blindpost::Time;
use blindpost_e2e::{E2eState, OpenError, SealError};
use rand::rngs::StdRng;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The most fetches of 64 deliveries one step makes (the rest waits for the next step).
const MAX_FETCH_ROUNDS: usize = 16;

/// The most requests one step sends (a bound on a loop of responses that queue requests).
const MAX_SENDS_PER_STEP: usize = 256;

/// Why a host operation failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum HostError {
    /// The state file could not be read or written.
    State(StateFileError),
    /// The client refused a call.
    Client(ClientError),
    /// The server could not be reached or answered with an error status.
    Transport(TransportError),
    /// A payload could not be sealed.
    Seal(SealError),
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::State(e) => e.fmt(f),
            Self::Client(e) => e.fmt(f),
            Self::Transport(e) => e.fmt(f),
            Self::Seal(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for HostError {}

impl From<StateFileError> for HostError {
    fn from(e: StateFileError) -> Self {
        Self::State(e)
    }
}

impl From<ClientError> for HostError {
    fn from(e: ClientError) -> Self {
        Self::Client(e)
    }
}

impl From<TransportError> for HostError {
    fn from(e: TransportError) -> Self {
        Self::Transport(e)
    }
}

impl From<SealError> for HostError {
    fn from(e: SealError) -> Self {
        Self::Seal(e)
    }
}

impl From<ComposeError> for HostError {
    fn from(e: ComposeError) -> Self {
        match e {
            ComposeError::Client(e) => Self::Client(e),
            ComposeError::Seal(e) => Self::Seal(e),
        }
    }
}

/// A payload sealed and queued by [`Host::cold_call`] or [`Host::reply`].
#[derive(Debug)]
pub struct Queued {
    /// The client's request (its failure shows as [`Event::RequestFailed`]).
    pub id: RequestId,
    /// The sealed payload, as the server will queue it for the recipient.
    pub sealed: Vec<u8>,
}

/// What one step did.
#[derive(Debug, Default)]
pub struct StepReport {
    /// Requests sent and answered.
    pub sent: usize,
    /// Deliveries handed to the client.
    pub delivered: usize,
    /// The transport failure that stopped sending or fetching, if any (what was not sent
    /// stays queued for the next step).
    pub failure: Option<TransportError>,
}

/// The system clock as the protocol's time.
pub fn now() -> Time {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Time::from_unix_secs(secs)
}

/// The client's settings for the host's: the delays the user chose, the rest the defaults.
pub fn client_settings(settings: &HostSettings) -> ClientSettings {
    let background = settings.background_delay;
    ClientSettings {
        reply_delay: Delay::Uniform {
            min: 0,
            max: settings.reply_delay,
        },
        background_delay: Delay::Exponential {
            min: 0,
            mean: background,
            max: background.saturating_mul(6),
        },
        release_delay: Delay::Exponential {
            min: settings.release_delay,
            mean: settings.release_delay.saturating_mul(2),
            max: settings.release_delay.saturating_mul(6),
        },
        ..ClientSettings::default()
    }
}

/// The transport options of a state's app data.
pub fn transport_options(app: &AppData) -> TransportOptions {
    TransportOptions {
        server: app.server.clone(),
        socks: app.socks,
        timeout: Duration::from_secs(app.settings.timeout.max(1)),
        root_certificate_pem: app
            .root_certificate_pem
            .as_ref()
            .map(|p| p.as_bytes().to_vec()),
    }
}

/// A client with everything its host keeps: the end-to-end state, the app's data, the locked
/// state file, the transport and a generator.
pub struct Host {
    /// The client.
    pub client: Client,
    /// The host's end-to-end state (host key, Olm account and sessions).
    pub e2e: E2eState,
    /// The app's data.
    pub app: AppData,
    /// The generator for every call into the client.
    pub rng: StdRng,
    /// The requests that failed for good since this host was opened (from
    /// [`Event::RequestFailed`]), so a command can tell whether its own request failed.
    pub failed: Vec<RequestId>,
    file: StateFile,
    transport: Transport,
}

impl Host {
    /// A new host around a new client: saves the state before anything else happens.
    pub fn create(
        file: StateFile,
        client: Client,
        e2e: E2eState,
        app: AppData,
    ) -> Result<Self, HostError> {
        let transport = Transport::new(transport_options(&app))?;
        let mut host = Self {
            client,
            e2e,
            app,
            file,
            transport,
            rng: rand::make_rng(),
            failed: Vec::new(),
        };
        host.persist()?;
        Ok(host)
    }

    /// The host of the state in `file`.
    pub fn open(file: StateFile) -> Result<Self, HostError> {
        let contents = file.load()?;
        let client = Client::from_bytes(&contents.client, client_settings(&contents.app.settings))?;
        let transport = Transport::new(transport_options(&contents.app))?;
        Ok(Self {
            client,
            e2e: contents.e2e,
            app: contents.app,
            file,
            transport,
            rng: rand::make_rng(),
            failed: Vec::new(),
        })
    }

    /// The transport.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Moves the client's events into the app data and saves the state (SPEC.md 13.2 steps 1
    /// and 2, in one crash-safe write).
    pub fn persist(&mut self) -> Result<(), HostError> {
        while let Some(event) = self.client.poll_event() {
            self.record(event);
        }
        self.file.save(&self.client, &self.e2e, &self.app)?;
        Ok(())
    }

    /// The host key to register in the certificate.
    pub fn host_key(&self) -> HostKey {
        // 33 bytes: within the certificate's host key limit.
        HostKey::new(&self.e2e.host_key())
            .unwrap_or_else(|_| unreachable!("a 33-byte host key fits a certificate"))
    }

    /// Cold-calls `certificate`'s account with `message` ([`sealing::seal_cold_call`]), queued
    /// and saved with the offer it made (the request is not sent yet).
    pub fn cold_call(
        &mut self,
        certificate: &Certificate,
        message: &[u8],
    ) -> Result<Queued, HostError> {
        let now = now();
        let (recipient, sealed) = sealing::seal_cold_call(
            &mut self.client,
            &mut self.e2e,
            &mut self.rng,
            now,
            certificate,
            message,
        )?;
        let queued = self.client.send_cold_call(now, recipient, &sealed);
        // Saved whether or not the client queued it: the offer's one-time key is made.
        let saved = self.persist();
        let id = queued?;
        saved?;
        Ok(Queued { id, sealed })
    }

    /// Writes `message` to the contact `account` ([`sealing::seal_reply`]), queued and saved
    /// with the ratchet step (the request is not sent yet; a restart resends these bytes,
    /// never seals again).
    pub fn reply(&mut self, account: AccountId, message: &[u8]) -> Result<Queued, HostError> {
        let now = now();
        let sealed = sealing::seal_reply(
            &mut self.client,
            &mut self.e2e,
            &mut self.rng,
            now,
            account,
            message,
        )?;
        let queued = self.client.send_reply(&mut self.rng, now, account, &sealed);
        // Saved whether or not the client queued it: the ratchet has moved on either way.
        let saved = self.persist();
        let id = queued?;
        saved?;
        Ok(Queued { id, sealed })
    }

    /// Takes the notices for the user.
    pub fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.app.notices)
    }

    /// The name the user knows an account by: its phone number if known, else its id.
    pub fn name_of(&self, account: &AccountId) -> String {
        self.client
            .contacts()
            .iter()
            .find(|c| &c.account == account)
            .map(|c| c.certificate.phone().as_str().to_string())
            .unwrap_or_else(|| hex::encode(account.as_bytes()))
    }

    /// One pass: timers, save, due transmits, deliveries, save, acknowledgement.
    pub async fn step(&mut self) -> Result<StepReport, HostError> {
        let mut report = StepReport::default();
        let now = now();
        self.client.handle_timeout(&mut self.rng, now);
        self.persist()?;
        match self.send_due().await {
            Ok(sent) => report.sent = sent,
            Err(HostError::Transport(e)) => {
                report.failure = Some(e);
                return Ok(report);
            }
            Err(e) => return Err(e),
        }
        if self.client.certificate().is_some() {
            match self.receive().await {
                Ok(n) => report.delivered = n,
                Err(HostError::Transport(e)) => report.failure = Some(e),
                Err(e) => return Err(e),
            }
        }
        Ok(report)
    }

    /// Sends the requests whose time has come (all queued ones under
    /// [`HostSettings::ignore_schedule`]), feeding back each response and saving after each.
    /// Stops at the first transport failure (the request goes back to the queue).
    pub async fn send_due(&mut self) -> Result<usize, HostError> {
        let mut sent = 0;
        for _ in 0..MAX_SENDS_PER_STEP {
            let now = now();
            let until = if self.app.settings.ignore_schedule {
                Time::MAX
            } else {
                now
            };
            let Some(transmit) = self.client.poll_transmit(until) else {
                break;
            };
            let result = self
                .transport
                .send(&self.client, &mut self.rng, now, &transmit)
                .await;
            let response = match result {
                Ok(response) => response,
                Err(e) => {
                    self.client.handle_send_failure(transmit.id)?;
                    self.persist()?;
                    return Err(e.into());
                }
            };
            if let Err(e) =
                self.client
                    .handle_response(&mut self.rng, self::now(), transmit.id, &response)
            {
                self.app
                    .notices
                    .push(format!("the server's answer was refused: {e}"));
            }
            sent += 1;
            self.persist()?;
        }
        Ok(sent)
    }

    /// Fetches the queued deliveries, opens them and hands them to the client, saves, then
    /// acknowledges them (SPEC.md 13.2 step 4). Returns how many were handed over.
    pub async fn receive(&mut self) -> Result<usize, HostError> {
        let mut handed = 0;
        for _ in 0..MAX_FETCH_ROUNDS {
            let fetched = self
                .transport
                .fetch_deliveries(&self.client, &mut self.rng, now())
                .await?;
            let Some(last) = fetched.last().map(|(seq, _)| *seq) else {
                break;
            };
            for (seq, bytes) in fetched {
                // Handed over before a crash that lost the acknowledgement: the client would
                // ignore it anyway (13.4).
                if self.app.delivered_up_to.is_some_and(|up_to| seq <= up_to) {
                    continue;
                }
                self.hand_over(&bytes);
                self.app.delivered_up_to = Some(seq);
                handed += 1;
            }
            self.persist()?;
            self.transport
                .ack_deliveries(&self.client, &mut self.rng, now(), last)
                .await?;
        }
        Ok(handed)
    }

    /// Opens one delivery and hands it to the client; what cannot be opened or is refused
    /// becomes a notice (and is acknowledged all the same: it will never open, and a replayed
    /// one was handled the first time).
    fn hand_over(&mut self, bytes: &[u8]) {
        match self.accept_delivery(bytes) {
            Ok(()) => {}
            Err(DeliveryRefused::Open(OpenError::Replayed)) => self
                .app
                .notices
                .push("a delivery was dropped: it was delivered before (replayed)".into()),
            Err(e) => self
                .app
                .notices
                .push(format!("a delivery was dropped: {e}")),
        }
    }

    /// Opens `delivery` (the bytes the server queued) and hands it to the client
    /// ([`sealing::open_delivery`]), recording the events it makes. Not saved: the caller
    /// saves before it acknowledges. A refused delivery changes nothing (a sender mismatch
    /// aside, which is found only once the client has taken the payload: its message is then
    /// not recorded).
    pub fn accept_delivery(&mut self, delivery: &[u8]) -> Result<(), DeliveryRefused> {
        // Events before this delivery are recorded first, so that those checked are its own.
        while let Some(event) = self.client.poll_event() {
            self.record(event);
        }
        let events = sealing::open_delivery(&mut self.client, &mut self.e2e, now(), delivery)?;
        for event in events {
            self.record(event);
        }
        Ok(())
    }

    /// Steps until `limit` has passed: after each step, sleeps until the client's next time
    /// (at most `poll`, the interval at which deliveries are fetched). A transport failure is
    /// reported through `on_step` and retried at the next step.
    pub async fn run(
        &mut self,
        limit: Duration,
        poll: Duration,
        mut on_step: impl FnMut(&mut Self, &StepReport),
    ) -> Result<(), HostError> {
        // A limit too far to represent is no limit.
        let end = tokio::time::Instant::now().checked_add(limit);
        loop {
            let report = self.step().await?;
            on_step(self, &report);
            let now_instant = tokio::time::Instant::now();
            let left = match end {
                Some(end) if now_instant >= end => return Ok(()),
                Some(end) => end - now_instant,
                None => poll,
            };
            let until_next = self
                .client
                .poll_timeout()
                .map(|t| Duration::from_secs(t.secs_since(now())))
                .unwrap_or(poll);
            // Sleep at least a second so that a time in the past does not spin the loop.
            let sleep = until_next.min(poll).max(Duration::from_secs(1)).min(left);
            tokio::time::sleep(sleep).await;
        }
    }

    /// Records one event in the app data.
    fn record(&mut self, event: Event) {
        let notice = match event {
            Event::CodeRequested { phone } => Some(format!("a code was sent to {phone}")),
            Event::Registered {
                certificate,
                tokens,
            } => Some(format!(
                "registered {} with {tokens} cold-call tokens",
                certificate.phone()
            )),
            Event::ColdCallSent { recipient } => Some(format!(
                "the cold call to {} was accepted",
                self.name_of(&recipient)
            )),
            Event::ReplySent { recipient } => Some(format!(
                "the message to {} was accepted",
                self.name_of(&recipient)
            )),
            Event::IntroductionReceived {
                contact,
                phone,
                message,
                cold_call,
                ..
            } => {
                self.push_message(
                    contact,
                    Some(phone.as_str().to_string()),
                    &message,
                    cold_call,
                );
                None
            }
            Event::MessageReceived {
                contact, message, ..
            } => {
                let phone = self
                    .client
                    .contacts()
                    .iter()
                    .find(|c| c.account == contact)
                    .map(|c| c.certificate.phone().as_str().to_string());
                self.push_message(contact, phone, &message, false);
                None
            }
            Event::LookupCompleted { found } => {
                let mut names = Vec::new();
                for certificate in found {
                    let phone = certificate.phone().as_str().to_string();
                    names.push(phone.clone());
                    self.app
                        .found
                        .insert(phone, hex::encode(certificate.to_bytes()));
                }
                Some(if names.is_empty() {
                    "lookup: none of the numbers has an account".to_string()
                } else {
                    format!("lookup: found {}", names.join(", "))
                })
            }
            Event::ContactBlocked { contact } => {
                Some(format!("blocked {}", self.name_of(&contact)))
            }
            Event::KeysInconsistent { set } => Some(format!(
                "WARNING: the server showed {set:?} keys that contradict the pinned ones"
            )),
            Event::RequestFailed {
                id,
                request,
                reason,
            } => Some({
                self.failed.push(id);
                match reason {
                    FailureReason::Server(code) => {
                        format!("{request:?} failed: the server refused it ({code:?})")
                    }
                    FailureReason::Client(e) => format!("{request:?} failed: {e}"),
                }
            }),
            _ => None,
        };
        if let Some(notice) = notice {
            self.app.notices.push(notice);
        }
    }

    fn push_message(
        &mut self,
        contact: AccountId,
        phone: Option<String>,
        message: &[u8],
        cold_call: bool,
    ) {
        self.app.messages.push(ReceivedMessage {
            from: hex::encode(contact.as_bytes()),
            phone,
            text: String::from_utf8_lossy(message).into_owned(),
            cold_call,
            received_at: now().unix_secs(),
            shown: false,
        });
    }
}
