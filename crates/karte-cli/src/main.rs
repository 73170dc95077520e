//! `karte`: the command-line client. Every command unlocks the vault, calls
//! the application API once, and prints the result for a person (or as JSON).

mod args;
mod bundle;
mod casualty;
mod disaster;
mod document;
mod output_file;
mod paperwork;
mod peer;
mod photo;
mod print;
mod secrets;
mod sync;
mod team;
mod ui;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use karte_api::types::{
    AllergyCategory, AllergyInput, CareLevel, ClinicalStatus, ConditionInput, Criticality, Date,
    Demographics, Jcs, MedicationInput, Profession, Route, Sex, Soap, Timestamp, ValidationErrors,
    VisitInput, VitalSigns, parse_blood_pressure,
};
use karte_api::{ApiError, Environment, KdfParams, Permission, Role, Session};

use args::{Cli, Command};

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("KARTE_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // The application error's code goes first so scripts can branch on it.
            match error.downcast_ref::<ApiError>() {
                Some(api) => eprintln!("error[{}]: {api}", api.code()),
                None => eprintln!("error: {error:#}"),
            }
            ExitCode::FAILURE
        }
    }
}

/// The vault path: `--vault`, else `KARTE_VAULT` (both handled by clap), else
/// the operating system's data directory.
fn vault_path(cli: &Cli) -> Result<PathBuf> {
    if let Some(path) = &cli.vault {
        return Ok(path.clone());
    }
    karte_api::default_vault_path()
        .context("no data directory on this system: give the vault with --vault PATH")
}

fn open(cli: &Cli) -> Result<Session> {
    open_with_code(cli, None)
}

/// Opens the vault; `unlock_code` opens one its organisation's policy
/// locked after too many days without the hub.
fn open_with_code(cli: &Cli, unlock_code: Option<&str>) -> Result<Session> {
    let path = vault_path(cli)?;
    if !path.exists() {
        anyhow::bail!(
            "no vault at {}: create one with `karte init`, or give its path with --vault",
            path.display()
        );
    }
    let passphrase = secrets::passphrase("Passphrase: ")?;
    Ok(Session::open_with_code(
        &path,
        cli.user.as_deref(),
        passphrase.as_bytes(),
        unlock_code,
        Environment::system(),
    )?)
}

