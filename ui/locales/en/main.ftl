## Karte — English messages. Must hold every id of ja/main.ftl (a test checks).

loading = Loading…
save = Save
cancel = Cancel
dismiss = Dismiss
unreachable-title = Karte cannot be reached

## Navigation
nav-patients = Patients
nav-settings = Settings
nav-lock = Lock

## First run
first-run-title = Welcome to Karte
first-run-lead = Create the vault that keeps this device's records encrypted. Do not forget the passphrase.
first-run-create = Create vault
strength-too-short = Too short (at least 8 characters)
strength-weak = Weak: make it longer
strength-fair = Fair: longer is safer
strength-strong = Strong

## Enrolment
enrol-title = Enrol with a hub
enrol-lead = Enrolling with your region's hub lets this device sync with your team's records. You can also enrol later in Settings.
enrol-submit = Enrol
enrol-running = Enrolling…
enrol-skip = Continue offline
enrol-device-placeholder = e.g. visit tablet 3

## Unlock
unlock-title = Unlock
unlock-as = Unlock as { $user }
unlock-submit = Unlock
unlock-running = Checking…
unlock-locked-by-user = Locked.
unlock-locked-idle = Locked automatically after a period without use.
unlock-locked-by-core = Locked for safety. Please unlock again.

## Patient list
patients-search = Search by name or kana
patients-add = Add patient
patients-today = Today's visits
patients-today-none = No visits recorded today yet.
patients-all = Patients ({ $count })
patients-none = No patients yet.
patients-no-match = No patient matches.
patients-more = { $count } more. Type a name or kana to narrow the list.
patient-age = { $age } y
patient-reviews = { $count } to review
order-badge-missing = No order
order-badge-expires-today = Order ends today
order-badge-expired = Order expired
order-badge-expiring = Order: { $days } d left
order-badge-special-over = Special orders over limit
order-badge-special-alone = Special order alone
order-badge-too-long = Order too long
order-badge-outside = { $count } visit(s) outside orders
order-badge-more = {" "}+{ $count } more
patient-add-title = Add a patient
patient-edit-title = Edit demographics

## Chart
chart-record-visit = Record a visit
chart-edit-patient = Edit demographics
chart-add-allergy = Add allergy
chart-no-known-allergies = Record no known allergies
chart-trends = Vital-sign trends
chart-problems = Problems
chart-medications = Medications
chart-visits = Visits
chart-no-visits = No visits recorded yet.
chart-older-visits = Show older visits ({ $count } more)
chart-none-recorded = None recorded
chart-since = since { $date }
chart-add-problem = Add problem
chart-add-medication = Add medication
entry-voided = Entered in error
allergy-banner-title = Allergies
allergy-high = Severe
allergy-none-known = Allergies: none known (checked)
allergy-none-active = Allergies: none currently active
allergy-not-recorded = Allergies: not recorded — please ask
allergy-add-title = Add an allergy
condition-add-title = Add a problem
medication-add-title = Add a medication
medication-frequency-placeholder = e.g. twice daily after meals
trend-temperature = Temperature
trend-bp = Blood pressure
trend-pulse = Pulse
trend-spo2 = SpO2
trend-no-data = No values yet
trend-latest = latest { $value }
abbr-temp = T
abbr-bp = BP
abbr-pulse = P
abbr-resp = RR
abbr-pain = Pain
soap-s = S (subjective)
soap-o = O (objective)
soap-a = A (assessment)
soap-p = P (plan)

## Reviews
review-title = To review
review-concurrent = "{ $field }" was changed on two devices at once. Choose the value to keep.
review-clinical = Needs a clinical check: { $rule }
review-keep = Keep this value
review-unknown-author = Unknown author
review-merge-label = Or write one value that combines them
review-merge-save = Record this value
review-merge-empty = Type the combined value.

## Recording a visit
visit-title = Record a visit
visit-vitals = Vital signs
visit-soap = Note (SOAP)
visit-save = Save
visit-keep-draft = Keep draft and go back
visit-draft-restored = An unsaved draft was restored.
visit-step-down = Lower { $what }
visit-step-up = Raise { $what }
visit-bp-systolic = Systolic
visit-bp-diastolic = Diastolic

## Sync
sync-online = Online
sync-offline = Offline
sync-not-enrolled = Recording on this device only
sync-trouble = Not syncing
sync-pending = { $count } to send
sync-reviews = { $count } to review
sync-quarantined = { $count } quarantined: could not be applied
sync-quarantined-help = Received from the hub but refused on this device. The last good version stays readable; the hub's administrator has been told.
sync-last = Last sync { $time }
sync-never = Not synced yet
sync-now = Sync now
sync-running = Syncing…

