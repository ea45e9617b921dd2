//! `blindpost`: a command line client for a blindpost server (SPEC.md 17.5).
//!
//! Every command locks the state file, loads it, calls the client, saves (before anything is
//! sent, SPEC.md 13.2), sends what is due now and prints what happened. Requests the schedule
//! defers (a reply waits its random delay, a lookup waits for its time in the discovery
//! window) are sent by a later command or by `blindpost run`.
//!
//! Exit codes: 0 done; 1 refused (by the client or the server); 2 bad usage; 3 the server
//! could not be reached (what was queued stays queued); 4 the state file is unusable.

use blindpost::account::AccountId;
use blindpost::certificate::{Certificate, PhoneNumber};
use blindpost::client::{Client, RequestId};
use blindpost::wire::{Request, Response};
use blindpost_cli::runner::{self, client_settings, Host, HostError, StepReport};
use blindpost_cli::state::{AppData, HostSettings, StateFile, StateFileError};
use blindpost_cli::transport::{Transport, TransportError};
use blindpost_e2e::E2eState;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// A blindpost client: register a phone number, find contacts, cold-call, reply, block.
#[derive(Parser, Debug)]
#[command(name = "blindpost", version)]
struct Cli {
    /// The state file (created by `init`; holds secret keys, mode 0600).
    #[arg(long, global = true, default_value = "./blindpost.state")]
    state: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Creates the state: fetches the server's keys (anonymously) and pins them.
    Init {
        /// The server's base URL (http://host:port or https://host:port).
        #[arg(long)]
        server: String,
        /// A SOCKS5 proxy for anonymous requests (Tor's SocksPort, e.g. 127.0.0.1:9050).
        #[arg(long)]
        socks: Option<SocketAddr>,
        /// A PEM root certificate to trust for the server (a private or test server).
        #[arg(long)]
        root_cert: Option<PathBuf>,
        /// Upper bound of the random delay before a reply leaves (seconds).
        #[arg(long, default_value_t = HostSettings::default().reply_delay)]
        reply_delay: u64,
        /// Mean delay of background work: renewals, key checks, discovery tokens (seconds).
        #[arg(long, default_value_t = HostSettings::default().background_delay)]
        background_delay: u64,
        /// Least delay before an accepted cold call's token is released (seconds).
        #[arg(long, default_value_t = HostSettings::default().release_delay)]
        release_delay: u64,
        /// Send every queued request at once, whatever its time. Defeats the protection
        /// of the schedule against timing analysis: for tests and local development only.
        #[arg(long)]
        ignore_schedule: bool,
        /// Timeout of one HTTP request (seconds).
        #[arg(long, default_value_t = HostSettings::default().timeout)]
        timeout: u64,
    },
    /// Asks the server to send a verification code to PHONE by SMS.
    RequestCode {
        /// The phone number (E.164, e.g. +15550001).
        phone: String,
    },
    /// Registers PHONE with the CODE received by SMS.
    Register {
        /// The phone number.
        phone: String,
        /// The verification code.
        code: String,
    },
    /// Finds which of the numbers have accounts (their certificates are kept for `send`).
    Lookup {
        /// Phone numbers.
        #[arg(required = true)]
        phones: Vec<String>,
    },
    /// Cold-calls a looked-up number (pays one token): introduces us with MESSAGE.
    Send {
        /// The phone number (looked up before) or a contact.
        to: String,
        /// The message.
        message: String,
    },
    /// Runs one pass (sends what is due, fetches deliveries) and prints new messages.
    Receive,
    /// Writes MESSAGE to a contact who introduced itself (waits the reply delay).
    Reply {
        /// The contact: its phone number or the start of its account id (hex).
        contact: String,
        /// The message.
        message: String,
    },
    /// Blocks a contact: its token is never released and its member key is revoked.
    Block {
        /// The contact: its phone number or the start of its account id (hex).
        contact: String,
    },
    /// Prints the account, tokens, contacts, outstanding requests and next wake-up.
    Status,
    /// Runs the client: passes until the time limit, sleeping until the next due time.
    Run {
        /// One pass, then exit.
        #[arg(long)]
        once: bool,
        /// Stop after this many seconds (default: run until interrupted).
        #[arg(long = "for")]
        for_secs: Option<u64>,
        /// Fetch deliveries at least this often (seconds).
        #[arg(long, default_value_t = 60)]
        poll: u64,
    },
}

