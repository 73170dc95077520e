//! Wound photos through the hub (`POST /v1/photos`): sent up in pieces,
//! stored once per content and sealed, resumed after a cut, served only
//! to devices of organisations in the care circle of a chart that names
//! them, and taken whole only when they hash to their name.

use karte_hub::{HubStore, HubStoreError, Place};
use karte_sync::photo::{
    PhotoAnswer, PhotoAsk, PhotoHeld, PhotoRef, PhotoRequest, decode_photo_answer,
};
use karte_types::PatientId;

use crate::backend::Backend;
use crate::harness::{Answer, TestDevice, TestHub};

/// Bytes that look like no other test's, with a camera's maker note in
/// the middle (what stripping would have removed on a device).
fn photo(seed: u8, len: usize) -> Vec<u8> {
    let mut state = u32::from(seed).wrapping_mul(2_654_435_761).wrapping_add(1);
    let mut bytes: Vec<u8> = (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect();
    bytes[..3].copy_from_slice(&[0xff, 0xd8, 0xff]);
    let marker = b"Exif\0\0GPS 35.6812N 139.7671E Canon EOS";
    let middle = len / 2;
    bytes[middle..middle + marker.len()].copy_from_slice(marker);
    bytes
}

async fn ask<B: Backend>(
    hub: &TestHub<B>,
    device: &mut TestDevice,
    request: &PhotoRequest,
) -> Answer {
    let envelope = device.photo_envelope(request, hub.now());
    hub.post("/v1/photos", envelope).await
}

fn read(answer: &Answer) -> PhotoAnswer {
    assert_eq!(answer.status, 200, "{}", answer.text());
    decode_photo_answer(&answer.body).unwrap()
}

async fn held<B: Backend>(
    hub: &TestHub<B>,
    device: &mut TestDevice,
    photo: &PhotoRef,
    size: usize,
) -> PhotoHeld {
    let size = size as u64;
    let answer = ask(
        hub,
        device,
        &PhotoRequest::Held {
            photos: vec![PhotoAsk {
                photo: photo.clone(),
                size,
            }],
        },
    )
    .await;
    match read(&answer) {
        PhotoAnswer::Held { mut photos } => photos.remove(0),
        other => panic!("not an answer to Held: {other:?}"),
    }
}

/// Sends `bytes` from `offset` in pieces of `piece` bytes, as the device's
/// photo pass does; the photo bytes sent.
async fn upload<B: Backend>(
    hub: &TestHub<B>,
    device: &mut TestDevice,
    photo: &PhotoRef,
    bytes: &[u8],
    mut offset: u64,
    piece: usize,
) -> u64 {
    let mut sent = 0;
    loop {
        let start = offset as usize;
        let end = (start + piece).min(bytes.len());
        sent += (end - start) as u64;
        let answer = ask(
            hub,
            device,
            &PhotoRequest::Put {
                photo: photo.clone(),
                size: bytes.len() as u64,
                offset,
                bytes: bytes[start..end].to_vec(),
            },
        )
        .await;
        match read(&answer) {
            PhotoAnswer::Put { whole: true, .. } => return sent,
            PhotoAnswer::Put { received, .. } => offset = received,
            other => panic!("not an answer to Put: {other:?}"),
        }
    }
}

async fn download<B: Backend>(
    hub: &TestHub<B>,
    device: &mut TestDevice,
    photo: &PhotoRef,
    piece: u32,
) -> Vec<u8> {
    let mut bytes = Vec::new();
    loop {
        let answer = ask(
            hub,
            device,
            &PhotoRequest::Get {
                photo: photo.clone(),
                offset: bytes.len() as u64,
                max_len: piece,
            },
        )
        .await;
        match read(&answer) {
            PhotoAnswer::Get { size, bytes: got } => {
                bytes.extend_from_slice(&got);
                if bytes.len() as u64 >= size {
                    return bytes;
                }
                assert!(!got.is_empty(), "the hub sent nothing before the end");
            }
            other => panic!("not an answer to Get: {other:?}"),
        }
    }
}

/// Every file under the hub's photo folder, with its path.
fn files(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

fn whole_files<B: Backend>(hub: &TestHub<B>) -> usize {
    files(&hub.photos.path().join("whole")).len()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// An organisation, a device enrolled in it holding a chart that names a
/// photo, synced: the hub's copy of the chart names the photo.
async fn device_with_photo<B: Backend>(
    hub: &TestHub<B>,
    org: &karte_hub::OrgId,
    name: &str,
    bytes: &[u8],
) -> (TestDevice, PhotoRef) {
    let mut device = hub.enrol(org, name).await;
    let chart = device.create_chart(&format!("{name}chart"));
    let hash = device.add_photo(&chart, bytes);
    device.sync(hub).await;
    (device, PhotoRef { chart, hash })
}

pub async fn a_photo_goes_up_in_pieces_and_comes_down_byte_identical<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("さくら訪問看護").await;
    let bytes = photo(1, 300_000);
    let (mut a, photo) = device_with_photo(&hub, &org.id, "a", &bytes).await;
    assert_eq!(
        held(&hub, &mut a, &photo, bytes.len()).await,
        PhotoHeld::Absent
    );
    let sent = upload(&hub, &mut a, &photo, &bytes, 0, 64 << 10).await;
    assert_eq!(sent, bytes.len() as u64, "every byte once");
    assert_eq!(
        held(&hub, &mut a, &photo, bytes.len()).await,
        PhotoHeld::Whole {
            size: bytes.len() as u64
        }
    );

    let mut b = hub.enrol(&org.id, "b").await;
    b.sync(&hub).await;
    assert_eq!(
        held(&hub, &mut b, &photo, bytes.len()).await,
        PhotoHeld::Whole {
            size: bytes.len() as u64
        }
    );
    assert_eq!(download(&hub, &mut b, &photo, 50_000).await, bytes);
    assert_eq!(download(&hub, &mut b, &photo, 1 << 20).await, bytes);
}

pub async fn the_same_photo_from_two_devices_is_stored_once<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("さくら訪問看護").await;
    let bytes = photo(2, 100_000);
    let (mut a, on_a) = device_with_photo(&hub, &org.id, "a", &bytes).await;
    let (mut b, on_b) = device_with_photo(&hub, &org.id, "b", &bytes).await;
    assert_ne!(on_a.chart, on_b.chart, "two charts name one photo");
    upload(&hub, &mut a, &on_a, &bytes, 0, 40_000).await;
    // The device asks first, as the photo pass does, and sends nothing.
    assert_eq!(
        held(&hub, &mut b, &on_b, bytes.len()).await,
        PhotoHeld::Whole {
            size: bytes.len() as u64
        }
    );
    // Even sent anyway, it is taken at once and stored no second time.
    let answer = ask(
        &hub,
        &mut b,
        &PhotoRequest::Put {
            photo: on_b.clone(),
            size: bytes.len() as u64,
            offset: 0,
            bytes: bytes[..40_000].to_vec(),
        },
    )
    .await;
    assert_eq!(
        read(&answer),
        PhotoAnswer::Put {
            received: bytes.len() as u64,
            whole: true
        }
    );
    assert_eq!(whole_files(&hub), 1);
    assert!(files(&hub.photos.path().join("unfinished")).is_empty());
}

pub async fn a_cut_upload_resumes_without_sending_what_the_hub_holds<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("さくら訪問看護").await;
    let bytes = photo(3, 250_000);
    let (mut a, photo) = device_with_photo(&hub, &org.id, "a", &bytes).await;
    // Two pieces arrive, then the link is cut.
    for offset in [0u64, 60_000] {
        let answer = ask(
            &hub,
            &mut a,
            &PhotoRequest::Put {
                photo: photo.clone(),
                size: bytes.len() as u64,
                offset,
                bytes: bytes[offset as usize..offset as usize + 60_000].to_vec(),
            },
        )
        .await;
        assert_eq!(
            read(&answer),
            PhotoAnswer::Put {
                received: offset + 60_000,
                whole: false
            }
        );
    }
    assert_eq!(
        held(&hub, &mut a, &photo, bytes.len()).await,
        PhotoHeld::Receiving { received: 120_000 },
        "the device is told where to go on from"
    );
    // A piece sent again from the start all the same is not stored twice:
    // the answer says where the hub holds up to.
    let again = ask(
        &hub,
        &mut a,
        &PhotoRequest::Put {
            photo: photo.clone(),
            size: bytes.len() as u64,
            offset: 0,
            bytes: bytes[..60_000].to_vec(),
        },
    )
    .await;
    assert_eq!(
        read(&again),
        PhotoAnswer::Put {
            received: 120_000,
            whole: false
        }
    );
    let rest = upload(&hub, &mut a, &photo, &bytes, 120_000, 60_000).await;
    assert_eq!(rest, bytes.len() as u64 - 120_000, "only the rest was sent");
    let mut b = hub.enrol(&org.id, "b").await;
    b.sync(&hub).await;
    assert_eq!(download(&hub, &mut b, &photo, 100_000).await, bytes);
}

