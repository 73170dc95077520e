//! A small page-flow layout for forms: boxed rows of fields, boxed sections
//! whose text wraps and continues on the next page, and free drawing. It
//! lays a document out as plain drawing operations per page first (so the
//! pagination is testable without a PDF), then writes them with krilla.

use std::io::Write;

use krilla::geom::{PathBuilder, Point, Rect};
use krilla::paint::{Fill, Stroke};
use krilla::text::TextDirection;

use crate::DocsError;
use crate::font::{DocumentFont, Measure};

/// A4 in PostScript points.
pub(crate) const PAGE_WIDTH: f32 = 595.28;
pub(crate) const PAGE_HEIGHT: f32 = 841.89;
pub(crate) const MARGIN: f32 = 40.0;
const TOP: f32 = 48.0;
/// The lowest line a box may reach; the page number sits below it.
const BOTTOM: f32 = PAGE_HEIGHT - 52.0;
pub(crate) const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;

pub(crate) const BODY_SIZE: f32 = 9.5;
const LABEL_SIZE: f32 = 7.5;
const LINE_GAP: f32 = 1.45;
const PADDING: f32 = 4.0;
/// The width of a section's label column.
const LABEL_COLUMN: f32 = 92.0;

/// One thing drawn on a page; y grows downwards, text at its baseline.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        text: String,
    },
    Box {
        x: f32,
        y: f32,
        width: f32,
        height: f32,
    },
}

/// One field of a row: a small label over its value.
pub(crate) struct Cell<'a> {
    pub label: &'a str,
    pub value: &'a str,
    /// The share of the row's width.
    pub share: f32,
}

/// The pages of a document being laid out, and where the next block goes.
pub(crate) struct Flow<'f> {
    font: &'f DocumentFont,
    pages: Vec<Vec<Op>>,
    y: f32,
    /// Printed at the top of every page after the first (the form's name and
    /// the patient), so a loose second sheet is still known.
    running_header: String,
}

impl<'f> Flow<'f> {
    pub(crate) fn new(font: &'f DocumentFont, running_header: String) -> Self {
        Flow {
            font,
            pages: vec![Vec::new()],
            y: TOP,
            running_header,
        }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("a flow always has a page")
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
        let header = format!("{}（続き）", self.running_header);
        self.text(MARGIN, TOP + LABEL_SIZE, LABEL_SIZE, &header);
        self.y = TOP + LABEL_SIZE + 8.0;
    }

    /// Moves to a new page unless `height` more fits on this one.
    fn make_room(&mut self, height: f32) {
        if self.y + height > BOTTOM {
            self.new_page();
        }
    }

    pub(crate) fn text(&mut self, x: f32, y: f32, size: f32, text: &str) {
        if !text.is_empty() {
            self.ops().push(Op::Text {
                x,
                y,
                size,
                text: text.to_owned(),
            });
        }
    }

    pub(crate) fn frame(&mut self, x: f32, y: f32, width: f32, height: f32) {
        self.ops().push(Op::Box {
            x,
            y,
            width,
            height,
        });
    }

    pub(crate) fn text_width(&self, text: &str, size: f32) -> f32 {
        self.font.measure(size).width(text)
    }

    /// The form's name, centred, with a line of small print at the right
    /// (such as the date it was made).
    pub(crate) fn title(&mut self, title: &str, aside: &str) {
        let size = 16.0;
        let width = self.text_width(title, size);
        self.text((PAGE_WIDTH - width) / 2.0, self.y + size, size, title);
        let aside_width = self.text_width(aside, BODY_SIZE);
        self.text(
            PAGE_WIDTH - MARGIN - aside_width,
            self.y + size + 16.0,
            BODY_SIZE,
            aside,
        );
        self.y += size + 24.0;
    }

