//! Render tests: key components rendered to HTML natively with Yew's
//! server renderer, checked for what a nurse must see (and what tests in
//! the browser select by).

use std::rc::Rc;

use karte_types::{
    AgeBand, AllergyCategory, AllergyInput, AllergyStatus, Author, Casualty, CasualtyInput,
    CasualtyLabel, ChartView, ClinicalStatus, ConflictValue, Criticality, Date, Demographics,
    DeviceId, EnrolmentView, EntryId, EntryMeta, OrderAlert, OrderKind, OrderSpan, OrderSummary,
    PatientSummary, Problem, Profession, Review, ReviewId, ReviewKind, Sex, Soap, SyncState,
    Timestamp, Triage, TriageCategory, TriageFindings, TriageInput, TriageSummary, TriageTag,
    UserId, Visit, VisitInput, VitalSigns,
};
use yew::LocalServerRenderer;
use yew::prelude::*;

use crate::components::{
    AllergyBanner, AllergyBannerProps, ChartIdentity, DesignREntry, OrderAlerts, PatientRow,
    ReviewList, SyncBar, TextField, TrendChart, VisitTimeline,
};
use crate::i18n::{Language, Tr};
use crate::trend::Trend;

#[derive(Properties, PartialEq)]
struct InLanguageProps {
    language: Language,
    children: Html,
}

/// Gives its children the messages of one language.
#[component]
fn InLanguage(props: &InLanguageProps) -> Html {
    let tr = Tr::default().in_language(props.language);
    html! { <ContextProvider<Tr> context={tr}>{ props.children.clone() }</ContextProvider<Tr>> }
}

pub(crate) async fn render(language: Language, children: Html) -> String {
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async move {
            LocalServerRenderer::<InLanguage>::with_props(InLanguageProps { language, children })
                .hydratable(false)
                .render()
                .await
        })
        .await
}

fn author(name: &str) -> Author {
    Author {
        user: UserId::from(name),
        user_name: name.to_owned(),
        device: DeviceId::from("device"),
    }
}

fn meta(id: &str, at: i64) -> EntryMeta {
    EntryMeta {
        id: EntryId::from(id),
        recorded_by: author("sato"),
        recorded_at: Timestamp(at),
        entered_in_error: None,
    }
}

fn chart(status: AllergyStatus) -> ChartView {
    ChartView {
        id: "p1".into(),
        patient: Demographics {
            family: "山田".into(),
            given: "花子".into(),
            family_kana: "ヤマダ".into(),
            given_kana: "ハナコ".into(),
            birth: Date::from_ymd(1941, 3, 2).unwrap(),
            sex: Sex::Female,
            address: None,
            phone: None,
            insurance_number: None,
            care_level: None,
        },
        allergy_status: status,
        allergies: vec![],
        conditions: vec![],
        medications: vec![],
        visits: vec![],
        reviews: vec![],
        orders: vec![],
        assessments: vec![],
        triage: Default::default(),
        documents: Vec::new(),
    }
}

fn visit(id: &str, at: i64, temperature: f64, note: &str) -> Visit {
    Visit {
        meta: meta(id, at),
        input: VisitInput {
            at: Timestamp(at),
            vitals: VitalSigns {
                temperature_c: Some(temperature),
                systolic: Some(130),
                diastolic: Some(80),
                ..Default::default()
            },
            soap: Soap {
                subjective: Some(note.to_owned()),
                ..Default::default()
            },
            profession: None,
            long_visit: false,
        },
    }
}

#[tokio::test]
async fn the_allergy_banner_is_never_blank() {
    let not_recorded = chart(AllergyStatus::NotRecorded);
    let html = render(
        Language::Ja,
        html! { <AllergyBanner ..AllergyBannerProps::of(&not_recorded) /> },
    )
    .await;
    assert!(html.contains("data-testid=\"allergy-banner\""));
    assert!(html.contains("未確認"), "{html}");

    let none = chart(AllergyStatus::NoKnownAllergies);
    let html = render(
        Language::En,
        html! { <AllergyBanner ..AllergyBannerProps::of(&none) /> },
    )
    .await;
    assert!(html.contains("none known"), "{html}");

    let mut recorded = chart(AllergyStatus::Recorded);
    recorded.allergies.push(karte_types::Allergy {
        meta: meta("a1", 1),
        input: AllergyInput {
            substance: "ペニシリン".into(),
            category: AllergyCategory::Medication,
            criticality: Criticality::High,
            reaction: Some("発疹".into()),
            status: ClinicalStatus::Active,
        },
    });
    let html = render(
        Language::Ja,
        html! { <AllergyBanner ..AllergyBannerProps::of(&recorded) /> },
    )
    .await;
    assert!(
        html.contains("ペニシリン") && html.contains("重篤") && html.contains("薬剤"),
        "{html}"
    );
    assert_eq!(html.matches("data-testid=\"allergy-item\"").count(), 1);
}

