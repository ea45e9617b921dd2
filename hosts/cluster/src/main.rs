//! The load and fault run (SPEC.md 17.6): two `blindpost-server` processes over one store,
//! simulated clients over loopback HTTP, a server process killed and restarted and the store
//! engine failed over (Redis Cluster) or crashed (PostgreSQL) mid-run, then the checks.
//!
//! ```text
//! bash ci/engines.sh start; set -a; . target/engines/env; set +a
//! cargo build --release -p blindpost-server -p blindpost-cluster
//! cargo run --release -p blindpost-cluster -- --store redis-cluster|postgres [--clients 200] [--seconds 60]
//! ```
//!
//! It prints one `name value` per line and exits non-zero unless every check is 0:
//!
//! - `cluster.requests_per_s`, `cluster.cold_calls_per_s`, `cluster.replies_per_s`: requests
//!   the links carried (sends, delivery fetches and acknowledgements), and cold calls and
//!   replies the servers accepted, per second of the measured run phase over HTTP.
//! - `cluster.inprocess_ratio`: `cluster.requests_per_s` over the same figure for the same
//!   workload run first in this process (`Server::handle` on a `MemoryStore` with the server
//!   crate's `DeliveryQueue`, no HTTP), with as many clients for as long.
//! - `cluster.tokens_double_spent`: cold calls a restored copy of a wallet sent with a token
//!   the server had already accepted, that the server accepted again.
//! - `cluster.tokens_lost`: over every client, the cold-call tokens issued at registration
//!   minus those its wallet still holds at the end in any state (available, in flight,
//!   attached to a recipient that has not released it yet, being renewed). A token leaves a
//!   wallet only when the server refuses it for good (spent elsewhere, or invalid), so any
//!   token lost to a crash, a lost response or a lost store write counts here.
//! - `cluster.deliveries_lost`: cold calls and replies whose sender saw them accepted that no
//!   recipient's client took in by the end of the drain.
//! - `cluster.errors_after_recovery`: requests that got no usable answer (transport failure,
//!   or the server's `internal` store failure answer), refusals the workload did not provoke,
//!   client errors and failed registrations, counted outside the fault window: from the first
//!   fault until both servers answer `/health` again and [`SETTLE`] has passed, failures are
//!   expected and only retried; a request sent before the first fault or after the window, and
//!   failing outside it, counts. The reasons are printed on stderr (`error: N x reason`).

mod engine;
mod http;
mod inprocess;
mod link;
mod run;
mod servers;
mod tally;
mod workload;

use engine::Engine;
use link::{now, Rng};
use run::Outcome;
use servers::Fleet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tally::Tally;

/// How long after the last fault the deployment must answer again before errors count.
const SETTLE: Duration = Duration::from_secs(2);
/// The longest wait for both servers' health after the faults.
const HEALTH_MAX: Duration = Duration::from_secs(60);

/// The command line.
struct Args {
    store: String,
    clients: usize,
    seconds: u64,
    server_bin: Option<PathBuf>,
}

