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
    hub.store
        .accept_shares_from(&station.id, &clinic.id)
        .await
        .unwrap();

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
    hub.store
        .accept_shares_from(&station.id, &clinic.id)
        .await
        .unwrap();
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

/// Issue 11, item 3: a device of an organisation removed from a chart's
/// circle cannot go on writing to it by sending a cursor from before the
/// removal; the hub judges by what it answered the device with.
pub async fn a_device_that_lies_about_its_cursor_cannot_write_after_an_unshare<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (clinic, _) = hub.add_org("clinic").await;
    let (station, _) = hub.add_org("station").await;
    let mut doctor = hub.enrol(&clinic.id, "doctor").await;
    let mut nurse = hub.enrol(&station.id, "nurse").await;
    let x = doctor.create_chart("x");
    doctor.sync(&hub).await;
    hub.store.share(&x, &station.id, NOW).await.unwrap();
    nurse.sync(&hub).await;
    let kept = nurse.charts[&x].save();
    let known = nurse.at_hub[&x].clone();

    hub.store.unshare(&x, &station.id, NOW).await.unwrap();
    let synced = nurse.sync(&hub).await;
    assert!(synced.responses[0].removed.contains(&x));

    // The tablet keeps the chart anyway, writes, and claims never to have
    // been told: its cursor is 1, before the unshare.
    let restored = karte_record::Chart::load(nurse.actor.clone(), &[&kept]).unwrap();
    nurse.charts.insert(x.clone(), restored);
    nurse.at_hub.insert(x.clone(), known);
    nurse.record_visit(&x, 65);
    let before = hub.stored(&[&doctor, &nurse]).await;
    for cursor in [1, 0] {
        let request = SyncRequest {
            cursor,
            ..nurse.request(nurse.pushes())
        };
        let answer = hub.post_sync(nurse.envelope(&request, hub.now())).await;
        assert_eq!(
            answer.refusal(),
            (403, "outside_circle".to_owned()),
            "cursor {cursor}"
        );
        assert_eq!(hub.stored(&[&doctor, &nurse]).await, before);
    }
    assert!(
        hub.store
            .device(&nurse.id)
            .await
            .unwrap()
            .unwrap()
            .served_up_to
            >= hub.store.feed_head().await.unwrap()
    );
}

/// Issue 11, item 3: a device that wrote before it could have been told of
/// an unshare keeps what it wrote, also when the answer to its push was
/// lost and it sends the same push again from its old cursor.
pub async fn a_push_sent_again_after_its_answer_was_lost_is_taken<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (clinic, _) = hub.add_org("clinic").await;
    let (station, _) = hub.add_org("station").await;
    let mut doctor = hub.enrol(&clinic.id, "doctor").await;
    let mut nurse = hub.enrol(&station.id, "nurse").await;
    let x = doctor.create_chart("x");
    doctor.sync(&hub).await;
    hub.store.share(&x, &station.id, NOW).await.unwrap();
    nurse.sync(&hub).await;

    nurse.record_visit(&x, 64);
    hub.store.unshare(&x, &station.id, NOW).await.unwrap();
    let request = nurse.request(nurse.pushes());
    let first = hub
        .post_sync(nurse.envelope(&request, hub.now()))
        .await
        .response();
    assert!(first.removed.contains(&x));
    // The answer never arrived: the same push again, from the old cursor.
    let again = hub
        .post_sync(nurse.envelope(&request, hub.now()))
        .await
        .response();
    assert!(again.removed.contains(&x));
    nurse.apply(&again);
    doctor.sync(&hub).await;
    let visits = doctor.charts[&x].view().unwrap().visits;
    assert_eq!(visits.len(), 1, "the nurse's visit reached the clinic");

    // Anything new, though, is refused.
    let restored =
        karte_record::Chart::load(nurse.actor.clone(), &[&doctor.charts[&x].save()]).unwrap();
    nurse.charts.insert(x.clone(), restored);
    let held = automerge::Automerge::load(&doctor.charts[&x].save())
        .unwrap()
        .get_changes(&[])
        .iter()
        .map(|c| c.hash())
        .collect();
    nurse.at_hub.insert(x.clone(), held);
    nurse.record_visit(&x, 66);
    let request = SyncRequest {
        cursor: 0,
        ..nurse.request(nurse.pushes())
    };
    let answer = hub.post_sync(nurse.envelope(&request, hub.now())).await;
    assert_eq!(answer.refusal(), (403, "outside_circle".to_owned()));
}

