//! The blindpost client host: what a phone app (or the `blindpost` CLI) wraps around the
//! sans-IO [`blindpost::client::Client`] to talk to a real server (SPEC.md 17.5).
//!
//! - [`transport`]: HTTP to the server's endpoints; anonymous requests each on a connection of
//!   their own, through a SOCKS5 proxy (Tor) with a fresh isolation credential when one is
//!   configured; direct and authenticated requests on a separate pool, never proxied.
//! - [`sealing`]: end-to-end sealing with [`blindpost_e2e`] (SPEC.md 17.7) around the client's
//!   payloads: HPKE to the recipient host's key for a cold call (carrying an Olm offer), the
//!   Olm session for everything after.
//! - [`state`]: the crash-safe, locked state file.
//! - [`runner`]: one pass of the host (timers, transmits, deliveries, acknowledgements) in the
//!   persistence order of SPEC.md 13.2, and the loop that sleeps until the client's next time.

pub mod runner;
pub mod sealing;
pub mod state;
pub mod transport;
