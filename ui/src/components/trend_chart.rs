//! A vital sign over time as a small SVG line chart: one line per series
//! (two for blood pressure), a dot per visit, the y range labelled and the
//! newest value in the caption. Drawn here from the geometry in `trend`,
//! without a chart library.
//!
//! A chart of hundreds of visits stays a handful of SVG elements: each line
//! is one polyline and its dots one path, and the geometry is computed once
//! per chart loaded, not on every render.

use std::rc::Rc;

use karte_types::ChartView;
use yew::prelude::*;

use crate::i18n::Tr;
use crate::trend::{Frame, Trend, axis_dates};

#[derive(Properties, Clone)]
pub struct TrendChartProps {
    pub trend: Trend,
    pub chart: Rc<ChartView>,
}

impl PartialEq for TrendChartProps {
    fn eq(&self, other: &Self) -> bool {
        self.trend == other.trend && Rc::ptr_eq(&self.chart, &other.chart)
    }
}

/// A loaded chart compared by identity: every load makes a new one, and
/// comparing hundreds of visits by value would cost what the memo saves.
#[derive(Clone)]
struct SameChart(Rc<ChartView>);

impl PartialEq for SameChart {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

#[component]
pub fn TrendChart(props: &TrendChartProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let trend = props.trend;
    let frame = Frame::DEFAULT;
    let drawing = use_memo(
        (trend, SameChart(props.chart.clone())),
        move |(trend, chart)| trend.drawing(&chart.0.visits, frame),
    );
    let title = format!("{} ({})", tr.t_args(trend.title_id(), &[]), trend.unit());
    let testid = format!("trend-{}", trend.key());
    let Some(drawing) = drawing.as_ref() else {
        return html! {
            <figure class="trend empty" data-testid={testid}>
                <figcaption>{ title }</figcaption>
                <p class="muted">{ tr.t("trend-no-data") }</p>
            </figure>
        };
    };
    let (span, range) = (drawing.span, drawing.range);
    let (first_date, last_date) = axis_dates(span);
    let latest = tr.t_args("trend-latest", &[("value", drawing.latest.clone())]);
    let view_box = format!("0 0 {} {}", frame.width, frame.height);
    html! {
        <figure class="trend" data-testid={testid.clone()}>
            <figcaption>
                { title.clone() }
                <span class="latest" data-testid={format!("{testid}-latest")}>{ latest.clone() }</span>
            </figcaption>
            <svg viewBox={view_box} role="img" aria-label={format!("{title} {latest}")}>
                { for [range.0, range.1].into_iter().map(|v| {
                    let y = frame.y_of(v, range);
                    html! {
                        <>
                            <line class="grid" x1={frame.left.to_string()} x2={(frame.width - frame.right).to_string()}
                                y1={y.to_string()} y2={y.to_string()} />
                            <text class="axis" x={(frame.left - 4.0).to_string()} y={(y + 4.0).to_string()}
                                text-anchor="end">{ trend.label(v) }</text>
                        </>
                    }
                }) }
                // The first and last visit's dates under the time axis.
                { for [(first_date, frame.left, "start"), (last_date, frame.width - frame.right, "end")]
                    .into_iter()
                    .take(if span.0 == span.1 { 1 } else { 2 })
                    .map(|(date, x, anchor)| html! {
                        <text class="axis" x={x.to_string()} y={(frame.height - 6.0).to_string()}
                            text-anchor={if span.0 == span.1 { "start" } else { anchor }}>
                            { date }
                        </text>
                    }) }
                { for drawing.lines.iter().map(|line| html! {
                    <g class={classes!("series", line.key, line.dense.then_some("dense"))}>
                        <polyline data-testid={format!("{testid}-{}", line.key)}
                            points={line.points.clone()} fill="none" />
                        // A white ring under each dot sets it off from the
                        // line, where the dots are far enough apart to show it.
                        if !line.dense {
                            <path class="halo" d={line.markers.clone()} fill="none" />
                        }
                        <path class="markers" d={line.markers.clone()} fill="none" />
                    </g>
                }) }
            </svg>
        </figure>
    }
}
