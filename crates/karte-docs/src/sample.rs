//! Made-up documents of a made-up patient, for the example binary, the
//! benchmark and the tests: one month of visits with every calendar mark,
//! and text in Japanese with Latin letters and figures mixed in.

use time::Month;
use time::macros::{date, time};

use crate::{
    CarePlan, DisasterDailyReport, DisasterItemCount, DisasterTeamCounts, Discipline, IntakeRecord,
    MonthVisit, MonthlyReport, PatientHeader, Physician, PlanProblem, Station, VisitRecord, Vitals,
};

pub fn patient() -> PatientHeader {
    PatientHeader {
        name: "山田 花子".to_owned(),
        birth: date!(1938 - 04 - 12),
        address: "東京都世田谷区桜丘三丁目12番5号 グリーンハイツ201".to_owned(),
        care_level: "要介護3".to_owned(),
    }
}

pub fn station() -> Station {
    Station {
        name: "さくら訪問看護ステーション".to_owned(),
        manager: "佐藤 恵子".to_owned(),
        address: "東京都世田谷区経堂一丁目2番3号".to_owned(),
        phone: "03-1234-5678".to_owned(),
    }
}

pub fn physician() -> Physician {
    Physician {
        name: "鈴木 一郎".to_owned(),
        institution: "鈴木内科クリニック".to_owned(),
    }
}

/// November 2026 with `count` visits (at most 60): one a day from the 2nd,
/// a second visit on the 10th, a therapist on the 12th, visits under a
/// special order from the 16th to the 20th, a long visit on the 25th.
pub fn visits(count: usize) -> Vec<MonthVisit> {
    let mut visits = Vec::new();
    let mut day = 2u8;
    while visits.len() < count {
        let date = time::Date::from_calendar_date(2026, Month::November, day.min(30))
            .expect("November has 30 days");
        visits.push(MonthVisit {
            date,
            discipline: if day == 12 {
                Discipline::Therapist
            } else {
                Discipline::Nurse
            },
            special_order: (16..=20).contains(&day),
            long: day == 25,
        });
        if day == 10 && visits.iter().filter(|visit| visit.date.day() == 10).count() < 2 {
            continue;
        }
        day += 1;
        if day > 30 {
            day = 2;
        }
    }
    visits
}

pub fn report(visit_count: usize) -> MonthlyReport {
    MonthlyReport {
        patient: patient(),
        year: 2026,
        month: Month::November,
        visits: visits(visit_count),
        course: "慢性心不全、2型糖尿病。11月上旬は下肢浮腫が増強し体重が2.1kg増加したため、主治医の指示により利尿剤を増量した。16日より特別訪問看護指示書に基づき連日訪問し、浮腫は軽減、体重は元に戻った。仙骨部の褥瘡はDESIGN-R2020 d2-e1s3i0g1n0p0:5から改善傾向。".to_owned(),
        adl: "Barthel Index 55点。寝たきり度A2、認知症高齢者の日常生活自立度Ⅱa。食事は自立、移乗と入浴は一部介助、歩行器で屋内歩行可能。".to_owned(),
        care_given: "バイタルサイン測定、体重・浮腫の観察、服薬管理（お薬カレンダーの確認）、仙骨部褥瘡の洗浄と被覆材交換、下肢の筋力訓練と歩行練習（理学療法士）、家族への食事・塩分制限の指導。".to_owned(),
        home_care: "長女（同居、日中就労）が主介護者。朝夕の食事と服薬を見守っている。介護負担感の訴えあり、短期入所の利用をケアマネジャーと相談中。".to_owned(),
        materials: "ハイドロコロイド被覆材 10×10cm 週3枚、生理食塩水 500mL 週2本、ガーゼ 1箱。".to_owned(),
        materials_change: "褥瘡の縮小に伴い被覆材を7.5×7.5cmへ変更を希望します。".to_owned(),
        information: "居宅介護支援事業所（ケアマネジャー 田中）へ11月20日に情報提供 1回。".to_owned(),
        notes: "12月より通所リハビリテーション開始予定。急変時は訪問看護ステーションの24時間連絡体制で対応。".to_owned(),
        written: date!(2026 - 12 - 01),
        station: station(),
        physician: physician(),
    }
}