#[tokio::test]
async fn a_trend_chart_draws_one_point_per_visit_with_the_value() {
    let mut c = chart(AllergyStatus::NotRecorded);
    c.visits = vec![
        visit("v3", 3_000_000, 37.9, "c"),
        visit("v2", 2_000_000, 36.4, "b"),
        visit("v1", 1_000_000, 36.8, "a"),
    ];
    let c = Rc::new(c);
    let html = render(
        Language::Ja,
        html! { <TrendChart trend={Trend::Temperature} chart={c.clone()} /> },
    )
    .await;
    let start = html
        .find("data-testid=\"trend-temperature-temperature\"")
        .expect(&html);
    let polyline = &html[html[..start].rfind("<polyline").unwrap()..];
    let points = &polyline[polyline.find("points=\"").unwrap() + 8..];
    let points = &points[..points.find('"').unwrap()];
    assert_eq!(points.split(' ').count(), 3, "{points}");
    assert!(html.contains("体温"));
    // The dots are one path, not an element each; the newest value is read
    // in the caption.
    assert!(!html.contains("<circle"));
    assert_eq!(html.matches("class=\"markers\"").count(), 1);
    assert!(html.contains("最新 37.9"), "{html}");

    let html = render(
        Language::En,
        html! { <TrendChart trend={Trend::BloodPressure} chart={c.clone()} /> },
    )
    .await;
    assert!(html.contains("trend-bp-systolic") && html.contains("trend-bp-diastolic"));
    assert!(html.contains("Blood pressure"));

    let empty = Rc::new(chart(AllergyStatus::NotRecorded));
    let html = render(
        Language::Ja,
        html! { <TrendChart trend={Trend::Spo2} chart={empty} /> },
    )
    .await;
    assert!(html.contains("まだ値がありません") && !html.contains("<polyline"));
}

#[tokio::test]
async fn the_timeline_shows_the_soap_note_and_vitals() {
    let mut c = chart(AllergyStatus::NotRecorded);
    c.visits = vec![visit("v1", 1_000_000, 36.8, "夜よく眠れた")];
    let html = render(Language::Ja, html! { <VisitTimeline chart={Rc::new(c)} /> }).await;
    assert!(
        html.contains("夜よく眠れた") && html.contains("36.8 °C") && html.contains("130/80"),
        "{html}"
    );
}

#[tokio::test]
async fn the_timeline_tells_a_visit_not_by_a_nurse_and_a_long_visit() {
    let mut c = chart(AllergyStatus::NotRecorded);
    let mut pt = visit("v3", 3_000_000, 36.5, "pt");
    pt.input.profession = Some(Profession::PhysicalTherapist);
    pt.input.long_visit = true;
    let mut nurse = visit("v2", 2_000_000, 36.5, "nurse");
    nurse.input.profession = Some(Profession::Nurse);
    let unsaid = visit("v1", 1_000_000, 36.5, "unsaid");
    c.visits = vec![pt, nurse, unsaid];
    let c = Rc::new(c);

    let html = render(Language::Ja, html! { <VisitTimeline chart={c.clone()} /> }).await;
    // Only the therapist's visit is marked, once for who and once for long;
    // a nurse's visit, said or not, is drawn as before.
    assert_eq!(
        html.matches("data-testid=\"visit-profession\"").count(),
        1,
        "{html}"
    );
    assert_eq!(
        html.matches("data-testid=\"visit-long-visit\"").count(),
        1,
        "{html}"
    );
    assert!(
        html.contains("理学療法士（PT）") && html.contains("長時間訪問"),
        "{html}"
    );
    assert!(!html.contains(">看護師<"), "{html}");
    let pt_at = html.find(">pt<").expect(&html);
    assert!(
        html.find("理学療法士（PT）").unwrap() < pt_at,
        "marked on its own visit"
    );
    assert!(
        html.find("長時間訪問").unwrap() < pt_at,
        "marked on its own visit"
    );

    let html = render(Language::En, html! { <VisitTimeline chart={c} /> }).await;
    assert!(
        html.contains("Physical therapist (PT)") && html.contains("Long visit (over 90 minutes)"),
        "{html}"
    );
    assert!(!html.contains(">Nurse<"), "{html}");
}

