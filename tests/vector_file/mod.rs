//! The check every generated vector file shares: the generator's document, pretty-printed, must
//! be the file's exact text. `BLINDPOST_WRITE_VECTORS=1` writes the file first (an intended
//! change to the vectors).

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
