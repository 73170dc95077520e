//! The app's state and every change to it, as a plain reducer: components
//! send an [`Action`], [`AppState::apply`] decides. No I/O here, so every rule
//! (stale search answers are dropped, locking forgets every patient) is a
//! unit test.

use std::rc::Rc;

use karte_types::{
    AppUser, ChartView, Date, ErrorCode, PatientId, PatientSummary, Problem, SessionState,
    Settings, SyncReport, SyncState,
};
use yew::Reducible;

use crate::forms::ConsultationPlace;
use crate::i18n::Language;

/// Where the app stands as a whole.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Asking the core what it has.
    Starting,
    /// No vault yet: create one.
    FirstRun,
    /// The vault was just created: enrol with a hub or continue offline.
    Enrol,
    Locked,
    Unlocked,
    /// The core cannot be reached at all (no token, no bridge).
    Unreachable(Problem),
}

/// The screen shown while unlocked.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Page {
    #[default]
    Patients,
    AddPatient,
    Chart(PatientId),
    RecordVisit(PatientId),
    EditPatient(PatientId),
    AddAllergy(PatientId),
    AddCondition(PatientId),
    AddMedication(PatientId),
    Settings,
    /// Today's route and the next patient on it.
    VisitMode,
    /// Disaster mode: the team's board of casualties.
    Disaster,
    /// Disaster mode: registering an unknown casualty.
    RegisterCasualty,
    /// Disaster mode: triaging a casualty (START, then PAT).
    Triage(PatientId),
    /// Disaster mode: the daily report (診療日報) of a site and day.
    DailyReport,
    /// Disaster mode: a consultation with its J-SPEED sheet.
    RecordConsultation(PatientId),
    /// Carried bundles (持ち運び): charts to and from a USB stick or a
    /// shared folder, from the sync bar.
    Carry,
    /// Nearby devices (近くの端末): peer sync on the local network, from
    /// the sync bar.
    Nearby,
    /// A patient's documents (書類): a draft from the chart, edited,
    /// previewed, printed and saved as a PDF.
    Documents(PatientId),
}

impl Page {
    /// Whether the page belongs to disaster mode (災害対応).
    pub fn is_disaster(&self) -> bool {
        matches!(
            self,
            Page::Disaster
                | Page::RegisterCasualty
                | Page::Triage(_)
                | Page::DailyReport
                | Page::RecordConsultation(_)
        )
    }

    /// The patient the page is about, if any.
    pub fn patient(&self) -> Option<&PatientId> {
        match self {
            Page::Chart(id)
            | Page::RecordVisit(id)
            | Page::EditPatient(id)
            | Page::AddAllergy(id)
            | Page::AddCondition(id)
            | Page::AddMedication(id)
            | Page::Triage(id)
            | Page::RecordConsultation(id)
            | Page::Documents(id) => Some(id),
            Page::Patients
            | Page::AddPatient
            | Page::Settings
            | Page::VisitMode
            | Page::Disaster
            | Page::RegisterCasualty
            | Page::DailyReport
            | Page::Carry
            | Page::Nearby => None,
        }
    }
}

/// Why the vault was locked, shown on the unlock screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockReason {
    ByUser,
    Idle,
    /// The core locked itself (it answered `locked`).
    ByCore,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AppState {
    pub phase: Phase,
    /// The vault's users, for the picker on the unlock screen.
    pub users: Vec<String>,
    pub user: Option<AppUser>,
    pub page: Page,
    pub lock_reason: Option<LockReason>,
    /// The visit form was opened from visit mode: saving it (or keeping
    /// the draft) goes back there, to the next patient, not to the chart.
    pub back_to_visit_mode: bool,
    /// The search as typed; an answer for any other text is stale and dropped.
    pub search: String,
    /// Shared, so that cloning the state on every action stays cheap with
    /// thousands of patients and charts of hundreds of visits.
    pub patients: Rc<Vec<PatientSummary>>,
    pub chart: Option<Rc<ChartView>>,
    pub sync: Option<SyncState>,
    pub syncing: bool,
    pub last_report: Option<SyncReport>,
    pub last_sync_problem: Option<Problem>,
    pub online: bool,
    pub settings: Settings,
    pub language: Language,
    /// A failure to show in a banner until dismissed or replaced.
    pub problem: Option<Problem>,
    /// The message id of a short confirmation ("saved").
    pub notice: Option<&'static str>,
    /// Disaster mode is on: a screen of it was opened since the last
    /// home-care screen (visit mode), so every chart offers to record a
    /// consultation. Not patient data: kept through a lock.
    pub disaster_mode: bool,
    /// The team and site of the last consultation recorded, offered for
    /// the next. In memory only, until the page is closed; not patient
    /// data, so kept through a lock (a relief team's device locks often).
    pub consultation_place: ConsultationPlace,
}