#[tokio::test]
async fn the_design_r_form_offers_each_items_allowed_scores_in_both_languages() {
    let patient = karte_types::PatientId("p1".into());
    let html = render(
        Language::Ja,
        html! { <DesignREntry patient={patient.clone()} wounds={vec!["仙骨部".to_owned()]} open=true /> },
    )
    .await;
    assert!(html.contains("data-testid=\"design-r-form\""), "{html}");
    assert!(
        html.contains("深さ（D）")
            && html.contains("D3 皮下組織までの損傷")
            && html.contains("I3C 臨界的定着疑い"),
        "{html}"
    );
    // Exudate offers 0, 1, 3, 6 and nothing else; the known wound is a tap away.
    let exudate = &html[html.find("data-testid=\"design-r-exudate\"").expect(&html)..];
    let exudate = &exudate[..exudate.find("</select>").unwrap()];
    assert_eq!(exudate.matches("<option").count(), 4, "{exudate}");
    assert!(html.contains("data-testid=\"design-r-known-wound\"") && html.contains(">仙骨部<"));
    // No wound named yet: no total, and no error before a save is tried.
    assert!(
        !html.contains("design-r-total") && !html.contains("role=\"alert\""),
        "{html}"
    );

    let html = render(
        Language::En,
        html! { <DesignREntry patient={patient.clone()} open=true /> },
    )
    .await;
    assert!(
        html.contains("Exudate (E)") && html.contains("DU Depth cannot be judged"),
        "{html}"
    );
    assert!(
        html.contains("No visit recorded today: this assessment is saved without a visit"),
        "{html}"
    );
    let visit = Some((
        EntryId::from("v1"),
        Timestamp::parse_rfc3339("at", "2026-11-20T14:05:00+09:00").unwrap(),
    ));
    let html = render(
        Language::Ja,
        html! { <DesignREntry patient={patient.clone()} visit={visit} open=true /> },
    )
    .await;
    assert!(
        html.contains("本日 14:05 の訪問の評価として記録します"),
        "{html}"
    );
    let closed = render(Language::En, html! { <DesignREntry patient={patient} /> }).await;
    assert!(
        closed.contains("Record a DESIGN-R") && !closed.contains("design-r-form"),
        "{closed}"
    );
}

#[tokio::test]
async fn the_timeline_draws_the_newest_page_and_offers_the_rest() {
    let mut c = chart(AllergyStatus::NotRecorded);
    c.visits = (0..25)
        .rev()
        .map(|i| visit(&format!("v{i}"), 1_000_000 + i, 36.5, &format!("note {i}")))
        .collect();
    let html = render(Language::En, html! { <VisitTimeline chart={Rc::new(c)} /> }).await;
    assert_eq!(html.matches("data-testid=\"visit\"").count(), 20);
    assert!(
        html.contains("note 24") && !html.contains("note 4<"),
        "{html}"
    );
    assert!(
        html.contains("data-testid=\"visits-older\"")
            && html.contains("Show older visits (5 more)"),
        "{html}"
    );

    let mut few = chart(AllergyStatus::NotRecorded);
    few.visits = vec![visit("v1", 1_000_000, 36.8, "a")];
    let html = render(
        Language::Ja,
        html! { <VisitTimeline chart={Rc::new(few)} /> },
    )
    .await;
    assert!(!html.contains("visits-older"));
}

