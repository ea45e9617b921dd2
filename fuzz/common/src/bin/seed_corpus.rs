//! Writes the seed corpora of the fuzz targets: `seed-corpus <repository root>`.
//!
//! Every target gets every byte string found in `test-vectors/**/*.json` (hex strings decoded,
//! other strings as their UTF-8 bytes) and the PEM files under `test-vectors/`, plus the
//! messages, deliveries and client states of the fixture's recorded run and the fixture
//! server's secrets blob; `verification_code` gets inputs in its own format and the sequence targets none (their
//! structured inputs pick recorded messages by index; they start from `fuzz/corpus-min/`). Files go to `fuzz/corpus/<target>/`, named by a hash of their content.

use blindpost_fuzz_common::fixture::{fixture, T0};
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "..".into()));
    let targets: Vec<String> = std::fs::read_dir(root.join("fuzz/fuzz_targets"))
        .expect("fuzz/fuzz_targets")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".rs").map(str::to_owned)
        })
        .collect();

    let mut strings = BTreeSet::new();
    collect_files(&root.join("test-vectors"), &mut strings);
    let recording = fixture().recording();
    for r in &recording.requests {
        strings.insert(r.request.clone());
        strings.insert(r.response.clone());
    }
    for (delivery, opened) in &recording.deliveries {
        strings.insert(delivery.clone());
        strings.insert(opened.clone());
    }
    for s in &recording.scenarios {
        strings.insert(s.state.clone());
    }
    let secrets = fixture()
        .server()
        .secrets()
        .to_bytes()
        .expect("fixture secrets encode");
    strings.insert(secrets.to_vec());

    let mut special: BTreeMap<&str, Vec<Vec<u8>>> = BTreeMap::new();
    special.insert("verification_code", code_seeds(&root));
    // The sequence and host-input targets read structured inputs (`arbitrary`) that pick recorded messages
    // by index: they start from their minimised corpus (`fuzz/corpus-min/`), not from bytes.
    special.insert("server_sequence", Vec::new());
    special.insert("client_sequence", Vec::new());
    special.insert("host_auth", Vec::new());
    special.insert("store_readback", Vec::new());

    let mut total = 0;
    for target in &targets {
        let dir = root.join("fuzz/corpus").join(target);
        std::fs::create_dir_all(&dir).expect("corpus directory");
        let seeds: Vec<&Vec<u8>> = match special.get(target.as_str()) {
            Some(own) => own.iter().collect(),
            None => strings.iter().collect(),
        };
        for seed in seeds {
            let mut h = DefaultHasher::new();
            seed.hash(&mut h);
            std::fs::write(dir.join(format!("seed-{:016x}", h.finish())), seed).expect("write");
            total += 1;
        }
    }
    println!(
        "seed-corpus: {total} seeds for {} targets ({} byte strings, {} recorded requests, {} client scenarios)",
        targets.len(),
        strings.len(),
        recording.requests.len(),
        recording.scenarios.len()
    );
}

/// Every string in the JSON files and every PEM file under `dir`.
fn collect_files(dir: &Path, out: &mut BTreeSet<Vec<u8>>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("test-vectors")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).expect("read vector file");
            let value: serde_json::Value = serde_json::from_str(&text).expect("vector JSON");
            collect_strings(&value, out);
        } else if path.extension().is_some_and(|e| e == "pem") {
            out.insert(std::fs::read(&path).expect("read PEM"));
        }
    }
}

fn collect_strings(value: &serde_json::Value, out: &mut BTreeSet<Vec<u8>>) {
    match value {
        serde_json::Value::String(s) => {
            let hex_text = s.strip_prefix("0x").unwrap_or(s);
            match hex::decode(hex_text) {
                Ok(bytes) if !bytes.is_empty() => out.insert(bytes),
                _ => out.insert(s.as_bytes().to_vec()),
            };
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

/// `verification_code` inputs (`now u64 || window u64 || digits u8 || mode u8 || code`) from
/// the check cases of `test-vectors/verification_codes.json`, in every mode.
fn code_seeds(root: &Path) -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(root.join("test-vectors/verification_codes.json"))
        .expect("verification_codes.json");
    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let window = v["check_config"]["window_seconds"].as_u64().unwrap_or(600);
    let digits = v["check_config"]["digits"].as_u64().unwrap_or(6) as u8;
    let mut out = Vec::new();
    for case in v["check_cases"].as_array().into_iter().flatten() {
        let now = case["now"].as_u64().unwrap_or(T0.unix_secs());
        let code = case["code"].as_str().unwrap_or("000000");
        for mode in 0..4u8 {
            let mut seed = Vec::new();
            seed.extend_from_slice(&now.to_be_bytes());
            seed.extend_from_slice(&window.to_be_bytes());
            seed.push(digits);
            seed.push(mode);
            seed.extend_from_slice(code.as_bytes());
            out.push(seed);
        }
    }
    out
}
