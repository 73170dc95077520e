//! What each role may do: the one table the core consults before a guarded
//! operation. `Session::require` is the only place it is read, so the
//! command line, the local bridge and the Tauri shell refuse alike.
//!
//! Everyone who can unlock the vault may read it (the patient list, charts,
//! the audit log), keep drafts and settings, sync, and change their own
//! passphrase; those are not listed here. A clerk registers patients and
//! keeps their details, but does not write clinical content, take it out of
//! the vault, or decide conflicts in it.

use karte_store::Role;

/// An action only some roles may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Registering a patient and editing their demographics, registering
    /// a casualty whose name nobody knows, and linking a casualty to the
    /// chart of the person they turned out to be.
    EditDemographics,
    /// Recording clinical entries: visits, allergies, conditions,
    /// medications, "no known allergies", 指示書 and scales, triages and
    /// transports, consultations with their J-SPEED sheets (and demo
    /// patients, which are made of them).
    RecordClinical,
    /// Marking an entry entered-in-error.
    VoidEntries,
    /// Deciding a review item.
    ResolveReviews,
    /// Taking charts out of the vault: a FHIR export, a share with another
    /// organisation.
    Export,
    /// Adding users.
    ManageUsers,
    /// Enrolling the device at a hub.
    EnrolDevice,
    /// Approving a document saved in a chart (報告書, 計画書, 記録書)
    /// that someone else saved: the station's manager or a doctor.
    ApproveDocuments,
}

impl Permission {
    /// Every guarded action, for tests and documentation that cover them all.
    pub const ALL: &'static [Permission] = &[
        Permission::EditDemographics,
        Permission::RecordClinical,
        Permission::VoidEntries,
        Permission::ResolveReviews,
        Permission::Export,
        Permission::ManageUsers,
        Permission::EnrolDevice,
        Permission::ApproveDocuments,
    ];

    /// The table: the roles that may take this action. An administrator may
    /// do everything, because the first user of a vault (a lone nurse's
    /// tablet) is one.
    pub fn roles(self) -> &'static [Role] {
        use Role::{Admin, Clerk, Doctor, Nurse};
        match self {
            Permission::EditDemographics => &[Nurse, Doctor, Clerk, Admin],
            Permission::RecordClinical
            | Permission::VoidEntries
            | Permission::ResolveReviews
            | Permission::Export => &[Nurse, Doctor, Admin],
            Permission::ManageUsers | Permission::EnrolDevice => &[Admin],
            Permission::ApproveDocuments => &[Doctor, Admin],
        }
    }

    pub fn allows(self, role: Role) -> bool {
        self.roles().contains(&role)
    }

    /// The action in words, to follow "may": `record clinical entries`.
    pub fn action(self) -> &'static str {
        match self {
            Permission::EditDemographics => "register patients or edit their details",
            Permission::RecordClinical => {
                "record clinical entries (visits, allergies, conditions, medications, orders, scales)"
            }
            Permission::VoidEntries => "mark entries entered-in-error",
            Permission::ResolveReviews => "resolve review items",
            Permission::Export => {
                "export charts, carry them in bundles or share them with another organisation"
            }
            Permission::ManageUsers => "add users",
            Permission::EnrolDevice => "enrol this device at a hub",
            Permission::ApproveDocuments => "approve documents",
        }
    }

    /// The roles that may, as a person would say them: `a nurse, doctor or
    /// administrator`.
    pub fn who(self) -> String {
        let nouns: Vec<&str> = self.roles().iter().map(|role| noun(*role)).collect();
        let article = if nouns[0].starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        match nouns.split_last() {
            Some((last, [])) => format!("{article} {last}"),
            Some((last, rest)) => format!("{article} {} or {last}", rest.join(", ")),
            None => "nobody".to_owned(),
        }
    }
}

fn noun(role: Role) -> &'static str {
    match role {
        Role::Nurse => "nurse",
        Role::Doctor => "doctor",
        Role::Clerk => "clerk",
        Role::Admin => "administrator",
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.action())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_administrator_may_do_everything_and_a_clerk_only_demographics() {
        for permission in Permission::ALL {
            assert!(permission.allows(Role::Admin), "{permission:?}");
            assert_eq!(
                permission.allows(Role::Clerk),
                *permission == Permission::EditDemographics,
                "{permission:?}"
            );
        }
    }

    #[test]
    fn who_may_reads_as_a_sentence() {
        assert_eq!(
            Permission::RecordClinical.who(),
            "a nurse, doctor or administrator"
        );
        assert_eq!(Permission::ManageUsers.who(), "an administrator");
    }
}
