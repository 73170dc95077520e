//! Charts pushed whole under the cover rule: a chart the hub does not hold
//! yet travels saved, with one signature per author's tip. The hub takes
//! every change in it as if pushed one by one, each under its author, and
//! refuses the whole push, storing nothing, when a tip's signature is
//! forged or of another author, or a change has no signed tip of its own
//! author after it.

use automerge::Automerge;
use karte_hub::HubStore;
use karte_sync::{ChangeSignature, DocPush, WholeChart, sign_change_hash};
use karte_types::PatientId;

use crate::backend::Backend;
use crate::harness::{TestDevice, TestHub};

/// The tip signature of `hash` by `author`.
fn tip(author: &TestDevice, hash: [u8; 32]) -> ChangeSignature {
    ChangeSignature {
        hash,
        device: author.id.clone(),
        signature: sign_change_hash(&author.key, &hash),
    }
}

/// `holder`'s copy of `doc` pushed whole, with `tips`.
fn whole(holder: &TestDevice, doc: &PatientId, tips: Vec<ChangeSignature>) -> DocPush {
    DocPush {
        doc: doc.clone(),
        changes: Vec::new(),
        whole: Some(WholeChart {
            saved: holder.charts[doc].save(),
            tips,
        }),
    }
}

/// A chart of one author pushed whole, its heads signed.
fn own_whole(author: &TestDevice, doc: &PatientId) -> DocPush {
    let tips = author.charts[doc]
        .heads()
        .into_iter()
        .map(|head| tip(author, head.0))
        .collect();
    whole(author, doc, tips)
}

async fn push_as<B: Backend>(
    hub: &TestHub<B>,
    device: &mut TestDevice,
    pushes: Vec<DocPush>,
) -> (u16, String) {
    let request = device.request(pushes);
    let envelope = device.envelope(&request, hub.now());
    let answer = hub.post_sync(envelope).await;
    if answer.status == 200 {
        device.apply(&answer.response());
        (200, String::new())
    } else {
        answer.refusal()
    }
}

fn hashes_of(saved: &[u8]) -> Vec<[u8; 32]> {
    Automerge::load(saved)
        .unwrap()
        .get_changes(&[])
        .iter()
        .map(|c| c.hash().0)
        .collect()
}

pub async fn a_chart_pushed_whole_is_stored_change_by_change_under_its_author<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("station").await;
    let mut tablet = hub.enrol(&org.id, "tablet").await;
    let mut reader = hub.enrol(&org.id, "reader").await;
    let doc = tablet.create_chart("w");
    for pulse in 70..74 {
        tablet.record_visit(&doc, pulse);
    }
    let push = own_whole(&tablet, &doc);
    let hashes = hashes_of(&push.whole.as_ref().unwrap().saved);
    assert_eq!(
        push_as(&hub, &mut tablet, vec![push]).await,
        (200, String::new())
    );
    let stored = hub.store.doc_changes(&doc, 0).await.unwrap();
    assert_eq!(stored.iter().map(|c| c.hash).collect::<Vec<_>>(), hashes);
    assert!(stored.iter().all(|c| c.signer == tablet.id));
    // Only the tip carries a signature; the rest are covered by it.
    let heads: Vec<[u8; 32]> = tablet.charts[&doc].heads().iter().map(|h| h.0).collect();
    for change in &stored {
        assert_eq!(
            change.signature.is_empty(),
            !heads.contains(&change.hash),
            "change {}",
            hex::encode(change.hash)
        );
    }
    assert_eq!(hub.store.doc(&doc).await.unwrap().unwrap().owner, org.id);

    // Another device gets the chart whole, as the author holds it.
    reader.sync(&hub).await;
    assert_eq!(reader.heads(&doc), tablet.heads(&doc));
    // A later visit goes as one signed change, and reaches the reader so.
    tablet.record_visit(&doc, 80);
    tablet.sync(&hub).await;
    let synced = reader.sync(&hub).await;
    assert_eq!(reader.heads(&doc), tablet.heads(&doc));
    assert!(
        synced
            .responses
            .iter()
            .any(|r| r.updates.iter().any(|u| matches!(
                u.payload,
                karte_sync::Payload::Changes(ref c) if c.len() == 1
            )))
    );
    // A device whose cursor falls among the covered changes gets the chart
    // whole, never a change without its signature.
    let mut late = hub.enrol(&org.id, "late").await;
    late.cursor = 1;
    late.max_response_bytes = 1;
    late.sync(&hub).await;
    assert_eq!(late.heads(&doc), tablet.heads(&doc));
}

pub async fn a_forged_misattributed_or_uncovered_whole_chart_is_refused_with_nothing_stored<
    B: Backend,