/// Issue 11, item 2: a chart enters another organisation's care circle
/// only under a rule that organisation's administrator set. With none, the
/// share is refused and nothing of the request is kept; under "approve
/// each" it waits, and approval brings the chart to the organisation's
/// devices; under "accept from" it is shared at once.
pub async fn sharing_into_another_org_needs_its_consent<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (clinic, _) = hub.add_org("clinic").await;
    let (station, _) = hub.add_org("station").await;
    let (relief, _) = hub.add_org("relief").await;
    let mut doctor = hub.enrol(&clinic.id, "doctor").await;
    let mut colleague = hub.enrol(&clinic.id, "colleague").await;
    let mut nurse = hub.enrol(&station.id, "nurse").await;
    let mut medic = hub.enrol(&relief.id, "medic").await;
    let x = doctor.create_chart("x");
    doctor.sync(&hub).await;

    // No rule: refused with its code, and nothing of the request is kept.
    doctor.record_visit(&x, 70);
    let before = hub.stored(&[&doctor]).await;
    let request = SyncRequest {
        shares: vec![(x.clone(), station.id.0.clone())],
        ..doctor.request(doctor.pushes())
    };
    let answer = hub.post_sync(doctor.envelope(&request, hub.now())).await;
    assert_eq!(answer.refusal(), (403, "share_not_accepted".to_owned()));
    assert_eq!(hub.stored(&[&doctor]).await, before);
    assert_eq!(
        hub.store.doc(&x).await.unwrap().unwrap().circle,
        std::slice::from_ref(&clinic.id)
    );

    // Within the organisation nothing is needed.
    let request = SyncRequest {
        shares: vec![(x.clone(), clinic.id.0.clone())],
        ..doctor.request(doctor.pushes())
    };
    let response = hub
        .post_sync(doctor.envelope(&request, hub.now()))
        .await
        .response();
    doctor.apply(&response);
    assert!(response.shares_pending.is_empty());
    colleague.sync(&hub).await;
    assert!(colleague.charts.contains_key(&x));

    // Approve each: the share is taken, waits, and is reported as waiting.
    hub.store
        .approve_each_share(&station.id, true)
        .await
        .unwrap();
    let request = SyncRequest {
        shares: vec![(x.clone(), station.id.0.clone())],
        ..doctor.request(Vec::new())
    };
    let response = hub
        .post_sync(doctor.envelope(&request, hub.now()))
        .await
        .response();
    assert_eq!(response.shares_pending, [(x.clone(), station.id.0.clone())]);
    assert_eq!(hub.store.doc(&x).await.unwrap().unwrap().circle.len(), 1);
    let pending = hub.store.pending_shares(&station.id).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        (&pending[0].doc, &pending[0].from_org, &pending[0].device),
        (&x, &clinic.id, &doctor.id)
    );
    nurse.sync(&hub).await;
    assert!(!nurse.charts.contains_key(&x), "not before approval");

    // Approved, the chart reaches the station's device at its next sync.
    hub.store.approve_share(&x, &station.id, NOW).await.unwrap();
    assert!(
        hub.store
            .pending_shares(&station.id)
            .await
            .unwrap()
            .is_empty()
    );
    nurse.sync(&hub).await;
    assert_eq!(nurse.heads(&x), doctor.heads(&x));
    let error = hub
        .store
        .approve_share(&x, &station.id, NOW)
        .await
        .unwrap_err();
    assert_eq!(error.code(), "no_pending_share");

    // A rejected share is forgotten; the chart never arrives.
    hub.store
        .approve_each_share(&relief.id, true)
        .await
        .unwrap();
    let request = SyncRequest {
        shares: vec![(x.clone(), relief.id.0.clone())],
        ..doctor.request(Vec::new())
    };
    hub.post_sync(doctor.envelope(&request, hub.now()))
        .await
        .response();
    hub.store.reject_share(&x, &relief.id).await.unwrap();
    medic.sync(&hub).await;
    assert!(!medic.charts.contains_key(&x));

    // Accept from: shared at once.
    hub.store
        .approve_each_share(&relief.id, false)
        .await
        .unwrap();
    hub.store
        .accept_shares_from(&relief.id, &clinic.id)
        .await
        .unwrap();
    let rules = hub.store.share_rules(&relief.id).await.unwrap();
    assert_eq!(
        (rules.accept_from, rules.approve_each),
        (vec![clinic.id.clone()], false)
    );
    let response = hub
        .post_sync(doctor.envelope(&request, hub.now()))
        .await
        .response();
    assert!(response.shares_pending.is_empty());
    medic.sync(&hub).await;
    assert_eq!(medic.heads(&x), doctor.heads(&x));

    // The station, a member now, may not pass the chart on to an
    // organisation that does not accept it from the station.
    let (other, _) = hub.add_org("other").await;
    let request = SyncRequest {
        shares: vec![(x.clone(), other.id.0.clone())],
        ..nurse.request(Vec::new())
    };
    let answer = hub.post_sync(nurse.envelope(&request, hub.now())).await;
    assert_eq!(answer.refusal(), (403, "share_not_accepted".to_owned()));
}

