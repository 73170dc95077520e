//! Care circles over HTTP: a device never receives a chart outside its
//! organisation's circles and cannot write to one; sharing brings a chart
//! whole, unsharing removes it.

use karte_hub::HubStore;
use karte_sync::{Payload, SyncRequest};

use crate::backend::Backend;
use crate::harness::TestHub;
use crate::support::NOW;

pub async fn another_orgs_chart_is_never_served_nor_written<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (clinic, _) = hub.add_org("clinic").await;
    let (station, _) = hub.add_org("station").await;
    let mut doctor = hub.enrol(&clinic.id, "doctor").await;
    let mut nurse = hub.enrol(&station.id, "nurse").await;

    let x = doctor.create_chart("x");
    doctor.record_visit(&x, 70);
    doctor.sync(&hub).await;
    let synced = nurse.sync(&hub).await;
    assert!(synced.responses.iter().all(|r| r.updates.is_empty()));
    assert!(nurse.charts.is_empty());

    // The nurse's tablet writes a chart under the clinic's chart id.
    let same_id = nurse.create_chart("x");
    assert_eq!(same_id, x);
    nurse.record_visit(&x, 99);
    let before = hub.stored(&[&doctor, &nurse]).await;
    let request = nurse.request(nurse.pushes());
    let answer = hub.post_sync(nurse.envelope(&request, hub.now())).await;
    assert_eq!(answer.refusal(), (403, "outside_circle".to_owned()));
    assert_eq!(hub.stored(&[&doctor, &nurse]).await, before);
    assert_eq!(hub.heads(&x).await, doctor.heads(&x));
    nurse.charts.clear();

    // Nor may it share the chart onward.
    let request = SyncRequest {
        shares: vec![(x.clone(), station.id.0.clone())],
        ..nurse.request(Vec::new())
    };
    let answer = hub.post_sync(nurse.envelope(&request, hub.now())).await;
    assert_eq!(answer.refusal(), (403, "outside_circle".to_owned()));
    assert_eq!(
        hub.store.doc(&x).await.unwrap().unwrap().circle,
        [clinic.id]
    );
}

pub async fn a_shared_chart_arrives_whole_and_an_unshared_one_leaves<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (clinic, _) = hub.add_org("clinic").await;
    let (station, _) = hub.add_org("station").await;
    let mut doctor = hub.enrol(&clinic.id, "doctor").await;
    let mut nurse = hub.enrol(&station.id, "nurse").await;
    let x = doctor.create_chart("x");
    doctor.record_visit(&x, 70);
    doctor.sync(&hub).await;
    nurse.sync(&hub).await;
    assert!(nurse.cursor > 0);

    // The doctor shares the chart with the station in a sync request.
    doctor.record_visit(&x, 71);
    let unknown = SyncRequest {
        shares: vec![(x.clone(), "01ORGNOSUCHORGANISATION0".to_owned())],
        ..doctor.request(Vec::new())
    };
    let answer = hub.post_sync(doctor.envelope(&unknown, hub.now())).await;
    assert_eq!(answer.refusal(), (404, "unknown_org".to_owned()));
    let request = SyncRequest {
        shares: vec![(x.clone(), station.id.0.clone())],
        ..doctor.request(doctor.pushes())
    };
    let response = hub
        .post_sync(doctor.envelope(&request, hub.now()))
        .await
        .response();
    doctor.apply(&response);
    assert_eq!(
        hub.store.doc(&x).await.unwrap().unwrap().circle.len(),
        2,
        "shared after the push of the same request"
    );

    let synced = nurse.sync(&hub).await;
    let updates: Vec<_> = synced.responses.iter().flat_map(|r| &r.updates).collect();
    assert_eq!(updates.len(), 1);
    assert!(matches!(updates[0].payload, Payload::Snapshot(_)));
    assert_eq!(nurse.heads(&x), doctor.heads(&x));

    // The nurse writes to it now, and the doctor sees it.
    nurse.record_visit(&x, 88);
    nurse.sync(&hub).await;
    doctor.sync(&hub).await;
    assert_eq!(doctor.heads(&x), nurse.heads(&x));

    hub.store.unshare(&x, &station.id, NOW).await.unwrap();
    let synced = nurse.sync(&hub).await;
    assert!(synced.responses.iter().any(|r| r.removed.contains(&x)));
    assert!(!nurse.charts.contains_key(&x));

    // Later changes to it never reach the station.
    doctor.record_visit(&x, 72);
    doctor.sync(&hub).await;
    let synced = nurse.sync(&hub).await;
    assert!(synced.responses.iter().all(|r| r.updates.is_empty()));
}

pub async fn an_edit_made_before_an_unshare_reached_the_device_is_kept<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (clinic, _) = hub.add_org("clinic").await;
    let (station, _) = hub.add_org("station").await;
    let mut doctor = hub.enrol(&clinic.id, "doctor").await;
    let mut nurse = hub.enrol(&station.id, "nurse").await;
    let x = doctor.create_chart("x");
    let request = SyncRequest {
        shares: vec![(x.clone(), station.id.0.clone())],
        ..doctor.request(doctor.pushes())
    };
    let response = hub
        .post_sync(doctor.envelope(&request, hub.now()))
        .await
        .response();
    doctor.apply(&response);
    nurse.sync(&hub).await;

    // The nurse records a visit offline; meanwhile the clinic stops sharing.
    nurse.record_visit(&x, 64);
    let before_removal = nurse.charts[&x].save();
    hub.store.unshare(&x, &station.id, NOW).await.unwrap();
    let synced = nurse.sync(&hub).await;
    assert!(synced.responses[0].removed.contains(&x));
    assert!(!nurse.charts.contains_key(&x));
    doctor.sync(&hub).await;
    let visits = doctor.charts[&x].view().unwrap().visits;
    assert_eq!(visits.len(), 1, "the nurse's visit reached the clinic");

    // Told of the removal, the tablet may write to the chart no more.
    let restored = karte_record::Chart::load(nurse.actor.clone(), &[&before_removal]).unwrap();
    let known = automerge::Automerge::load(&restored.save())
        .unwrap()
        .get_changes(&[])
        .iter()
        .map(|c| c.hash())
        .collect();
    nurse.charts.insert(x.clone(), restored);
    nurse.at_hub.insert(x.clone(), known);
    nurse.record_visit(&x, 65);
    let before = hub.stored(&[&nurse]).await;
    let request = nurse.request(nurse.pushes());
    let answer = hub.post_sync(nurse.envelope(&request, hub.now())).await;
    assert_eq!(answer.refusal(), (403, "outside_circle".to_owned()));
    assert_eq!(hub.stored(&[&nurse]).await, before);
}
