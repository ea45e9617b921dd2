//! The configuration file: the example in the crate parses, and flags-free options follow it.

use blindpost_server::config::{FileConfig, ServerOptions};
use blindpost_server::StoreChoice;

#[test]
fn the_example_config_parses_into_options() {
    let text = include_str!("../blindpost-server.example.toml");
    let file = FileConfig::parse(text).expect("the example parses");
    let options = ServerOptions::new("elsewhere").with_file(&file).unwrap();
    assert_eq!(options.listen, "127.0.0.1:8080".parse().unwrap());
    assert_eq!(options.data_dir, std::path::Path::new("blindpost-data"));
    assert_eq!(options.name, "blindpost.local");
    assert_eq!(options.store, StoreChoice::Embedded);
    assert_eq!(options.body_limit, 256 * 1024);
    assert_eq!(options.queue.max_len, 10_000);
    assert_eq!(options.queue.retention, 30 * 24 * 3600);
    assert!(options.tls.is_none());
    assert!(options.bulk.is_none());
    let bulk = FileConfig::parse(
        "bulk_anchors = \"a.pem\"\nbulk_tiers = [\"mail.example.com=500\", \"b.example.com=2\"]\n",
    )
    .unwrap();
    let options = ServerOptions::new("d").with_file(&bulk).unwrap();
    let tiers = options.bulk.expect("the bulk settings");
    assert_eq!(tiers.anchors, std::path::Path::new("a.pem"));
    assert_eq!(
        tiers.tiers,
        std::collections::BTreeMap::from([
            ("b.example.com".to_owned(), 2),
            ("mail.example.com".to_owned(), 500)
        ])
    );
    for bad in [
        "mail.example.com",
        "mail.example.com=",
        "a.example=-1",
        "a.example=x",
    ] {
        assert!(blindpost_server::config::parse_tier(bad).is_err(), "{bad}");
    }
}

#[test]
fn store_settings_and_errors() {
    let file = FileConfig::parse(
        "store = \"redis-cluster\"\nredis_nodes = [\"redis://127.0.0.1:7000\"]\n",
    )
    .unwrap();
    let options = ServerOptions::new("d").with_file(&file).unwrap();
    assert_eq!(
        options.store,
        StoreChoice::RedisCluster {
            nodes: vec!["redis://127.0.0.1:7000".to_owned()],
            prefix: "blindpost".to_owned()
        }
    );
    let missing = FileConfig::parse("store = \"postgres\"\n").unwrap();
    assert!(ServerOptions::new("d").with_file(&missing).is_err());
    assert!(FileConfig::parse("no_such_key = 1\n").is_err());
    let half_tls = FileConfig::parse("tls_cert = \"c.pem\"\n").unwrap();
    assert!(ServerOptions::new("d").with_file(&half_tls).is_err());
}
