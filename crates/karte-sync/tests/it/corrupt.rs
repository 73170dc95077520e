//! Damaged, hostile and foreign input gives a clean error and never a
//! panic: the checked-in folder `tests/corrupt/`, random bytes, and random
//! damage to valid messages.

use std::path::Path;

use karte_sync::{
    Limits, decode_request, decode_response, encode_request, encode_response, inflate_request_body,
    wire,
};
use proptest::prelude::*;

use crate::support::{signed_request, sync_response};

fn corrupt_folder() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corrupt")
}

/// Every file of a folder, with the error code its name promises.
fn cases(folder: &str) -> Vec<(String, Vec<u8>, String)> {
    let mut cases: Vec<_> = std::fs::read_dir(corrupt_folder().join(folder))
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            let code = name
                .strip_suffix(".bin")
                .and_then(|stem| stem.rsplit_once('.'))
                .map(|(_, code)| code.to_owned())
                .unwrap_or_else(|| panic!("{name} must be named <what>.<code>.bin"));
            (name, std::fs::read(&path).unwrap(), code)
        })
        .collect();
    cases.sort();
    cases
}

#[test]
fn the_baselines_of_the_corrupt_folder_decode() {
    let folder = corrupt_folder();
    let request =
        decode_request(&std::fs::read(folder.join("valid-request.bin")).unwrap()).unwrap();
    assert_eq!(request.device.as_str(), "tablet-1");
    let response =
        decode_response(&std::fs::read(folder.join("valid-response.bin")).unwrap()).unwrap();
    assert_eq!(response.cursor, 42);
}

#[test]
fn every_corrupt_request_fails_with_its_code() {
    let cases = cases("request");
    assert!(cases.len() >= 10, "the folder is there: {}", cases.len());
    for (name, bytes, code) in cases {
        let error = decode_request(&bytes).expect_err(&name);
        assert_eq!(error.code(), code, "{name}: {error}");
        assert!(decode_response(&bytes).is_err(), "{name} as a response");
    }
}

#[test]
fn every_corrupt_request_body_fails_with_its_code() {
    let cases = cases("request-body");
    assert!(cases.len() >= 8, "the folder is there: {}", cases.len());
    for (name, bytes, code) in cases {
        let error = inflate_request_body(&bytes, &Limits::PROTOCOL).expect_err(&name);
        assert_eq!(error.code(), code, "{name}: {error}");
    }
    let valid = decode_request(&std::fs::read(corrupt_folder().join("valid-request.bin")).unwrap())
        .unwrap();
    let request = inflate_request_body(&valid.body, &Limits::PROTOCOL).unwrap();
    assert_eq!(request.cursor, 5);
}

#[test]
fn every_corrupt_response_fails_with_its_code() {
    let cases = cases("response");
    assert!(cases.len() >= 5, "the folder is there: {}", cases.len());
    for (name, bytes, code) in cases {
        let error = decode_response(&bytes).expect_err(&name);
        assert_eq!(error.code(), code, "{name}: {error}");
        assert!(decode_request(&bytes).is_err(), "{name} as a request");
    }
}

#[test]
fn an_oversized_body_is_refused_before_inflating() {
    let body = vec![0xff; Limits::PROTOCOL.max_compressed_bytes + 1];
    let error = inflate_request_body(&body, &Limits::PROTOCOL).unwrap_err();
    assert_eq!(
        (error.code(), error.http_status()),
        ("request_too_large", 413)
    );
    let request = karte_sync::SignedRequest {
        device: "tablet-1".into(),
        sent_at_ms: 0,
        nonce: [0; 16],
        body,
        signature: vec![0; 64],
    };
    let error = decode_request(&encode_request(&request)).unwrap_err();
    assert_eq!(
        (error.code(), error.http_status()),
        ("request_too_large", 413)
    );
}

#[test]
fn the_version_check_reads_the_header_alone() {
    let error = decode_request(b"KSYN\x00\x05").unwrap_err();
    assert_eq!(
        error,
        karte_sync::WireError::PleaseUpdate {
            found: 5,
            supported: wire::PROTOCOL_VERSION
        }
    );
}

/// Damage to a valid encoding: flip a bit, cut it short, or insert a byte.
#[derive(Debug, Clone)]
enum Damage {
    Flip(prop::sample::Index, u8),
    Truncate(prop::sample::Index),
    Insert(prop::sample::Index, u8),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<prop::sample::Index>(), 0u8..8).prop_map(|(i, bit)| Damage::Flip(i, bit)),
        any::<prop::sample::Index>().prop_map(Damage::Truncate),
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Damage::Insert(i, b)),
    ]
}

fn apply(damage: &Damage, bytes: &mut Vec<u8>) {
    match damage {
        Damage::Flip(at, bit) => {
            let at = at.index(bytes.len());
            bytes[at] ^= 1 << bit;
        }
        Damage::Truncate(at) => bytes.truncate(at.index(bytes.len())),
        Damage::Insert(at, byte) => bytes.insert(at.index(bytes.len() + 1), *byte),
    }
}

proptest! {
    #[test]
    fn random_bytes_give_an_error_not_a_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        prop_assert!(decode_request(&bytes).is_err());
        prop_assert!(decode_response(&bytes).is_err());
    }

    #[test]
    fn random_bodies_behind_a_valid_header_never_panic(
        body in prop::collection::vec(any::<u8>(), 0..512),
        request in any::<bool>(),
    ) {
        let mut bytes = if request { b"KSYN".to_vec() } else { b"KSYR".to_vec() };
        bytes.extend_from_slice(&wire::PROTOCOL_VERSION.to_be_bytes());
        bytes.extend_from_slice(&body);
        let _ = decode_request(&bytes);
        let _ = decode_response(&bytes);
    }

    #[test]
    fn damaged_requests_never_panic(request in signed_request(), damage in damage()) {
        let mut bytes = encode_request(&request);
        apply(&damage, &mut bytes);
        let result = decode_request(&bytes);
        // A flipped or inserted bit in the body may still give a
        // well-formed request (its signature then refuses it); a cut never
        // does.
        if let Damage::Truncate(_) = damage {
            prop_assert!(result.is_err());
        }
    }

    #[test]
    fn damaged_responses_never_panic(response in sync_response(), damage in damage()) {
        let mut bytes = encode_response(&response);
        apply(&damage, &mut bytes);
        let result = decode_response(&bytes);
        if let Damage::Truncate(_) = damage {
            prop_assert!(result.is_err());
        }
    }
}
