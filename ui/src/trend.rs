//! Vital-sign trends: the series a chart draws, taken from a chart's visits,
//! and the geometry that puts them on an SVG. Plain functions, so the numbers
//! a nurse reads off a line are tested without a browser.

use std::fmt::Write as _;

use karte_types::{
    DIASTOLIC_RANGE, PULSE_RANGE, SPO2_RANGE, SYSTOLIC_RANGE, TEMPERATURE_RANGE, Timestamp, Visit,
    VitalSigns,
};

/// One measured value at one time (milliseconds since the epoch).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub at: i64,
    pub value: f64,
}

/// One line of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Stable name for test ids and CSS, e.g. `systolic`.
    pub key: &'static str,
    pub points: Vec<Point>,
}

/// Which chart: each has its own unit and normal band.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trend {
    Temperature,
    BloodPressure,
    Pulse,
    Spo2,
}

impl Trend {
    pub const ALL: [Trend; 4] = [
        Trend::Temperature,
        Trend::BloodPressure,
        Trend::Pulse,
        Trend::Spo2,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Trend::Temperature => "temperature",
            Trend::BloodPressure => "bp",
            Trend::Pulse => "pulse",
            Trend::Spo2 => "spo2",
        }
    }

    /// The message id of the chart's title.
    pub fn title_id(self) -> &'static str {
        match self {
            Trend::Temperature => "trend-temperature",
            Trend::BloodPressure => "trend-bp",
            Trend::Pulse => "trend-pulse",
            Trend::Spo2 => "trend-spo2",
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            Trend::Temperature => "°C",
            Trend::BloodPressure => "mmHg",
            Trend::Pulse => "/min",
            Trend::Spo2 => "%",
        }
    }

    /// The smallest y range shown, so a flat line does not fill the chart
    /// and look alarming; widened to fit any value outside it.
    fn usual_range(self) -> (f64, f64) {
        match self {
            Trend::Temperature => (35.0, 39.0),
            Trend::BloodPressure => (60.0, 160.0),
            Trend::Pulse => (50.0, 110.0),
            Trend::Spo2 => (88.0, 100.0),
        }
    }

    /// The widest y range: the plausible range the core enforces.
    fn plausible_range(self) -> (f64, f64) {
        match self {
            Trend::Temperature => TEMPERATURE_RANGE,
            Trend::BloodPressure => (DIASTOLIC_RANGE.0 as f64, SYSTOLIC_RANGE.1 as f64),
            Trend::Pulse => (PULSE_RANGE.0 as f64, PULSE_RANGE.1 as f64),
            Trend::Spo2 => (SPO2_RANGE.0 as f64, SPO2_RANGE.1 as f64),
        }
    }

    fn values(self, vitals: &VitalSigns) -> Vec<(&'static str, Option<f64>)> {
        match self {
            Trend::Temperature => vec![("temperature", vitals.temperature_c)],
            Trend::BloodPressure => vec![
                ("systolic", vitals.systolic.map(f64::from)),
                ("diastolic", vitals.diastolic.map(f64::from)),
            ],
            Trend::Pulse => vec![("pulse", vitals.pulse.map(f64::from))],
            Trend::Spo2 => vec![("spo2", vitals.spo2.map(f64::from))],
        }
    }

    /// The chart's lines, oldest point first, leaving out visits entered in
    /// error and visits where the value was not measured.
    pub fn series(self, visits: &[Visit]) -> Vec<Series> {
        let mut live: Vec<&Visit> = visits
            .iter()
            .filter(|v| v.meta.entered_in_error.is_none())
            .collect();
        live.sort_by_key(|v| v.input.at);
        let keys = self.values(&VitalSigns::default());
        keys.iter()
            .enumerate()
            .map(|(i, (key, _))| Series {
                key,
                points: live
                    .iter()
                    .filter_map(|v| {
                        self.values(&v.input.vitals)[i].1.map(|value| Point {
                            at: v.input.at.millis(),
                            value,
                        })
                    })
                    .collect(),
            })
            .collect()
    }

    /// A value as the chart labels it: temperatures to a tenth, the rest
    /// whole.
    pub fn label(self, value: f64) -> String {
        if self == Trend::Temperature {
            format!("{value:.1}")
        } else {
            format!("{value:.0}")
        }
    }

    /// Everything the chart draws for `visits` in `frame`, computed once per
    /// chart loaded rather than on every render; `None` when no visit has a
    /// value for it.
    pub fn drawing(self, visits: &[Visit], frame: Frame) -> Option<Drawing> {
        let series = self.series(visits);
        let span = x_span(&series)?;
        let range = self.y_range(&series);
        let latest = series
            .iter()
            .filter_map(|s| s.points.last().map(|p| self.label(p.value)))
            .collect::<Vec<_>>()
            .join("/");
        let lines = series
            .iter()
            .map(|s| {
                let placed = frame.place(&s.points, span, range);
                Line {
                    key: s.key,
                    points: points_attribute(&placed),
                    markers: markers_path(&placed),
                    dense: frame.crowded(placed.len()),
                }
            })
            .collect();
        Some(Drawing {
            span,
            range,
            latest,
            lines,
        })
    }

    /// The y range to draw: the usual range, widened to every value, but
    /// never beyond what is plausible.
    pub fn y_range(self, series: &[Series]) -> (f64, f64) {
        let (mut lo, mut hi) = self.usual_range();
        for p in series.iter().flat_map(|s| &s.points) {
            lo = lo.min(p.value);
            hi = hi.max(p.value);
        }
        let (min, max) = self.plausible_range();
        (lo.max(min), hi.min(max))
    }
}

