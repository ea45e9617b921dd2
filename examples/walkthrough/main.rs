//! `cargo run --release --example walkthrough [-- --population N --seed S --quiet]`
//! `cargo run --release --example walkthrough -- --store embedded|postgres|redis-cluster`
//! `cargo run --release --example walkthrough -- --server URL --sms-file PATH`
//!
//! A population of phones runs the whole blindpost protocol against one in-memory server, in
//! eleven acts: server keys, registration, discovery, cold calls, replies, releases and
//! renewals, a spammer running dry, a contact blocked and revoked, what the server saw and
//! what it could not tell (each claim backed by a check on the recorded requests and the
//! store), what a server timing every request could link (a population of sleeping,
//! restarting phones against the traffic-analysis adversary), and a month of reputation
//! stamps and a bulk sender's tier, with timings.
//!
//! Everything random comes from one `VectorRng` seeded by `--seed`, and the clock is simulated,
//! so two runs with the same options print the same text except for the timing table.
//! Any protocol step that fails unexpectedly, or any check that does not hold, stops the run
//! with a message and a non-zero exit code.
//!
//! With `--server` or `--store` it runs live instead (`live.rs`): the acts that fit real time,
//! over HTTP against a real `blindpost-server`, with the real clock.
//!
//! Code map: the simulated deployment (server host, network, SMS, queues, end-to-end sealing,
//! the request log) is `blindpost::simulation`; `host.rs` adds the people, timings and steps
//! that report failures; `walk.rs` holds the shared state and act 1; then one file per topic:
//! `registration.rs` (act 2), `discovery.rs` (3), `conversations.rs` (4, 5), `clock.rs` (the
//! simulated clock, 6), `spam.rs` (7), `revocation.rs` (8), `view.rs` (9), `link.rs` (10) and
//! `reputation.rs` (11).

/// Prints a line to stdout. When stdout is gone (for example piped into `head`), the run ends
/// quietly instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::emit(format_args!($($arg)*))
    };
}

/// Prints only in verbose mode.
macro_rules! say {
    ($w:expr, $($arg:tt)*) => {
        if !$w.quiet {
            out!($($arg)*);
        }
    };
}

mod clock;
mod conversations;
mod discovery;
mod host;
mod link;
mod live;
mod registration;
mod reputation;
mod revocation;
mod spam;
mod view;
mod walk;

use blindpost::certificate::PhoneNumber;
use blindpost::vector_rng::VectorRng;
use blindpost::Time;
use host::{hex_prefix, Context, Res};
use rand_core::Rng;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use walk::Walk;

/// The simulated clock starts here (2027-01-15 08:00 UTC).
const T0: Time = Time::from_unix_secs(1_800_000_000);
const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;
const DEFAULT_SEED: &str = "blindpost walkthrough";
const MIN_POPULATION: usize = 5;
const MAX_POPULATION: usize = 10_000;
/// How many lines of detail an act prints before it summarises.
const DETAIL: usize = 3;

const NAMES: [&str; 26] = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "ken",
    "laura", "mike", "nina", "oscar", "peggy", "quinn", "rupert", "sybil", "trent", "uma",
    "victor", "wendy", "xavier", "yara", "zoe",
];

