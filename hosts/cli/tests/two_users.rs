//! Two users of the `blindpost` CLI (the built binary, each with its own state file) and a
//! server started in this process: register, find each other, cold-call, receive, reply,
//! receive the reply, block; the state survives between commands and a SIGKILL of a running
//! client; a second process on the same state is refused.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The longest any one command may take before the test fails.
const COMMAND_LIMIT: Duration = Duration::from_secs(120);

struct User {
    state: PathBuf,
}

impl User {
    fn new(dir: &Path, name: &str) -> Self {
        Self {
            state: dir.join(format!("{name}.state")),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_blindpost"));
        command
            .arg("--state")
            .arg(&self.state)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// Runs a command to its end (killed, and the test failed, past [`COMMAND_LIMIT`]).
    fn run(&self, args: &[&str]) -> Output {
        let mut child = self.command(args).spawn().expect("the CLI starts");
        let start = Instant::now();
        while child.try_wait().expect("wait").is_none() {
            if start.elapsed() > COMMAND_LIMIT {
                child.kill().ok();
                panic!("`blindpost {args:?}` did not finish in {COMMAND_LIMIT:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let output = child.wait_with_output().expect("output");
        eprintln!(
            "$ blindpost {}\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// Runs a command that must succeed; returns its standard output.
    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(output.status.success(), "`blindpost {args:?}` failed");
        String::from_utf8(output.stdout).expect("UTF-8 output")
    }

    /// Registers `phone`, reading the code from the server's SMS file.
    fn register(&self, dir: &Path, phone: &str) {
        let out = self.ok(&["request-code", phone]);
        assert!(
            out.contains(&format!("a code was sent to {phone}")),
            "{out}"
        );
        let code = common::code_for(dir, phone).expect("the server sent a code");
        let out = self.ok(&["register", phone, &code]);
        assert!(out.contains(&format!("registered {phone}")), "{out}");
    }
}

#[test]
fn two_users_register_find_each_other_cold_call_reply_and_block() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(common::start_server(dir.path()));
    let url = server.url();
    let alice = User::new(dir.path(), "alice");
    let bob = User::new(dir.path(), "bob");
    // Short delays, and the schedule ignored, so the conversation finishes in seconds.
    let init = [
        "init",
        "--server",
        url.as_str(),
        "--reply-delay",
        "1",
        "--background-delay",
        "1",
        "--release-delay",
        "1",
        "--ignore-schedule",
    ];
    for user in [&alice, &bob] {
        let out = user.ok(&init);
        assert!(out.contains("pinned the keys of blindpost.local"), "{out}");
        // init refuses to overwrite an account.
        assert_eq!(user.run(&init).status.code(), Some(4));
    }

    // A wrong code is refused, with nothing registered; the right one then works.
    alice.ok(&["request-code", "+15550001"]);
    let wrong = alice.run(&["register", "+15550001", "000000"]);
    let right = common::code_for(dir.path(), "+15550001").unwrap();
    if right != "000000" {
        assert_eq!(wrong.status.code(), Some(1));
    }
    alice.register(dir.path(), "+15550001");
    bob.register(dir.path(), "+15550002");

    // Alice finds Bob and cold-calls him.
    let out = alice.ok(&["lookup", "+15550002", "+15550999"]);
    assert!(out.contains("lookup: found +15550002"), "{out}");
    let refused = alice.run(&["send", "+15550999", "nobody"]);
    assert_eq!(refused.status.code(), Some(1));
    let out = alice.ok(&["send", "+15550002", "hello bob"]);
    assert!(
        out.contains("the cold call to +15550002 was accepted"),
        "{out}"
    );

    // Bob receives it once; the state remembers it was shown.
    let out = bob.ok(&["receive"]);
    assert!(
        out.contains("message from +15550001 (cold call): hello bob"),
        "{out}"
    );
    let out = bob.ok(&["receive"]);
    assert!(!out.contains("hello bob"), "{out}");

    // Bob replies (the first reply carries his introduction); Alice receives it.
    let out = bob.ok(&["reply", "+15550001", "hi alice"]);
    assert!(
        out.contains("the message to +15550001 was accepted"),
        "{out}"
    );
    let out = alice.ok(&["receive"]);
    assert!(out.contains("message from +15550002: hi alice"), "{out}");
    let status = alice.ok(&["status"]);
    assert!(status.contains("registered +15550001"), "{status}");
    assert!(status.contains("contact +15550002"), "{status}");
    assert!(status.contains("can-reply"), "{status}");

    // A second process on Alice's state is refused while one holds it.
    {
        let _held = blindpost_cli::state::StateFile::lock(&alice.state).unwrap();
        let out = alice.run(&["status"]);
        assert_eq!(out.status.code(), Some(4));
        assert!(String::from_utf8_lossy(&out.stderr).contains("in use"));
    }

    // Bob's client running in the background is killed; its state still loads, whole.
    let before = bob.ok(&["status"]);
    let mut running = bob
        .command(&["run", "--for", "60", "--poll", "1"])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    running.kill().unwrap();
    running.wait().unwrap();
    let after = bob.ok(&["status"]);
    let account = |s: &str| s.lines().next().unwrap_or_default().to_string();
    assert_eq!(account(&before), account(&after));
    assert!(after.contains("contact +15550001"), "{after}");
    let out = alice.ok(&["reply", "+15550002", "still there?"]);
    assert!(out.contains("was accepted"), "{out}");
    let out = bob.ok(&["receive"]);
    assert!(
        out.contains("message from +15550001: still there?"),
        "{out}"
    );

    // Alice blocks Bob: his later messages are not shown to her.
    let out = alice.ok(&["block", "+15550002"]);
    assert!(out.contains("blocked +15550002"), "{out}");
    // Bob's client learns of the revocation from Alice's group key and cannot sign.
    let out = bob.run(&["reply", "+15550001", "after the block"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("revoked"),
        "{out:?}"
    );
    let out = alice.ok(&["receive"]);
    assert!(!out.contains("after the block"), "{out}");
    let status = alice.ok(&["status"]);
    assert!(status.contains("blocked"), "{status}");
    // Nor can she write to him.
    assert_eq!(
        alice.run(&["reply", "+15550002", "no"]).status.code(),
        Some(1)
    );

    runtime.block_on(server.shutdown());
}
