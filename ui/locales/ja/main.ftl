## Karte — 日本語のメッセージ。en/main.ftl と同じ ID をすべて持つこと（テストで確認）。

loading = 読み込み中…
save = 保存
cancel = キャンセル
dismiss = 閉じる
unreachable-title = Karte に接続できません

## ナビゲーション
nav-patients = 利用者一覧
nav-settings = 設定
nav-lock = ロック

## 初回起動
first-run-title = Karte へようこそ
first-run-lead = この端末の記録を暗号化して保管する金庫を作ります。合言葉は忘れないようにしてください。
first-run-create = 金庫を作成
strength-too-short = 短すぎます（8文字以上）
strength-weak = 弱い：もっと長くしてください
strength-fair = ふつう：長くするとさらに安全です
strength-strong = 強い

## 登録
enrol-title = ハブに登録
enrol-lead = 地域のハブに登録すると、同じ事業所の記録と同期できます。あとから設定で登録することもできます。
enrol-submit = 登録する
enrol-running = 登録中…
enrol-skip = オフラインで続ける
enrol-device-placeholder = 例：訪問用タブレット3

## ロック解除
unlock-title = ロック解除
unlock-as = { $user } としてロック解除します
unlock-submit = ロック解除
unlock-running = 確認中…
unlock-locked-by-user = ロックしました。
unlock-locked-idle = 一定時間操作がなかったため、自動でロックしました。
unlock-locked-by-core = 安全のためロックされました。もう一度ロック解除してください。

## 利用者一覧
patients-search = 名前・かなで検索
patients-add = 利用者を追加
patients-today = 本日の訪問
patients-today-none = 本日の訪問記録はまだありません。
patients-all = 利用者（{ $count }人）
patients-none = 利用者が登録されていません。
patients-no-match = 該当する利用者がいません。
patients-more = ほか { $count }人。名前やかなで検索して絞り込んでください。
patient-age = { $age }歳
patient-reviews = 要確認 { $count }件
order-badge-missing = 指示書なし
order-badge-expires-today = 指示書 本日まで
order-badge-expired = 指示書 期限切れ
order-badge-expiring = 指示書 あと{ $days }日
order-badge-special-over = 特別指示 上限超過
order-badge-special-alone = 特別指示のみ
order-badge-too-long = 指示期間 超過
order-badge-outside = 期間外訪問 { $count }件
order-badge-more = {" "}ほか{ $count }件
patient-add-title = 利用者を追加
patient-edit-title = 基本情報を編集

## カルテ
chart-record-visit = 訪問を記録
chart-edit-patient = 基本情報を編集
chart-add-allergy = アレルギーを追加
chart-no-known-allergies = アレルギーなしを記録
chart-trends = バイタルの推移
chart-problems = 病名・問題
chart-medications = 服薬
chart-visits = 訪問記録
chart-no-visits = 訪問記録はまだありません。
chart-older-visits = 以前の訪問記録を表示（残り { $count } 件）
chart-none-recorded = 記録なし
chart-since = { $date } から
chart-add-problem = 病名を追加
chart-add-medication = 薬を追加
entry-voided = 取消済み
allergy-banner-title = アレルギー
allergy-high = 重篤
allergy-none-known = アレルギー：なし（確認済み）
allergy-none-active = アレルギー：現在有効なものはありません
allergy-not-recorded = アレルギー：未確認 — 必ず確認してください
allergy-add-title = アレルギーを追加
condition-add-title = 病名を追加
medication-add-title = 薬を追加
medication-frequency-placeholder = 例：1日2回 朝夕食後
trend-temperature = 体温
trend-bp = 血圧
trend-pulse = 脈拍
trend-spo2 = SpO2
trend-no-data = まだ値がありません
trend-latest = 最新 { $value }
abbr-temp = 体温
abbr-bp = 血圧
abbr-pulse = 脈拍
abbr-resp = 呼吸
abbr-pain = 痛み
soap-s = S（主観）
soap-o = O（客観）
soap-a = A（評価）
soap-p = P（計画）