    /// A line of text outside any box, wrapped to the page's width.
    pub(crate) fn paragraph(&mut self, text: &str, size: f32) {
        let lines = wrap(text, CONTENT_WIDTH, &self.font.measure(size));
        for line in lines {
            self.make_room(size * LINE_GAP);
            self.text(MARGIN, self.y + size, size, &line);
            self.y += size * LINE_GAP;
        }
        self.y += 4.0;
    }

    /// A row of boxed fields side by side, each value wrapped within its box.
    /// A row longer than the page continues on the next, its labels marked
    /// （続き）.
    pub(crate) fn row(&mut self, cells: &[Cell<'_>]) {
        let total: f32 = cells.iter().map(|cell| cell.share).sum();
        let measure = self.font.measure(BODY_SIZE);
        let laid: Vec<(f32, Vec<String>)> = cells
            .iter()
            .map(|cell| {
                let width = CONTENT_WIDTH * cell.share / total;
                (width, wrap(cell.value, width - 2.0 * PADDING, &measure))
            })
            .collect();
        let total_lines = laid.iter().map(|(_, lines)| lines.len()).max().unwrap_or(1);
        let line_height = BODY_SIZE * LINE_GAP;
        let head = PADDING + LABEL_SIZE + 3.0;
        let mut done = 0;
        loop {
            self.make_room(head + PADDING + total_lines.clamp(1, 2) as f32 * line_height);
            let room = ((BOTTOM - self.y - head - PADDING) / line_height).floor() as usize;
            let here = (total_lines - done).min(room.max(1)).max(1);
            let height = head + here as f32 * line_height + PADDING;
            let mut x = MARGIN;
            for (cell, (width, lines)) in cells.iter().zip(&laid) {
                self.frame(x, self.y, *width, height);
                let label = if done == 0 {
                    cell.label.to_owned()
                } else {
                    format!("{}（続き）", cell.label)
                };
                self.text(
                    x + PADDING,
                    self.y + PADDING + LABEL_SIZE,
                    LABEL_SIZE,
                    &label,
                );
                let mut baseline = self.y + head + BODY_SIZE;
                for line in lines.iter().skip(done).take(here) {
                    self.text(x + PADDING, baseline, BODY_SIZE, line);
                    baseline += line_height;
                }
                x += width;
            }
            self.y += height;
            done += here;
            if done >= total_lines {
                break;
            }
            self.new_page();
        }
    }

    /// A boxed section: its label in a column at the left, its text wrapped
    /// beside it. Text longer than the page continues in a box on the next
    /// page, under the label and （続き）.
    pub(crate) fn section(&mut self, label: &str, body: &str, min_lines: usize) {
        let body_width = CONTENT_WIDTH - LABEL_COLUMN - 2.0 * PADDING;
        let mut lines = wrap(body, body_width, &self.font.measure(BODY_SIZE));
        while lines.len() < min_lines {
            lines.push(String::new());
        }
        let label_lines = wrap(
            label,
            LABEL_COLUMN - 2.0 * PADDING,
            &self.font.measure(BODY_SIZE),
        );
        let line_height = BODY_SIZE * LINE_GAP;
        let mut first = true;
        let mut rest: &[String] = &lines;
        loop {
            // At least the label, or two lines of text, go together.
            let wanted = label_lines.len().max(rest.len().min(2)).max(1);
            self.make_room(2.0 * PADDING + wanted as f32 * line_height);
            let room = ((BOTTOM - self.y - 2.0 * PADDING) / line_height).floor() as usize;
            let here = rest.len().min(room.max(1));
            let shown_label: Vec<String> = if first {
                label_lines.clone()
            } else {
                let mut continued = label_lines.clone();
                continued.push("（続き）".to_owned());
                continued
            };
            let rows = here.max(shown_label.len()).max(1);
            let height = 2.0 * PADDING + rows as f32 * line_height;
            self.frame(MARGIN, self.y, LABEL_COLUMN, height);
            self.frame(
                MARGIN + LABEL_COLUMN,
                self.y,
                CONTENT_WIDTH - LABEL_COLUMN,
                height,
            );
            let top = self.y + PADDING + BODY_SIZE;
            for (index, line) in shown_label.iter().enumerate() {
                self.text(
                    MARGIN + PADDING,
                    top + index as f32 * line_height,
                    BODY_SIZE,
                    line,
                );
            }
            for (index, line) in rest[..here].iter().enumerate() {
                self.text(
                    MARGIN + LABEL_COLUMN + PADDING,
                    top + index as f32 * line_height,
                    BODY_SIZE,
                    line,
                );
            }
            self.y += height;
            rest = &rest[here..];
            first = false;
            if rest.is_empty() {
                break;
            }
            self.new_page();
        }
    }

    /// Reserves `height` points for free drawing, on a new page if needed,
    /// and returns the top of the space.
    pub(crate) fn reserve(&mut self, height: f32) -> f32 {
        self.make_room(height);
        let top = self.y;
        self.y += height;
        top
    }

    pub(crate) fn space(&mut self, height: f32) {
        self.y += height;
    }

    /// The pages with their numbers (1 / 2) at the foot.
    pub(crate) fn finish(mut self) -> Vec<Vec<Op>> {
        let count = self.pages.len();
        let measure = self.font.measure(LABEL_SIZE);
        for (index, page) in self.pages.iter_mut().enumerate() {
            let number = format!("{} / {}", index + 1, count);
            let width = measure.width(&number);
            page.push(Op::Text {
                x: (PAGE_WIDTH - width) / 2.0,
                y: PAGE_HEIGHT - 30.0,
                size: LABEL_SIZE,
                text: number,
            });
        }
        self.pages
    }
}

/// Characters that may not begin a line (行頭禁則); they hang at the end of
/// the line before instead.
fn closes_line(c: char) -> bool {
    "、。，．）」』】〕・ーッャュョっゃゅょ！？％),.:;!?%".contains(c)
}

/// The widest a line may be: over `width` only when it ends in punctuation
/// that hangs, or holds a single character.
#[cfg(test)]
fn fits(line: &str, width: f32, char_width: impl Fn(char) -> f32) -> bool {
    let total: f32 = line.chars().map(&char_width).sum();
    let last = line.chars().last();
    total <= width + 1e-3
        || line.chars().count() == 1
        || last.is_some_and(|last| closes_line(last) && total - char_width(last) <= width + 1e-3)
}

/// Breaks text into lines no wider than `width`: at any character in
/// Japanese, at spaces inside words of Latin letters and digits, after the
/// text's own line breaks; never drops a character.
pub(crate) fn wrap(text: &str, width: f32, measure: &Measure<'_>) -> Vec<String> {
    wrap_with(text, width, |c| measure.char_width(c))
}

fn wrap_with(text: &str, width: f32, char_width: impl Fn(char) -> f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut line_width = 0.0;
        for c in paragraph.chars() {
            let w = char_width(c);
            // One closing mark may hang past the width; a second one breaks.
            let hangs = closes_line(c) && line_width <= width;
            if line_width + w > width && !line.is_empty() && !hangs {
                if c == ' ' {
                    // A space at the break is the break itself.
                    lines.push(std::mem::take(&mut line));
                    line_width = 0.0;
                    continue;
                }
                // Inside a Latin word, go back to the last space if there is one.
                let mut carried = String::new();
                if c.is_ascii_alphanumeric()
                    && line.ends_with(|last: char| last.is_ascii_alphanumeric())
                    && let Some(space) = line.rfind(' ')
                    && line[space + 1..].chars().all(|ch| ch.is_ascii_graphic())
                {
                    carried = line[space + 1..].to_owned();
                    line.truncate(space + 1);
                }
                lines.push(line.trim_end().to_owned());
                line_width = carried.chars().map(&char_width).sum();
                line = carried;
            }
            line.push(c);
            line_width += w;
        }
        lines.push(line);
    }
    lines
}

