//! Worlds prepared once per process for the sequence targets: the fixture server's store at
//! every point of the recorded run, with what had been accepted by then, so that an input
//! starts deep in the protocol by cloning a store instead of replaying registrations,
//! issuances and signatures.

use crate::fixture::{fixture, RecordedRequest, T0};
use blindpost::account::{AccountId, Channel};
use blindpost::server::{Output, Server};
use blindpost::store::MemoryStore;
use blindpost::vector_rng::VectorRng;
use blindpost::wire::{Delivery, DeliveryHandle, Request, Response};
use blindpost::Time;
use std::sync::OnceLock;

/// The server's state before one recorded request (or after the last one).
pub struct Point {
    /// The store.
    pub store: MemoryStore,
    /// The clock.
    pub now: Time,
}

/// The recorded run replayed on a fresh fixture server.
pub struct ServerWorld {
    /// The recorded requests: the pool inputs pick from.
    pub pool: Vec<RecordedRequest>,
    /// `points[i]`: before `pool[i]`; the last one after the whole run.
    pub points: Vec<Point>,
    /// Whether the replayed server accepted `pool[i]`.
    pub accepted: Vec<bool>,
    /// `pool[i]` decoded (`None` if it does not decode).
    pub requests: Vec<Option<Request>>,
    /// The replayed server's response to `pool[i]`.
    pub responses: Vec<Response>,
    /// Every account that sent an authenticated request in the run.
    pub accounts: Vec<AccountId>,
}

/// The server world, built once per process.
pub fn server_world() -> &'static ServerWorld {
    static WORLD: OnceLock<ServerWorld> = OnceLock::new();
    WORLD.get_or_init(ServerWorld::new)
}

impl ServerWorld {
    fn new() -> Self {
        let pool = fixture().recording().requests.clone();
        let server = fixture().server();
        let mut rng = VectorRng::new(b"blindpost fuzz server world");
        let mut points = Vec::with_capacity(pool.len() + 1);
        let mut accepted = Vec::with_capacity(pool.len());
        let mut accounts = Vec::new();
        let mut requests = Vec::with_capacity(pool.len());
        let mut responses = Vec::with_capacity(pool.len());
        // The replay's delivery handles differ from the recording's (they are random): later
        // releases are rewritten to name the replay's.
        let mut handles: Vec<([u8; 16], [u8; 16])> = Vec::new();
        let recorded_handles: Vec<([u8; 16], Vec<u8>)> = fixture()
            .recording()
            .deliveries
            .iter()
            .filter_map(|(bytes, _)| match Delivery::from_bytes(bytes).ok()? {
                Delivery::ColdCall { handle, sealed, .. } => Some((handle.0, sealed)),
                _ => None,
            })
            .collect();
        let mut pool = pool;
        for r in &mut pool {
            points.push(Point {
                store: server.store().clone(),
                now: r.now,
            });
            if let Ok(Request::Release { handle }) = Request::from_bytes(&r.request) {
                if let Some((_, new)) = handles.iter().find(|(old, _)| *old == handle.0) {
                    r.request = Request::Release {
                        handle: DeliveryHandle(*new),
                    }
                    .to_bytes();
                }
            }
            let handled = server.handle(&mut rng, r.now, r.channel, &r.request);
            for output in &handled.outputs {
                if let Output::Deliver {
                    delivery: Delivery::ColdCall { handle, sealed, .. },
                    ..
                } = output
                {
                    if let Some((old, _)) = recorded_handles.iter().find(|(_, s)| s == sealed) {
                        handles.push((*old, handle.0));
                    }
                }
            }
            accepted.push(!matches!(handled.decoded, Response::Error { .. }));
            requests.push(Request::from_bytes(&r.request).ok());
            responses.push(handled.decoded);
            if let Channel::Authenticated(a) = r.channel {
                if !accounts.contains(&a) {
                    accounts.push(a);
                }
            }
        }
        points.push(Point {
            store: server.store().clone(),
            now: pool.last().map_or(T0, |r| r.now),
        });
        Self {
            pool,
            points,
            accepted,
            requests,
            responses,
            accounts,
        }
    }

    /// A fixture server holding the store of point `i`.
    pub fn server_at(&self, server: &mut Server<MemoryStore>, i: usize) {
        *server.store_mut() = self.points[i].store.clone();
    }

    /// The requests accepted before point `i`: each one's channel, the request and the
    /// response (decoded once, here).
    pub fn accepted_before(
        &self,
        i: usize,
    ) -> impl Iterator<Item = (Channel, &Request, &Response)> {
        (0..i).filter(|&k| self.accepted[k]).filter_map(move |k| {
            Some((
                self.pool[k].channel,
                self.requests[k].as_ref()?,
                &self.responses[k],
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_replay_accepts_what_the_recorded_server_accepted() {
        let world = server_world();
        assert!(world.pool.len() > 10);
        for (r, ok) in world.pool.iter().zip(&world.accepted) {
            let recorded = Response::from_bytes(&r.response).expect("recorded response");
            let recorded_ok = !matches!(recorded, Response::Error { .. });
            assert_eq!(*ok, recorded_ok, "{recorded:?}");
        }
    }
}
