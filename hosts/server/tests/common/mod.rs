//! Shared pieces of the server's HTTP tests: starting servers in temporary directories and a
//! client host speaking the HTTP protocol with the core `Client`.
#![allow(dead_code)]

use blindpost::wire::{Request, Response};
use blindpost_server::{RunningServer, ServerOptions, SmsChoice};
use std::path::{Path, PathBuf};

/// Options for a server in `dir` on a free loopback port, codes appended to `dir/sms.txt`.
pub fn options(dir: &Path) -> ServerOptions {
    let mut options = ServerOptions::new(dir.join("data"));
    options.sms = SmsChoice::File(sms_file(dir));
    options
}

/// The SMS file of a server made with [`options`].
pub fn sms_file(dir: &Path) -> PathBuf {
    dir.join("sms.txt")
}

/// Starts a server made with [`options`].
pub async fn start(dir: &Path) -> RunningServer {
    blindpost_server::start(options(dir))
        .await
        .expect("server starts")
}

/// A plain HTTP client (HTTP/1.1, pooled).
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("client builds")
}

/// POSTs `body` to `url` + `path` and returns the status and body.
pub async fn post(http: &reqwest::Client, url: &str, path: &str, body: Vec<u8>) -> (u16, Vec<u8>) {
    let response = http
        .post(format!("{url}{path}"))
        .header("content-type", "application/octet-stream")
        .body(body)
        .send()
        .await
        .expect("request answered");
    let status = response.status().as_u16();
    (status, response.bytes().await.expect("body read").to_vec())
}

/// The last code the server wrote to its SMS file for `phone`.
pub fn code_for(dir: &Path, phone: &str) -> Option<String> {
    let text = std::fs::read_to_string(sms_file(dir)).ok()?;
    text.lines().rev().find_map(|line| {
        line.strip_prefix(phone)?
            .strip_prefix(' ')
            .map(str::to_owned)
    })
}

/// A `FetchKeys` request's bytes.
pub fn fetch_keys() -> Vec<u8> {
    Request::FetchKeys.to_bytes()
}

/// Decodes a protocol response.
pub fn decode(bytes: &[u8]) -> Response {
    Response::from_bytes(bytes).expect("a protocol response")
}

/// The encoded answer to `FetchKeys` from `server`'s published keys.
pub fn keys_response(server: &RunningServer) -> Vec<u8> {
    Response::Keys(server.public_keys()).to_bytes()
}
