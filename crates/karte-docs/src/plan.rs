//! 訪問看護計画書: the care plan sent to the physician, laid out like the
//! standard form (別紙様式1): the patient, the goals, each problem with its
//! solution and evaluation, the materials needed, notes, and the station's
//! closing words to the physician.

use std::io::Write;

use time::Date;

use crate::layout::{Cell, Flow, write_pdf};
use crate::report::{closing, patient_rows};
use crate::wareki::wareki_date;
use crate::{DocsError, DocumentFont, PatientHeader, Physician, Station};

#[derive(Debug, Clone, PartialEq)]
pub struct CarePlan {
    pub patient: PatientHeader,
    /// 作成日.
    pub made: Date,
    /// 見直し日, once the plan has been reviewed.
    pub reviewed: Option<Date>,
    /// 看護・リハビリテーションの目標.
    pub goals: String,
    /// 問題点・解決策 and their evaluation, in the order they were raised.
    pub problems: Vec<PlanProblem>,
    /// 衛生材料等が必要な処置の有無 and what they are.
    pub materials: String,
    /// 備考.
    pub notes: String,
    pub station: Station,
    pub physician: Physician,
}

/// One row of the plan's table: when a problem was raised, the problem and
/// how it is to be solved, and how that went.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanProblem {
    pub date: Date,
    pub problem: String,
    pub solution: String,
    pub evaluation: String,
}

/// Writes the plan as an A4 PDF to `out`, and nowhere else.
pub fn render_plan(
    plan: &CarePlan,
    font: &DocumentFont,
    out: &mut dyn Write,
) -> Result<(), DocsError> {
    let mut flow = Flow::new(font, format!("訪問看護計画書　{} 様", plan.patient.name));
    let dates = match plan.reviewed {
        Some(reviewed) => format!(
            "作成日　{}　見直し日　{}",
            wareki_date(plan.made),
            wareki_date(reviewed)
        ),
        None => format!("作成日　{}", wareki_date(plan.made)),
    };
    flow.title("訪問看護計画書", &dates);
    patient_rows(&mut flow, &plan.patient, plan.made);
    flow.section("看護・リハビリテーションの目標", &plan.goals, 4);
    for problem in &plan.problems {
        let text = format!(
            "【問題点】{}\n【解決策】{}",
            problem.problem, problem.solution
        );
        flow.row(&[
            Cell {
                label: "年月日",
                value: &wareki_date(problem.date),
                share: 1.2,
            },
            Cell {
                label: "問題点・解決策",
                value: &text,
                share: 4.0,
            },
            Cell {
                label: "評価",
                value: &problem.evaluation,
                share: 2.0,
            },
        ]);
    }
    if plan.problems.is_empty() {
        flow.section("問題点・解決策", "", 4);
    }
    flow.section("衛生材料等が必要な処置", &plan.materials, 2);
    flow.section("備考", &plan.notes, 2);
    closing(
        &mut flow,
        "上記の訪問看護計画書に基づき指定訪問看護を実施いたします。",
        plan.reviewed.unwrap_or(plan.made),
        &plan.station,
        &plan.physician,
    );
    write_pdf(&flow.finish(), font, out)
}
