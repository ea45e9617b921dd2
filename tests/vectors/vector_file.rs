//! What every vector module shares: the error-kind names of SPEC.md 2.7, reading a file into
//! typed structs, and the check every generated vector file gets: the generator's document,
//! pretty-printed, must be the file's exact text. `BLINDPOST_WRITE_VECTORS=1` writes the file
//! first (an intended change to the vectors).

use blindpost::DecodeErrorKind;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Compares `generated` with `test-vectors/<relative>`, after writing it there if asked to.
pub fn check_generated(relative: &str, generated: &Value) {
    let path = format!("{}/test-vectors/{relative}", env!("CARGO_MANIFEST_DIR"));
    let text = serde_json::to_string_pretty(generated).unwrap() + "\n";
    if std::env::var("BLINDPOST_WRITE_VECTORS").as_deref() == Ok("1") {
        std::fs::write(&path, &text).unwrap();
    }
    let stored = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading test-vectors/{relative}: {e}"));
    if let Some((line, (file, generator))) = stored
        .lines()
        .zip(text.lines())
        .enumerate()
        .find(|(_, (a, b))| a != b)
    {
        panic!(
            "test-vectors/{relative} differs from the generator at line {}:\n  file:      {file}\n  generator: {generator}\nrerun with BLINDPOST_WRITE_VECTORS=1 if the change is intended",
            line + 1
        );
    }
    assert_eq!(
        stored.len(),
        text.len(),
        "test-vectors/{relative} differs from the generator in length; rerun with \
         BLINDPOST_WRITE_VECTORS=1 if the change is intended"
    );
}

/// The kind of a decoding failure, named as in SPEC.md 2.7 (the operation vector files carry
/// the name only; the negative vectors add the kind's numbers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KindName {
    Truncated,
    TrailingBytes,
    UnknownVersion,
    NonCanonicalScalar,
    ZeroScalar,
    InvalidPoint,
    NotInSubgroup,
    IdentityPoint,
    TooLong,
    InvalidValue,
    NonCanonicalPadding,
}

impl From<DecodeErrorKind> for KindName {
    fn from(kind: DecodeErrorKind) -> Self {
        match kind {
            DecodeErrorKind::Truncated { .. } => KindName::Truncated,
            DecodeErrorKind::TrailingBytes { .. } => KindName::TrailingBytes,
            DecodeErrorKind::UnknownVersion { .. } => KindName::UnknownVersion,
            DecodeErrorKind::NonCanonicalScalar => KindName::NonCanonicalScalar,
            DecodeErrorKind::ZeroScalar => KindName::ZeroScalar,
            DecodeErrorKind::InvalidPoint => KindName::InvalidPoint,
            DecodeErrorKind::NotInSubgroup => KindName::NotInSubgroup,
            DecodeErrorKind::IdentityPoint => KindName::IdentityPoint,
            DecodeErrorKind::TooLong { .. } => KindName::TooLong,
            DecodeErrorKind::InvalidValue => KindName::InvalidValue,
            DecodeErrorKind::NonCanonicalPadding => KindName::NonCanonicalPadding,
            other => panic!("a decode kind outside SPEC.md 2.7: {other:?}"),
        }
    }
}

/// Reads `test-vectors/<relative>` into `T`.
pub fn read<T: serde::de::DeserializeOwned>(relative: &str) -> T {
    let path = format!("{}/test-vectors/{relative}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {relative}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// Hex text to bytes.
pub fn unhex(text: &str) -> Vec<u8> {
    hex::decode(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// Serde adapter for hex byte strings, as the published vectors write them (an optional `0x`
/// prefix, and an odd number of digits for integers).
pub fn hex_bytes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let text = String::deserialize(d)?;
    let text = text.strip_prefix("0x").unwrap_or(&text);
    let padded = if text.len() % 2 == 1 {
        format!("0{text}")
    } else {
        text.to_owned()
    };
    hex::decode(padded).map_err(serde::de::Error::custom)
}

/// Every error label of every generated file is in the one naming style of SPEC.md 2.7: the keys
/// of an expected error and the names under `error`, `kind`, `result` and `expected` are
/// snake_case.
#[test]
fn generated_files_name_errors_in_one_style() {
    fn snake(s: &str) -> bool {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    }
    fn check(v: &Value, file: &str) {
        match v {
            Value::Object(map) => {
                for (k, x) in map {
                    let label = ["error", "kind", "result", "expected"].contains(&k.as_str());
                    if let (true, Some(name)) = (label, x.as_str()) {
                        assert!(snake(name), "{file}: {k} = {name}");
                    }
                    if k == "expected" || k == "cause" {
                        if let Some(error) = x.as_object() {
                            for key in error.keys() {
                                assert!(snake(key), "{file}: key {key}");
                            }
                        }
                    }
                    check(x, file);
                }
            }
            Value::Array(items) => items.iter().for_each(|x| check(x, file)),
            _ => {}
        }
    }
    let root = format!("{}/test-vectors", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<String> = [
        "bbs04.json",
        "certificates.json",
        "registration.json",
        "tokens.json",
        "verification_codes.json",
    ]
    .map(String::from)
    .to_vec();
    for entry in std::fs::read_dir(format!("{root}/negative")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        files.push(format!("negative/{name}"));
    }
    assert!(files.len() > 30);
    for file in &files {
        check(&read::<Value>(file), file);
    }
}