/// One series as SVG attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub key: &'static str,
    /// The line's `points`.
    pub points: String,
    /// The `d` of the path that draws its markers.
    pub markers: String,
    /// Too many points for full-size dots: drawn that large they would
    /// merge into a band that hides the line's shape.
    pub dense: bool,
}

/// A chart ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawing {
    /// The first and last instant drawn.
    pub span: (i64, i64),
    pub range: (f64, f64),
    /// The newest value of each line, as labelled, e.g. `132/84`.
    pub latest: String,
    pub lines: Vec<Line>,
}

/// The drawing area of a chart, in SVG units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    pub width: f64,
    pub height: f64,
    /// Room left for the axis labels.
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

impl Frame {
    pub const DEFAULT: Frame = Frame {
        width: 320.0,
        height: 160.0,
        left: 40.0,
        top: 12.0,
        right: 12.0,
        bottom: 24.0,
    };

    /// Where each point lands. Time runs left to right over the span of all
    /// series; a single instant sits in the middle.
    pub fn place(
        &self,
        points: &[Point],
        x_span: (i64, i64),
        y_range: (f64, f64),
    ) -> Vec<(f64, f64)> {
        let inner_w = self.width - self.left - self.right;
        let inner_h = self.height - self.top - self.bottom;
        let (x0, x1) = x_span;
        let (y0, y1) = y_range;
        points
            .iter()
            .map(|p| {
                let x = if x1 > x0 {
                    self.left + inner_w * (p.at - x0) as f64 / (x1 - x0) as f64
                } else {
                    self.left + inner_w / 2.0
                };
                let fraction = if y1 > y0 {
                    (p.value.clamp(y0, y1) - y0) / (y1 - y0)
                } else {
                    0.5
                };
                let y = self.top + inner_h * (1.0 - fraction);
                (round1(x), round1(y))
            })
            .collect()
    }

    /// Whether `count` points spread over the width leave less room each
    /// than a full-size dot (with its ring) needs.
    pub fn crowded(&self, count: usize) -> bool {
        /// The width of a dot and its ring, in SVG units.
        const DOT: f64 = 10.0;
        let inner_w = self.width - self.left - self.right;
        count > 1 && inner_w / ((count - 1) as f64) < DOT
    }