/// Writes laid-out pages as a PDF to `out`, and only there.
pub(crate) fn write_pdf(
    pages: &[Vec<Op>],
    font: &DocumentFont,
    out: &mut dyn Write,
) -> Result<(), DocsError> {
    let mut document = krilla::Document::new();
    let krilla_font = font.krilla_font();
    for ops in pages {
        let settings =
            krilla::page::PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).expect("A4 has a size");
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for op in ops {
            match op {
                Op::Text { x, y, size, text } => {
                    surface.set_stroke(None);
                    surface.set_fill(Some(Fill::default()));
                    surface.draw_text(
                        Point::from_xy(*x, *y),
                        krilla_font.clone(),
                        *size,
                        text,
                        false,
                        TextDirection::Auto,
                    );
                }
                Op::Box {
                    x,
                    y,
                    width,
                    height,
                } => {
                    if let Some(rect) = Rect::from_xywh(*x, *y, *width, *height) {
                        let mut path = PathBuilder::new();
                        path.push_rect(rect);
                        stroke(&mut surface, path);
                    }
                }
            }
        }
        surface.finish();
        page.finish();
    }
    let bytes = document
        .finish()
        .map_err(|error| DocsError::Pdf(format!("{error:?}")))?;
    out.write_all(&bytes)?;
    out.flush()?;
    Ok(())
}

