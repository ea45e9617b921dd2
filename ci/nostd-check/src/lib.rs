//! Compile-only check that `blindpost` builds without std (see Cargo.toml).
#![no_std]

extern crate alloc;

use core::alloc::{GlobalAlloc, Layout};

struct NoAlloc;

// SAFETY: never called; the crate is only compiled, never run.
unsafe impl GlobalAlloc for NoAlloc {
    unsafe fn alloc(&self, _layout: Layout) -> *mut u8 {
        core::ptr::null_mut()
    }
    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
}

#[global_allocator]
static ALLOCATOR: NoAlloc = NoAlloc;

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    loop {}
}

/// Uses the core so that it is linked in.
pub fn touch() -> u64 {
    use rand_core::Rng;
    blindpost::vector_rng::VectorRng::new(b"no_std").next_u64()
}