fn run(cli: Cli) -> Result<()> {
    match &cli.command {
        Command::Init(init) => {
            let path = vault_path(&cli)?;
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating {}", parent.display()))?;
            }
            let passphrase = secrets::new_passphrase("KARTE_PASSPHRASE", "New passphrase: ")?;
            let kdf = init_kdf(init);
            let user = cli
                .user
                .clone()
                .or_else(|| init.first_user.clone())
                .unwrap_or_else(|| "admin".into());
            let session = Session::create(
                &path,
                &user,
                passphrase.as_bytes(),
                kdf,
                Environment::system(),
            )?;
            println!(
                "created vault {} for {} ({})",
                path.display(),
                session.user().name,
                session.user().role
            );
        }
        Command::Patient(args::PatientCommand::Add(add)) => {
            let mut session = open(&cli)?;
            let patient = demographics(add)?;
            let id = session.add_patient(&patient)?;
            println!("{id}");
        }
        Command::Patient(args::PatientCommand::List(list)) => {
            let mut session = open(&cli)?;
            let patients = session.patients(list.search.as_deref().unwrap_or(""))?;
            let today = session.now().date_jst();
            if list.json {
                println!("{}", serde_json::to_string_pretty(&patients)?);
            } else if list.ids {
                patients.iter().for_each(|p| println!("{}", p.id));
            } else {
                print::patient_list(&patients, today);
            }
        }
        Command::Patient(args::PatientCommand::Edit(edit)) => {
            let mut session = open(&cli)?;
            let id = session.resolve_patient(&edit.patient)?;
            let current = session.chart(&id)?.patient;
            let changed = edited_demographics(current, edit)?;
            session.update_patient(&id, &changed)?;
            println!("{id}");
        }
        Command::Allergy(args::AllergyCommand::Add(add)) => {
            let mut session = open(&cli)?;
            let patient = session.resolve_patient(&add.patient)?;
            let input = allergy(add)?;
            println!("{}", session.add_allergy(&patient, &input)?);
        }
        Command::Allergy(args::AllergyCommand::None { patient }) => {
            let mut session = open(&cli)?;
            let patient = session.resolve_patient(patient)?;
            session.set_no_known_allergies(&patient)?;
            println!("recorded: no known allergies");
        }
        Command::Condition(args::ConditionCommand::Add(add)) => {
            let mut session = open(&cli)?;
            let patient = session.resolve_patient(&add.patient)?;
            let input = condition(add)?;
            println!("{}", session.add_condition(&patient, &input)?);
        }
        Command::Medication(args::MedicationCommand::Add(add)) => {
            let mut session = open(&cli)?;
            let patient = session.resolve_patient(&add.patient)?;
            let input = medication(add)?;
            println!("{}", session.add_medication(&patient, &input)?);
        }
        Command::Visit(args::VisitCommand::Record(record)) => {
            let mut session = open(&cli)?;
            let patient = session.resolve_patient(&record.patient)?;
            let input = visit(record, session.now())?;
            match disaster::consultation_sheet(record)? {
                Some(sheet) => {
                    let input = karte_api::types::ConsultationInput {
                        visit: input,
                        sheet,
                    };
                    println!("{}", session.record_consultation(&patient, &input)?);
                }
                None => println!("{}", session.record_visit(&patient, &input)?),
            }
        }
        Command::Chart(args::ChartCommand::Show { patient, json }) => {
            let mut session = open(&cli)?;
            let patient = session.resolve_patient(patient)?;
            let chart = session.chart(&patient)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&chart)?);
            } else {
                print::chart(&chart, session.now().date_jst());
            }
        }
        Command::Entry(args::EntryCommand::Void {
            patient,
            entry,
            reason,
        }) => {
            let mut session = open(&cli)?;
            let patient = session.resolve_patient(patient)?;
            let entry = session.resolve_entry(&patient, entry)?;
            session.void_entry(&patient, &entry, reason)?;
            println!("entry {entry} marked entered-in-error");
        }
        Command::Review(args::ReviewCommand::Resolve {
            patient,
            review,
            choose,
        }) => {
            let mut session = open(&cli)?;
            let patient = session.resolve_patient(patient)?;
            let review = session.resolve_review_id(&patient, review)?;
            session.resolve_review(&patient, &review, choose)?;
            println!("review {review} resolved");
        }
        Command::Passphrase(args::PassphraseCommand::Change) => {
            let mut session = open(&cli)?;
            let new = secrets::new_passphrase("KARTE_NEW_PASSPHRASE", "New passphrase: ")?;
            session.change_passphrase(new.as_bytes())?;
            println!("passphrase changed for {}", session.user().name);
        }
        Command::User(args::UserCommand::Add { name, role }) => {
            let mut session = open(&cli)?;
            let role: Role = role
                .parse()
                .map_err(|e: karte_api::types::ValidationError| ValidationErrors(vec![e]))?;
            // Asked before the prompt, so a user who may not add users is
            // not made to type a passphrase first.
            session.require(Permission::ManageUsers)?;
            let new = secrets::new_passphrase(
                "KARTE_NEW_PASSPHRASE",
                &format!("Passphrase for {name}: "),
            )?;
            let user = session.add_user(name, role, new.as_bytes())?;
            println!("added {} ({})", user.name, user.role);
        }
        Command::User(args::UserCommand::List) => {
            let session = open(&cli)?;
            for user in session.users()? {
                println!("{}\t{}\t{}", user.name, user.role, user.id);
            }
        }
        Command::UnlockCode { code } => {
            open_with_code(&cli, Some(code))?;
            eprintln!(
                "the vault is open again: the code is used up, and the days without the hub count from now; sync as soon as you can"
            );
        }
        Command::Audit { patient, json } => {
            let mut session = open(&cli)?;
            let patient = patient
                .as_deref()
                .map(|p| session.resolve_patient(p))
                .transpose()?;
            let entries = session.audit_log(&patient)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&entries)?);
            } else {
                print::audit(&entries);
            }
        }
        Command::Demo {
            patients,
            seed,
            max_visits,
        } => {
            let mut session = open(&cli)?;
            let progress = print::Progress::new("creating demo patients");
            session.demo_limited(*patients, *seed, *max_visits, |p| {
                progress.show(p.done, p.total)
            })?;
            progress.finish();
        }
        Command::Enrol(args) => sync::enrol(&cli, args)?,
        Command::Sync(args) => sync::sync(&cli, args)?,
        Command::Share(args) => sync::share(&cli, args)?,
        Command::Unshare(args) => sync::unshare(&cli, args)?,
        Command::Recover(args) => sync::recover(&cli, args)?,
        Command::Peer(command) => peer::run(&cli, command)?,
        Command::Team(command) => team::run(&cli, command)?,
        Command::Ui(command) => ui::run(&cli, command)?,
        Command::Order(args::OrderCommand::Add(add)) => paperwork::order_add(&cli, add)?,
        Command::Scale(args::ScaleCommand::Record(record)) => {
            paperwork::scale_record(&cli, record)?
        }
        Command::Document(command) => document::run(&cli, command)?,
        Command::Casualty(args::CasualtyCommand::Add(add)) => casualty::add(&mut open(&cli)?, add)?,
        Command::Triage(args) => casualty::triage(&mut open(&cli)?, args)?,
        Command::Transport(args) => casualty::transport(&mut open(&cli)?, args)?,
        Command::Board(args) => casualty::board(&mut open(&cli)?, args)?,
        Command::Identify(args) => casualty::identify(&mut open(&cli)?, args)?,
        Command::Disaster(args::DisasterCommand::Report(args)) => {
            disaster::report(&mut open(&cli)?, args)?
        }
        Command::Disaster(args::DisasterCommand::Items) => disaster::items(),
        Command::Photo(command) => photo::run(&cli, command)?,
        Command::Bundle(command) => bundle::run(&cli, command)?,
        Command::Export(export) => {
            let mut session = open(&cli)?;
            let patient = export
                .patient
                .as_deref()
                .map(|p| session.resolve_patient(p))
                .transpose()?;
            match &export.out {
                Some(path) => {
                    let charts = output_file::write_whole(path, |out| {
                        Ok(session.export_fhir(patient.as_ref(), out)?)
                    })?;
                    eprintln!("wrote {charts} charts to {}", path.display());
                }
                None => {
                    let stdout = std::io::stdout().lock();
                    session.export_fhir(patient.as_ref(), std::io::BufWriter::new(stdout))?;
                    println!();
                }
            }
        }
    }
    Ok(())
}

