//! A vital sign over time as a small SVG line chart: one line per series
//! (two for blood pressure), a dot per visit, the y range labelled. Drawn
//! here from the geometry in `trend`, without a chart library.

use std::rc::Rc;

use karte_types::{ChartView, Timestamp};
use yew::prelude::*;

use crate::display;
use crate::i18n::Tr;
use crate::trend::{Frame, Trend, points_attribute, x_span};

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

#[component]
pub fn TrendChart(props: &TrendChartProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let trend = props.trend;
    let series = trend.series(&props.chart.visits);
    let title = format!("{} ({})", tr.t_args(trend.title_id(), &[]), trend.unit());
    let testid = format!("trend-{}", trend.key());
    let Some(span) = x_span(&series) else {
        return html! {
            <figure class="trend empty" data-testid={testid}>
                <figcaption>{ title }</figcaption>
                <p class="muted">{ tr.t("trend-no-data") }</p>
            </figure>
        };
    };
    let frame = Frame::DEFAULT;
    let range = trend.y_range(&series);
    let label = |value: f64| {
        if trend == Trend::Temperature {
            format!("{value:.1}")
        } else {
            format!("{value:.0}")
        }
    };
    let view_box = format!("0 0 {} {}", frame.width, frame.height);
    html! {
        <figure class="trend" data-testid={testid.clone()}>
            <figcaption>{ title.clone() }</figcaption>
            <svg viewBox={view_box} role="img" aria-label={title}>
                { for [range.0, range.1].into_iter().map(|v| {
                    let y = frame.y_of(v, range);
                    html! {
                        <>
                            <line class="grid" x1={frame.left.to_string()} x2={(frame.width - frame.right).to_string()}
                                y1={y.to_string()} y2={y.to_string()} />
                            <text class="axis" x={(frame.left - 4.0).to_string()} y={(y + 4.0).to_string()}
                                text-anchor="end">{ label(v) }</text>
                        </>
                    }
                }) }
                // The first and last visit's dates under the time axis.
                { for [(span.0, frame.left, "start"), (span.1, frame.width - frame.right, "end")]
                    .into_iter()
                    .take(if span.0 == span.1 { 1 } else { 2 })
                    .map(|(at, x, anchor)| html! {
                        <text class="axis" x={x.to_string()} y={(frame.height - 6.0).to_string()}
                            text-anchor={if span.0 == span.1 { "start" } else { anchor }}>
                            { display::time(Timestamp(at))[5..10].replace('-', "/") }
                        </text>
                    }) }
                { for series.iter().map(|s| {
                    let placed = frame.place(&s.points, span, range);
                    html! {
                        <g class={classes!("series", s.key)}>
                            <polyline data-testid={format!("{testid}-{}", s.key)}
                                points={points_attribute(&placed)} fill="none" />
                            { for placed.iter().zip(&s.points).map(|((x, y), p)| html! {
                                <circle cx={x.to_string()} cy={y.to_string()} r="3.5">
                                    <title>{ label(p.value) }</title>
                                </circle>
                            }) }
                        </g>
                    }
                }) }
            </svg>
        </figure>
    }
}