pub fn plan() -> CarePlan {
    CarePlan {
        patient: patient(),
        made: date!(2026 - 10 - 01),
        reviewed: Some(date!(2026 - 11 - 30)),
        goals: "心不全の増悪を防ぎ、住み慣れた自宅での生活を継続できる。褥瘡が治癒し、歩行器で屋内を安全に移動できる。".to_owned(),
        problems: vec![
            PlanProblem {
                date: date!(2026 - 10 - 01),
                problem: "#1 心不全増悪のリスク（浮腫、体重増加）".to_owned(),
                solution: "毎回の体重・浮腫・呼吸状態の観察。2kg以上の増加で主治医へ報告。塩分制限の指導。".to_owned(),
                evaluation: "11月上旬に体重増加あり、利尿剤増量で改善。継続。".to_owned(),
            },
            PlanProblem {
                date: date!(2026 - 10 - 01),
                problem: "#2 仙骨部褥瘡（DESIGN-R2020 d2）".to_owned(),
                solution: "洗浄と被覆材交換、体位変換とエアマットレスの使用を家族と確認。".to_owned(),
                evaluation: "縮小傾向。被覆材のサイズ変更を検討。".to_owned(),
            },
        ],
        materials: "有：褥瘡処置（ハイドロコロイド被覆材 10×10cm、生理食塩水）".to_owned(),
        notes: "主介護者の長女は日中不在。連絡は携帯電話 090-0000-0000 へ。".to_owned(),
        station: station(),
        physician: physician(),
    }
}

pub fn record() -> VisitRecord {
    VisitRecord {
        patient: patient(),
        date: date!(2026 - 11 - 17),
        start: time!(10:00),
        end: Some(time!(11:15)),
        staff: "高橋 美咲".to_owned(),
        profession: "看護師".to_owned(),
        vitals: Vitals {
            temperature: Some(36.6),
            pulse: Some(84),
            blood_pressure: Some((134, 78)),
            respiration: Some(18),
            spo2: Some(95),
        },
        subjective: "「足のむくみが少し楽になった」".to_owned(),
        objective: "両下腿浮腫（+）、前日比体重-0.6kg。仙骨部褥瘡 2.0×1.5cm、滲出液少量。".to_owned(),
        assessment: "利尿剤増量の効果あり。褥瘡は改善傾向。".to_owned(),
        plan: "特別指示期間中は連日訪問し体重と浮腫を観察。".to_owned(),
        care_given: "バイタルサイン測定、体重測定、褥瘡の洗浄と被覆材交換、服薬確認、長女へ塩分制限の再指導。".to_owned(),
        station: station(),
    }
}

pub fn intake() -> IntakeRecord {
    IntakeRecord {
        patient: patient(),
        kana: "ヤマダ ハナコ".to_owned(),
        sex: "女性".to_owned(),
        phone: "03-9876-5432".to_owned(),
        insurance_number: "12345678".to_owned(),
        contacts: "長女 山田 恵（携帯 090-0000-0000）".to_owned(),
        physician: physician(),
        physician_contact: "東京都世田谷区経堂二丁目4番1号　03-2222-3333".to_owned(),
        order: "訪問看護指示書　令和8年10月1日〜令和9年3月31日".to_owned(),
        diagnoses: "慢性心不全（I50.9）\n2型糖尿病（E11.9）".to_owned(),
        allergies: "ペニシリン（薬剤、重篤度 高）：発疹".to_owned(),
        medications: "フロセミド 20mg 経口 1日1回 朝食後".to_owned(),
        adl: "寝たきり度 A2（令和8年10月1日）\nBarthel Index 55（令和8年10月1日）".to_owned(),
        written: date!(2026 - 10 - 01),
        station: station(),
    }
}

/// A day at a shelter: two teams, one with a consultation whose sex was
/// not stated.
pub fn disaster_report() -> DisasterDailyReport {
    let item = |group: &str, number: u8, label: &str, count: u32| DisasterItemCount {
        group: group.to_owned(),
        number,
        label: label.to_owned(),
        count,
    };
    DisasterDailyReport {
        date: date!(2026 - 12 - 07),
        site: "益城町総合体育館".to_owned(),
        age_groups: ["1歳未満", "1〜4歳", "5〜64歳", "65歳以上"].map(str::to_owned),
        teams: vec![
            DisasterTeamCounts {
                team: "DMAT 熊本1".to_owned(),
                consultations: 3,
                male: [0, 0, 1, 1],
                female: [0, 0, 1, 0],
                pregnant: [0, 0, 1, 0],
                sex_not_stated: [0, 0, 0, 0],
                items: vec![
                    item("傷病名・症候群", 5, "外傷（軽症）", 1),
                    item("傷病名・症候群", 16, "発熱", 2),
                    item("対応・転帰", 44, "治療継続・要再診", 1),
                ],
            },
            DisasterTeamCounts {
                team: "JMAT 福岡".to_owned(),
                consultations: 17,
                male: [0, 1, 6, 2],
                female: [1, 0, 4, 2],
                pregnant: [0, 0, 0, 0],
                sex_not_stated: [0, 0, 1, 0],
                items: vec![item("傷病名・症候群", 19, "下痢", 17)],
            },
        ],
    }
}
