//! A chart as it stood before a change: one document, read as it was at
//! given heads. A line of changes is checked against the document that
//! holds them all, each change against the heads of the ones before it,
//! so the document is built once instead of copied and grown change by
//! change.

use std::collections::HashSet;
use std::ops::RangeBounds;

use automerge::iter::{DocIter, Keys, ListRange, MapRange, Spans, Values};
use automerge::marks::{Mark, MarkSet};
use automerge::{
    Automerge, AutomergeError, Change, ChangeHash, Cursor, CursorPosition, MoveCursor, ObjId,
    ObjType, Parents, Prop, ReadDoc, Stats, TextEncoding, Value, hydrate,
};

/// `doc` as it stood at `heads`: every read is Automerge's `*_at` read.
pub(crate) struct ChartBefore<'a> {
    doc: &'a Automerge,
    heads: Vec<ChangeHash>,
    /// Changes `doc` holds that come after `heads` (the rest of the line
    /// being checked); `None` when `heads` are the document's own.
    later: Option<&'a HashSet<ChangeHash>>,
    /// Every key that may name an entry at `heads` (a key of a
    /// collection's map, whatever its value); `None` when not gathered.
    entry_keys: Option<&'a HashSet<String>>,
}

impl<'a> ChartBefore<'a> {
    /// The document as it stands now.
    pub(crate) fn current(doc: &'a Automerge) -> ChartBefore<'a> {
        ChartBefore {
            doc,
            heads: doc.get_heads(),
            later: None,
            entry_keys: None,
        }
    }

    /// `doc` at `heads`, where `later` are the changes of `doc` after them
    /// and `entry_keys` holds at least every key of a collection's map at
    /// `heads`.
    pub(crate) fn at(
        doc: &'a Automerge,
        heads: Vec<ChangeHash>,
        later: &'a HashSet<ChangeHash>,
        entry_keys: &'a HashSet<String>,
    ) -> ChartBefore<'a> {
        ChartBefore {
            doc,
            heads,
            later: Some(later),
            entry_keys: Some(entry_keys),
        }
    }

    /// The same document as it stood at `heads` (a change's own
    /// dependencies, which it holds), for reads only.
    pub(crate) fn at_heads(&self, heads: &[ChangeHash]) -> ChartBefore<'a> {
        ChartBefore {
            doc: self.doc,
            heads: heads.to_vec(),
            later: self.later,
            entry_keys: None,
        }
    }

    /// Whether an entry `id` may be held at these heads: `false` only when
    /// no collection's map has the key, so the look-up through every
    /// collection can be skipped.
    pub(crate) fn may_hold_entry(&self, id: &str) -> bool {
        self.entry_keys.is_none_or(|keys| keys.contains(id))
    }

    pub(crate) fn doc(&self) -> &'a Automerge {
        self.doc
    }

    pub(crate) fn heads(&self) -> &[ChangeHash] {
        &self.heads
    }

    /// Whether the chart held the change `hash` at these heads.
    pub(crate) fn holds(&self, hash: &ChangeHash) -> bool {
        self.later.is_none_or(|later| !later.contains(hash))
            && self.doc.get_change_meta_by_hash(hash).is_some()
    }
}