## Settings
settings-title = Settings
settings-language = Language
settings-auto-lock = Auto-lock
settings-hub = Hub
settings-org = Organisation
settings-enrolled-at = Enrolled
settings-not-enrolled = This device is not enrolled with a hub.
settings-device = This device
settings-version = Version
settings-dates = Dates
settings-dates-western = Western year (2026-12-07)
settings-dates-era = Japanese era (2026-12-07 (Reiwa 8))
settings-night = Night mode
settings-night-lead = Dark colours, so the screen does not glare in a dim room.
settings-night-off = Day
settings-night-on = Night
unit-minutes = min

## Notices
notice-saved = Saved.
notice-visit-saved = Visit recorded.
notice-patient-added = Patient added.
notice-patient-saved = Demographics saved.
notice-review-resolved = Your choice was recorded.
notice-enrolled = Enrolled with the hub.

## Field names
field-user = User name
field-passphrase = Passphrase
field-confirm = Passphrase (again)
field-hub-url = Hub address
field-code = Enrolment code
field-device-name = Device name
field-family = Family name
field-given = Given name
field-family-kana = Family name (kana)
field-given-kana = Given name (kana)
field-birth = Date of birth
field-sex = Sex
field-care-level = Care level
field-address = Address
field-phone = Phone
field-insurance = Insurance number
field-at = Time of visit
field-temp = Temperature
field-bp = Blood pressure (sys/dia)
field-pulse = Pulse
field-resp = Respiratory rate
field-spo2 = SpO2
field-jcs = Consciousness (JCS)
field-pain = Pain (NRS)
field-visit = Visit
field-subjective = S: subjective
field-objective = O: objective
field-assessment = A: assessment
field-plan = P: plan
field-substance = Substance
field-category = Category
field-criticality = Criticality
field-reaction = Reaction
field-name = Name
field-icd10 = ICD-10 code
field-onset = Onset
field-note = Note
field-dose = Dose
field-route = Route
field-frequency = Frequency
field-start = Start
field-end = End
field-auto_lock_minutes = Lock after this long without use

## Input errors (a field's own message, else the general one)
invalid-required = { $field } is required.
invalid-malformed = { $field } is not written correctly.
invalid-malformed_date = Write { $field } like 1941-03-02.
invalid-malformed_time = { $field } is not a valid time.
invalid-out_of_range = { $field } is outside the plausible range; check for a typo.
invalid-inconsistent = { $field } contradicts itself.
invalid-incomplete = { $field } is incomplete.
invalid-empty = Enter at least one vital sign or a note.
invalid-not_kana = Write { $field } in katakana or hiragana (e.g. ヤマダ).
invalid-in_future = { $field } is in the future.
invalid-before_start = { $field } is before the start date.
invalid-unknown_code = { $field } is not one of the choices.
invalid-too_short = Use at least 8 characters.
invalid-mismatch = The passphrases differ.
invalid-temp-out_of_range = Temperature must be 30–45 °C (e.g. 36.5).
invalid-temp-malformed = Write the temperature as a number (e.g. 36.5).
invalid-bp-out_of_range = Blood pressure is out of range (systolic 40–300, diastolic 20–200 mmHg).
invalid-bp-malformed = Write blood pressure as systolic/diastolic (e.g. 132/84).
invalid-bp-inconsistent = Systolic must be above diastolic; check the order.
invalid-bp-incomplete = Blood pressure needs both values (e.g. 132/84).
invalid-pulse-out_of_range = Pulse must be 20–250 /min.
invalid-resp-out_of_range = Respiratory rate must be 4–80 /min.
invalid-spo2-out_of_range = SpO2 must be 50–100 %.
invalid-pain-out_of_range = Pain is scored 0–10.
invalid-jcs-malformed = JCS is 0, I-1 to I-3, II-10 to II-30 or III-100 to III-300, optionally with R, I or A.
invalid-icd10-malformed = Write an ICD-10 code like I10 or E11.9.
invalid-hub-url-malformed = Start the hub address with http:// or https://.
invalid-auto_lock_minutes-out_of_range = Auto-lock is between 1 and 60 minutes.
invalid-auto_lock_minutes-malformed = Write the auto-lock time as a number of minutes.

