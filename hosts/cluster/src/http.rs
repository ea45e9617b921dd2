//! The real thing: the clients' hosts talk to the server processes over loopback HTTP with the
//! CLI's [`Transport`], and read their codes from the servers' SMS files.

use crate::link::{Link, LinkError, Rng};
use blindpost::certificate::PhoneNumber;
use blindpost::client::{Client, Transmit};
use blindpost::Time;
use blindpost_cli::transport::{Transport, TransportOptions};
use std::path::PathBuf;
use std::time::Duration;

/// How long one request may take before the client counts it as lost and sends it again.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Transports to every server process and their SMS files.
pub struct Http {
    transports: Vec<Transport>,
    sms_files: Vec<PathBuf>,
}

impl Http {
    /// A link to the servers at `urls` (one route each) whose SMS files are `sms_files`.
    pub fn new(urls: &[String], sms_files: Vec<PathBuf>) -> Result<Self, String> {
        let transports = urls
            .iter()
            .map(|url| {
                let mut options = TransportOptions::new(url.clone());
                options.timeout = REQUEST_TIMEOUT;
                Transport::new(options).map_err(|e| e.to_string())
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            transports,
            sms_files,
        })
    }

    fn transport(&self, route: usize) -> &Transport {
        &self.transports[route % self.transports.len()]
    }
}

impl Link for Http {
    fn routes(&self) -> usize {
        self.transports.len()
    }

    async fn send(
        &self,
        route: usize,
        client: &Client,
        rng: &mut Rng,
        now: Time,
        transmit: &Transmit,
    ) -> Result<Vec<u8>, LinkError> {
        self.transport(route)
            .send(client, rng, now, transmit)
            .await
            .map_err(|e| LinkError(e.to_string()))
    }

    async fn fetch(
        &self,
        route: usize,
        client: &Client,
        rng: &mut Rng,
        now: Time,
    ) -> Result<Vec<(u64, Vec<u8>)>, LinkError> {
        self.transport(route)
            .fetch_deliveries(client, rng, now)
            .await
            .map_err(|e| LinkError(e.to_string()))
    }

    async fn ack(
        &self,
        route: usize,
        client: &Client,
        rng: &mut Rng,
        now: Time,
        up_to: u64,
    ) -> Result<(), LinkError> {
        self.transport(route)
            .ack_deliveries(client, rng, now, up_to)
            .await
            .map_err(|e| LinkError(e.to_string()))
    }

    /// The last code in any server's SMS file (lines `<phone> <code>`).
    fn code(&self, phone: &PhoneNumber) -> Option<String> {
        let mut code = None;
        for file in &self.sms_files {
            let Ok(text) = std::fs::read_to_string(file) else {
                continue;
            };
            for line in text.lines() {
                if let Some((p, c)) = line.split_once(' ') {
                    if p == phone.as_str() {
                        code = Some(c.trim().to_string());
                    }
                }
            }
        }
        code
    }
}