pub async fn a_device_outside_the_circle_or_naming_another_chart_is_refused<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("さくら訪問看護").await;
    let (other, _) = hub.add_org("もみじ診療所").await;
    let bytes = photo(4, 50_000);
    let (mut a, photo) = device_with_photo(&hub, &org.id, "a", &bytes).await;
    upload(&hub, &mut a, &photo, &bytes, 0, 1 << 20).await;

    let mut stranger = hub.enrol(&other.id, "x").await;
    stranger.sync(&hub).await;
    assert_eq!(
        held(&hub, &mut stranger, &photo, bytes.len()).await,
        PhotoHeld::Refused {
            code: "outside_circle".into()
        }
    );
    let get = PhotoRequest::Get {
        photo: photo.clone(),
        offset: 0,
        max_len: 1 << 20,
    };
    let refused = ask(&hub, &mut stranger, &get).await;
    assert_eq!(refused.refusal(), (403, "outside_circle".into()));
    assert!(!contains(&refused.body, &bytes[1_000..1_032]));

    // A device of the organisation naming a chart that does not name the
    // photo gets nothing either; nor does one naming a chart there is not.
    let mut b = hub.enrol(&org.id, "b").await;
    let own = b.create_chart("bchart");
    b.sync(&hub).await;
    let wrong_chart = PhotoRef {
        chart: own,
        hash: photo.hash,
    };
    assert_eq!(
        held(&hub, &mut b, &wrong_chart, bytes.len()).await,
        PhotoHeld::Refused {
            code: "photo_not_named".into()
        }
    );
    let refused = ask(
        &hub,
        &mut b,
        &PhotoRequest::Get {
            photo: wrong_chart,
            offset: 0,
            max_len: 1 << 20,
        },
    )
    .await;
    assert_eq!(refused.refusal(), (403, "photo_not_named".into()));
    let nowhere = PhotoRef {
        chart: PatientId("01DOCNOSUCHCHART000000000".into()),
        hash: photo.hash,
    };
    assert_eq!(
        held(&hub, &mut b, &nowhere, bytes.len()).await,
        PhotoHeld::Refused {
            code: "unknown_doc".into()
        }
    );
}