/// The key-derivation parameters of a new vault: the strong default, with
/// the hidden flags' numbers (which the core holds to its floor), or in a
/// debug build the tests' cheap ones.
fn init_kdf(init: &args::Init) -> KdfParams {
    #[cfg(debug_assertions)]
    if init.insecure_fast_kdf_for_tests {
        return KdfParams::insecure_fast_for_tests();
    }
    let strong = KdfParams::strong();
    KdfParams::new(
        init.kdf_memory_kib.unwrap_or(strong.memory_kib),
        init.kdf_iterations.unwrap_or(strong.iterations),
        strong.parallelism,
    )
}

/// Collects every field error of a form into one error, so the user fixes
/// them all at once.
struct Form(ValidationErrors);

impl Form {
    fn new() -> Form {
        Form(ValidationErrors::default())
    }

    fn take<T>(&mut self, result: Result<T, karte_api::types::ValidationError>) -> Option<T> {
        self.0.check(result)
    }

    fn optional<T>(
        &mut self,
        text: &Option<String>,
        parse: impl Fn(&str) -> Result<T, karte_api::types::ValidationError>,
    ) -> Option<T> {
        text.as_deref().and_then(|t| self.take(parse(t)))
    }

    fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, ApiError> {
        self.0.into_result().map_err(ApiError::Invalid)?;
        Ok(value())
    }
}

fn demographics(add: &args::PatientAdd) -> Result<Demographics, ApiError> {
    let mut form = Form::new();
    let birth = form.take(Date::parse("birth", &add.birth));
    let sex = form.take(Sex::parse(&add.sex));
    let care_level = form.optional(&add.care_level, CareLevel::parse);
    form.finish(|| Demographics {
        family: add.family.clone(),
        given: add.given.clone(),
        family_kana: add.family_kana.clone(),
        given_kana: add.given_kana.clone(),
        birth: birth.expect("checked"),
        sex: sex.expect("checked"),
        address: add.address.clone(),
        phone: add.phone.clone(),
        insurance_number: add.insurance.clone(),
        care_level,
    })
}