fn usage() -> String {
    "usage: blindpost-cluster --store redis-cluster|postgres|memory [--clients N] [--seconds S] [--server-bin PATH]".into()
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        store: String::new(),
        clients: 200,
        seconds: 60,
        server_bin: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--store" => args.store = value()?,
            "--clients" => {
                args.clients = value()?.parse().map_err(|e| format!("--clients: {e}"))?
            }
            "--seconds" => {
                args.seconds = value()?.parse().map_err(|e| format!("--seconds: {e}"))?
            }
            "--server-bin" => args.server_bin = Some(value()?.into()),
            "-h" | "--help" => return Err(usage()),
            other => return Err(format!("unknown argument {other:?}\n{}", usage())),
        }
    }
    if args.store.is_empty() {
        return Err(usage());
    }
    if args.clients < 2 || args.seconds < 5 {
        return Err("at least 2 clients and 5 seconds".into());
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cluster(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("blindpost-cluster: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Fresh phone numbers for this run (`+1555` then 6 random digits then the client's index),
/// so the registration limits of earlier runs on the same store do not apply.
fn phones(
    rng: &mut Rng,
    clients: usize,
) -> Result<Arc<Vec<blindpost::certificate::PhoneNumber>>, String> {
    use rand::RngExt as _;
    let run: u32 = rng.random_range(0..1_000_000);
    (0..clients)
        .map(|i| {
            blindpost::certificate::PhoneNumber::parse(&format!("+1555{run:06}{i:04}"))
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Arc::new)
}

/// Both runs and the report; `Ok(false)` when a check is not 0.
async fn cluster(args: Args) -> Result<bool, String> {
    let memory_only = args.store == "memory";
    let engine = match memory_only {
        true => None,
        false => Some(Engine::from_env(&args.store)?),
    };
    let binary = match memory_only {
        true => None,
        false => Some(servers::find_binary(args.server_bin.clone())?),
    };
    let mut rng: Rng = rand::make_rng();

    eprintln!(
        "baseline: {} clients in process for {} s",
        args.clients, args.seconds
    );
    let local = Arc::new(inprocess::InProcess::new(&mut rng, now())?);
    let keys = local.public_keys();
    let baseline = run::run(
        local,
        keys,
        phones(&mut rng, args.clients)?,
        args.seconds,
        Arc::new(Tally::default()),
        async { Ok(()) },
    )
    .await?;
    let (baseline_rps, _, _) = baseline.tally.rates();
    let (Some(engine), Some(binary)) = (engine, binary) else {
        // `--store memory`: the in-process run alone, checked like the cluster.
        return Ok(report(&baseline, baseline_rps));
    };
    drop(baseline);

    let data_dir = std::env::temp_dir().join(format!("blindpost-cluster-{}", std::process::id()));
    std::fs::create_dir_all(&data_dir).map_err(|e| format!("{}: {e}", data_dir.display()))?;
    let mut fleet = Fleet::new(binary, data_dir.clone(), engine.server_args.clone(), 2);
    let result = over_http(&args, &engine, &mut fleet, &mut rng).await;
    fleet.stop_all().await;
    let outcome = result?;
    let _ = std::fs::remove_dir_all(&data_dir);
    Ok(report(&outcome, baseline_rps))
}

/// Starts the servers and runs the workload over HTTP with the faults.
async fn over_http(
    args: &Args,
    engine: &Engine,
    fleet: &mut Fleet,
    rng: &mut Rng,
) -> Result<Outcome, String> {
    fleet.start(0).await?;
    fleet.start(1).await?;
    let urls = vec![fleet.url(0), fleet.url(1)];
    let keys = fetch_keys(&urls[0]).await?;
    let link = Arc::new(http::Http::new(
        &urls,
        vec![fleet.sms_file(0), fleet.sms_file(1)],
    )?);
    eprintln!(
        "cluster: {} clients over {} and {} for {} s on {}",
        args.clients, urls[0], urls[1], args.seconds, args.store
    );
    let tally = Arc::new(Tally::default());
    let faults = inject_faults(
        fleet,
        engine,
        Arc::clone(&tally),
        args.seconds,
        urls.clone(),
    );
    run::run(
        link,
        keys,
        phones(rng, args.clients)?,
        args.seconds,
        tally,
        faults,
    )
    .await
}

/// Mid-run: at 30% SIGKILL server 0 and restart it on the same data directory and address;
/// at 55% the engine's fault; then waits for both servers' health and [`SETTLE`].
async fn inject_faults(
    fleet: &mut Fleet,
    engine: &Engine,
    tally: Arc<Tally>,
    seconds: u64,
    urls: Vec<String>,
) -> Result<(), String> {
    let start = Instant::now();
    let at = |share: f64| start + Duration::from_secs_f64(seconds as f64 * share);
    tokio::time::sleep_until(at(0.3).into()).await;
    tally.disturb();
    eprintln!("fault: SIGKILL server 0");
    fleet.kill(0).await;
    fleet.start(0).await?;
    eprintln!("fault: server 0 restarted");
    tokio::time::sleep_until(at(0.55).into()).await;
    let engine = engine.clone();
    let faulted = tokio::task::spawn_blocking(move || engine.fault())
        .await
        .map_err(|e| format!("engine fault: {e}"))??;
    eprintln!("fault: {faulted}");
    let deadline = Instant::now() + HEALTH_MAX;
    for url in &urls {
        while !healthy(url).await {
            if Instant::now() > deadline {
                return Err(format!(
                    "{url} not healthy {} s after the faults",
                    HEALTH_MAX.as_secs()
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    tokio::time::sleep(SETTLE).await;
    tally.settle();
    eprintln!(
        "fault: settled {:.1} s into the run",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Whether `GET /health` answers 200.
async fn healthy(url: &str) -> bool {
    let client = reqwest::Client::new();
    matches!(
        client
            .get(format!("{url}/health"))
            .timeout(Duration::from_secs(2))
            .send()
            .await,
        Ok(r) if r.status().is_success()
    )
}

/// The keys the clients pin: a `fetch_keys` request on the anonymous endpoint.
async fn fetch_keys(url: &str) -> Result<blindpost::wire::ServerKeys, String> {
    let body = blindpost::wire::Request::FetchKeys.to_bytes();
    let response = reqwest::Client::new()
        .post(format!("{url}/v1/anonymous"))
        .header("content-type", "application/octet-stream")
        .body(body)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| format!("fetch_keys: {e}"))?;
    let bytes = response
        .bytes()
        .await
        .map_err(|e| format!("fetch_keys: {e}"))?;
    match blindpost::wire::Response::from_bytes(&bytes) {
        Ok(blindpost::wire::Response::Keys(keys)) => Ok(keys),
        other => Err(format!("fetch_keys answered {other:?}")),
    }
}

/// Prints the lines; true when every check is 0.
fn report(outcome: &Outcome, baseline_rps: f64) -> bool {
    let tally = &outcome.tally;
    let (rps, cold_calls, replies) = tally.rates();
    let ratio = if baseline_rps > 0.0 {
        rps / baseline_rps
    } else {
        0.0
    };
    let issued: usize = outcome.clients.iter().map(|c| c.issued).sum();
    let held: usize = outcome.clients.iter().map(|c| c.held).sum();
    let available: usize = outcome.clients.iter().map(|c| c.available).sum();
    let lost = issued.saturating_sub(held);
    let load = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
    println!("cluster.requests_per_s {rps:.1}");
    println!("cluster.cold_calls_per_s {cold_calls:.1}");
    println!("cluster.replies_per_s {replies:.1}");
    println!("cluster.inprocess_requests_per_s {baseline_rps:.1}");
    println!("cluster.inprocess_ratio {ratio:.2}");
    println!("cluster.messages_accepted {}", tally.accepted_count());
    println!("cluster.failures_retried {}", load(&tally.failures));
    println!("cluster.tokens_issued {issued}");
    println!("cluster.tokens_available_at_end {available}");
    println!(
        "cluster.double_spends_tried {}",
        load(&tally.double_spends_tried)
    );
    let checks = [
        ("cluster.tokens_double_spent", load(&tally.double_spent)),
        ("cluster.tokens_lost", lost as u64),
        ("cluster.deliveries_lost", tally.deliveries_lost() as u64),
        (
            "cluster.errors_after_recovery",
            load(&tally.errors_after_recovery),
        ),
    ];
    for (reason, count) in tally.reasons() {
        eprintln!("error: {count} x {reason}");
    }
    for (name, value) in checks {
        println!("{name} {value}");
    }
    checks.iter().all(|(_, v)| *v == 0)
}
