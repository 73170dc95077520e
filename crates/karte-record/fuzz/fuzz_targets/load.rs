//! Any bytes loaded as a chart give a chart or an error, never a panic, and a
//! chart that loads also views.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let actor = karte_record::actor_for(&karte_types::DeviceId("fuzz".into()), [0; 16]);
    if let Ok(chart) = karte_record::Chart::load(actor, &[data]) {
        let _ = chart.view();
    }
});
