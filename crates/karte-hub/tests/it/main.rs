//! Integration tests of the hub: its storage, and its HTTP server with real
//! devices syncing through it. One suite, every test run against both
//! backends, SQLite in a temporary folder and a real PostgreSQL server the
//! tests start themselves (see `postgres`).

mod admin;
mod at_rest;
mod audit;
mod backend;
mod convergence;
mod cover;
mod edits;
mod enrol_http;
mod guard;
mod harness;
mod hostile;
mod listen;
mod lock;
mod paging;
mod photos;
mod postgres;
mod postgres_tls;
mod push;
mod race;
mod relay;
mod scope;
mod scope_http;
mod support;
mod sync_http;
mod trust;

/// Makes, for each suite function `module::name`, a test `name` in module
/// `sqlite` and one in module `postgresql`.
macro_rules! on_both_backends {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    crate::$module::$name::<crate::backend::Sqlite>().await;
                }
            )*
        }
        mod postgresql {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    crate::$module::$name::<crate::backend::Postgres>().await;
                }
            )*
        }
    };
}

/// A few of the suite over a PostgreSQL connection with TLS
/// (`sslmode=verify-full`): stores open, push, page and sync as in plaintext.
mod postgresql_tls {
    use crate::backend::PostgresTls;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_push_is_stored_in_feed_order() {
        crate::push::a_push_is_stored_in_feed_order::<PostgresTls>().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn hub_processes_starting_at_once_migrate_once() {
        crate::admin::hub_processes_starting_at_once_migrate_once::<PostgresTls>().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_newer_schema_is_refused() {
        crate::admin::a_newer_schema_is_refused::<PostgresTls>().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn two_devices_of_one_org_converge() {
        crate::sync_http::two_devices_of_one_org_converge::<PostgresTls>().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_fresh_device_pages_through_charts_sent_whole() {
        crate::sync_http::a_fresh_device_pages_through_charts_sent_whole::<PostgresTls>().await;
    }
}

on_both_backends! {
    relay::a_relayed_change_is_stored_under_its_author_not_the_relay,
    relay::a_forged_or_misattributed_relay_is_refused_with_nothing_stored,
    relay::a_relayed_change_of_a_lost_or_foreign_author_is_refused,
    relay::a_device_of_the_previous_protocol_still_syncs,
    relay::a_request_from_before_a_restore_is_refused_until_the_device_starts_over,
    cover::a_chart_pushed_whole_is_stored_change_by_change_under_its_author,
    cover::a_forged_misattributed_or_uncovered_whole_chart_is_refused_with_nothing_stored,
    cover::a_relayed_whole_chart_keeps_the_original_authors,
    cover::a_whole_chart_sent_again_stores_nothing_and_one_grown_since_stores_the_rest,
    push::a_push_is_stored_in_feed_order,
    push::a_batch_with_one_bad_doc_stores_nothing,
    push::a_repeated_push_changes_nothing,
    push::only_enrolled_devices_not_lost_may_push,
    push::an_empty_push_is_received_and_stores_nothing,
    scope::an_org_never_reads_another_orgs_charts,
    scope::sharing_and_unsharing_reach_the_org_after_its_cursor,
    scope::the_owner_stays_in_the_circle,
    scope::what_a_device_wrote_before_it_was_told_of_an_unshare_is_kept,
    admin::organisations_are_added_once,
    admin::lists_come_in_byte_order_of_id,
    admin::an_enrolment_code_works_once_and_expires,
    admin::two_devices_racing_for_one_code_enrol_one,
    admin::devices_are_listed_revoked_and_heard_from,
    admin::a_replayed_nonce_is_refused_within_the_window,
    admin::the_snapshot_cache_never_moves_back,
    admin::the_receive_log_is_append_only,
    admin::hub_processes_starting_at_once_migrate_once,
    admin::a_newer_schema_is_refused,
    paging::small_pages_add_up_to_the_whole_feed,
    paging::a_change_larger_than_a_page_comes_alone_and_whole,
    paging::pages_span_many_planning_rounds,
    paging::a_first_sync_pages_through_many_charts_in_id_order,
    race::concurrent_writers_never_lose_a_change,
    race::a_late_commit_is_not_lost,
    race::the_naive_allocation_loses_a_late_commit,
    enrol_http::a_code_enrols_one_device_and_names_its_organisation,
    enrol_http::a_used_expired_or_unknown_code_enrols_nobody,
    enrol_http::health_answers_while_the_database_does,
    trust::enrolment_grants_a_cert_and_revoking_signs_a_newer_list,
    trust::a_device_that_sends_no_bundle_key_is_enrolled_without_a_cert,
    trust::a_sync_answer_carries_a_newer_list_and_a_renewed_cert_only_when_needed,
    sync_http::two_devices_of_one_org_converge,
    sync_http::the_charts_a_device_keeps_in_quarantine_are_listed_per_organisation,
    sync_http::nothing_changed_is_one_small_round_trip,
    sync_http::the_same_request_twice_changes_nothing_the_second_time,
    sync_http::a_fresh_device_pages_through_charts_sent_whole,
    sync_http::an_interrupted_first_sync_resumes_and_misses_nothing_written_meanwhile,
    sync_http::a_first_sync_page_ends_where_charts_saved_just_now_fill_it,
    sync_http::a_chart_sent_whole_never_comes_again_on_a_later_page,
    sync_http::a_retired_device_hands_in_its_changes_then_wipes,
    sync_http::a_chart_pushed_with_a_long_history_is_cached_whole,
    scope_http::another_orgs_chart_is_never_served_nor_written,
    scope_http::a_shared_chart_arrives_whole_and_an_unshared_one_leaves,
    scope_http::an_edit_made_before_an_unshare_reached_the_device_is_kept,
    scope_http::a_device_that_lies_about_its_cursor_cannot_write_after_an_unshare,
    scope_http::a_push_sent_again_after_its_answer_was_lost_is_taken,
    sync_http::a_retired_device_pushes_once_shares_nothing_then_is_refused,
    scope_http::sharing_into_another_org_needs_its_consent,
    scope_http::a_device_unshares_and_the_chart_stops_reaching_the_org,
    convergence::devices_converge_whatever_the_order_and_page_size,
    hostile::broken_envelopes_are_refused_with_their_code,
    hostile::forged_and_replayed_requests_are_refused,
    hostile::bad_changes_refuse_the_whole_push,
    hostile::a_change_that_would_leave_no_chart_is_refused,
    hostile::an_actor_reused_after_a_restore_is_refused,
    hostile::a_lost_device_is_told_to_wipe_and_nothing_it_sends_is_kept,
    edits::a_delete_of_another_nurses_entry_is_refused,
    edits::a_change_naming_another_author_is_refused,
    edits::a_write_outside_the_layout_is_refused,
    edits::an_implausible_time_is_refused,
    guard::nothing_unauthenticated_is_read_past_its_header,
    guard::a_refused_body_still_on_its_way_is_read_so_the_answer_arrives,
    guard::a_trickling_request_is_cut_off,
    guard::a_device_over_its_rate_is_told_when_to_come_back,
    guard::an_address_over_its_rate_is_refused,
    guard::requests_beyond_the_slots_are_refused_not_queued,
    at_rest::a_stolen_database_shows_no_patient,
    at_rest::the_search_finds_patients_stored_in_clear,
    at_rest::a_ciphertext_moved_to_another_row_is_refused,
    at_rest::a_wrong_master_key_is_refused_at_start,
    at_rest::a_database_stored_in_clear_is_refused_and_one_without_key_serves_no_chart,
    audit::a_devices_audit_log_arrives_and_sending_it_again_stores_nothing,
    audit::a_chain_that_does_not_extend_the_held_one_is_refused_and_nothing_stored,
    audit::a_device_whose_audit_tail_was_removed_is_refused,
    audit::a_held_audit_log_shows_no_patient_at_rest,
    lock::a_lock_policy_reaches_devices_with_hashes_of_their_codes_only,
    photos::a_photo_goes_up_in_pieces_and_comes_down_byte_identical,
    photos::the_same_photo_from_two_devices_is_stored_once,
    photos::a_cut_upload_resumes_without_sending_what_the_hub_holds,
    photos::a_device_outside_the_circle_or_naming_another_chart_is_refused,
    photos::a_photo_that_does_not_hash_to_its_name_is_refused_and_nothing_kept,
    photos::the_hubs_photos_and_database_hold_no_photo_byte,
    photos::a_photo_altered_on_the_hubs_disk_is_never_served,
    photos::sealing_outside_the_database_opens_after_a_restart_and_a_read_makes_no_key,
    photos::a_photo_sealed_in_the_earlier_chunk_format_still_opens,
}
