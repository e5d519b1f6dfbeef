//! Arbitrary statuses and bodies through the response mapping: never a panic, the status
//! always kept, `Display` always one line, and the call's credential never shown, wherever the
//! body echoes it (`fuzz/map_response.dict` hands libFuzzer the credential).
//!
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run map_response` (cargo-fuzz needs nightly flags).

#![no_main]

use libfuzzer_sys::fuzz_target;
use openrouter_credits::{Error, Operation};

fuzz_target!(|data: &[u8]| {
    let [op, lo, hi, body @ ..] = data else { return };
    let operation = Operation::ALL[usize::from(*op) % Operation::ALL.len()];
    let status = 100 + u16::from_le_bytes([*lo, *hi]) % 500;
    match openrouter_credits::__fuzz::map_response(operation, status, body) {
        Ok(()) => assert!((200..300).contains(&status), "{status} decoded as success"),
        Err(err) => {
            assert_eq!(err.status(), Some(status), "status lost: {err:?}");
            if (200..300).contains(&status) {
                assert!(matches!(err, Error::Decode { .. }), "{err:?}");
            } else {
                assert!(err.api().is_some(), "{err:?}");
            }
            assert!(!err.to_string().contains('\n'), "multi-line Display: {err}");
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains(openrouter_credits::__fuzz::SECRET), "secret shown: {shown}");
        }
    }
});