pub async fn a_photo_that_does_not_hash_to_its_name_is_refused_and_nothing_kept<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("さくら訪問看護").await;
    let bytes = photo(5, 90_000);
    let (mut a, photo) = device_with_photo(&hub, &org.id, "a", &bytes).await;
    let mut tampered = bytes.clone();
    tampered[80_000] ^= 0x55;
    let first = ask(
        &hub,
        &mut a,
        &PhotoRequest::Put {
            photo: photo.clone(),
            size: bytes.len() as u64,
            offset: 0,
            bytes: tampered[..50_000].to_vec(),
        },
    )
    .await;
    assert_eq!(
        read(&first),
        PhotoAnswer::Put {
            received: 50_000,
            whole: false
        }
    );
    let last = ask(
        &hub,
        &mut a,
        &PhotoRequest::Put {
            photo: photo.clone(),
            size: bytes.len() as u64,
            offset: 50_000,
            bytes: tampered[50_000..].to_vec(),
        },
    )
    .await;
    assert_eq!(last.refusal(), (422, "photo_hash_mismatch".into()));
    assert_eq!(
        held(&hub, &mut a, &photo, bytes.len()).await,
        PhotoHeld::Absent
    );
    assert_eq!(whole_files(&hub), 0);
    assert!(files(&hub.photos.path().join("unfinished")).is_empty());
    // The true bytes are then taken from the start.
    assert_eq!(
        upload(&hub, &mut a, &photo, &bytes, 0, 1 << 20).await,
        bytes.len() as u64
    );
}

