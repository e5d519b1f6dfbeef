//! Arbitrary statuses, headers and bodies through the response mapping and the refusal
//! classifier: never a panic, the status always kept, `Display` always one line, and the
//! call's credential never shown, wherever the body echoes it (`fuzz/map_response.dict` hands
//! libFuzzer the credential, upstream's metadata keys and the headers that carry a wait).
//!
//! Input: an operation byte, two status bytes, then the response: header lines `name: value`
//! up to the first empty line when there is one (`\n\n`), the body after it; else all body.
//!
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run map_response` (cargo-fuzz needs nightly flags).

#![no_main]

use libfuzzer_sys::fuzz_target;
use openrouter_credits::__fuzz::SECRET;
use openrouter_credits::__fuzz::header::{HeaderMap, HeaderName, HeaderValue};
use openrouter_credits::{Blocked, Error, Operation};

/// The header block before the first empty line, and the body after it.
fn split(response: &[u8]) -> (HeaderMap, &[u8]) {
    let mut headers = HeaderMap::new();
    let Some(end) = response.windows(2).position(|w| w == b"\n\n") else { return (headers, response) };
    for line in response[..end].split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else { continue };
        let value = line[colon + 1..].trim_ascii();
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(&line[..colon]), HeaderValue::from_bytes(value)) {
            headers.append(name, value);
        }
    }
    (headers, &response[end + 2..])
}

fuzz_target!(|data: &[u8]| {
    let [op, lo, hi, response @ ..] = data else { return };
    let operation = Operation::ALL[usize::from(*op) % Operation::ALL.len()];
    let status = 100 + u16::from_le_bytes([*lo, *hi]) % 500;
    let (headers, body) = split(response);

    let blocked = Blocked::from_response(status, &headers, body);
    if let Some(b) = &blocked {
        assert!(matches!(status, 402 | 403 | 429), "{status} classified as {b:?}");
        assert_eq!(b.status(), status);
        assert!(!b.to_string().contains('\n'), "multi-line Display: {b}");
        let shown = format!("{b} {b:?}");
        assert!(!shown.contains(SECRET), "secret shown: {shown}");
    }

    match openrouter_credits::__fuzz::map_response(operation, status, headers, body) {
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
            assert!(!shown.contains(SECRET), "secret shown: {shown}");
            // The crate's own calls classify as any response does (the call redacts its
            // credential first, which can change what a body says only where it holds one).
            if !body.windows(5).any(|w| w == b"sk-or") && !body.contains(&b'\\') {
                assert_eq!(err.blocked_by(), blocked.as_ref().map(Blocked::by), "{err:?}");
            }
        }
    }
});
