//! One whole round on each shared store, when its engine is configured
//! (`BLINDPOST_POSTGRES_URL`, `BLINDPOST_REDIS_CLUSTER`; `bash ci/engines.sh start` starts both
//! and writes them to `target/engines/env`). Without the variable a test prints a note and
//! passes, except under `CI=true`, where a missing engine is a failure.

mod common;

use blindpost_server::StoreChoice;

/// The variable's value, or `None` after a skip note (a panic under `CI=true`).
fn engine(variable: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(value) if !value.is_empty() => Some(value),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{variable} is not set, and CI=true requires the engine")
        }
        _ => {
            eprintln!("skipped: {variable} is not set (bash ci/engines.sh start)");
            None
        }
    }
}

/// A name no other run uses: the store namespaces of concurrent runs must not meet.
fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{prefix}_{}_{nanos}", std::process::id())
}

async fn round_on(store: StoreChoice) {
    let dir = tempfile::tempdir().unwrap();
    let mut options = common::options(dir.path());
    options.store = store;
    let server = blindpost_server::start(options)
        .await
        .expect("server starts");
    let health = common::http()
        .get(format!("{}/health", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    common::round(dir.path(), &server, "+1555030").await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_on_postgres() {
    let Some(url) = engine("BLINDPOST_POSTGRES_URL") else {
        return;
    };
    round_on(StoreChoice::Postgres {
        url,
        table: unique("server"),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_on_redis_cluster() {
    let Some(nodes) = engine("BLINDPOST_REDIS_CLUSTER") else {
        return;
    };
    round_on(StoreChoice::RedisCluster {
        nodes: nodes.split(',').map(str::to_owned).collect(),
        prefix: unique("server"),
    })
    .await;
}