/// `current` with the fields `edit` gives; an empty value clears an
/// optional field.
fn edited_demographics(
    current: Demographics,
    edit: &args::PatientEdit,
) -> Result<Demographics, ApiError> {
    let mut form = Form::new();
    let birth = match &edit.birth {
        Some(text) => form.take(Date::parse("birth", text)),
        None => Some(current.birth),
    };
    let sex = match &edit.sex {
        Some(text) => form.take(Sex::parse(text)),
        None => Some(current.sex),
    };
    let care_level = match &edit.care_level {
        Some(text) if text.trim().is_empty() => None,
        Some(_) => form.optional(&edit.care_level, CareLevel::parse),
        None => current.care_level,
    };
    let text = |given: &Option<String>, was: String| given.clone().unwrap_or(was);
    let optional = |given: &Option<String>, was: Option<String>| match given {
        Some(value) if value.trim().is_empty() => None,
        Some(value) => Some(value.clone()),
        None => was,
    };
    form.finish(|| Demographics {
        family: text(&edit.family, current.family),
        given: text(&edit.given, current.given),
        family_kana: text(&edit.family_kana, current.family_kana),
        given_kana: text(&edit.given_kana, current.given_kana),
        birth: birth.expect("checked"),
        sex: sex.expect("checked"),
        address: optional(&edit.address, current.address),
        phone: optional(&edit.phone, current.phone),
        insurance_number: optional(&edit.insurance, current.insurance_number),
        care_level,
    })
}

fn allergy(add: &args::AllergyAdd) -> Result<AllergyInput, ApiError> {
    let mut form = Form::new();
    let category = form.take(AllergyCategory::parse(&add.category));
    let criticality = form.take(Criticality::parse(&add.criticality));
    let status = form.take(ClinicalStatus::parse(&add.status));
    form.finish(|| AllergyInput {
        substance: add.substance.clone(),
        category: category.expect("checked"),
        criticality: criticality.expect("checked"),
        reaction: add.reaction.clone(),
        status: status.expect("checked"),
    })
}

fn condition(add: &args::ConditionAdd) -> Result<ConditionInput, ApiError> {
    let mut form = Form::new();
    let onset = form.optional(&add.onset, |t| Date::parse("onset", t));
    let status = form.take(ClinicalStatus::parse(&add.status));
    form.finish(|| ConditionInput {
        name: add.name.clone(),
        icd10: add.icd10.clone(),
        onset,
        status: status.expect("checked"),
        note: add.note.clone(),
    })
}

fn medication(add: &args::MedicationAdd) -> Result<MedicationInput, ApiError> {
    let mut form = Form::new();
    let route = form.take(Route::parse(&add.route));
    let start = form.optional(&add.start, |t| Date::parse("start", t));
    let end = form.optional(&add.end, |t| Date::parse("end", t));
    form.finish(|| MedicationInput {
        name: add.name.clone(),
        dose: add.dose.clone(),
        route: route.expect("checked"),
        frequency: add.frequency.clone(),
        start,
        end,
    })
}

fn visit(record: &args::VisitRecord, now: Timestamp) -> Result<VisitInput, ApiError> {
    use karte_api::types::parse_number;
    let mut form = Form::new();
    let at = form
        .optional(&record.at, |t| Timestamp::parse_rfc3339("at", t))
        .unwrap_or(now);
    let bp = form.optional(&record.bp, parse_blood_pressure);
    let vitals = VitalSigns {
        temperature_c: form.optional(&record.temp, |t| parse_number("temp", t)),
        systolic: bp.map(|b| b.0),
        diastolic: bp.map(|b| b.1),
        pulse: form.optional(&record.pulse, |t| parse_number("pulse", t)),
        respiration: form.optional(&record.resp, |t| parse_number("resp", t)),
        spo2: form.optional(&record.spo2, |t| parse_number("spo2", t)),
        jcs: form.optional(&record.jcs, Jcs::parse),
        pain: form.optional(&record.pain, |t| parse_number("pain", t)),
    };
    let soap = Soap {
        subjective: record.subjective.clone(),
        objective: record.objective.clone(),
        assessment: record.assessment.clone(),
        plan: record.plan.clone(),
    };
    let profession = form.optional(&record.profession, Profession::parse);
    form.finish(|| VisitInput {
        at,
        vitals,
        soap,
        profession,
        long_visit: record.long_visit,
    })
}
