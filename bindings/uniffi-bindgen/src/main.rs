//! uniffi's bindgen command line, built from the same uniffi version as `blindpost-ffi`.
//!
//! `cargo run -p uniffi-bindgen -- generate --library target/debug/libblindpost_ffi.so
//! --language kotlin --out-dir OUT` (see `bindings/run-tests.sh`).

fn main() {
    uniffi::uniffi_bindgen_main()
}
