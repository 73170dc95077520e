//! 診療日報: disaster mode's daily report of one site and day, per team,
//! as the J-SPEED 2018 form counts it: the consultations, their patients by
//! sex and age group, and each item ticked with its count. Printed for the
//! headquarters' meeting and the paper file of the site.

use std::io::Write;

use time::Date;

use crate::layout::{BODY_SIZE, CONTENT_WIDTH, Cell, Flow, MARGIN, write_pdf};
use crate::wareki::wareki_date;
use crate::{DocsError, DocumentFont};

/// The report as the caller counted it; the words of the age groups and of
/// the items come with it, so this crate knows nothing of J-SPEED's list.
#[derive(Debug, Clone, PartialEq)]
pub struct DisasterDailyReport {
    pub date: Date,
    pub site: String,
    /// The four age groups' names (such as 1歳未満), the columns of each
    /// team's table.
    pub age_groups: [String; 4],
    /// By team name.
    pub teams: Vec<DisasterTeamCounts>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DisasterTeamCounts {
    pub team: String,
    pub consultations: u32,
    /// Per age group, in the order of `age_groups`.
    pub male: [u32; 4],
    pub female: [u32; 4],
    /// Pregnant women, also counted in `female`.
    pub pregnant: [u32; 4],
    pub sex_not_stated: [u32; 4],
    /// The items ticked, in the list's order.
    pub items: Vec<DisasterItemCount>,
}

/// One item of the list and how many consultations ticked it.
#[derive(Debug, Clone, PartialEq)]
pub struct DisasterItemCount {
    /// The item's group (such as 症候群), printed once before its items.
    pub group: String,
    pub number: u8,
    pub label: String,
    pub count: u32,
}

/// Writes the daily report as an A4 PDF to `out`, and nowhere else.
pub fn render_disaster_report(
    report: &DisasterDailyReport,
    font: &DocumentFont,
    out: &mut dyn Write,
) -> Result<(), DocsError> {
    let mut flow = Flow::new(font, format!("診療日報　{}", report.site));
    flow.title(
        "診療日報（J-SPEED 2018）",
        &format!("報告日　{}", wareki_date(report.date)),
    );
    let total: u32 = report.teams.iter().map(|t| t.consultations).sum();
    flow.row(&[
        Cell {
            label: "活動場所",
            value: &report.site,
            share: 4.0,
        },
        Cell {
            label: "チーム数",
            value: &report.teams.len().to_string(),
            share: 1.0,
        },
        Cell {
            label: "診療件数（合計）",
            value: &total.to_string(),
            share: 1.5,
        },
    ]);
    if report.teams.is_empty() {
        flow.section("診療", "この日の診療はありません。", 1);
    }
    for team in &report.teams {
        flow.space(8.0);
        team_counts(&mut flow, report, team);
    }
    write_pdf(&flow.finish(), font, out)
}

/// One team: its name and count, its patients by sex and age group, and
/// the items ticked.
fn team_counts(flow: &mut Flow<'_>, report: &DisasterDailyReport, team: &DisasterTeamCounts) {
    flow.row(&[
        Cell {
            label: "チーム",
            value: &team.team,
            share: 4.0,
        },
        Cell {
            label: "診療件数",
            value: &team.consultations.to_string(),
            share: 2.5,
        },
    ]);
    let mut rows = vec![
        ("男性", team.male),
        ("女性", team.female),
        ("うち妊婦", team.pregnant),
    ];
    if team.sex_not_stated.iter().any(|n| *n > 0) {
        rows.push(("性別不明", team.sex_not_stated));
    }
    let mut header = vec!["性別＼年齢"];
    header.extend(report.age_groups.iter().map(String::as_str));
    header.push("計");
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|(sex, counts)| {
            let mut row = vec![(*sex).to_owned()];
            row.extend(counts.iter().map(u32::to_string));
            row.push(counts.iter().sum::<u32>().to_string());
            row
        })
        .collect();
    table(flow, &header, &body);
    let mut lines = Vec::new();
    let mut group: Option<&str> = None;
    for item in &team.items {
        if group != Some(&item.group) {
            group = Some(&item.group);
            lines.push(format!("【{}】", item.group));
        }
        lines.push(format!(
            "{:>2}　{}　{}件",
            item.number, item.label, item.count
        ));
    }
    if lines.is_empty() {
        lines.push("該当なし".to_owned());
    }
    flow.section("該当項目", &lines.join("\n"), 1);
}

/// A table of the counts: a header row, then one row per sex; the first
/// column wider, the numbers right-aligned in theirs. Kept on one page.
fn table(flow: &mut Flow<'_>, header: &[&str], body: &[Vec<String>]) {
    const ROW: f32 = 18.0;
    const FIRST_SHARE: f32 = 1.6;
    let unit = CONTENT_WIDTH / (FIRST_SHARE + (header.len() - 1) as f32);
    let width = |column: usize| {
        if column == 0 {
            FIRST_SHARE * unit
        } else {
            unit
        }
    };
    let top = flow.reserve(ROW * (body.len() + 1) as f32);
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    for (index, row) in std::iter::once(&header).chain(body).enumerate() {
        let y = top + index as f32 * ROW;
        let mut x = MARGIN;
        for (column, text) in row.iter().enumerate() {
            let w = width(column);
            flow.frame(x, y, w, ROW);
            let text_x = if column == 0 || index == 0 {
                x + 4.0
            } else {
                x + w - 4.0 - flow.text_width(text, BODY_SIZE)
            };
            flow.text(text_x, y + ROW - 5.0, BODY_SIZE, text);
            x += w;
        }
    }
    flow.space(4.0);
}