    /// The y coordinate of a value, for grid lines and labels.
    pub fn y_of(&self, value: f64, y_range: (f64, f64)) -> f64 {
        let inner_h = self.height - self.top - self.bottom;
        let (y0, y1) = y_range;
        round1(self.top + inner_h * (1.0 - (value - y0) / (y1 - y0)))
    }
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// The earliest and latest instant of all series.
pub fn x_span(series: &[Series]) -> Option<(i64, i64)> {
    let mut times = series.iter().flat_map(|s| s.points.iter().map(|p| p.at));
    let first = times.next()?;
    Some(times.fold((first, first), |(lo, hi), t| (lo.min(t), hi.max(t))))
}

/// The dates under the time axis for `span`, in Japan time: month and day,
/// with the year too when the span crosses a new year, so a chart of two
/// winters does not read as a few weeks.
pub fn axis_dates(span: (i64, i64)) -> (String, String) {
    let date = |at: i64| Timestamp(at).date_jst().to_string().replace('-', "/");
    let (first, last) = (date(span.0), date(span.1));
    if first[..4] == last[..4] {
        (first[5..].to_owned(), last[5..].to_owned())
    } else {
        (first, last)
    }
}

/// An SVG `points` attribute.
pub fn points_attribute(placed: &[(f64, f64)]) -> String {
    let mut out = String::with_capacity(placed.len() * 12);
    for (i, (x, y)) in placed.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        // Writing into a String cannot fail.
        let _ = write!(out, "{x},{y}");
    }
    out
}

/// An SVG path `d` attribute that draws every point's marker as a dot: a
/// zero-length segment per point, which a round line cap turns into a disc
/// as wide as the stroke. One element for all the markers of a line, where
/// a circle each made hundreds of elements for a long chart.
pub fn markers_path(placed: &[(f64, f64)]) -> String {
    let mut out = String::with_capacity(placed.len() * 14);
    for (x, y) in placed {
        let _ = write!(out, "M{x} {y}h0");
    }
    out
}

#[cfg(test)]
mod tests {
    use karte_types::{Author, DeviceId, EntryId, EntryMeta, Soap, UserId, VisitInput, Voided};

    use super::*;

    fn visit(at: i64, vitals: VitalSigns) -> Visit {
        let author = Author {
            user: UserId::from("u"),
            user_name: "sato".into(),
            device: DeviceId::from("d"),
        };
        Visit {
            meta: EntryMeta {
                id: EntryId(format!("v{at}")),
                recorded_by: author,
                recorded_at: Timestamp(at),
                entered_in_error: None,
            },
            input: VisitInput {
                at: Timestamp(at),
                vitals,
                soap: Soap::default(),
                profession: None,
                long_visit: false,
            },
        }
    }

    fn temp(t: f64) -> VitalSigns {
        VitalSigns {
            temperature_c: Some(t),
            ..Default::default()
        }
    }

    #[test]
    fn series_run_oldest_first_and_skip_missing_and_voided_values() {
        let mut voided = visit(4_000, temp(39.5));
        voided.meta.entered_in_error = Some(Voided {
            by: voided.meta.recorded_by.clone(),
            at: Timestamp(5_000),
            reason: "wrong patient".into(),
        });
        // Newest first, as the chart lists them.
        let visits = vec![
            voided,
            visit(3_000, temp(37.2)),
            visit(2_000, VitalSigns::default()),
            visit(1_000, temp(36.5)),
        ];
        let series = Trend::Temperature.series(&visits);
        assert_eq!(series.len(), 1);
        let values: Vec<f64> = series[0].points.iter().map(|p| p.value).collect();
        assert_eq!(values, [36.5, 37.2]);
    }

    #[test]
    fn blood_pressure_draws_two_lines() {
        let bp = VitalSigns {
            systolic: Some(132),
            diastolic: Some(84),
            ..Default::default()
        };
        let series = Trend::BloodPressure.series(&[visit(1, bp)]);
        let keys: Vec<_> = series.iter().map(|s| s.key).collect();
        assert_eq!(keys, ["systolic", "diastolic"]);
        assert_eq!(series[1].points[0].value, 84.0);
    }

