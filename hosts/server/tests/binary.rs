//! The `blindpost-server` binary: configuration file and flags, the `listening on` line, and a
//! clean exit on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_until_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("server.toml");
    // The file names a port the flag overrides and an SMS file the test reads.
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:1\"\nsms_file = {:?}\nname = \"binary.test\"\n",
            dir.path().join("codes.txt")
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_blindpost-server"))
        .arg("--config")
        .arg(&config)
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .unwrap()
    .unwrap();
    let url = line
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:") && !url.ends_with(":0") && !url.ends_with(":1"));

    let http = reqwest::Client::new();
    let health = http.get(format!("{url}/health")).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let keys = http
        .post(format!("{url}/v1/anonymous"))
        .body(blindpost::wire::Request::FetchKeys.to_bytes())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    match blindpost::wire::Response::from_bytes(&keys).unwrap() {
        blindpost::wire::Response::Keys(keys) => {
            assert_eq!(keys.cold_call_tokens.issuer_name(), b"binary.test")
        }
        other => panic!("{other:?}"),
    }
    assert!(dir.path().join("data/secrets.bin").exists());

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
}