## 確認が必要な項目
review-title = 確認が必要な項目
review-concurrent = 「{ $field }」が別々の端末で同時に変更されました。残す値を選んでください。
review-clinical = 臨床的な確認が必要です：{ $rule }
review-keep = この値を残す
review-unknown-author = 記録者不明
review-merge-label = 両方の内容をまとめて書き直す
review-merge-save = この内容で記録
review-merge-empty = まとめた内容を入力してください。

## 訪問の記録
visit-title = 訪問を記録
visit-vitals = バイタルサイン
visit-soap = 記録（SOAP）
visit-save = 保存
visit-keep-draft = 下書きを残して戻る
visit-draft-restored = 保存していない下書きを復元しました。
visit-step-down = { $what }を下げる
visit-step-up = { $what }を上げる
visit-bp-systolic = 上（収縮期）
visit-bp-diastolic = 下（拡張期）

## 同期
sync-online = オンライン
sync-offline = オフライン
sync-not-enrolled = この端末だけで記録中
sync-trouble = 同期できていません
sync-pending = 未送信 { $count }件
sync-reviews = 要確認 { $count }件
sync-quarantined = 適用できないカルテ { $count }件（隔離中）
sync-quarantined-help = ハブから受信しましたが、この端末では適用できませんでした。最後の正常な内容は引き続き閲覧できます。ハブの管理者に通知済みです。
sync-last = 最終同期 { $time }
sync-never = まだ同期していません
sync-now = 今すぐ同期
sync-running = 同期中…

## 設定
settings-title = 設定
settings-language = 表示言語
settings-auto-lock = 自動ロック
settings-hub = ハブ
settings-org = 事業所
settings-enrolled-at = 登録日時
settings-not-enrolled = この端末はハブに登録されていません。
settings-device = この端末
settings-version = バージョン
settings-dates = 日付の書き方
settings-dates-western = 西暦（2026年12月7日）
settings-dates-era = 和暦（令和8年12月7日）
settings-night = 夜間モード
settings-night-lead = 暗い部屋で画面がまぶしくないよう、暗い色で表示します。
settings-night-off = 通常
settings-night-on = 夜間
unit-minutes = 分

## お知らせ
notice-saved = 保存しました。
notice-visit-saved = 訪問を記録しました。
notice-patient-added = 利用者を追加しました。
notice-patient-saved = 基本情報を保存しました。
notice-review-resolved = 選んだ値を記録しました。
notice-enrolled = ハブに登録しました。

## 項目名
field-user = ユーザー名
field-passphrase = 合言葉（パスフレーズ）
field-confirm = 合言葉（確認）
field-hub-url = ハブのアドレス
field-code = 登録コード
field-device-name = 端末名
field-family = 姓
field-given = 名
field-family-kana = 姓（かな）
field-given-kana = 名（かな）
field-birth = 生年月日
field-sex = 性別
field-care-level = 要介護度
field-address = 住所
field-phone = 電話番号
field-insurance = 被保険者番号
field-at = 訪問日時
field-temp = 体温
field-bp = 血圧（上/下）
field-pulse = 脈拍
field-resp = 呼吸数
field-spo2 = SpO2
field-jcs = 意識レベル（JCS）
field-pain = 痛み（NRS）
field-visit = 訪問記録
field-subjective = S：主観的情報
field-objective = O：客観的情報
field-assessment = A：アセスメント
field-plan = P：計画
field-substance = 原因物質
field-category = 分類
field-criticality = 重篤度
field-reaction = 症状
field-name = 名称
field-icd10 = ICD-10コード
field-onset = 発症日
field-note = メモ
field-dose = 用量
field-route = 投与経路
field-frequency = 用法
field-start = 開始日
field-end = 終了日
field-auto_lock_minutes = 操作がないときにロックするまでの時間