#[tokio::test]
async fn the_sync_bar_says_offline_pending_and_errors_in_plain_words() {
    let sync = SyncState {
        enrolment: Some(EnrolmentView {
            hub_url: "http://127.0.0.1:1".into(),
            org_name: "ひまわり訪問看護".into(),
            org_id: "org-1".into(),
            device_name: "tablet-3".into(),
            enrolled_at: Timestamp(0),
        }),
        charts_to_push: 2,
        pending_shares: 0,
        open_reviews: 1,
        quarantined_charts: 0,
        last_success: None,
        last_error: None,
    };
    let problem = Problem::new(karte_types::ErrorCode::HubUnreachable, "connection refused");
    let html = render(
        Language::Ja,
        html! { <SyncBar online={false} sync={Some(sync.clone())} syncing={false} problem={Some(problem.clone())} onsync={Callback::noop()} /> },
    )
    .await;
    assert!(
        html.contains("オフライン") && html.contains("未送信 2件") && html.contains("要確認 1件"),
        "{html}"
    );
    assert!(html.contains("ハブに接続できません") && !html.contains("connection refused"));
    let html = render(
        Language::En,
        html! { <SyncBar online={true} sync={Some(sync)} syncing={false} problem={None::<Problem>} onsync={Callback::noop()} /> },
    )
    .await;
    assert!(
        html.contains("Online") && html.contains("2 to send") && html.contains("sync-now"),
        "{html}"
    );
    assert!(!html.contains("sync-quarantined"), "{html}");
}

#[tokio::test]
async fn the_sync_bar_counts_the_charts_in_quarantine_in_both_languages() {
    let sync = SyncState {
        quarantined_charts: 2,
        ..crate::pages::carry::tests::enrolled()
    };
    let bar = |sync: SyncState| {
        html! { <SyncBar online={true} sync={Some(sync)} syncing={false} problem={None::<Problem>} onsync={Callback::noop()} /> }
    };
    let html = render(Language::Ja, bar(sync.clone())).await;
    assert!(html.contains("適用できないカルテ 2件（隔離中）"), "{html}");
    assert!(html.contains("ハブの管理者に通知済み"), "{html}");
    let html = render(Language::En, bar(sync.clone())).await;
    assert!(
        html.contains("2 quarantined: could not be applied")
            && html.contains("administrator has been told"),
        "{html}"
    );
    let none = SyncState {
        quarantined_charts: 0,
        ..sync
    };
    let html = render(Language::En, bar(none)).await;
    assert!(!html.contains("quarantined"), "{html}");
}

#[tokio::test]
async fn the_sync_bar_shows_what_the_last_sync_left_waiting_in_both_languages() {
    let sync = crate::pages::carry::tests::enrolled();
    let bar = |report: Option<karte_types::SyncReport>| {
        html! { <SyncBar online={true} sync={Some(sync.clone())} syncing={false} problem={None::<Problem>} onsync={Callback::noop()} report={report} /> }
    };
    let report = karte_types::SyncReport {
        unrelayed_charts: 2,
        photos_sent: 1,
        photos_received: 3,
        photos_waiting: 4,
        ..Default::default()
    };
    let html = render(Language::Ja, bar(Some(report.clone()))).await;
    assert!(html.contains("ハブへ中継待ちのカルテ 2件"), "{html}");
    assert!(html.contains("別の端末の変更を含むカルテ"), "{html}");
    assert!(html.contains("写真 送信 1枚・受信 3枚"), "{html}");
    assert!(html.contains("ハブにまだ届いていない写真 4枚"), "{html}");
    let html = render(Language::En, bar(Some(report))).await;
    assert!(
        html.contains("Carried charts not passed on to the hub yet: 2"),
        "{html}"
    );
    assert!(html.contains("Photos: 1 sent, 3 received"), "{html}");
    assert!(html.contains("Photos not on the hub yet: 4"), "{html}");
    // Nothing waiting, nothing moved, or no sync run here: none of them.
    for report in [None, Some(karte_types::SyncReport::default())] {
        let html = render(Language::En, bar(report)).await;
        for id in ["sync-unrelayed", "sync-photos-moved", "sync-photos-waiting"] {
            assert!(!html.contains(id), "{id} in {html}");
        }
    }
}

