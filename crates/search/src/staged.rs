//! The documents handed to tantivy's writer, and how many may wait for its indexing
//! thread.
//!
//! tantivy queues up to 10,000 documents for its indexing thread. A bulk import feeds it
//! faster than it indexes, so the queue filled, and with each document holding its own
//! copies of the title and body (one per field they are written to), the queue alone
//! came to tens of megabytes, more or less as the indexing fell behind: the import's
//! peak memory wandered with it. Here a document shares one copy of each text among
//! its fields, and staging waits while [`IN_FLIGHT`] documents are queued, so the queue
//! stays small and the same size whatever the file.

use std::sync::{Arc, Condvar, Mutex};
use tantivy::Document;
use tantivy::schema::Field;
use tantivy::schema::document::{ReferenceValue, ReferenceValueLeaf, Value};

/// Documents that may wait for the indexing thread: enough to keep it busy between two
/// batches of the feed, few enough to be a few megabytes.
pub(crate) const IN_FLIGHT: usize = 512;

/// Counts the documents handed over and not yet indexed (a document is dropped once
/// the indexing thread has written it).
#[derive(Default)]
pub(crate) struct Queue {
    waiting: Mutex<usize>,
    drained: Condvar,
}

impl Queue {
    /// Waits until fewer than `limit` documents are queued, then counts one more.
    pub(crate) fn enter(self: &Arc<Self>, limit: usize) -> Ticket {
        let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        while *waiting >= limit {
            waiting = self
                .drained
                .wait(waiting)
                .unwrap_or_else(|p| p.into_inner());
        }
        *waiting += 1;
        Ticket(Arc::clone(self))
    }

    #[cfg(test)]
    pub(crate) fn waiting(&self) -> usize {
        *self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A queued document's place in the [`Queue`], given back when it is dropped.
pub(crate) struct Ticket(Arc<Queue>);

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut waiting = self.0.waiting.lock().unwrap_or_else(|p| p.into_inner());
        *waiting = waiting.saturating_sub(1);
        self.0.drained.notify_all();
    }
}

/// One field's value: a shared text or a number.
#[derive(Debug, Clone)]
pub(crate) enum Staged {
    Text(Arc<str>),
    Int(i64),
}

/// A document for the writer: its fields' values in the order they were added.
pub(crate) struct StagedDoc {
    values: Vec<(Field, Staged)>,
    _ticket: Ticket,
}

impl StagedDoc {
    pub(crate) fn new(ticket: Ticket) -> Self {
        Self {
            values: Vec::with_capacity(16),
            _ticket: ticket,
        }
    }

    pub(crate) fn text(&mut self, field: Field, text: &Arc<str>) {
        self.values.push((field, Staged::Text(Arc::clone(text))));
    }

    pub(crate) fn int(&mut self, field: Field, value: i64) {
        self.values.push((field, Staged::Int(value)));
    }
}

/// A borrowed [`Staged`], as tantivy reads it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum StagedValue<'a> {
    Text(&'a str),
    Int(i64),
}

impl<'a> Value<'a> for StagedValue<'a> {
    type ArrayIter = std::iter::Empty<Self>;
    type ObjectIter = std::iter::Empty<(&'a str, Self)>;

    fn as_value(&self) -> ReferenceValue<'a, Self> {
        match *self {
            Self::Text(text) => ReferenceValue::Leaf(ReferenceValueLeaf::Str(text)),
            Self::Int(value) => ReferenceValue::Leaf(ReferenceValueLeaf::I64(value)),
        }
    }
}

impl Document for StagedDoc {
    type Value<'a> = StagedValue<'a>;
    type FieldsValuesIter<'a> = std::iter::Map<
        std::slice::Iter<'a, (Field, Staged)>,
        fn(&'a (Field, Staged)) -> (Field, StagedValue<'a>),
    >;

    fn iter_fields_and_values(&self) -> Self::FieldsValuesIter<'_> {
        fn borrowed(entry: &(Field, Staged)) -> (Field, StagedValue<'_>) {
            let value = match &entry.1 {
                Staged::Text(text) => StagedValue::Text(text),
                Staged::Int(value) => StagedValue::Int(*value),
            };
            (entry.0, value)
        }
        self.values.iter().map(borrowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_waits_while_the_queue_is_full_and_goes_on_as_documents_are_indexed() {
        let queue = Arc::new(Queue::default());
        let first = queue.enter(2);
        let second = queue.enter(2);
        assert_eq!(queue.waiting(), 2);
        let waiter = {
            let queue = Arc::clone(&queue);
            std::thread::spawn(move || {
                let third = queue.enter(2);
                drop(third);
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!waiter.is_finished(), "a third document waits for room");
        drop(first);
        waiter.join().unwrap();
        drop(second);
        assert_eq!(queue.waiting(), 0);
    }
}
