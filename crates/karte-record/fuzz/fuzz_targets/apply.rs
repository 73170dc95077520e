//! Any bytes a peer sends are applied to a real chart whole or refused whole,
//! never a panic; a refused apply leaves the chart as it was.
#![no_main]

use karte_record::{Chart, Edit, actor_for};
use karte_types::{Author, Date, Demographics, DeviceId, PatientId, Sex, Timestamp, UserId};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let author = Author { user: UserId("u".into()), user_name: "u".into(), device: DeviceId("d".into()) };
    let edit = Edit { author: &author, at: Timestamp(1_795_564_800_000) };
    let patient = Demographics {
        family: "山田".into(),
        given: "太郎".into(),
        family_kana: "ヤマダ".into(),
        given_kana: "タロウ".into(),
        birth: Date::from_ymd(1941, 3, 2).unwrap(),
        sex: Sex::Male,
        address: None,
        phone: None,
        insurance_number: None,
        care_level: None,
    };
    let id = PatientId("01KAZ0000000000000000000000".into());
    let mut chart = Chart::create(actor_for(&author.device, [1; 16]), &id, &patient, &edit).unwrap();
    let before = chart.view().unwrap();
    if chart.apply(data, &edit).is_err() {
        assert_eq!(chart.view().unwrap(), before);
    }
});
