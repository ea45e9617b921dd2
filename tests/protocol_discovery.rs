//! Contact discovery on the server: per-account per-window issuance limits, tokens good only in
//! their window and only once, batch limits, bounded state over many windows, and lookups that
//! name no account.

mod support;

use blindpost::server::{DiscoveryConfig, ServerSecrets};
use blindpost::vector_rng::VectorRng;
use support::T0;

#[test]
fn discovery_keys_of_one_issuer_never_share_a_truncated_key_id() {
    // This seed draws two discovery keys whose ids end in the same byte: a request names its
    // key by that byte, so the server must draw again rather than fail (it used to fail with
    // `KeyGeneration`, about once in 256 generations or rotations).
    let mut rng = VectorRng::new(b"reply replay and skew");
    let secrets =
        ServerSecrets::generate(&mut rng, T0, b"blindpost.test", &DiscoveryConfig::default())
            .unwrap();
    let ids: Vec<u8> = secrets
        .discovery_keys
        .entries()
        .iter()
        .map(|e| e.key().id().truncated())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
}