## 入力エラー（項目ごとの詳しいメッセージ、なければ共通のもの）
invalid-required = { $field }を入力してください。
invalid-malformed = { $field }の書き方が正しくありません。
invalid-malformed_date = { $field }は 1941-03-02 のように入力してください。
invalid-malformed_time = { $field }の日時が正しくありません。
invalid-out_of_range = { $field }が想定される範囲外です。入力ミスがないか確認してください。
invalid-inconsistent = { $field }の値が矛盾しています。
invalid-incomplete = { $field }が不完全です。
invalid-empty = バイタルサインか記録を少なくとも1つ入力してください。
invalid-not_kana = { $field }はカタカナかひらがなで入力してください（例：ヤマダ）。
invalid-in_future = { $field }が未来の日付になっています。
invalid-before_start = { $field }が開始日より前になっています。
invalid-unknown_code = { $field }の値が選択肢にありません。
invalid-too_short = 合言葉は8文字以上にしてください。
invalid-mismatch = 合言葉が一致しません。
invalid-temp-out_of_range = 体温は 30〜45 °C の範囲で入力してください（例：36.5）。
invalid-temp-malformed = 体温は数字で入力してください（例：36.5）。
invalid-bp-out_of_range = 血圧の値が範囲外です（上 40〜300、下 20〜200 mmHg）。
invalid-bp-malformed = 血圧は「上/下」の形で入力してください（例：132/84）。
invalid-bp-inconsistent = 上の血圧は下の血圧より高くなるはずです。順番を確認してください。
invalid-bp-incomplete = 血圧は上と下の両方を入力してください（例：132/84）。
invalid-pulse-out_of_range = 脈拍は 20〜250 回/分の範囲で入力してください。
invalid-resp-out_of_range = 呼吸数は 4〜80 回/分の範囲で入力してください。
invalid-spo2-out_of_range = SpO2 は 50〜100 % の範囲で入力してください。
invalid-pain-out_of_range = 痛みは 0〜10 で入力してください。
invalid-jcs-malformed = JCS は 0、I-1〜I-3、II-10〜II-30、III-100〜III-300 で入力してください（R・I・A を付けられます）。
invalid-icd10-malformed = ICD-10 コードは I10 や E11.9 のように入力してください。
invalid-hub-url-malformed = ハブのアドレスは http:// か https:// から入力してください。
invalid-auto_lock_minutes-out_of_range = 自動ロックは 1〜60 分の範囲で設定してください。
invalid-auto_lock_minutes-malformed = 自動ロックの時間は分単位の数字で入力してください。

## 問題（エラー）
problem-other = 処理できませんでした：{ $detail }
problem-locked = ロックされています。もう一度ロック解除してください。
problem-wrong_passphrase = 合言葉が違います。もう一度入力してください。
problem-unknown_user = そのユーザーはこの端末に登録されていません。
problem-user_needed = ユーザーを選んでください。
problem-already_exists = この端末にはすでに金庫があります。
problem-no_vault = 金庫がまだありません。
problem-invalid_input = 入力内容を確認してください。
problem-not_found = 見つかりませんでした。
problem-hub_unreachable = ハブに接続できません。電波の届く場所で、もう一度同期してください。記録はこの端末に保存されています。
problem-request_too_large = 小さく分けても、ハブが同期の要求を大きすぎるとして受け付けません。ハブの管理者に連絡してください。記録はこの端末に保存されています。
problem-rate_limited = ハブから、しばらく同期の間隔をあけるよう求められました。1分ほどしてから、もう一度同期してください。記録はこの端末に保存されています。
problem-feed_changed = ハブがバックアップから復元されました。もう一度同期してください。この端末の記録はハブに戻されます。
problem-hub_busy = ハブが混み合っています。少し待ってから、もう一度同期してください。記録はこの端末に保存されています。
problem-request_timeout = 通信が遅く、ハブが待ちきれませんでした。電波のよい場所で、もう一度同期してください。記録はこの端末に保存されています。
problem-not_enrolled = この端末はハブに登録されていません。
problem-already_enrolled = この端末はすでにハブに登録されています。
problem-enrolment_unknown = ハブが登録を受け付けませんでした。登録コードを確認してください。
problem-enrolment_used = ハブが登録を受け付けませんでした。登録コードを確認してください。
problem-enrolment_expired = ハブが登録を受け付けませんでした。登録コードを確認してください。
problem-bridge_unreachable = Karte の本体に接続できません。アプリを再起動してください。
problem-no_token = 「karte ui serve」が表示したアドレスを、#token= を含めて開いてください。
problem-unauthorized = アクセスが許可されていません。表示されたアドレスを開き直してください。
problem-device_revoked = この端末の登録は取り消されました。管理者に連絡してください。
problem-share_not_accepted = 共有先の事業所は、この事業所からのカルテの共有を受け付けていません。共有先の管理者に受け付けを依頼してください。ほかの記録は失われていません。
problem-device_locked = この端末は長い間ハブに接続されていないため、事業所の方針によりロックされています。管理者にロック解除コードを聞き、パスフレーズと一緒に下に入力してください。
problem-wrong_unlock_code = このロック解除コードはこの端末では使えないか、すでに使われています。管理者に確認してください。
field-unlock-code = ロック解除コード（管理者から）
problem-audit_chain_broken = ハブがこの端末の同期を受け付けませんでした。端末の監査ログが、ハブが保持している記録と続いていません（端末上で記録が削除または変更されています）。記録は失われておらず、送信もされていません。管理者に連絡してください。
problem-not_permitted = この操作はあなたの役割では行えません。看護師・医師・管理者に依頼してください。
problem-recovery_key_mismatch = ハブが示した組織の復旧鍵が登録コードと一致しません。何も保存していません。ハブの管理者に連絡してください。
problem-weak_key_derivation = この金庫の鍵の保護設定が弱すぎるため開けません。管理者に連絡してください。
problem-not_an_image = このファイルは保存できる写真ではありません（JPEG または PNG の画像が必要です）。何も保存していません。別のファイルを選ぶか、撮り直してください。
problem-photo_too_large = この写真は大きすぎて保存できません。何も保存していません。解像度を下げて撮り直してください。
problem-photo_not_here = この写真は別の端末で撮影され、この端末にはまだありません。写真は当面、撮影した端末にだけ保存されます。