impl ReadDoc for ChartBefore<'_> {
    fn parents<O: AsRef<ObjId>>(&self, obj: O) -> Result<Parents<'_>, AutomergeError> {
        self.doc.parents_at(obj, &self.heads)
    }

    fn parents_at<O: AsRef<ObjId>>(
        &self,
        obj: O,
        heads: &[ChangeHash],
    ) -> Result<Parents<'_>, AutomergeError> {
        self.doc.parents_at(obj, heads)
    }

    fn keys<O: AsRef<ObjId>>(&self, obj: O) -> Keys<'_> {
        self.doc.keys_at(obj, &self.heads)
    }

    fn keys_at<O: AsRef<ObjId>>(&self, obj: O, heads: &[ChangeHash]) -> Keys<'_> {
        self.doc.keys_at(obj, heads)
    }

    fn iter_at<O: AsRef<ObjId>>(&self, obj: O, heads: Option<&[ChangeHash]>) -> DocIter<'_> {
        self.doc.iter_at(obj, Some(heads.unwrap_or(&self.heads)))
    }

    fn map_range<'b, O: AsRef<ObjId>, R: RangeBounds<String> + 'b>(
        &'b self,
        obj: O,
        range: R,
    ) -> MapRange<'b> {
        self.doc.map_range_at(obj, range, &self.heads)
    }

    fn map_range_at<'b, O: AsRef<ObjId>, R: RangeBounds<String> + 'b>(
        &'b self,
        obj: O,
        range: R,
        heads: &[ChangeHash],
    ) -> MapRange<'b> {
        self.doc.map_range_at(obj, range, heads)
    }

    fn list_range<O: AsRef<ObjId>, R: RangeBounds<usize>>(
        &self,
        obj: O,
        range: R,
    ) -> ListRange<'_> {
        self.doc.list_range_at(obj, range, &self.heads)
    }

    fn list_range_at<O: AsRef<ObjId>, R: RangeBounds<usize>>(
        &self,
        obj: O,
        range: R,
        heads: &[ChangeHash],
    ) -> ListRange<'_> {
        self.doc.list_range_at(obj, range, heads)
    }

    fn values<O: AsRef<ObjId>>(&self, obj: O) -> Values<'_> {
        self.doc.values_at(obj, &self.heads)
    }

    fn values_at<O: AsRef<ObjId>>(&self, obj: O, heads: &[ChangeHash]) -> Values<'_> {
        self.doc.values_at(obj, heads)
    }

    fn length<O: AsRef<ObjId>>(&self, obj: O) -> usize {
        self.doc.length_at(obj, &self.heads)
    }

    fn length_at<O: AsRef<ObjId>>(&self, obj: O, heads: &[ChangeHash]) -> usize {
        self.doc.length_at(obj, heads)
    }

    fn object_type<O: AsRef<ObjId>>(&self, obj: O) -> Result<ObjType, AutomergeError> {
        self.doc.object_type(obj)
    }

    fn marks<O: AsRef<ObjId>>(&self, obj: O) -> Result<Vec<Mark>, AutomergeError> {
        self.doc.marks_at(obj, &self.heads)
    }

    fn marks_at<O: AsRef<ObjId>>(
        &self,
        obj: O,
        heads: &[ChangeHash],
    ) -> Result<Vec<Mark>, AutomergeError> {
        self.doc.marks_at(obj, heads)
    }

    fn get_marks<O: AsRef<ObjId>>(
        &self,
        obj: O,
        index: usize,
        heads: Option<&[ChangeHash]>,
    ) -> Result<MarkSet, AutomergeError> {
        self.doc
            .get_marks(obj, index, Some(heads.unwrap_or(&self.heads)))
    }

    fn text<O: AsRef<ObjId>>(&self, obj: O) -> Result<String, AutomergeError> {
        self.doc.text_at(obj, &self.heads)
    }

    fn text_at<O: AsRef<ObjId>>(
        &self,
        obj: O,
        heads: &[ChangeHash],
    ) -> Result<String, AutomergeError> {
        self.doc.text_at(obj, heads)
    }

    fn spans<O: AsRef<ObjId>>(&self, obj: O) -> Result<Spans<'_>, AutomergeError> {
        self.doc.spans_at(obj, &self.heads)
    }

    fn spans_at<O: AsRef<ObjId>>(
        &self,
        obj: O,
        heads: &[ChangeHash],
    ) -> Result<Spans<'_>, AutomergeError> {
        self.doc.spans_at(obj, heads)
    }

    fn get_cursor<O: AsRef<ObjId>, I: Into<CursorPosition>>(
        &self,
        obj: O,
        position: I,
        at: Option<&[ChangeHash]>,
    ) -> Result<Cursor, AutomergeError> {
        self.doc
            .get_cursor(obj, position, Some(at.unwrap_or(&self.heads)))
    }

    fn get_cursor_moving<O: AsRef<ObjId>, I: Into<CursorPosition>>(
        &self,
        obj: O,
        position: I,
        at: Option<&[ChangeHash]>,
        move_cursor: MoveCursor,
    ) -> Result<Cursor, AutomergeError> {
        let at = Some(at.unwrap_or(&self.heads));
        self.doc.get_cursor_moving(obj, position, at, move_cursor)
    }

    fn get_cursor_position<O: AsRef<ObjId>>(
        &self,
        obj: O,
        cursor: &Cursor,
        at: Option<&[ChangeHash]>,
    ) -> Result<usize, AutomergeError> {
        self.doc
            .get_cursor_position(obj, cursor, Some(at.unwrap_or(&self.heads)))
    }

    fn get<O: AsRef<ObjId>, P: Into<Prop>>(
        &self,
        obj: O,
        prop: P,
    ) -> Result<Option<(Value<'_>, ObjId)>, AutomergeError> {
        self.doc.get_at(obj, prop, &self.heads)
    }

    fn get_at<O: AsRef<ObjId>, P: Into<Prop>>(
        &self,
        obj: O,
        prop: P,
        heads: &[ChangeHash],
    ) -> Result<Option<(Value<'_>, ObjId)>, AutomergeError> {
        self.doc.get_at(obj, prop, heads)
    }

    fn hydrate<O: AsRef<ObjId>>(
        &self,
        obj: O,
        heads: Option<&[ChangeHash]>,
    ) -> Result<hydrate::Value, AutomergeError> {
        ReadDoc::hydrate(self.doc, obj, Some(heads.unwrap_or(&self.heads)))
    }

    fn get_all<O: AsRef<ObjId>, P: Into<Prop>>(
        &self,
        obj: O,
        prop: P,
    ) -> Result<Vec<(Value<'_>, ObjId)>, AutomergeError> {
        self.doc.get_all_at(obj, prop, &self.heads)
    }

    fn get_all_at<O: AsRef<ObjId>, P: Into<Prop>>(
        &self,
        obj: O,
        prop: P,
        heads: &[ChangeHash],
    ) -> Result<Vec<(Value<'_>, ObjId)>, AutomergeError> {
        self.doc.get_all_at(obj, prop, heads)
    }

    fn get_missing_deps(&self, heads: &[ChangeHash]) -> Vec<ChangeHash> {
        self.doc.get_missing_deps(heads)
    }

    fn get_change_by_hash(&self, hash: &ChangeHash) -> Option<Change> {
        self.doc.get_change_by_hash(hash)
    }

    fn stats(&self) -> Stats {
        self.doc.stats()
    }

    fn text_encoding(&self) -> TextEncoding {
        self.doc.text_encoding()
    }
}
