//! Reusable pieces of the screens, one component per file.

pub mod allergy_banner;
pub mod entry_lists;
pub mod language_switch;
pub mod message_bar;
pub mod patient_alerts;
pub mod patient_row;
pub mod review_list;
pub mod review_merge;
pub mod select_field;
pub mod strength_meter;
pub mod sync_bar;
pub mod text_field;
pub mod trend_chart;
pub mod visit_timeline;
pub mod void_entry;
pub mod wound_photos;

pub use allergy_banner::{AllergyBanner, AllergyBannerProps};
pub use entry_lists::EntryLists;
pub use language_switch::LanguageSwitch;
pub use message_bar::MessageBar;
pub use patient_alerts::{ChartIdentity, OrderAlerts, OrderBadge, TriageBadge};
pub use patient_row::PatientRow;
pub use review_list::ReviewList;
pub use review_merge::ReviewMerge;
pub use select_field::SelectField;
pub use strength_meter::StrengthMeter;
pub use sync_bar::SyncBar;
pub use text_field::TextField;
pub use trend_chart::TrendChart;
pub use visit_timeline::VisitTimeline;
pub use void_entry::VoidEntry;
pub use wound_photos::WoundPhotos;
