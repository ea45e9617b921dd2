//! How a simulated client's host reaches the deployment: the one seam between the workload and
//! what it runs against, so the HTTP run and the in-process baseline do exactly the same work.

use blindpost::certificate::PhoneNumber;
use blindpost::client::{Client, Transmit};
use blindpost::Time;
use std::fmt;
use std::future::Future;

/// The generator every simulated client draws from (ChaCha12 seeded from the OS).
pub type Rng = rand::rngs::StdRng;

/// A request that got no usable answer: the connection failed, timed out, or the server said
/// it could not reach its store. The request may or may not have been handled, so the client
/// sends it again (`Client::handle_send_failure`).
#[derive(Debug)]
pub struct LinkError(pub String);

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One deployment the clients talk to. A `route` names one of its [`Link::routes`] servers;
/// a client keeps to one and moves to the next when a request fails.
pub trait Link: Send + Sync + 'static {
    /// How many servers a client may pick from.
    fn routes(&self) -> usize;

    /// Sends one transmit of `client` by `route` and returns the response bytes.
    fn send(
        &self,
        route: usize,
        client: &Client,
        rng: &mut Rng,
        now: Time,
        transmit: &Transmit,
    ) -> impl Future<Output = Result<Vec<u8>, LinkError>> + Send;

    /// The oldest queued deliveries of `client` with their sequence numbers.
    fn fetch(
        &self,
        route: usize,
        client: &Client,
        rng: &mut Rng,
        now: Time,
    ) -> impl Future<Output = Result<Vec<(u64, Vec<u8>)>, LinkError>> + Send;

    /// Acknowledges every delivery of `client` up to sequence number `up_to`.
    fn ack(
        &self,
        route: usize,
        client: &Client,
        rng: &mut Rng,
        now: Time,
        up_to: u64,
    ) -> impl Future<Output = Result<(), LinkError>> + Send;

    /// The last verification code the deployment sent to `phone` by SMS, if any yet.
    fn code(&self, phone: &PhoneNumber) -> Option<String>;
}

/// The wall clock as the protocol's time.
pub fn now() -> Time {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Time::from_unix_secs(secs)
}
