//! The `provision --batch` file parser (JSON lines or CSV): any text gives
//! rows or an error naming the line, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocf_mediator::provision::parse_batch;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(rows) = parse_batch(text) {
            assert!(rows.len() <= text.lines().count());
        } else if let Err(error) = parse_batch(text) {
            let _ = error.to_string();
        }
    }
});