pub async fn the_hubs_photos_and_database_hold_no_photo_byte<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("さくら訪問看護").await;
    let bytes = photo(6, 120_000);
    let (mut a, photo) = device_with_photo(&hub, &org.id, "a", &bytes).await;
    // One whole photo and one upload cut halfway.
    upload(&hub, &mut a, &photo, &bytes, 0, 30_000).await;
    let half = photo_half(&hub, &mut a, 7).await;
    let mut everything: Vec<(String, Vec<u8>)> = files(hub.photos.path())
        .into_iter()
        .map(|(path, bytes)| (path.display().to_string(), bytes))
        .collect();
    assert_eq!(everything.len(), 2, "one whole, one unfinished");
    everything.push(("the database".into(), hub.dump().await));
    for (what, stored) in &everything {
        for source in [&bytes, &half] {
            for at in [0, 5_000, 29_990, 59_000, source.len() - 40] {
                assert!(
                    !contains(stored, &source[at..at + 32]),
                    "{what} holds photo bytes from {at}"
                );
            }
        }
        assert!(!contains(stored, b"Canon EOS"), "{what} holds the EXIF");
        assert!(!contains(stored, b"35.6812N"), "{what} holds the GPS");
    }
}

/// Sends half of a new photo of `a`'s and stops; its bytes.
async fn photo_half<B: Backend>(hub: &TestHub<B>, a: &mut TestDevice, seed: u8) -> Vec<u8> {
    let bytes = photo(seed, 80_000);
    let chart = a.create_chart("half");
    let hash = a.add_photo(&chart, &bytes);
    a.sync(hub).await;
    let answer = ask(
        hub,
        a,
        &PhotoRequest::Put {
            photo: PhotoRef { chart, hash },
            size: bytes.len() as u64,
            offset: 0,
            bytes: bytes[..40_000].to_vec(),
        },
    )
    .await;
    assert_eq!(
        read(&answer),
        PhotoAnswer::Put {
            received: 40_000,
            whole: false
        }
    );
    bytes
}

pub async fn a_photo_altered_on_the_hubs_disk_is_never_served<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("さくら訪問看護").await;
    let bytes = photo(8, 70_000);
    let (mut a, photo) = device_with_photo(&hub, &org.id, "a", &bytes).await;
    upload(&hub, &mut a, &photo, &bytes, 0, 30_000).await;
    let (path, mut stored) = files(&hub.photos.path().join("whole")).remove(0);
    // A byte in the middle of the last chunk.
    let at = stored.len() - 100;
    stored[at] ^= 1;
    std::fs::write(&path, &stored).unwrap();
    let answer = ask(
        &hub,
        &mut a,
        &PhotoRequest::Get {
            photo: photo.clone(),
            offset: 60_000,
            max_len: 1 << 20,
        },
    )
    .await;
    assert_eq!(answer.refusal(), (500, "tampered".into()));
    // The chunks before it still open: only what was altered is refused.
    let first = ask(
        &hub,
        &mut a,
        &PhotoRequest::Get {
            photo,
            offset: 0,
            max_len: 1 << 20,
        },
    )
    .await;
    assert_eq!(
        read(&first),
        PhotoAnswer::Get {
            size: bytes.len() as u64,
            bytes: bytes[..30_000].to_vec()
        }
    );
}

/// The hub's one seal for what it keeps outside its database: a restarted
/// hub (no key in memory) opens a sealed chunk by reading the wrapped key,
/// a chunk moved to another place does not open, and a chunk naming an
/// organisation without a key is refused without a key being made for it
/// (a read never writes).
pub async fn sealing_outside_the_database_opens_after_a_restart_and_a_read_makes_no_key<
    B: Backend,