>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("station").await;
    let mut tablet = hub.enrol(&org.id, "tablet").await;
    let mut other = hub.enrol(&org.id, "other").await;
    let doc = tablet.create_chart("w");
    tablet.record_visit(&doc, 70);
    let before = hub.stored(&[&tablet, &other]).await;
    let head = tablet.charts[&doc].heads()[0].0;

    // A tip whose signature does not hold.
    let mut forged = own_whole(&tablet, &doc);
    forged.whole.as_mut().unwrap().tips[0].signature[5] ^= 1;
    assert_eq!(
        push_as(&hub, &mut tablet, vec![forged]).await,
        (403, "forged_change".to_owned())
    );
    // The tablet's tip signed by the other device, under the other's name.
    let stolen = whole(&tablet, &doc, vec![tip(&other, head)]);
    assert_eq!(
        push_as(&hub, &mut tablet, vec![stolen]).await,
        (403, "foreign_actor".to_owned())
    );
    // No tip at all.
    let bare = whole(&tablet, &doc, Vec::new());
    assert_eq!(
        push_as(&hub, &mut tablet, vec![bare]).await,
        (403, "unsigned_change".to_owned())
    );
    // The other device's visit in the tablet's chart, covered only by the
    // tablet's own tip: the other's change has no signature of its author.
    let copy =
        karte_record::Chart::load(other.actor.clone(), &[&tablet.charts[&doc].save()]).unwrap();
    other.charts.insert(doc.clone(), copy);
    other.record_visit(&doc, 90);
    let copy =
        karte_record::Chart::load(tablet.actor.clone(), &[&other.charts[&doc].save()]).unwrap();
    tablet.charts.insert(doc.clone(), copy);
    tablet.record_visit(&doc, 91);
    let tablet_tip = tablet.charts[&doc].heads()[0].0;
    let uncovered = whole(&tablet, &doc, vec![tip(&tablet, tablet_tip)]);
    assert_eq!(
        push_as(&hub, &mut tablet, vec![uncovered]).await,
        (403, "unsigned_change".to_owned())
    );
    // A saved chart that is not one.
    let mut broken = own_whole(&tablet, &doc);
    broken.whole.as_mut().unwrap().saved.truncate(40);
    assert_eq!(push_as(&hub, &mut tablet, vec![broken]).await.0, 400);
    assert_eq!(hub.stored(&[&tablet, &other]).await, before);
    assert!(hub.store.doc(&doc).await.unwrap().is_none());
}

pub async fn a_relayed_whole_chart_keeps_the_original_authors<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("station").await;
    let mut relay = hub.enrol(&org.id, "relay").await;
    let mut first = hub.enrol(&org.id, "first").await;
    let mut second = hub.enrol(&org.id, "second").await;
    // Two devices write one chart offline; a third hands it on whole.
    let doc = first.create_chart("r");
    first.record_visit(&doc, 70);
    let copy =
        karte_record::Chart::load(second.actor.clone(), &[&first.charts[&doc].save()]).unwrap();
    second.charts.insert(doc.clone(), copy);
    second.record_visit(&doc, 75);
    second.record_visit(&doc, 76);
    let copy =
        karte_record::Chart::load(relay.actor.clone(), &[&second.charts[&doc].save()]).unwrap();
    relay.charts.insert(doc.clone(), copy);
    let first_tip = first.charts[&doc].heads()[0].0;
    let second_tip = second.charts[&doc].heads()[0].0;
    let push = whole(
        &relay,
        &doc,
        vec![tip(&first, first_tip), tip(&second, second_tip)],
    );
    let hashes = hashes_of(&push.whole.as_ref().unwrap().saved);
    assert_eq!(
        push_as(&hub, &mut relay, vec![push]).await,
        (200, String::new())
    );
    let stored = hub.store.doc_changes(&doc, 0).await.unwrap();
    assert_eq!(stored.len(), hashes.len());
    let first_changes: Vec<[u8; 32]> = hashes_of(&first.charts[&doc].save());
    for change in &stored {
        let author = if first_changes.contains(&change.hash) {
            &first.id
        } else {
            &second.id
        };
        assert_eq!(&change.signer, author, "never the relay");
    }
    assert_eq!(
        stored.iter().filter(|c| !c.signature.is_empty()).count(),
        2,
        "the two tips"
    );
    // A device of the organisation receives the chart as the relay holds it.
    let mut reader = hub.enrol(&org.id, "reader").await;
    reader.sync(&hub).await;
    assert_eq!(reader.heads(&doc), relay.heads(&doc));
}

pub async fn a_whole_chart_sent_again_stores_nothing_and_one_grown_since_stores_the_rest<
    B: Backend,
>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("station").await;
    let mut tablet = hub.enrol(&org.id, "tablet").await;
    let doc = tablet.create_chart("w");
    tablet.record_visit(&doc, 70);
    let push = own_whole(&tablet, &doc);
    assert_eq!(push_as(&hub, &mut tablet, vec![push.clone()]).await.0, 200);
    // The answer was lost: the same chart comes whole again.
    let before = hub.store.feed_head().await.unwrap();
    assert_eq!(push_as(&hub, &mut tablet, vec![push]).await.0, 200);
    assert_eq!(hub.store.feed_head().await.unwrap(), before);
    // Grown since, whole again (a device that forgot what the hub holds):
    // only the new changes are stored, the held ones need no signature.
    tablet.record_visit(&doc, 71);
    tablet.record_visit(&doc, 72);
    let head = tablet.charts[&doc].heads()[0].0;
    let grown = whole(&tablet, &doc, vec![tip(&tablet, head)]);
    assert_eq!(push_as(&hub, &mut tablet, vec![grown]).await.0, 200);
    assert_eq!(hub.store.feed_head().await.unwrap(), before + 2);
    assert_eq!(hub.heads(&doc).await, tablet.heads(&doc));
}