fn stroke(surface: &mut krilla::surface::Surface<'_>, path: PathBuilder) {
    if let Some(path) = path.finish() {
        surface.set_fill(None);
        surface.set_stroke(Some(Stroke {
            width: 0.6,
            ..Stroke::default()
        }));
        surface.draw_path(&path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character 10 wide, ASCII 5 wide.
    fn width(c: char) -> f32 {
        if c.is_ascii() { 5.0 } else { 10.0 }
    }

    #[test]
    fn japanese_breaks_between_any_characters() {
        let lines = wrap_with("あいうえおかきくけこ", 40.0, width);
        assert_eq!(lines, ["あいうえ", "おかきく", "けこ"]);
    }

    #[test]
    fn punctuation_hangs_rather_than_starting_a_line() {
        let lines = wrap_with("あいうえ。おか", 40.0, width);
        assert_eq!(lines, ["あいうえ。", "おか"]);
    }

    #[test]
    fn latin_words_break_at_spaces() {
        let lines = wrap_with("SpO2 98% HR 72", 40.0, width);
        assert_eq!(lines, ["SpO2 98%", "HR 72"]);
        let lines = wrap_with("BP 128/76 SpO2", 40.0, width);
        assert_eq!(lines, ["BP", "128/76", "SpO2"]);
    }

    #[test]
    fn the_text_own_line_breaks_are_kept() {
        let lines = wrap_with("あ\n\nい", 100.0, width);
        assert_eq!(lines, ["あ", "", "い"]);
    }

    proptest::proptest! {
        /// Any text at any width: no character but a space at a break is
        /// dropped, and no line is wider than asked but for a hanging mark.
        #[test]
        fn wrapping_keeps_every_character_within_the_width(
            text in "[あいう漢字、。）a-z0-9 \\n-]{0,80}",
            width in 10.0f32..200.0,
        ) {
            let lines = wrap_with(&text, width, width_of);
            let strip = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
            proptest::prop_assert_eq!(strip(&lines.concat()), strip(&text));
            proptest::prop_assert_eq!(lines.len() >= text.split('\n').count(), true);
            for line in &lines {
                proptest::prop_assert!(fits(line, width, width_of), "{:?} at {}", line, width);
            }
        }
    }

    fn width_of(c: char) -> f32 {
        width(c)
    }

    #[test]
    fn no_character_is_lost() {
        let text = "褥瘡 DESIGN-R2020 d2-e1s3i0g1n0p0:5 、仙骨部。\n家族 は 協力的";
        for w in [12.0, 25.0, 33.0, 70.0, 500.0] {
            let joined: String = wrap_with(text, w, width).concat();
            let strip = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
            assert_eq!(strip(&joined), strip(text), "width {w}");
        }
    }
}