#[tokio::test]
async fn a_review_shows_each_value_with_its_author() {
    let review = Review {
        id: ReviewId::from("r1"),
        kind: ReviewKind::ConcurrentValues,
        path: "patient/phone".into(),
        values: vec![
            ConflictValue {
                value: "\"090-1111-2222\"".into(),
                author: Some(author("sato")),
                at: Some(Timestamp(1_000)),
            },
            ConflictValue {
                value: "\"090-3333-4444\"".into(),
                author: Some(author("suzuki")),
                at: Some(Timestamp(2_000)),
            },
        ],
        recorded_at: Timestamp(3_000),
        resolution: None,
    };
    let html = render(
        Language::Ja,
        html! { <ReviewList reviews={vec![review]} onresolve={Callback::noop()} /> },
    )
    .await;
    for text in [
        "090-1111-2222",
        "090-3333-4444",
        "sato",
        "suzuki",
        "電話番号",
        "review-keep-1",
        // A text conflict may also be merged by typing, starting from both.
        "review-merge-save",
        "090-1111-2222 / 090-3333-4444",
    ] {
        assert!(html.contains(text), "{text} missing: {html}");
    }
}

#[tokio::test]
async fn a_field_keeps_its_text_and_shows_its_error() {
    let html = render(
        Language::Ja,
        html! { <TextField testid="visit-temp" label="体温" value="3.68" error={Some("体温は 30〜45 °C".to_owned())} oninput={Callback::noop()} /> },
    )
    .await;
    assert!(
        html.contains("value=\"3.68\"") || html.contains("3.68"),
        "{html}"
    );
    assert!(
        html.contains("data-testid=\"visit-temp-error\"") && html.contains("aria-invalid=\"true\"")
    );
}

fn summary(family: &str, given: &str) -> PatientSummary {
    PatientSummary {
        id: "p1".into(),
        family: family.into(),
        given: given.into(),
        family_kana: String::new(),
        given_kana: String::new(),
        birth: Date::from_ymd(1961, 4, 1).unwrap(),
        sex: Sex::Male,
        care_level: None,
        last_visit: None,
        open_reviews: 0,
        orders: OrderSummary::default(),
        triage: None,
    }
}

fn casualty_label() -> CasualtyLabel {
    CasualtyLabel {
        tag: "T-0123".into(),
        sex: Sex::Male,
        age_band: AgeBand::Sixties,
    }
}

/// A regular 指示書 from a month ago to `days` days after the UI's today.
fn order_ending_in(days: i64) -> OrderSummary {
    let day = |d: i64| Timestamp(crate::clock::now().0 + d * 86_400_000).date_jst();
    OrderSummary {
        spans: vec![OrderSpan {
            id: EntryId::from("o1"),
            kind: OrderKind::Instruction,
            from: day(days - 150),
            to: Some(day(days)),
            doctor: "鈴木 一郎".into(),
            institution: "さくら内科".into(),
            allows_second_special: false,
        }],
        visits_outside: 0,
    }
}

fn row(patient: PatientSummary) -> Html {
    html! { <PatientRow patient={patient} onopen={Callback::noop()} /> }
}

#[tokio::test]
async fn a_casualty_row_shows_its_temporary_identity_and_category_not_a_birth_date() {
    let mut p = summary("", "");
    p.triage = Some(Box::new(TriageSummary {
        casualty: Some(casualty_label()),
        registered_at: Some(Timestamp(0)),
        category: Some(TriageCategory::Red),
        triaged_at: Some(Timestamp(0)),
        departed_at: None,
        identified_as: None,
    }));
    let age = p.birth.age_on(crate::clock::today()).to_string();
    let html = render(Language::Ja, row(p.clone())).await;
    assert!(html.contains("身元不明 男性 60代 #T-0123"), "{html}");
    assert!(
        html.contains("▲ 赤 I 最優先治療群") && html.contains("triage-red"),
        "{html}"
    );
    assert!(!html.contains(&format!("{age}歳")), "{html}");
    // No order is not a casualty's paperwork problem.
    assert!(!html.contains("order-badge"), "{html}");
    let html = render(Language::En, row(p)).await;
    assert!(html.contains("Unknown, male, 60s, #T-0123"), "{html}");
    assert!(html.contains("▲ red I immediate"), "{html}");
    assert!(!html.contains(&format!("{age} y")), "{html}");
}

#[tokio::test]
async fn a_named_row_keeps_its_name_and_age() {
    let mut p = summary("山田", "太郎");
    p.orders = order_ending_in(60);
    let age = p.birth.age_on(crate::clock::today()).to_string();
    let html = render(Language::Ja, row(p)).await;
    assert!(
        html.contains("山田 太郎") && html.contains(&format!("{age}歳")),
        "{html}"
    );
    assert!(
        !html.contains("身元不明") && !html.contains("triage-category"),
        "{html}"
    );
    assert!(!html.contains("order-badge"), "{html}");
}