/// Issue 11, item 2: a device unshares: the owner removes another
/// organisation, whose devices lose the chart; a member removes only itself.
pub async fn a_device_unshares_and_the_chart_stops_reaching_the_org<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (clinic, _) = hub.add_org("clinic").await;
    let (station, _) = hub.add_org("station").await;
    let (relief, _) = hub.add_org("relief").await;
    let mut doctor = hub.enrol(&clinic.id, "doctor").await;
    let mut nurse = hub.enrol(&station.id, "nurse").await;
    let mut medic = hub.enrol(&relief.id, "medic").await;
    let x = doctor.create_chart("x");
    doctor.sync(&hub).await;
    hub.store.share(&x, &station.id, NOW).await.unwrap();
    hub.store.share(&x, &relief.id, NOW).await.unwrap();
    nurse.sync(&hub).await;
    medic.sync(&hub).await;

    // A member may not remove another member, nor the owner.
    for (org, status, code) in [
        (&relief.id, 403, "not_chart_owner"),
        (&clinic.id, 409, "owner_cannot_leave"),
    ] {
        let request = SyncRequest {
            unshares: vec![(x.clone(), org.0.clone())],
            ..nurse.request(Vec::new())
        };
        let answer = hub.post_sync(nurse.envelope(&request, hub.now())).await;
        assert_eq!(answer.refusal(), (status, code.to_owned()));
    }

    // The owner removes the station; the chart leaves its devices.
    let request = SyncRequest {
        unshares: vec![(x.clone(), station.id.0.clone())],
        ..doctor.request(Vec::new())
    };
    hub.post_sync(doctor.envelope(&request, hub.now()))
        .await
        .response();
    let synced = nurse.sync(&hub).await;
    assert!(synced.responses.iter().any(|r| r.removed.contains(&x)));
    assert!(!nurse.charts.contains_key(&x));
    doctor.record_visit(&x, 72);
    doctor.sync(&hub).await;
    let synced = nurse.sync(&hub).await;
    assert!(synced.responses.iter().all(|r| r.updates.is_empty()));

    // The relief team leaves of its own accord.
    let request = SyncRequest {
        unshares: vec![(x.clone(), relief.id.0.clone())],
        ..medic.request(Vec::new())
    };
    let response = hub
        .post_sync(medic.envelope(&request, hub.now()))
        .await
        .response();
    medic.apply(&response);
    medic.sync(&hub).await;
    assert!(!medic.charts.contains_key(&x));
    assert_eq!(
        hub.store.doc(&x).await.unwrap().unwrap().circle,
        [clinic.id]
    );
}