>() {
    let (backend, store) = crate::backend::fresh::<B>().await;
    let random = ring::rand::SystemRandom::new();
    let (org, _) = karte_hub::new_org("さくら訪問看護", crate::support::NOW, &random).unwrap();
    let (other, _) = karte_hub::new_org("もみじ診療所", crate::support::NOW, &random).unwrap();
    store.add_org(&org).await.unwrap();
    store.add_org(&other).await.unwrap();
    assert_eq!(org.id.as_str().len(), other.id.as_str().len());
    let place = Place {
        table: "photos",
        row: "0a0b 4096",
        version: 2,
    };
    let plain = b"Exif\0\0GPS 35.6812N pixels".to_vec();
    let sealed = store.seal_outside(&org.id, &place, &plain).await.unwrap();
    assert!(!contains(&sealed, b"35.6812N"));

    // A hub that keeps charts' payloads in clear (benchmarks only) keeps
    // no photo at all rather than one in clear.
    let clear = B::empty()
        .await
        .open(karte_hub::StoreConfig {
            at_rest: karte_hub::AtRest::ClearForBenchmarks,
            ..karte_hub::StoreConfig::default()
        })
        .await
        .unwrap();
    clear.add_org(&org).await.unwrap();
    assert!(matches!(
        clear.seal_outside(&org.id, &place, &plain).await,
        Err(HubStoreError::NoMasterKey)
    ));
    assert!(matches!(
        clear.open_outside(&place, sealed.clone()).await,
        Err(HubStoreError::NoMasterKey)
    ));

    let restarted = backend.open(crate::support::sealed()).await.unwrap();
    assert_eq!(
        restarted
            .open_outside(&place, sealed.clone())
            .await
            .unwrap(),
        plain
    );
    let moved = Place {
        version: 3,
        ..place
    };
    assert!(matches!(
        restarted.open_outside(&moved, sealed.clone()).await,
        Err(HubStoreError::Tampered { .. })
    ));
    let at = sealed
        .windows(org.id.as_str().len())
        .position(|w| w == org.id.as_str().as_bytes())
        .expect("the sealed value names its organisation");
    let mut forged = sealed.clone();
    forged[at..at + other.id.as_str().len()].copy_from_slice(other.id.as_str().as_bytes());
    assert!(matches!(
        restarted.open_outside(&place, forged).await,
        Err(HubStoreError::Tampered { .. })
    ));
    // No key was made for the other organisation on that read: its row is
    // still free.
    backend
        .raw_execute(&format!(
            "INSERT INTO org_keys (org, wrapped) SELECT '{}', wrapped FROM org_keys WHERE org = '{}'",
            other.id.as_str(),
            org.id.as_str()
        ))
        .await
        .expect("no key was stored for an organisation that sealed nothing");
}

/// A photo stored before chunks carried the keyring's prefix (`K`, 1) still
/// comes down byte for byte.
pub async fn a_photo_sealed_in_the_earlier_chunk_format_still_opens<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("さくら訪問看護").await;
    let bytes = photo(9, 90_000);
    let (mut a, photo) = device_with_photo(&hub, &org.id, "a", &bytes).await;
    upload(&hub, &mut a, &photo, &bytes, 0, 40_000).await;
    let (path, stored) = files(&hub.photos.path().join("whole")).remove(0);
    // Each record: plaintext length, sealed length (8 bytes each, big
    // endian), the sealed chunk; the earlier chunk is the same without its
    // first two bytes.
    let mut earlier = Vec::new();
    let mut at = 0;
    let mut records = 0;
    while at < stored.len() {
        let plain_len = &stored[at..at + 8];
        let sealed_len = u64::from_be_bytes(stored[at + 8..at + 16].try_into().unwrap()) as usize;
        let sealed = &stored[at + 16..at + 16 + sealed_len];
        assert_eq!(&sealed[..2], b"K\x01");
        earlier.extend_from_slice(plain_len);
        earlier.extend_from_slice(&((sealed_len - 2) as u64).to_be_bytes());
        earlier.extend_from_slice(&sealed[2..]);
        at += 16 + sealed_len;
        records += 1;
    }
    assert_eq!(records, 3);
    std::fs::write(&path, &earlier).unwrap();
    assert_eq!(download(&hub, &mut a, &photo, 1 << 20).await, bytes);
}