#[tokio::test]
async fn a_patient_with_an_expiring_order_shows_the_badge_in_both_languages() {
    let mut p = summary("山田", "太郎");
    p.orders = order_ending_in(5);
    let html = render(Language::Ja, row(p.clone())).await;
    assert!(
        html.contains("order-badge") && html.contains("指示書 あと5日"),
        "{html}"
    );
    assert!(html.contains("訪問看護指示書がまもなく期限切れ"), "{html}");
    let html = render(Language::En, row(p.clone())).await;
    assert!(html.contains("Order: 5 d left"), "{html}");
    p.orders = order_ending_in(-3);
    p.orders.visits_outside = 2;
    let html = render(Language::Ja, row(p.clone())).await;
    assert!(html.contains("指示書 期限切れ ほか1件"), "{html}");
    let html = render(Language::En, row(p)).await;
    assert!(html.contains("Order expired +1 more"), "{html}");
    let html = render(Language::En, row(summary("山田", "太郎"))).await;
    assert!(html.contains("No order"), "{html}");
}

#[tokio::test]
async fn the_chart_shows_a_casualtys_identity_and_triage_and_a_line_per_order_alert() {
    let mut c = chart(AllergyStatus::NotRecorded);
    c.patient.family = String::new();
    c.patient.given = String::new();
    c.patient.family_kana = String::new();
    c.patient.given_kana = String::new();
    c.triage = TriageTag {
        registrations: vec![Casualty {
            meta: meta("c1", 1),
            input: CasualtyInput {
                tag: "T-0123".into(),
                sex: Sex::Male,
                age_band: AgeBand::Sixties,
                found_at: None,
                found_latitude: None,
                found_longitude: None,
                features: None,
            },
        }],
        history: vec![Triage {
            meta: meta("t1", 2),
            input: TriageInput {
                at: Timestamp(2),
                findings: TriageFindings::default(),
                computed: TriageCategory::Yellow,
                category: TriageCategory::Yellow,
                override_reason: None,
            },
        }],
        transports: vec![],
        identifications: vec![],
    };
    let c = Rc::new(c);
    let html = render(Language::Ja, html! { <ChartIdentity chart={c.clone()} /> }).await;
    assert!(html.contains("身元不明 男性 60代 #T-0123"), "{html}");
    assert!(html.contains("◆ 黄 II 非緊急治療群"), "{html}");
    assert!(
        !html.contains("chart-birth") && !html.contains("1941"),
        "{html}"
    );
    let html = render(Language::En, html! { <ChartIdentity chart={c} /> }).await;
    assert!(
        html.contains("Unknown, male, 60s, #T-0123") && html.contains("◆ yellow II delayed"),
        "{html}"
    );

    let named = Rc::new(chart(AllergyStatus::NotRecorded));
    let html = render(Language::Ja, html! { <ChartIdentity chart={named} /> }).await;
    assert!(
        html.contains("山田 花子") && html.contains("chart-birth"),
        "{html}"
    );

    let alerts = vec![
        OrderAlert::Expired {
            id: EntryId::from("o1"),
            until: Date::from_ymd(2026, 3, 31).unwrap(),
        },
        OrderAlert::VisitsOutsideOrders { count: 2 },
    ];
    let html = render(
        Language::Ja,
        html! { <OrderAlerts alerts={alerts.clone()} /> },
    )
    .await;
    assert_eq!(
        html.matches("data-testid=\"order-alert\"").count(),
        2,
        "{html}"
    );
    assert!(
        html.contains("訪問看護指示書の期限切れ") && html.contains("指示書の期間外の訪問が2件"),
        "{html}"
    );
    let html = render(Language::En, html! { <OrderAlerts alerts={alerts} /> }).await;
    assert!(
        html.contains("order expired on 2026-03-31")
            && html.contains("2 visit(s) recorded outside"),
        "{html}"
    );
    let html = render(Language::En, html! { <OrderAlerts alerts={vec![]} /> }).await;
    assert!(!html.contains("order-alerts"), "{html}");
}