/// A command's failure, with the exit code it maps to.
#[derive(Debug)]
enum Failure {
    /// Refused by the client, the server, or the input (exit 1).
    Refused(String),
    /// The server could not be reached (exit 3).
    Unreachable(String),
    /// The state file is unusable (exit 4).
    State(String),
}

impl From<HostError> for Failure {
    fn from(e: HostError) -> Self {
        match e {
            HostError::State(e) => Failure::State(e.to_string()),
            HostError::Transport(e) => transport_failure(e),
            e => Failure::Refused(e.to_string()),
        }
    }
}

impl From<StateFileError> for Failure {
    fn from(e: StateFileError) -> Self {
        Failure::State(e.to_string())
    }
}

fn transport_failure(e: TransportError) -> Failure {
    match e {
        TransportError::Status { .. } | TransportError::Malformed(_) => {
            Failure::Refused(e.to_string())
        }
        e => Failure::Unreachable(e.to_string()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(execute(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Refused(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
        Err(Failure::Unreachable(e)) => {
            eprintln!("error: {e}");
            eprintln!("(what was queued stays in the state file; `blindpost run` sends it later)");
            ExitCode::from(3)
        }
        Err(Failure::State(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(4)
        }
    }
}

async fn execute(cli: Cli) -> Result<(), Failure> {
    let file = StateFile::lock(&cli.state)?;
    if let Command::Init {
        server,
        socks,
        root_cert,
        reply_delay,
        background_delay,
        release_delay,
        ignore_schedule,
        timeout,
    } = cli.command
    {
        let settings = HostSettings {
            reply_delay,
            background_delay,
            release_delay,
            ignore_schedule,
            timeout,
        };
        return init(file, server, socks, root_cert, settings).await;
    }
    if !file.exists() {
        return Err(StateFileError::Missing(cli.state.clone()).into());
    }
    let mut host = Host::open(file)?;
    let result = command(&mut host, cli.command).await;
    print_notices(&mut host);
    // Notices printed are not printed again (a failed save only repeats them).
    let saved = host.persist();
    result?;
    saved?;
    Ok(())
}

async fn init(
    file: StateFile,
    server: String,
    socks: Option<SocketAddr>,
    root_cert: Option<PathBuf>,
    settings: HostSettings,
) -> Result<(), Failure> {
    if file.exists() {
        return Err(StateFileError::Exists(file.path().to_path_buf()).into());
    }
    let root_certificate_pem = match root_cert {
        Some(path) => Some(
            std::fs::read_to_string(&path)
                .map_err(|e| Failure::Refused(format!("cannot read {}: {e}", path.display())))?,
        ),
        None => None,
    };
    let app = AppData {
        server,
        socks,
        root_certificate_pem,
        settings,
        ..AppData::default()
    };
    let transport = Transport::new(runner::transport_options(&app)).map_err(transport_failure)?;
    let response = transport
        .anonymous(Request::FetchKeys.to_bytes())
        .await
        .map_err(transport_failure)?;
    let keys = match Response::from_bytes(&response) {
        Ok(Response::Keys(keys)) => keys,
        Ok(other) => {
            return Err(Failure::Refused(format!(
                "the server answered the key fetch with {:?}",
                other.request_type()
            )))
        }
        Err(e) => return Err(Failure::Refused(format!("the server's keys: {e}"))),
    };
    let mut rng: rand::rngs::StdRng = rand::make_rng();
    let client = Client::new(&mut rng, keys, client_settings(&app.settings));
    let e2e = E2eState::generate(&mut rng, client.account().0);
    let host = Host::create(file, client, e2e, app)?;
    println!("account {}", hex::encode(host.client.account().as_bytes()));
    println!(
        "pinned the keys of {}",
        String::from_utf8_lossy(host.client.server_keys().cold_call_tokens.issuer_name())
    );
    Ok(())
}

async fn command(host: &mut Host, command: Command) -> Result<(), Failure> {
    let now = runner::now();
    match command {
        Command::Init { .. } => unreachable!("handled before the state is opened"),
        Command::RequestCode { phone } => {
            let phone = parse_phone(&phone)?;
            host.app.phone = Some(phone.as_str().to_string());
            let rng = &mut host.rng;
            host.client.request_code(rng, now, phone);
            host.persist()?;
            host.send_due().await?;
        }
        Command::Register { phone, code } => {
            let phone = parse_phone(&phone)?;
            let host_key = host.host_key();
            let rng = &mut host.rng;
            host.client
                .register(rng, now, phone, &code, Some(host_key))
                .map_err(refused)?;
            host.persist()?;
            host.send_due().await?;
            if host.client.certificate().is_none() {
                return Err(Failure::Refused("not registered".into()));
            }
        }
        Command::Lookup { phones } => {
            let phones = phones
                .iter()
                .map(|p| parse_phone(p))
                .collect::<Result<Vec<_>, _>>()?;
            let rng = &mut host.rng;
            // Obtains this window's discovery tokens first if the client has none yet.
            host.client.handle_timeout(rng, now);
            host.client.lookup(rng, now, phones).map_err(refused)?;
            host.persist()?;
            host.send_due().await?;
            if host.client.outstanding() > 0 {
                println!("the lookup waits for its time; `blindpost run` completes it");
            }
        }
        Command::Send { to, message } => {
            let certificate = find_certificate(host, &to)?;
            let queued = host.cold_call(&certificate, message.as_bytes())?;
            host.send_due().await?;
            fail_if_failed(host, queued.id)?;
        }
        Command::Receive => {
            let report = host.step().await?;
            print_messages(host);
            fail_on(report)?;
        }
        Command::Reply { contact, message } => {
            let (account, _) = find_contact(host, &contact)?;
            let queued = host.reply(account, message.as_bytes())?;
            host.send_due().await?;
            fail_if_failed(host, queued.id)?;
            if host.client.outstanding() > 0 {
                println!("the message waits for its time; `blindpost run` sends it");
            }
        }
        Command::Block { contact } => {
            let (account, _) = find_contact(host, &contact)?;
            let rng = &mut host.rng;
            let upload = host.client.block(rng, now, account).map_err(refused)?;
            host.persist()?;
            host.send_due().await?;
            if let Some(id) = upload {
                fail_if_failed(host, id)?;
            }
        }
        Command::Status => print_status(host),
        Command::Run {
            once,
            for_secs,
            poll,
        } => {
            if once {
                let report = host.step().await?;
                print_messages(host);
                fail_on(report)?;
            } else {
                let limit = Duration::from_secs(for_secs.unwrap_or(u64::MAX));
                let poll = Duration::from_secs(poll.max(1));
                host.run(limit, poll, |host, report| {
                    print_notices(host);
                    print_messages(host);
                    if let Some(e) = &report.failure {
                        eprintln!("warning: {e} (retrying later)");
                    }
                })
                .await?;
            }
        }
    }
    Ok(())
}

fn refused(e: impl std::fmt::Display) -> Failure {
    Failure::Refused(e.to_string())
}

/// Refuses if request `id` failed for good (its notice says why).
fn fail_if_failed(host: &Host, id: RequestId) -> Result<(), Failure> {
    if host.failed.contains(&id) {
        Err(Failure::Refused("the request failed".into()))
    } else {
        Ok(())
    }
}

fn fail_on(report: StepReport) -> Result<(), Failure> {
    match report.failure {
        Some(e) => Err(transport_failure(e)),
        None => Ok(()),
    }
}

fn parse_phone(phone: &str) -> Result<PhoneNumber, Failure> {
    PhoneNumber::parse(phone).map_err(|e| Failure::Refused(format!("{phone:?}: {e}")))
}

/// The certificate to cold-call `to`: from a lookup, or a contact's.
fn find_certificate(host: &Host, to: &str) -> Result<Certificate, Failure> {
    if let Some(hex_cert) = host.app.found.get(to) {
        let bytes = hex::decode(hex_cert)
            .map_err(|e| Failure::State(format!("a stored certificate: {e}")))?;
        return Certificate::from_bytes(&bytes)
            .map_err(|e| Failure::State(format!("a stored certificate: {e}")));
    }
    match find_contact(host, to) {
        Ok((_, certificate)) => Ok(certificate),
        Err(_) => Err(Failure::Refused(format!(
            "{to} was not found: run `blindpost lookup {to}` first"
        ))),
    }
}

/// A contact by phone number or by the start of its account id in hex.
fn find_contact(host: &Host, contact: &str) -> Result<(AccountId, Certificate), Failure> {
    let wanted = contact.to_ascii_lowercase();
    let matches: Vec<_> = host
        .client
        .contacts()
        .into_iter()
        .filter(|c| {
            c.certificate.phone().as_str() == contact
                || (wanted.len() >= 8 && hex::encode(c.account.as_bytes()).starts_with(&wanted))
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok((one.account, one.certificate.clone())),
        [] => Err(Failure::Refused(format!("no contact {contact}"))),
        _ => Err(Failure::Refused(format!(
            "{contact} names several contacts: give more of the account id"
        ))),
    }
}

fn print_notices(host: &mut Host) {
    for notice in host.take_notices() {
        println!("{notice}");
    }
}

fn print_messages(host: &mut Host) {
    for message in host.app.messages.iter_mut().filter(|m| !m.shown) {
        let from = message
            .phone
            .clone()
            .unwrap_or_else(|| message.from.clone());
        let kind = if message.cold_call {
            " (cold call)"
        } else {
            ""
        };
        println!("message from {from}{kind}: {}", message.text);
        message.shown = true;
    }
}

fn print_status(host: &mut Host) {
    let client = &host.client;
    println!("account {}", hex::encode(client.account().as_bytes()));
    println!("server {}", host.app.server);
    match client.certificate() {
        Some(c) => println!("registered {}", c.phone()),
        None => println!(
            "not registered{}",
            host.app
                .phone
                .as_ref()
                .map(|p| format!(" (code asked for {p})"))
                .unwrap_or_default()
        ),
    }
    let tokens = client.token_counts();
    println!(
        "tokens available {} in_flight {} attached {} renewing {}",
        tokens.available, tokens.in_flight, tokens.attached, tokens.renewing
    );
    for c in client.contacts() {
        let mut flags = Vec::new();
        if c.can_reply {
            flags.push("can-reply");
        }
        if c.introduced {
            flags.push("introduced");
        }
        if c.unreleased {
            flags.push("unreleased");
        }
        if c.blocked {
            flags.push("blocked");
        }
        println!(
            "contact {} {} {}",
            c.certificate.phone(),
            hex::encode(c.account.as_bytes()),
            flags.join(",")
        );
    }
    println!("outstanding {}", client.outstanding());
    let now = runner::now();
    match client.poll_timeout() {
        Some(t) => println!("next wake-up in {} s", t.secs_since(now)),
        None => println!("next wake-up none"),
    }
    let unread = host.app.messages.iter().filter(|m| !m.shown).count();
    println!("unread messages {unread}");
}