impl Default for AppState {
    fn default() -> AppState {
        AppState {
            phase: Phase::Starting,
            users: Vec::new(),
            user: None,
            page: Page::default(),
            lock_reason: None,
            back_to_visit_mode: false,
            search: String::new(),
            patients: Rc::default(),
            chart: None,
            sync: None,
            syncing: false,
            last_report: None,
            last_sync_problem: None,
            online: true,
            settings: Settings::default(),
            language: Language::default(),
            problem: None,
            notice: None,
            disaster_mode: false,
            consultation_place: ConsultationPlace::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    SessionLoaded(SessionState),
    Unreachable(Problem),
    VaultCreated(AppUser),
    /// Enrolment done (with the new sync state) or skipped (`None`).
    EnrolFinished(Option<SyncState>),
    Unlocked(AppUser),
    Locked(LockReason),
    Navigate(Page),
    SearchTyped(String),
    PatientsLoaded {
        search: String,
        patients: Vec<PatientSummary>,
    },
    ChartLoaded(Rc<ChartView>),
    SyncStarted,
    SyncFinished(Result<SyncReport, Problem>),
    SyncStatus(SyncState),
    Online(bool),
    SettingsLoaded(Settings),
    LanguageChosen(Language),
    /// A call failed; `locked` means the core locked itself.
    Failed(Problem),
    Notice(&'static str),
    Dismiss,
    /// A consultation was recorded at this team and site.
    ConsultationRecorded(ConsultationPlace),
}

/// The code with which the core says it is locked.
pub const LOCKED: ErrorCode = ErrorCode::Locked;

impl AppState {
    pub fn with_language(language: Language) -> AppState {
        AppState {
            language,
            ..AppState::default()
        }
    }

    /// Applies one action.
    pub fn apply(&mut self, action: Action) {
        match action {
            Action::SessionLoaded(session) => {
                self.users = session.users;
                if !session.vault_exists {
                    self.phase = Phase::FirstRun;
                } else if session.unlocked {
                    self.user = session.user;
                    self.phase = Phase::Unlocked;
                } else {
                    self.phase = Phase::Locked;
                }
            }
            Action::Unreachable(problem) => self.phase = Phase::Unreachable(problem),
            Action::VaultCreated(user) => {
                self.users = vec![user.name.clone()];
                self.user = Some(user);
                self.phase = Phase::Enrol;
                self.problem = None;
            }
            Action::EnrolFinished(sync) => {
                if sync.is_some() {
                    self.sync = sync;
                }
                self.phase = Phase::Unlocked;
                self.page = Page::Patients;
                self.problem = None;
            }
            Action::Unlocked(user) => {
                if !self.users.contains(&user.name) {
                    self.users.push(user.name.clone());
                }
                self.user = Some(user);
                self.phase = Phase::Unlocked;
                self.page = Page::Patients;
                self.lock_reason = None;
                self.problem = None;
            }
            Action::Locked(reason) => self.forget_everything(reason),
            Action::Navigate(page) => {
                if page.patient().is_none() || page.patient() != self.page.patient() {
                    // A chart stays in memory only while a page about its
                    // patient is open.
                    if self.chart.as_ref().map(|c| &c.id) != page.patient() {
                        self.chart = None;
                    }
                }
                self.back_to_visit_mode = match (&self.page, &page) {
                    (Page::VisitMode, Page::RecordVisit(_)) => true,
                    (Page::RecordVisit(from), Page::RecordVisit(to)) => {
                        from == to && self.back_to_visit_mode
                    }
                    _ => false,
                };
                if page.is_disaster() {
                    self.disaster_mode = true;
                } else if page == Page::VisitMode {
                    self.disaster_mode = false;
                }
                self.page = page;
                self.problem = None;
                self.notice = None;
            }
            Action::SearchTyped(text) => self.search = text,
            Action::PatientsLoaded { search, patients } => {
                if search == self.search && self.phase == Phase::Unlocked {
                    self.patients = Rc::new(patients);
                }
            }
            Action::ChartLoaded(chart) => {
                if self.phase == Phase::Unlocked && self.page.patient() == Some(&chart.id) {
                    self.chart = Some(chart);
                }
            }
            Action::SyncStarted => self.syncing = true,
            Action::SyncFinished(Ok(report)) => {
                self.syncing = false;
                self.last_report = Some(report);
                self.last_sync_problem = None;
            }
            Action::SyncFinished(Err(problem)) => {
                self.syncing = false;
                if problem.code == LOCKED {
                    self.forget_everything(LockReason::ByCore);
                } else {
                    self.last_sync_problem = Some(problem);
                }
            }
            Action::SyncStatus(sync) => self.sync = Some(sync),
            Action::Online(online) => self.online = online,
            Action::SettingsLoaded(settings) => self.settings = settings,
            Action::LanguageChosen(language) => self.language = language,
            Action::Failed(problem) => {
                if problem.code == LOCKED {
                    self.forget_everything(LockReason::ByCore);
                } else {
                    self.problem = Some(problem);
                    self.notice = None;
                }
            }
            Action::Notice(id) => {
                self.notice = Some(id);
                self.problem = None;
            }
            Action::Dismiss => {
                self.notice = None;
                self.problem = None;
            }
            Action::ConsultationRecorded(place) => self.consultation_place = place,
        }
    }

    /// Locks the UI: every patient name, chart and search typed is dropped,
    /// so nothing about a patient stays in the web view's memory.
    fn forget_everything(&mut self, reason: LockReason) {
        if matches!(self.phase, Phase::Unlocked | Phase::Enrol) {
            self.phase = Phase::Locked;
        }
        self.lock_reason = Some(reason);
        self.user = None;
        self.page = Page::Patients;
        self.back_to_visit_mode = false;
        self.search.clear();
        self.patients = Rc::default();
        self.chart = None;
        self.problem = None;
        self.notice = None;
        self.syncing = false;
    }

    /// Where the visit form of `patient` leaves to: visit mode if it was
    /// begun there, else the patient's chart.
    pub fn after_visit(&self, patient: PatientId) -> Page {
        if self.back_to_visit_mode {
            Page::VisitMode
        } else {
            Page::Chart(patient)
        }
    }

    /// Whether background sync should run: unlocked and enrolled with a hub.
    pub fn may_sync(&self) -> bool {
        self.phase == Phase::Unlocked && self.sync.as_ref().is_some_and(|s| s.enrolment.is_some())
    }
}

/// The patients visited today (in Japan), for a nurse's day at a glance.
pub fn todays_visits(patients: &[PatientSummary], today: Date) -> Vec<&PatientSummary> {
    patients
        .iter()
        .filter(|p| p.last_visit.is_some_and(|at| at.date_jst() == today))
        .collect()
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        next.apply(action);
        Rc::new(next)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use karte_types::{AllergyStatus, Demographics, Sex, Timestamp};

    use super::*;

    fn user() -> AppUser {
        AppUser {
            id: "u1".into(),
            name: "sato".into(),
            role: "nurse".into(),
        }
    }

    fn summary(id: &str, last_visit: Option<Timestamp>) -> PatientSummary {
        PatientSummary {
            id: PatientId::from(id),
            family: "山田".into(),
            given: "花子".into(),
            family_kana: "ヤマダ".into(),
            given_kana: "ハナコ".into(),
            birth: Date::from_ymd(1941, 3, 2).unwrap(),
            sex: Sex::Female,
            care_level: None,
            last_visit,
            open_reviews: 0,
            orders: Default::default(),
            triage: None,
        }
    }

    /// A chart of 山田花子 with nothing recorded, for the screens' tests.
    pub(crate) fn chart(id: &str) -> ChartView {
        ChartView {
            id: PatientId::from(id),
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
            allergy_status: AllergyStatus::NotRecorded,
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

    fn unlocked() -> AppState {
        let mut state = AppState::default();
        state.apply(Action::SessionLoaded(SessionState {
            vault_exists: true,
            unlocked: false,
            user: None,
            users: vec!["sato".into()],
            now: Timestamp(1_795_000_000_000),
        }));
        state.apply(Action::Unlocked(user()));
        state
    }

    #[test]
    fn the_session_decides_the_first_screen() {
        let mut state = AppState::default();
        state.apply(Action::SessionLoaded(SessionState {
            vault_exists: false,
            unlocked: false,
            user: None,
            users: vec![],
            now: Timestamp(1_795_000_000_000),
        }));
        assert_eq!(state.phase, Phase::FirstRun);
        state.apply(Action::VaultCreated(user()));
        assert_eq!(state.phase, Phase::Enrol);
        state.apply(Action::EnrolFinished(None));
        assert_eq!(state.phase, Phase::Unlocked);
        assert!(!state.may_sync(), "not enrolled, so no background sync");
    }

    #[test]
    fn stale_search_answers_are_dropped() {
        let mut state = unlocked();
        state.apply(Action::SearchTyped("や".into()));
        state.apply(Action::SearchTyped("やま".into()));
        state.apply(Action::PatientsLoaded {
            search: "やま".into(),
            patients: vec![summary("p2", None)],
        });
        // The answer to the older search arrives last and must not win.
        state.apply(Action::PatientsLoaded {
            search: "や".into(),
            patients: vec![summary("p1", None), summary("p2", None)],
        });
        assert_eq!(state.patients.len(), 1);
        assert_eq!(state.patients[0].id.as_str(), "p2");
    }

    #[test]
    fn locking_forgets_every_patient() {
        for lock in [
            Action::Locked(LockReason::Idle),
            Action::Failed(Problem::new(LOCKED, "the vault locked itself")),
            Action::SyncFinished(Err(Problem::new(LOCKED, "locked"))),
        ] {
            let mut state = unlocked();
            state.apply(Action::SearchTyped("やま".into()));
            state.apply(Action::PatientsLoaded {
                search: "やま".into(),
                patients: vec![summary("p1", None)],
            });
            state.apply(Action::Navigate(Page::Chart("p1".into())));
            state.apply(Action::ChartLoaded(Rc::new(chart("p1"))));
            assert!(state.chart.is_some());
            state.apply(lock.clone());
            assert_eq!(state.phase, Phase::Locked, "{lock:?}");
            assert!(state.patients.is_empty() && state.chart.is_none());
            assert!(state.search.is_empty() && state.user.is_none());
            // A search answer still in flight is dropped too.
            for search in ["やま", ""] {
                state.apply(Action::PatientsLoaded {
                    search: search.into(),
                    patients: vec![summary("p1", None)],
                });
            }
            assert!(state.patients.is_empty());
        }
    }

    #[test]
    fn other_failures_are_shown_and_keep_the_data() {
        let mut state = unlocked();
        state.apply(Action::Navigate(Page::Chart("p1".into())));
        state.apply(Action::ChartLoaded(Rc::new(chart("p1"))));
        state.apply(Action::Failed(Problem::new(ErrorCode::InvalidInput, "bad")));
        assert_eq!(state.phase, Phase::Unlocked);
        assert!(state.chart.is_some());
        assert_eq!(state.problem.as_ref().unwrap().code, "invalid_input");
        state.apply(Action::Dismiss);
        assert!(state.problem.is_none());
    }

    #[test]
    fn a_chart_is_kept_only_while_its_patient_is_open() {
        let mut state = unlocked();
        state.apply(Action::Navigate(Page::Chart("p1".into())));
        // An answer for another patient (a quick tap on the next row) is dropped.
        state.apply(Action::ChartLoaded(Rc::new(chart("p2"))));
        assert!(state.chart.is_none());
        state.apply(Action::ChartLoaded(Rc::new(chart("p1"))));
        state.apply(Action::Navigate(Page::RecordVisit("p1".into())));
        assert!(state.chart.is_some(), "the banner stays while recording");
        state.apply(Action::Navigate(Page::Patients));
        assert!(state.chart.is_none());
    }

    #[test]
    fn a_visit_begun_in_visit_mode_goes_back_there() {
        let mut state = unlocked();
        state.apply(Action::Navigate(Page::VisitMode));
        state.apply(Action::Navigate(Page::RecordVisit("p1".into())));
        assert!(state.back_to_visit_mode);
        assert_eq!(state.after_visit("p1".into()), Page::VisitMode);
        // Begun from the chart, it goes back to the chart.
        state.apply(Action::Navigate(Page::Chart("p1".into())));
        state.apply(Action::Navigate(Page::RecordVisit("p1".into())));
        assert_eq!(state.after_visit("p1".into()), Page::Chart("p1".into()));
        // A lock in between forgets where it was begun.
        state.apply(Action::Navigate(Page::VisitMode));
        state.apply(Action::Navigate(Page::RecordVisit("p1".into())));
        state.apply(Action::Locked(LockReason::Idle));
        assert!(!state.back_to_visit_mode);
    }

    #[test]
    fn disaster_mode_and_the_consultation_place_last_through_a_lock() {
        let mut state = unlocked();
        assert!(!state.disaster_mode);
        state.apply(Action::Navigate(Page::Disaster));
        state.apply(Action::Navigate(Page::Chart("p1".into())));
        assert!(state.disaster_mode, "a chart opened from the board");
        let place = ConsultationPlace {
            team: "DMAT 熊本1".into(),
            site: "益城町総合体育館".into(),
        };
        state.apply(Action::Navigate(Page::RecordConsultation("p1".into())));
        state.apply(Action::ConsultationRecorded(place.clone()));
        state.apply(Action::Locked(LockReason::Idle));
        state.apply(Action::Unlocked(user()));
        assert!(state.disaster_mode);
        assert_eq!(state.consultation_place, place);
        // Back to home care: visit mode ends disaster mode.
        state.apply(Action::Navigate(Page::VisitMode));
        state.apply(Action::Navigate(Page::Chart("p1".into())));
        assert!(!state.disaster_mode);
    }

    #[test]
    fn sync_results_update_the_status() {
        let mut state = unlocked();
        state.apply(Action::SyncStarted);
        assert!(state.syncing);
        state.apply(Action::SyncFinished(Err(Problem::new(
            ErrorCode::HubUnreachable,
            "no route",
        ))));
        assert!(!state.syncing);
        assert_eq!(state.phase, Phase::Unlocked);
        assert_eq!(
            state.last_sync_problem.as_ref().unwrap().code,
            "hub_unreachable"
        );
        state.apply(Action::SyncFinished(Ok(SyncReport::default())));
        assert!(state.last_sync_problem.is_none());
    }

    #[test]
    fn todays_visits_are_counted_in_japan_time() {
        // 2026-11-24T23:30Z is already the 25th in Japan.
        let late = Timestamp::parse_rfc3339("at", "2026-11-24T23:30:00Z").unwrap();
        let earlier = Timestamp::parse_rfc3339("at", "2026-11-24T14:00:00Z").unwrap();
        let patients = vec![
            summary("p1", Some(late)),
            summary("p2", Some(earlier)),
            summary("p3", None),
        ];
        let today = Date::from_ymd(2026, 11, 25).unwrap();
        let ids: Vec<_> = todays_visits(&patients, today)
            .iter()
            .map(|p| p.id.as_str())
            .collect();
        assert_eq!(ids, ["p1"]);
    }
}
