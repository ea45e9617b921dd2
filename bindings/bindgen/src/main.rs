//! uniffi's bindgen command line, from the same uniffi version as the library it reads.
//!
//! `blindpost-bindgen generate --library libblindpost_ffi.so --language kotlin --out-dir OUT`
//! (library mode). maturin runs it as `uniffi-bindgen` for the wheel's Python module;
//! `bindings/run-tests.sh` links it under that name and runs it for Kotlin and Swift.

fn main() {
    uniffi::uniffi_bindgen_main()
}