## 選択肢
sex-male = 男性
sex-female = 女性
sex-other = その他
sex-unknown = 不明
care-none = なし・未申請
care-support-1 = 要支援1
care-support-2 = 要支援2
care-care-1 = 要介護1
care-care-2 = 要介護2
care-care-3 = 要介護3
care-care-4 = 要介護4
care-care-5 = 要介護5
category-food = 食物
category-medication = 薬剤
category-environment = 環境
category-biologic = 生物製剤
criticality-low = 低
criticality-high = 高
criticality-unable-to-assess = 評価不能
status-active = 有効
status-inactive = 非活動
status-resolved = 解決
route-oral = 経口
route-topical = 外用
route-subcutaneous = 皮下注射
route-intravenous = 静脈注射
route-inhalation = 吸入
route-rectal = 直腸
route-other = その他
role-nurse = 看護師
role-doctor = 医師
role-clerk = 事務
role-admin = 管理者

## 取消（入力誤り）
void-open = 入力誤りとして取消
void-reason = 取消の理由
void-reason-needed = 取消の理由を入力してください（例：別の利用者の記録）。
void-confirm = 取消する

# Visit mode and today's route
nav-visit-mode = 訪問モード
visit-mode-title = 訪問モード
visit-mode-empty = 今日のルートはまだありません。利用者のカルテで「今日のルートに追加」を押すと、ここに順に並びます。
visit-mode-next = 次の訪問
visit-mode-done = 今日のルートの訪問はすべて記録しました。
visit-mode-route = 今日のルート
visit-mode-record = 訪問を記録
visit-mode-open-chart = カルテを開く
visit-mode-last-vitals = 前回（{ $time }）：{ $vitals }
visit-mode-no-vitals = 前回のバイタルの記録はありません。
route-visited = 訪問済み
route-earlier = 前へ
route-later = 後へ
route-remove = ルートから外す
route-add = 今日のルートに追加
route-added = 今日のルートに入っています

## 写真
photos-title = 写真
photos-wound = 部位
photos-design-r = DESIGN-R 評価
photos-no-design-r = なし
photos-take = 撮影する
photos-choose = ファイルを選ぶ
photos-saving = 写真を保存しています…
photos-none = 写真はまだありません。
photos-no-wound = 部位なし
photos-private = 位置情報や撮影機器の情報は削除し、写真はこの端末に暗号化して保存します（まだ同期されません）。