const USAGE: &str = "usage: walkthrough [--population N] [--seed S] [--quiet]
       walkthrough --store embedded|postgres|redis-cluster [--quiet]
       walkthrough --server URL --sms-file PATH [--quiet]
  --population N  people on the server, the spammer included (default 50, 5..=10000)
  --seed S        seed of the deterministic run (default \"blindpost walkthrough\")
  --quiet         print only each act's result line, the server's view and the timings
  --store S       run live against a blindpost-server started here on 127.0.0.1 with store S
                  (postgres and redis-cluster: BLINDPOST_POSTGRES_URL, BLINDPOST_REDIS_CLUSTER,
                  as target/engines/env sets them)
  --server URL    run live against the blindpost-server at URL
  --sms-file PATH the file that server appends its codes to (its --sms-file)
  A live run has 3 people and a spammer, uses the real clock and skips what needs the simulated one.";

struct Options {
    population: usize,
    seed: String,
    quiet: bool,
    /// The server of a live run.
    live: Option<live::Target>,
    sms_file: Option<std::path::PathBuf>,
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        population: 50,
        seed: DEFAULT_SEED.to_string(),
        quiet: false,
        live: None,
        sms_file: None,
    };
    let mut simulated_only = false;
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--population" => {
                let v = value("--population")?;
                let n: usize = v
                    .parse()
                    .map_err(|_| format!("--population: not a number: {v}"))?;
                if !(MIN_POPULATION..=MAX_POPULATION).contains(&n) {
                    return Err(format!(
                        "--population must be {MIN_POPULATION}..={MAX_POPULATION}, not {n}"
                    ));
                }
                options.population = n;
                simulated_only = true;
            }
            "--seed" => {
                options.seed = value("--seed")?;
                simulated_only = true;
            }
            "--store" | "--server" if options.live.is_some() => {
                return Err("--store and --server name one server: give one of them".into())
            }
            "--store" => {
                options.live = Some(live::Target::Store(live::StoreKind::parse(&value(
                    "--store",
                )?)?))
            }
            "--server" => options.live = Some(live::Target::Server(value("--server")?)),
            "--sms-file" => options.sms_file = Some(value("--sms-file")?.into()),
            "--quiet" if inline.is_none() => options.quiet = true,
            "--help" | "-h" => return Err(String::new()),
            _ => return Err(format!("unknown argument: {arg}")),
        }
    }
    match &options.live {
        Some(_) if simulated_only => {
            return Err(
                "--population and --seed are for the simulated run, not with --store or --server"
                    .into(),
            )
        }
        Some(live::Target::Server(_)) if options.sms_file.is_none() => {
            return Err(
                "--server needs --sms-file: the file that server appends its codes to".into(),
            )
        }
        None if options.sms_file.is_some() => {
            return Err("--sms-file goes with --server or --store".into())
        }
        _ => {}
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("walkthrough: {message}");
            }
            eprintln!("{USAGE}");
            return if message.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    let result = match &options.live {
        Some(target) => live::run(&live::LiveOptions {
            target: target.clone(),
            sms_file: options.sms_file.clone(),
            quiet: options.quiet,
        }),
        None => run(&options),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nwalkthrough FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

fn emit(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    if writeln!(std::io::stdout().lock(), "{args}").is_err() {
        std::process::exit(0);
    }
}

fn run(options: &Options) -> Res<()> {
    let started = Instant::now();
    out!(
        "blindpost walkthrough: {} people on one in-memory server, seed \"{}\"",
        options.population,
        options.seed
    );
    let mut walk = Walk::setup(options)?;
    walk.act2_registration()?;
    walk.act3_discovery()?;
    walk.act4_cold_calls()?;
    walk.act5_replies()?;
    walk.act6_releases()?;
    walk.act7_spammer()?;
    walk.act8_block()?;
    walk.act9_view()?;
    walk.act10_link(options)?;
    walk.act11_reputation()?;
    walk.print_timings(started.elapsed());
    out!("\nwalkthrough complete: every step and every check passed");
    Ok(())
}

/// A readable name for honest user `i`.
fn name_of(i: usize) -> String {
    let base = NAMES[i % NAMES.len()];
    match i / NAMES.len() {
        0 => base.to_string(),
        round => format!("{base}{}", round + 1),
    }
}

/// The phone number of honest user `i`: spread out in one range, so a scraper walking the
/// range finds them.
fn phone_of(i: usize) -> Res<PhoneNumber> {
    number(1000 + 37 * i as u64)
}

/// The phone number `+1555` followed by `n` in seven digits.
fn number(n: u64) -> Res<PhoneNumber> {
    let text = format!("+1555{n:07}");
    PhoneNumber::parse(&text).ctx(|| format!("phone number {text}"))
}

/// A uniform index below `n` (n > 0); the tiny modulo bias does not matter for a simulation.
fn pick(rng: &mut VectorRng, n: usize) -> usize {
    (rng.next_u64() % n as u64) as usize
}

/// A time relative to T0, for example `T0-8h00m`.
fn at(t: Time) -> String {
    let (sign, d) = if t >= T0 {
        ('+', t.secs_since(T0))
    } else {
        ('-', T0.secs_since(t))
    };
    format!("T0{sign}{}h{:02}m", d / HOUR, (d % HOUR) / 60)
}

/// The time `t` as an offset from `from`, for example `+3h07m`.
fn rel(t: Time, from: Time) -> String {
    let d = t.secs_since(from);
    format!("+{}h{:02}m", d / HOUR, (d % HOUR) / 60)
}

/// The heading of an act.
fn header(number: u32, title: &str) {
    let line = format!("== {number}. {title} ");
    out!("\n{line}{}", "=".repeat(96usize.saturating_sub(line.len())));
}

impl Walk {
    /// The timing table: medians per server request type and per client call, and act times.
    pub fn print_timings(&self, total: Duration) {
        out!("\n== Timings (this machine; medians) {}", "=".repeat(62));
        for (side, title) in [
            (
                host::Side::Server,
                "server: Server::handle, by request type",
            ),
            (host::Side::Client, "client: calls, by operation"),
        ] {
            out!(
                "  {title:<44} {:>7} {:>11} {:>11}",
                "count",
                "median",
                "total"
            );
            for (name, n, median, sum) in self.timings.summary(side) {
                out!(
                    "    {name:<42} {n:>7} {:>11} {:>11}",
                    fmt_duration(median),
                    fmt_duration(sum)
                );
            }
        }
        out!("  acts");
        for (name, d) in &self.acts {
            out!(
                "    {name:<42} {:>7} {:>11} {:>11}",
                "",
                "",
                fmt_duration(*d)
            );
        }
        out!("  whole run {:>63}", fmt_duration(total));
    }
}

fn fmt_duration(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1000.0 {
        format!("{us:.0} us")
    } else if us < 1e6 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}
