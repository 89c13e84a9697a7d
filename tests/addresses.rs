//! DEVICE arguments: addresses, URIs, UUIDs and names. Text that looks like
//! an address but is not a valid one is a usage error saying what is wrong,
//! at once: it is never taken for a device name (which would multicast for
//! seconds looking for a device called `127.0.0.1:99999`).

mod common;

use std::time::{Duration, Instant};

use common::{mediator, mediator_command};
use ocf_mediator::ocf::address::{AddressError, DeviceRef, Scheme};

fn address(scheme: Scheme, host: &str, port: u16) -> DeviceRef {
    DeviceRef::Address {
        scheme,
        host: host.to_owned(),
        port,
    }
}

#[test]
fn addresses_uuids_and_names_are_told_apart() {
    use Scheme::{Coap, Coaps};
    for (text, expected) in [
        ("127.0.0.1:5690", address(Coap, "127.0.0.1", 5690)),
        ("127.0.0.1", address(Coap, "127.0.0.1", 5683)),
        ("[::1]:5690", address(Coap, "::1", 5690)),
        ("[::1]", address(Coap, "::1", 5683)),
        ("::1", address(Coap, "::1", 5683)),
        ("[fe80::1%1]:5683", address(Coap, "fe80::1%1", 5683)),
        ("coap://192.0.2.7", address(Coap, "192.0.2.7", 5683)),
        ("coaps://192.0.2.7", address(Coaps, "192.0.2.7", 5684)),
        ("COAPS://[::1]:49152/", address(Coaps, "::1", 49152)),
        ("localhost:5683", address(Coap, "localhost", 5683)),
        ("porch.example:5683", address(Coap, "porch.example", 5683)),
        (
            "73d72c2d-f8d4-4482-91f2-8f1f51b8de59",
            DeviceRef::Uuid("73d72c2d-f8d4-4482-91f2-8f1f51b8de59".parse().unwrap()),
        ),
        ("Porch", DeviceRef::Name("Porch".into())),
        ("Kitchen: lamp", DeviceRef::Name("Kitchen: lamp".into())),
        ("Lamp 2.0", DeviceRef::Name("Lamp 2.0".into())),
    ] {
        assert_eq!(DeviceRef::parse(text), Ok(expected), "{text}");
    }
}

/// Each malformed address, and the words its error must contain.
const MALFORMED: [(&str, &str); 12] = [
    (
        "127.0.0.1:99999",
        "the port 99999 is not a number from 1 to 65535",
    ),
    ("127.0.0.1:0", "the port 0 is not a number"),
    ("127.0.0.1:", "no port after the colon"),
    ("[::1]:", "no port after the colon"),
    ("coap://", "names no host"),
    ("coap://:5683", "names no host"),
    ("http://192.0.2.7/oic/d", "coap:// or coaps://, not http://"),
    ("coap://[::1]:5683/x", "it has /x after the port"),
    ("[::1", "goes in brackets"),
    ("fe80::1%lo:5683", "goes in brackets"),
    ("192.0.2.300", "192.0.2.300 is not an IP address"),
    (
        "[fe80::1%no-such-if0]:5683",
        "no network interface no-such-if0",
    ),
];

#[test]
fn malformed_addresses_are_errors_that_say_what_is_wrong() {
    for (text, says) in MALFORMED {
        let error = DeviceRef::parse(text).expect_err(text);
        let message = error.to_string();
        assert!(
            message.starts_with(&format!("{text} is not a device address: "))
                && message.contains(says),
            "{text}: {message}"
        );
    }
    assert!(matches!(
        DeviceRef::parse("127.0.0.1:99999"),
        Err(AddressError::InvalidPort { .. })
    ));
}

#[test]
fn every_command_rejects_a_malformed_address_at_once_with_exit_2() {
    for (text, says) in MALFORMED {
        for args in [
            vec!["get", text, "/oic/d"],
            vec!["update", text, "/oic/d", "--data", "{}"],
            vec!["own", text],
            vec!["disown", text],
            vec!["discover", "--address", text],
        ] {
            let state = tempfile::tempdir().unwrap();
            let started = Instant::now();
            let run = common::Run::from(
                mediator_command(&args)
                    .arg("--state-dir")
                    .arg(state.path())
                    .output()
                    .unwrap(),
            );
            assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
            assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "{args:?} took {:?}: it must not look for a device by that name",
                started.elapsed()
            );
        }
    }
}

#[test]
fn json_errors_carry_the_same_sentence() {
    let run = mediator(&["--json", "get", "127.0.0.1:99999", "/oic/d"]);
    assert_eq!(run.code, 2);
    let error = run.json();
    assert_eq!(error["exit"], 2);
    assert!(
        run.stderr
            .contains("the port 99999 is not a number from 1 to 65535")
    );
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .contains("the port 99999 is not a number from 1 to 65535"),
        "{error}"
    );
}
