//! The command line's grammar: every command's arguments, in one place
//! that imports from no other module of the binary (the modules that act on
//! the arguments import them from here).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Karte: offline-first clinical records for home care, clinics and relief teams.
///
/// The passphrase is asked for at a prompt, or read from KARTE_PASSPHRASE for
/// scripts; it is never taken from the command line.
#[derive(Debug, Parser)]
#[command(name = "karte", version)]
pub struct Cli {
    /// The vault file (default: KARTE_VAULT, else the system's data directory).
    #[arg(long, global = true, env = "KARTE_VAULT")]
    pub vault: Option<PathBuf>,
    /// Who is working (needed when a vault has several users).
    #[arg(long, global = true, env = "KARTE_USER")]
    pub user: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create an encrypted vault; its first user is an administrator.
    Init(Init),
    /// Register and find patients.
    #[command(subcommand)]
    Patient(PatientCommand),
    /// Record allergies.
    #[command(subcommand)]
    Allergy(AllergyCommand),
    /// Record problems and diagnoses.
    #[command(subcommand)]
    Condition(ConditionCommand),
    /// Record medications.
    #[command(subcommand)]
    Medication(MedicationCommand),
    /// Record home visits with vital signs and a SOAP note.
    #[command(subcommand)]
    Visit(VisitCommand),
    /// Show a chart.
    #[command(subcommand)]
    Chart(ChartCommand),
    /// Mark an entry entered-in-error (nothing is ever deleted).
    #[command(subcommand)]
    Entry(EntryCommand),
    /// Resolve review items (conflicting concurrent edits, clinical inconsistencies).
    #[command(subcommand)]
    Review(ReviewCommand),
    /// Change your passphrase (rewraps the vault key; data is not re-encrypted).
    #[command(subcommand)]
    Passphrase(PassphraseCommand),
    /// Manage the vault's users (administrators only).
    #[command(subcommand)]
    User(UserCommand),
    /// Open a vault that its organisation's policy locked after too many
    /// days without the hub, with an unlock code from the administrator
    /// (`karte-hub device unlock-code DEVICE`); each code works once.
    UnlockCode {
        /// The code as read out, e.g. 7K3M-Q9TX-2B8R (case, spaces and
        /// hyphens do not matter).
        code: String,
    },
    /// Print the audit log: who opened, changed or exported which chart, and when.
    Audit {
        #[arg(long)]
        patient: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Fill the vault with realistic synthetic patients (deterministic for a seed).
    Demo {
        #[arg(long, default_value_t = 20)]
        patients: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// At most this many visits a patient (many light patients, for
        /// trying search on a large list).
        #[arg(long)]
        max_visits: Option<usize>,
    },
    /// Export charts as a FHIR R4 Bundle with JP Core profiles (JSON).
    Export(Export),
    /// Enrol this device at a regional hub with a one-time code.
    #[command(alias = "enroll")]
    Enrol(Enrol),
    /// Sync with the hub: push this device's changes, receive everyone else's.
    Sync(SyncArgs),
    /// Share a chart with another organisation (sent at once, or with the next sync).
    Share(Share),
    /// Remove an organisation from a chart's care circle (sent at once, or
    /// with the next sync): the chart stops reaching its devices.
    Unshare(Share),
    /// Open a vault whose passphrase is forgotten with the organisation's recovery key.
    Recover(Recover),
    Ui(UiCommand),
    /// Record 指示書 (physician's orders: regular, special, infusion).
    #[command(subcommand)]
    Order(OrderCommand),
    /// Paperwork as A4 PDFs in Japanese: the monthly 訪問看護報告書.
    #[command(subcommand, alias = "書類")]
    Document(DocumentCommand),
    /// Record scales: 寝たきり度, 認知症の日常生活自立度, Barthel Index, DESIGN-R.
    #[command(subcommand)]
    Scale(ScaleCommand),
    /// Disaster mode: register casualties whose names nobody knows.
    #[command(subcommand)]
    Casualty(CasualtyCommand),
    /// Triage a casualty (START, and PAT's second stage); prints the category and why.
    Triage(Box<TriageArgs>),
    /// Record a casualty's transport: agency, receiving hospital, departure.
    Transport(TransportArgs),
    /// The team's board: counts per category, who waits longest, who is overdue.
    Board(BoardArgs),
    /// Link an unknown casualty to the chart of the person they turned out to be.
    Identify(IdentifyArgs),
    /// Disaster mode's daily report (J-SPEED, WHO EMT MDS).
    #[command(subcommand)]
    Disaster(DisasterCommand),
    /// Wound photos (写真): add from a file, list per wound, export.
    #[command(subcommand, alias = "写真")]
    Photo(PhotoCommand),
    /// Sync with another device of the organisation on the local network,
    /// without the hub (近くの端末と同期).
    #[command(subcommand)]
    Peer(PeerCommand),
    /// Carried bundles (持ち運びバンドル): charts for the devices of this
    /// device's organisation on a USB stick or a shared folder, encrypted
    /// to each of them.
    #[command(subcommand)]
    Bundle(BundleCommand),
    /// Field teams that never met a hub (チーム): create one, invite a
    /// device by a code, join one, show this device's teams.
    #[command(subcommand, alias = "チーム")]
    Team(TeamCommand),
}

#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// Make a team with this device as its lead (チームを作る).
    Create { name: String },
    /// Show a joining code and serve it until a device joins, it runs out
    /// (10 minutes) or fails three times (招待).
    Invite {
        /// The team, by id or name; the only team this device leads if
        /// left out.
        #[arg(long)]
        team: Option<String>,
        /// Where to listen, host:port (port 0 picks a free one).
        #[arg(long, default_value = "0.0.0.0:47081")]
        listen: String,
    },
    /// Join the team whose lead's device listens at ADDRESS, with the code
    /// its screen shows (参加).
    Join { address: String, code: String },
    /// Revoke a member of a team this device leads (取り消し); peers refuse
    /// it once the team's new list reaches them.
    Revoke {
        /// The member's device id, as `karte team show` lists it.
        device: String,
        /// The device is lost: its changes are refused whatever their time.
        #[arg(long)]
        lost: bool,
        /// The team, by id or name; the only team this device leads if
        /// left out.
        #[arg(long)]
        team: Option<String>,
    },
    /// This device's teams, their members and the team key's fingerprint.
    Show {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PeerCommand {
    /// Wait for devices of the organisation to sync with this one.
    Serve {
        /// Where to listen, host:port (port 0 picks a free one).
        #[arg(long, default_value = "0.0.0.0:47080")]
        listen: String,
        /// Serve one session, then stop (its refusal is this command's error).
        #[arg(long)]
        once: bool,
        /// Do not advertise on the network (multicast DNS); a listener on
        /// a loopback address never advertises.
        #[arg(long)]
        no_advertise: bool,
    },
    /// List the devices of the organisation listening on the network.
    List {
        /// How long to listen for their adverts, in seconds.
        #[arg(long, default_value_t = 3)]
        wait: u64,
    },
    /// Sync with the device listening at ADDRESS (host:port).
    Sync {
        address: String,
        /// As a member of this team (id or name), with its charts only;
        /// a device that enrolled syncs as its organisation's otherwise.
        #[arg(long)]
        team: Option<String>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum BundleCommand {
    /// Write a bundle of every chart (or what changed since the last one)
    /// for the organisation's devices.
    Export(BundleExport),
    /// Take in a bundle, all of it or nothing.
    Import {
        /// The bundle file.
        file: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct BundleExport {
    /// The organisation's id at the hub (this device's own).
    #[arg(long = "for", value_name = "ORG")]
    pub for_org: String,
    /// Only what changed since the last bundle written for the organisation.
    #[arg(long)]
    pub since_last: bool,
    /// The file to write (whole: it appears only once complete).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct IdentifyArgs {
    /// The unknown casualty's chart (id or unique prefix).
    pub patient: String,
    /// The chart of the person they are (id or unique prefix).
    #[arg(long = "as")]
    pub known: String,
}

#[derive(Debug, Subcommand)]
pub enum PhotoCommand {
    /// Add a photo (JPEG or PNG); its EXIF and GPS are removed before it is
    /// sealed in the vault. Prints the photo's entry id.
    Add(PhotoAdd),
    /// The chart's photos, per wound, oldest first.
    List { patient: String },
    /// Write a photo to a file (recorded in the audit log as an export).
    Export(PhotoExport),
}

#[derive(Debug, Args)]
pub struct PhotoAdd {
    pub patient: String,
    pub file: PathBuf,
    /// The wound it shows, e.g. 仙骨部.
    #[arg(long)]
    pub wound: Option<String>,
    /// The DESIGN-R assessment made with it (id or unique prefix); its
    /// wound is taken when --wound is not given.
    #[arg(long)]
    pub assessment: Option<String>,
    /// When it was taken (RFC 3339); default now.
    #[arg(long)]
    pub taken_at: Option<String>,
}

#[derive(Debug, Args)]
pub struct PhotoExport {
    pub patient: String,
    /// The photo's entry id (or a unique prefix), from `karte photo list`.
    pub photo: String,
    /// The file to write; it must not exist yet.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum CasualtyCommand {
    /// Register a casualty with no name; prints the new chart's id.
    Add(CasualtyAdd),
}

#[derive(Debug, Args)]
pub struct CasualtyAdd {
    /// タッグNo.: the number on the paper triage tag, e.g. T-0123.
    #[arg(long)]
    pub tag: String,
    /// male, female, other or unknown (男性, 女性 also accepted).
    #[arg(long)]
    pub sex: String,
    /// Estimated age: under-1, 1-4, 5-9, 10s … 90s, 100+ (or 60代, or an age).
    #[arg(long)]
    pub age_band: String,
    /// Where the casualty was found, in words.
    #[arg(long)]
    pub found_at: Option<String>,
    /// Where the casualty was found, as "LATITUDE,LONGITUDE" (WGS 84 degrees).
    #[arg(long)]
    pub coordinates: Option<String>,
    /// What would let someone recognise them: clothing, marks, belongings.
    #[arg(long)]
    pub features: Option<String>,
}

#[derive(Debug, Args)]
pub struct TriageArgs {
    /// The patient's id or a unique prefix of it.
    pub patient: String,
    /// START: walks on their own (yes/no).
    #[arg(long)]
    pub walks: Option<String>,
    /// START: breathes, after the airway is opened (yes/no).
    #[arg(long)]
    pub breathing: Option<String>,
    /// Respiratory rate, /min.
    #[arg(long)]
    pub rr: Option<String>,
    /// START: a radial pulse can be felt (yes/no).
    #[arg(long)]
    pub radial: Option<String>,
    /// Heart rate, /min.
    #[arg(long)]
    pub pulse: Option<String>,
    /// Capillary refill time, seconds.
    #[arg(long)]
    pub crt: Option<String>,
    /// START: obeys simple commands (yes/no).
    #[arg(long)]
    pub obeys: Option<String>,
    /// PAT: JCS level (0, 1, 2, 3, 10, 20, 30, 100, 200, 300).
    #[arg(long)]
    pub jcs: Option<String>,
    /// PAT: GCS total, 3–15.
    #[arg(long)]
    pub gcs: Option<String>,
    /// PAT: systolic blood pressure, mmHg.
    #[arg(long)]
    pub sbp: Option<String>,
    /// PAT: SpO2, %.
    #[arg(long)]
    pub spo2: Option<String>,
    /// PAT: signs of shock (yes/no).
    #[arg(long)]
    pub shock: Option<String>,
    /// PAT: body temperature, ℃.
    #[arg(long)]
    pub temp: Option<String>,
    /// PAT anatomy, comma-separated: flail-chest, pelvic-fracture, … (see README).
    #[arg(long)]
    pub anatomy: Option<String>,
    /// PAT mechanism, comma-separated: trunk-entrapment, fall-from-height, …
    #[arg(long)]
    pub mechanism: Option<String>,
    /// PAT vulnerable person, comma-separated: child, elderly, pregnant, …
    #[arg(long)]
    pub vulnerable: Option<String>,
    /// When the triage was done (RFC 3339); now if not given.
    #[arg(long)]
    pub at: Option<String>,
    /// Override the rules' category: red, yellow, green or black (赤, 黄, 緑, 黒).
    #[arg(long = "override", requires = "reason")]
    pub override_category: Option<String>,
    /// Why the rules' category is overridden.
    #[arg(long)]
    pub reason: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TransportArgs {
    pub patient: String,
    /// 搬送機関: who carries the casualty.
    #[arg(long)]
    pub agency: Option<String>,
    /// 収容医療機関: the receiving hospital.
    #[arg(long)]
    pub destination: Option<String>,
    /// When they left: RFC 3339, or "now".
    #[arg(long)]
    pub departed: Option<String>,
}

#[derive(Debug, Args)]
pub struct BoardArgs {
    /// Minutes after which a casualty is due for re-triage (default 30).
    #[arg(long)]
    pub interval: Option<u32>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct Init {
    /// The first user's name (default: --user, else "admin").
    #[arg(long = "name")]
    pub first_user: Option<String>,
    /// Argon2id memory in KiB (sealed in the vault; at least 19456).
    #[arg(long, hide = true)]
    pub kdf_memory_kib: Option<u32>,
    /// Argon2id iterations (sealed in the vault; at least 2).
    #[arg(long, hide = true)]
    pub kdf_iterations: Option<u32>,
    /// Only in debug builds, for tests: Argon2id's cheapest parameters,
    /// sealed in the vault as test parameters (below the floor). Release
    /// builds have no such flag, like KARTE_TEST_NOW.
    #[cfg(debug_assertions)]
    #[arg(long, hide = true, conflicts_with_all = ["kdf_memory_kib", "kdf_iterations"])]
    pub insecure_fast_kdf_for_tests: bool,
}

#[derive(Debug, Subcommand)]
pub enum PatientCommand {
    /// Register a patient; prints the new patient's id.
    Add(Box<PatientAdd>),
    /// List patients; --search matches kanji and kana, hiragana or katakana, any width.
    List(PatientList),
    /// Change a patient's details; only the fields given change (an empty
    /// value clears an optional one).
    Edit(Box<PatientEdit>),
}

#[derive(Debug, Args)]
pub struct PatientEdit {
    /// The patient's id or a unique prefix of it.
    pub patient: String,
    #[arg(long)]
    pub family: Option<String>,
    #[arg(long)]
    pub given: Option<String>,
    #[arg(long)]
    pub family_kana: Option<String>,
    #[arg(long)]
    pub given_kana: Option<String>,
    /// Birth date, YYYY-MM-DD.
    #[arg(long)]
    pub birth: Option<String>,
    #[arg(long)]
    pub sex: Option<String>,
    #[arg(long)]
    pub address: Option<String>,
    #[arg(long)]
    pub phone: Option<String>,
    #[arg(long)]
    pub insurance: Option<String>,
    #[arg(long)]
    pub care_level: Option<String>,
}

#[derive(Debug, Args)]
pub struct PatientAdd {
    #[arg(long)]
    pub family: String,
    #[arg(long)]
    pub given: String,
    #[arg(long)]
    pub family_kana: String,
    #[arg(long)]
    pub given_kana: String,
    /// Birth date, YYYY-MM-DD.
    #[arg(long)]
    pub birth: String,
    /// male, female, other or unknown (男性, 女性 also accepted).
    #[arg(long)]
    pub sex: String,
    #[arg(long)]
    pub address: Option<String>,
    #[arg(long)]
    pub phone: Option<String>,
    /// 被保険者番号.
    #[arg(long)]
    pub insurance: Option<String>,
    /// 要介護度: 要支援1..2, 要介護1..5 (or support-1, care-3, ...).
    #[arg(long)]
    pub care_level: Option<String>,
}

#[derive(Debug, Args)]
pub struct PatientList {
    #[arg(long)]
    pub search: Option<String>,
    #[arg(long)]
    pub json: bool,
    /// Print only the ids, one a line.
    #[arg(long, conflicts_with = "json")]
    pub ids: bool,
}

#[derive(Debug, Subcommand)]
pub enum AllergyCommand {
    /// Record an allergy or intolerance.
    Add(AllergyAdd),
    /// Record that the patient has no known allergies.
    None { patient: String },
}

#[derive(Debug, Args)]
pub struct AllergyAdd {
    pub patient: String,
    #[arg(long)]
    pub substance: String,
    /// food, medication, environment or biologic.
    #[arg(long)]
    pub category: String,
    /// low, high or unable-to-assess.
    #[arg(long, default_value = "unable-to-assess")]
    pub criticality: String,
    #[arg(long)]
    pub reaction: Option<String>,
    /// active, inactive or resolved.
    #[arg(long, default_value = "active")]
    pub status: String,
}

#[derive(Debug, Subcommand)]
pub enum ConditionCommand {
    /// Record a problem or diagnosis.
    Add(ConditionAdd),
}

#[derive(Debug, Args)]
pub struct ConditionAdd {
    pub patient: String,
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub icd10: Option<String>,
    /// YYYY-MM-DD.
    #[arg(long)]
    pub onset: Option<String>,
    #[arg(long, default_value = "active")]
    pub status: String,
    #[arg(long)]
    pub note: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum MedicationCommand {
    /// Record a medication.
    Add(MedicationAdd),
}

#[derive(Debug, Args)]
pub struct MedicationAdd {
    pub patient: String,
    #[arg(long)]
    pub name: String,
    /// As prescribed, e.g. "5 mg".
    #[arg(long)]
    pub dose: String,
    /// oral, topical, subcutaneous, intravenous, inhalation, rectal or other.
    #[arg(long, default_value = "oral")]
    pub route: String,
    /// e.g. "1日1回 朝食後".
    #[arg(long)]
    pub frequency: String,
    #[arg(long)]
    pub start: Option<String>,
    #[arg(long)]
    pub end: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum VisitCommand {
    /// Record a visit with vital signs and a SOAP note.
    Record(Box<VisitRecord>),
}

#[derive(Debug, Args)]
pub struct VisitRecord {
    pub patient: String,
    /// When the visit took place (RFC 3339); default now.
    #[arg(long)]
    pub at: Option<String>,
    /// Body temperature, °C.
    #[arg(long)]
    pub temp: Option<String>,
    /// Blood pressure, systolic/diastolic mmHg, e.g. 132/84.
    #[arg(long)]
    pub bp: Option<String>,
    #[arg(long)]
    pub pulse: Option<String>,
    #[arg(long)]
    pub resp: Option<String>,
    #[arg(long)]
    pub spo2: Option<String>,
    /// Japan Coma Scale: 0, I-1..I-3, II-10..II-30, III-100..III-300, with R, I, A.
    #[arg(long)]
    pub jcs: Option<String>,
    /// Pain, 0–10.
    #[arg(long)]
    pub pain: Option<String>,
    #[arg(long)]
    pub subjective: Option<String>,
    #[arg(long)]
    pub objective: Option<String>,
    #[arg(long)]
    pub assessment: Option<String>,
    #[arg(long)]
    pub plan: Option<String>,
    /// Disaster mode: the J-SPEED 2018 items ticked, by number or code,
    /// e.g. 16,8 (`karte disaster items` lists them); records the visit as
    /// a consultation of the daily report.
    #[arg(long, requires_all = ["team", "site"])]
    pub jspeed: Option<String>,
    /// The team giving the consultation (with --jspeed).
    #[arg(long, env = "KARTE_TEAM")]
    pub team: Option<String>,
    /// Where: shelter, first-aid post or hospital (with --jspeed).
    #[arg(long, env = "KARTE_SITE")]
    pub site: Option<String>,
    /// The patient is pregnant (with --jspeed).
    #[arg(long, requires = "jspeed")]
    pub pregnant: bool,
    /// The age group ticked: under-1, 1-4, 5-64 or 65+ (with --jspeed;
    /// needed only when the chart cannot tell it).
    #[arg(long, requires = "jspeed")]
    pub age_group: Option<String>,
    /// Who visited, by profession (訪問職種): nurse (看護師),
    /// public-health-nurse (保健師), midwife (助産師), associate-nurse
    /// (准看護師), or pt, ot, st (理学療法士・作業療法士・言語聴覚士, marked ◇
    /// on the report). Default: a nurse.
    #[arg(long)]
    pub profession: Option<String>,
    /// A long visit (長時間訪問看護加算, over 90 minutes; marked □ on the report).
    #[arg(long)]
    pub long_visit: bool,
}

#[derive(Debug, Subcommand)]
pub enum DisasterCommand {
    /// The daily report (診療日報) of a site and day, per team; with --csv
    /// also the WHO EMT MDS CSV.
    Report(DisasterReportArgs),
    /// The J-SPEED 2018 items: number, code, words, MDS item.
    Items,
}

#[derive(Debug, Args)]
pub struct DisasterReportArgs {
    /// The day, in Japan: YYYY-MM-DD.
    #[arg(long)]
    pub date: String,
    /// The site, as written on the consultations.
    #[arg(long)]
    pub site: String,
    /// Write the WHO EMT MDS CSV here.
    #[arg(long)]
    pub csv: Option<std::path::PathBuf>,
    /// Write the counts as FHIR R4 MeasureReports (one per team) here.
    #[arg(long)]
    pub fhir: Option<std::path::PathBuf>,
    /// Write the 診療日報 as a printable A4 PDF in Japanese here.
    #[arg(long)]
    pub pdf: Option<std::path::PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ChartCommand {
    /// Show the whole chart: allergies first, then problems, medications, visits.
    Show {
        patient: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum EntryCommand {
    /// Mark an entry entered-in-error, with a reason.
    Void {
        patient: String,
        entry: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Record the decision on a review item.
    Resolve {
        patient: String,
        review: String,
        /// The value chosen, or a note of what was done.
        #[arg(long)]
        choose: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PassphraseCommand {
    /// Change the passphrase (new one from a prompt or KARTE_NEW_PASSPHRASE).
    Change,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user (passphrase from a prompt or KARTE_NEW_PASSPHRASE).
    Add {
        name: String,
        /// nurse, doctor, clerk or admin.
        #[arg(long)]
        role: String,
    },
    /// List the vault's users.
    List,
}

#[derive(Debug, Args)]
pub struct Export {
    /// FHIR R4 JSON with JP Core profiles (the only format so far).
    #[arg(long, required = true)]
    pub fhir: bool,
    /// One patient; all when omitted.
    pub patient: Option<String>,
    /// Write to this file instead of standard output. The file is plain FHIR
    /// JSON: keep it safe.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct Enrol {
    /// The hub's address, e.g. https://hub.example.jp (plain http only for
    /// a hub on this machine).
    #[arg(long)]
    pub hub: String,
    /// The one-time code from `karte-hub device invite`.
    #[arg(long)]
    pub code: String,
    /// A name people know this device by (default: "karte" and the start of
    /// the device id).
    #[arg(long)]
    pub name: Option<String>,
    /// Also trust the certificate authorities in this PEM file: for a hub
    /// whose certificate a private authority issued.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also trust the certificate authorities in this PEM file: for a hub
    /// whose certificate a private authority issued.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct Share {
    pub patient: String,
    /// The organisation's id at the hub (see `karte-hub org list`).
    #[arg(long)]
    pub org: String,
    /// Also trust the certificate authorities in this PEM file: for a hub
    /// whose certificate a private authority issued.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct Recover {
    /// The organisation's recovery key file, as `karte-hub org add` wrote it.
    #[arg(long)]
    pub recovery_key: PathBuf,
}

/// Serve the local UI bridge (the vault's API on 127.0.0.1, behind a token).
#[derive(Debug, Args)]
pub struct UiCommand {
    #[command(subcommand)]
    pub action: UiAction,
}

#[derive(Debug, Subcommand)]
pub enum UiAction {
    /// Serve the vault to the local web UI until Ctrl-C; prints the URL to open.
    Serve(Serve),
}

#[derive(Debug, Args)]
pub struct Serve {
    /// Where to listen: 127.0.0.1 only; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// The built web UI to serve at `/` (made by `cargo xtask run`, or
    /// `ui/build.sh DIR`); without it only the API is served.
    #[arg(long, env = "KARTE_UI_DIST")]
    pub ui_dist: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum DocumentCommand {
    /// 訪問看護報告書: the month's report to the physician, from the
    /// month's visits and the 指示書 in force.
    #[command(alias = "報告書")]
    Report(DocumentReport),
    /// 訪問看護計画書: the care plan to the physician, with the patient and
    /// the physician of the 指示書 in force; the goals and problems are left
    /// blank to be written by hand (the chart holds no care plan yet).
    #[command(alias = "計画書")]
    Plan(DocumentOnDay),
    /// 訪問看護記録書Ⅰ: the intake record (demographics, the 指示書 in
    /// force, diagnoses, allergies, medications, the latest scales).
    #[command(alias = "記録書1", alias = "記録書Ⅰ")]
    Record1(DocumentOnDay),
    /// 訪問看護記録書Ⅱ: the record of one visit (--visit ID, or --date
    /// YYYY-MM-DD when that day has one visit).
    #[command(alias = "記録書2", alias = "記録書Ⅱ")]
    Record2(DocumentRecord2),
    /// Approves a document saved in the chart (--save): by a doctor or
    /// administrator who did not save it; it is not edited after.
    #[command(alias = "承認")]
    Approve {
        patient: String,
        /// The document entry, by its id (or the start of it), as
        /// `karte chart show` lists it.
        entry: String,
    },
}

/// The station that writes a document, as its forms show it.
#[derive(Debug, Args)]
pub struct StationFlags {
    /// The station's name (事業所名).
    #[arg(long = "station")]
    pub name: Option<String>,
    /// The station's manager (管理者氏名).
    #[arg(long)]
    pub manager: Option<String>,
    /// The station's address (所在地).
    #[arg(long = "station-address")]
    pub address: Option<String>,
    /// The station's phone (電話).
    #[arg(long = "station-phone")]
    pub phone: Option<String>,
}

/// Where a document goes: its PDF, the station on it, and whether it is
/// also kept in the chart.
#[derive(Debug, Args)]
pub struct DocumentOutput {
    /// Write the PDF to this file (and nowhere else). It holds the chart's
    /// content in plain form: keep it safe.
    #[arg(long)]
    pub pdf: PathBuf,
    #[command(flatten)]
    pub station: StationFlags,
    /// Also save the document in the chart, unapproved, with who made it
    /// (its entry id is printed; approve it with `karte document approve`).
    #[arg(long)]
    pub save: bool,
}

#[derive(Debug, Args)]
pub struct DocumentReport {
    pub patient: String,
    /// The month reported, YYYY-MM.
    #[arg(long)]
    pub month: String,
    #[command(flatten)]
    pub output: DocumentOutput,
    /// The day of the report, YYYY-MM-DD (default: today in Japan).
    #[arg(long)]
    pub date: Option<String>,
}

/// A document of the patient as of a day: the 計画書 or the 記録書Ⅰ.
#[derive(Debug, Args)]
pub struct DocumentOnDay {
    pub patient: String,
    #[command(flatten)]
    pub output: DocumentOutput,
    /// The day the document is made, YYYY-MM-DD (default: today in Japan);
    /// the 指示書 in force that day is the one shown.
    #[arg(long)]
    pub date: Option<String>,
}

#[derive(Debug, Args)]
pub struct DocumentRecord2 {
    pub patient: String,
    /// The visit, by its id (or the start of it).
    #[arg(long, conflicts_with = "date", required_unless_present = "date")]
    pub visit: Option<String>,
    /// The day of the visit, YYYY-MM-DD, when the patient had one visit that day.
    #[arg(long)]
    pub date: Option<String>,
    #[command(flatten)]
    pub output: DocumentOutput,
}

#[derive(Debug, Subcommand)]
pub enum OrderCommand {
    /// Record a 指示書 from the paper the physician signed; prints its id.
    Add(Box<OrderAdd>),
}

/// The fields of the standard 訪問看護指示書 form. A device's detail
/// (--oxygen-flow, --tube-size, --cannula-size, …) implies the device.
#[derive(Debug, Args)]
pub struct OrderAdd {
    pub patient: String,
    /// instruction (訪問看護指示書), special (特別訪問看護指示書) or infusion
    /// (在宅患者訪問点滴注射指示書).
    #[arg(long)]
    pub kind: String,
    /// First day of the period, YYYY-MM-DD.
    #[arg(long)]
    pub from: String,
    /// Last day; a regular order without one runs one month.
    #[arg(long)]
    pub to: Option<String>,
    /// 記載日, YYYY-MM-DD.
    #[arg(long)]
    pub issued: Option<String>,
    /// 医師氏名.
    #[arg(long)]
    pub doctor: String,
    /// 医療機関名.
    #[arg(long)]
    pub institution: String,
    #[arg(long)]
    pub institution_address: Option<String>,
    #[arg(long)]
    pub institution_phone: Option<String>,
    /// 主たる傷病名 (required for a regular order).
    #[arg(long)]
    pub diagnosis: Option<String>,
    /// 傷病名コード: 7 digits, or ICD-10.
    #[arg(long)]
    pub diagnosis_code: Option<String>,
    /// 病状・治療状態.
    #[arg(long)]
    pub condition: Option<String>,
    /// 投与中の薬剤の用量・用法 (one a line).
    #[arg(long)]
    pub medicines: Option<String>,
    /// 寝たきり度: J1, J2, A1, A2, B1, B2, C1, C2.
    #[arg(long)]
    pub bedridden: Option<String>,
    /// 認知症の状況: 自立, I, IIa, IIb, IIIa, IIIb, IV, M.
    #[arg(long)]
    pub dementia: Option<String>,
    /// 要介護認定: 要支援1..2, 要介護1..5.
    #[arg(long)]
    pub care_level: Option<String>,
    /// 褥瘡の深さ: NPUAP-3, NPUAP-4, D3, D4, D5.
    #[arg(long)]
    pub pressure_ulcer: Option<String>,
    /// 自動腹膜灌流装置.
    #[arg(long)]
    pub peritoneal_dialysis: bool,
    /// 透析液供給装置.
    #[arg(long)]
    pub dialysate_supply: bool,
    /// 酸素療法.
    #[arg(long)]
    pub oxygen: bool,
    /// Oxygen flow, L/min.
    #[arg(long)]
    pub oxygen_flow: Option<String>,
    /// 吸引器.
    #[arg(long)]
    pub suction: bool,
    /// 中心静脈栄養.
    #[arg(long)]
    pub central_venous_nutrition: bool,
    /// 輸液ポンプ.
    #[arg(long)]
    pub infusion_pump: bool,
    /// 経管栄養: nasal (経鼻) or gastrostomy (胃ろう).
    #[arg(long)]
    pub tube_feeding: Option<String>,
    #[arg(long)]
    pub tube_size: Option<String>,
    /// The tube is changed every this many days.
    #[arg(long)]
    pub tube_change_days: Option<String>,
    /// 留置カテーテル.
    #[arg(long)]
    pub catheter: bool,
    #[arg(long)]
    pub catheter_size: Option<String>,
    #[arg(long)]
    pub catheter_change_days: Option<String>,
    /// 人工呼吸器: positive (陽圧式) or negative (陰圧式).
    #[arg(long)]
    pub ventilator: Option<String>,
    #[arg(long)]
    pub ventilator_settings: Option<String>,
    /// 気管カニューレ.
    #[arg(long)]
    pub cannula: bool,
    #[arg(long)]
    pub cannula_size: Option<String>,
    /// 人工肛門.
    #[arg(long)]
    pub colostomy: bool,
    /// 人工膀胱.
    #[arg(long)]
    pub urostomy: bool,
    /// その他の医療機器.
    #[arg(long)]
    pub other_device: Option<String>,
    /// Ⅰ 療養生活指導上の留意事項.
    #[arg(long)]
    pub care_notes: Option<String>,
    /// Ⅱ 1. PT/OT/ST: minutes a day …
    #[arg(long)]
    pub rehab_minutes: Option<String>,
    /// … times a week.
    #[arg(long)]
    pub rehab_times: Option<String>,
    /// Ⅱ 2. 褥瘡の処置等.
    #[arg(long)]
    pub ulcer_care: Option<String>,
    /// Ⅱ 3. 装着・使用医療機器等の操作援助・管理.
    #[arg(long)]
    pub device_care: Option<String>,
    /// Ⅱ 4. その他.
    #[arg(long)]
    pub other_instructions: Option<String>,
    /// 点滴注射指示: drug, amount, method (required for an infusion order).
    #[arg(long)]
    pub infusion: Option<String>,
    /// Why a 特別指示 was issued.
    #[arg(long)]
    pub reason: Option<String>,
    /// 緊急時の連絡先.
    #[arg(long)]
    pub emergency_contact: Option<String>,
    /// 不在時の対応.
    #[arg(long)]
    pub absence_contact: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ScaleCommand {
    /// Record scales at a visit; each given is its own entry (prints their ids).
    Record(ScaleRecord),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("scale").required(true).multiple(true)
    .args(["bedridden", "dementia", "barthel", "design_r"])))]
pub struct ScaleRecord {
    pub patient: String,
    /// When assessed (RFC 3339); default now.
    #[arg(long)]
    pub at: Option<String>,
    /// The visit it was made at (id or unique prefix).
    #[arg(long)]
    pub visit: Option<String>,
    /// 障害高齢者の日常生活自立度: J1, J2, A1, A2, B1, B2, C1, C2.
    #[arg(long)]
    pub bedridden: Option<String>,
    /// 認知症高齢者の日常生活自立度: 自立, I, IIa, IIb, IIIa, IIIb, IV, M.
    #[arg(long)]
    pub dementia: Option<String>,
    /// Barthel Index: ten scores in the order feeding, transfer, grooming,
    /// toilet, bathing, mobility, stairs, dressing, bowels, bladder
    /// (e.g. 10,15,5,10,5,15,10,10,10,10), or item=score pairs.
    #[arg(long)]
    pub barthel: Option<String>,
    /// DESIGN-R 2020 of one wound, e.g. D3-e1s6i0g3N3p0:13 (with --wound).
    #[arg(long, requires = "wound")]
    pub design_r: Option<String>,
    /// The wound's site, e.g. 仙骨部.
    #[arg(long)]
    pub wound: Option<String>,
}