## Problems
problem-other = That did not work: { $detail }
problem-locked = Locked. Please unlock again.
problem-wrong_passphrase = Wrong passphrase. Please try again.
problem-unknown_user = That user is not set up on this device.
problem-user_needed = Choose a user.
problem-already_exists = This device already has a vault.
problem-no_vault = There is no vault yet.
problem-invalid_input = Please check the form.
problem-not_found = Not found.
problem-hub_unreachable = The hub cannot be reached. Sync again where there is signal; your records are safe on this device.
problem-request_too_large = The hub refused a sync request as too large, even in small pages. Tell the hub's administrator; your records are safe on this device.
problem-rate_limited = The hub asks this device to sync less often for a moment. Sync again in a minute; your records are safe on this device.
problem-feed_changed = The hub was restored from a backup. Sync again; this device gives the hub back its records.
problem-hub_busy = The hub is busy. Sync again shortly; your records are safe on this device.
problem-request_timeout = The link was too slow for the hub to wait. Sync again where the signal is better; your records are safe on this device.
problem-not_enrolled = This device is not enrolled with a hub.
problem-already_enrolled = This device is already enrolled with a hub.
problem-enrolment_unknown = The hub refused the enrolment. Check the enrolment code.
problem-enrolment_used = The hub refused the enrolment. Check the enrolment code.
problem-enrolment_expired = The hub refused the enrolment. Check the enrolment code.
problem-bridge_unreachable = The Karte core cannot be reached. Restart the app.
problem-no_token = Open the address that `karte ui serve` printed, including its #token=.
problem-unauthorized = Access refused. Open the printed address again.
problem-device_revoked = This device's enrolment was revoked. Contact your administrator.
problem-share_not_accepted = The other organisation does not accept charts shared by yours. Ask its administrator to accept them; nothing else was lost.
problem-device_locked = This device has not reached its hub for too long, so your organisation's policy locks it. Ask your administrator for an unlock code and enter it below with your passphrase.
problem-wrong_unlock_code = That unlock code is not valid for this device, or it was already used. Check it with your administrator.
field-unlock-code = Unlock code (from your administrator)
problem-audit_chain_broken = The hub refused this device's sync: its audit log no longer continues the one the hub holds (entries were removed or changed on this device). Nothing was lost or sent; contact your administrator.
problem-not_permitted = Your role may not do this. Ask a nurse, doctor or administrator.
problem-recovery_key_mismatch = The hub named a recovery key that does not match the enrolment code. Nothing was stored; tell the hub's administrator.
problem-weak_key_derivation = This vault's key protection is below the minimum and it cannot be opened. Contact your administrator.
problem-not_an_image = This file is not a photo Karte can keep (it must be a whole JPEG or PNG image). Nothing was saved; choose another file or take the photo again.
problem-photo_too_large = This photo is too large to keep. Nothing was saved; take it again at a lower resolution.
problem-photo_not_here = This photo was taken on another device and is not on this one yet. Photos stay on the device that took them for now.

## Choices
sex-male = Male
sex-female = Female
sex-other = Other
sex-unknown = Unknown
care-none = None / not assessed
care-support-1 = Support level 1
care-support-2 = Support level 2
care-care-1 = Care level 1
care-care-2 = Care level 2
care-care-3 = Care level 3
care-care-4 = Care level 4
care-care-5 = Care level 5
category-food = Food
category-medication = Medication
category-environment = Environment
category-biologic = Biologic
criticality-low = Low
criticality-high = High
criticality-unable-to-assess = Unable to assess
status-active = Active
status-inactive = Inactive
status-resolved = Resolved
route-oral = Oral
route-topical = Topical
route-subcutaneous = Subcutaneous
route-intravenous = Intravenous
route-inhalation = Inhalation
route-rectal = Rectal
route-other = Other
role-nurse = Nurse
role-doctor = Doctor
role-clerk = Clerk
role-admin = Administrator

## Entered in error
void-open = Mark entered in error
void-reason = Reason
void-reason-needed = Say why, e.g. recorded for the wrong patient.
void-confirm = Mark in error

# Visit mode and today's route
nav-visit-mode = Visit mode
visit-mode-title = Visit mode
visit-mode-empty = No route for today yet. Tap "Add to today's route" on a patient's chart to line them up here.
visit-mode-next = Next visit
visit-mode-done = Every visit on today's route is recorded.
visit-mode-route = Today's route
visit-mode-record = Record the visit
visit-mode-open-chart = Open the chart
visit-mode-last-vitals = Last time ({ $time }): { $vitals }
visit-mode-no-vitals = No vital signs recorded before.
route-visited = Visited
route-earlier = Earlier
route-later = Later
route-remove = Take off the route
route-add = Add to today's route
route-added = On today's route

## Wound photos
photos-title = Photos
photos-wound = Wound (site)
photos-design-r = DESIGN-R assessment
photos-no-design-r = None
photos-take = Take a photo
photos-choose = Choose a file
photos-saving = Saving the photo…
photos-none = No photos yet.
photos-no-wound = No wound named
photos-private = Location and camera details are removed; photos are kept encrypted on this device (they do not sync yet).