    #[test]
    fn points_fill_the_frame_from_left_to_right_and_bottom_to_top() {
        let frame = Frame::DEFAULT;
        let points = [
            Point { at: 0, value: 35.0 },
            Point {
                at: 10,
                value: 39.0,
            },
        ];
        let placed = frame.place(&points, (0, 10), (35.0, 39.0));
        assert_eq!(placed[0], (frame.left, frame.height - frame.bottom));
        assert_eq!(placed[1], (frame.width - frame.right, frame.top));
        assert_eq!(points_attribute(&placed), "40,136 308,12");
        assert_eq!(points_attribute(&[]), "");
        // One visit: a point in the middle, not a division by zero.
        let single = frame.place(&points[..1], (0, 0), (35.0, 39.0));
        assert_eq!(single[0].0, 174.0);
    }

    #[test]
    fn a_drawing_holds_every_line_and_the_newest_values() {
        let bp = |s, d| VitalSigns {
            systolic: Some(s),
            diastolic: Some(d),
            ..Default::default()
        };
        let visits = [visit(2_000, bp(128, 80)), visit(1_000, bp(132, 84))];
        let drawing = Trend::BloodPressure
            .drawing(&visits, Frame::DEFAULT)
            .unwrap();
        assert_eq!(drawing.latest, "128/80");
        assert_eq!(drawing.span, (1_000, 2_000));
        let keys: Vec<_> = drawing.lines.iter().map(|l| l.key).collect();
        assert_eq!(keys, ["systolic", "diastolic"]);
        for line in &drawing.lines {
            assert_eq!(line.points.split(' ').count(), 2);
            assert_eq!(line.markers.matches('M').count(), 2);
        }
        assert_eq!(
            Trend::Temperature
                .drawing(&[visit(1, temp(36.84))], Frame::DEFAULT)
                .unwrap()
                .latest,
            "36.8"
        );
        assert_eq!(Trend::Spo2.drawing(&visits, Frame::DEFAULT), None);
    }

    #[test]
    fn axis_dates_name_the_year_only_across_a_new_year() {
        // 2025-12-31 20:00 and 2026-01-01 08:00 UTC: both in 2026 in Japan.
        let (eve, morning) = (1_767_211_200_000, 1_767_254_400_000);
        assert_eq!(axis_dates((eve, morning)), ("01/01".into(), "01/01".into()));
        let a_year_earlier = eve - 365 * 86_400_000;
        assert_eq!(
            axis_dates((a_year_earlier, morning)),
            ("2025/01/01".into(), "2026/01/01".into())
        );
    }

    #[test]
    fn markers_are_one_dot_per_point_in_one_path() {
        let placed = [(40.0, 136.0), (174.5, 12.0)];
        assert_eq!(markers_path(&placed), "M40 136h0M174.5 12h0");
        assert_eq!(markers_path(&[]), "");
    }

    #[test]
    fn dots_shrink_only_when_they_would_touch() {
        let frame = Frame::DEFAULT;
        assert!(!frame.crowded(0) && !frame.crowded(1) && !frame.crowded(20));
        // 268 units wide: 27 points leave ten units apiece, 28 do not.
        assert!(!frame.crowded(27));
        assert!(frame.crowded(28) && frame.crowded(300));
    }

    #[test]
    fn the_range_widens_for_a_fever_but_stays_plausible() {
        let calm = Trend::Temperature.series(&[visit(1, temp(36.5))]);
        assert_eq!(Trend::Temperature.y_range(&calm), (35.0, 39.0));
        let fever = Trend::Temperature.series(&[visit(1, temp(40.5))]);
        assert_eq!(Trend::Temperature.y_range(&fever), (35.0, 40.5));
        assert_eq!(x_span(&fever), Some((1, 1)));
        assert_eq!(x_span(&[]), None);
    }
}
