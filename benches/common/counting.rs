//! Allocations counted by a global allocator, on the threads that ask only (the server's thread
//! is not counted): every bench that includes `common` counts the same way.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

struct Counting;
/// Allocations made on threads while they count.
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
thread_local! { static COUNT_HERE: Cell<bool> = const { Cell::new(false) }; }

fn note_allocation() {
    if COUNT_HERE.try_with(Cell::get).unwrap_or(false) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Starts counting this thread's allocations from zero.
pub fn start() {
    ALLOCATIONS.store(0, Ordering::Relaxed);
    COUNT_HERE.with(|c| c.set(true));
}

/// Stops counting on this thread; the allocations counted since [`start`].
pub fn stop() -> u64 {
    COUNT_HERE.with(|c| c.set(false));
    ALLOCATIONS.load(Ordering::Relaxed)
}
