//! How the UI reaches the core: one [`Backend`] trait, nothing else.
//!
//! Two implementations exist: [`tauri`] calls the desktop shell's commands and
//! [`http`] calls the local bridge (`karte ui serve`). Components only ever
//! see `Rc<dyn Backend>` through a context, so the same UI runs in the Tauri
//! window, in Chromium under the browser tests, and against a fake in tests.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use karte_types::{ErrorCode, Operation, PatientId, Problem, ops};

#[cfg(target_arch = "wasm32")]
pub mod http;
#[cfg(target_arch = "wasm32")]
pub mod tauri;

/// A call to the core, answered later. Not `Send`: the UI has one thread.
pub type Call<T> = Pin<Box<dyn Future<Output = Result<T, Problem>>>>;

/// How the UI reaches the core: an operation's name and its arguments as a
/// JSON object go out, its reply comes back as JSON text (empty for none),
/// read straight into the operation's reply type: a list of thousands of
/// patients is never built as a `serde_json::Value` tree first. Object-safe, so the
/// app holds one `Rc<dyn Backend>` picked at start. The typed calls
/// (`backend.chart(patient)`, …) are made for every operation from the one
/// list in `karte-types`, below.
pub trait Backend {
    fn send(&self, operation: &'static str, arguments: Vec<u8>) -> Call<Vec<u8>>;
}

/// Sends one operation through `backend` and reads its reply.
pub fn call<O: Operation + 'static>(backend: &dyn Backend, operation: O) -> Call<O::Reply> {
    let arguments = match serde_json::to_vec(&operation) {
        Ok(arguments) => arguments,
        Err(error) => {
            let problem = local_problem(ErrorCode::BadRequest, error.to_string());
            return Box::pin(async move { Err(problem) });
        }
    };
    let sent = backend.send(O::NAME, arguments);
    Box::pin(async move {
        let reply = sent.await?;
        let reply: &[u8] = if reply.iter().all(u8::is_ascii_whitespace) {
            b"null"
        } else {
            &reply
        };
        serde_json::from_slice(reply).map_err(|e| {
            local_problem(
                ErrorCode::BadAnswer,
                format!("unreadable answer to {}: {e}", O::NAME),
            )
        })
    })
}

macro_rules! typed_calls {
    ($($(#[$doc:meta])* $kind:ident $name:ident($($arg:ident: $type:ty),*) -> $reply:ty;)*) => {
        impl dyn Backend {
            $(
                $(#[$doc])*
                pub fn $name(&self, $($arg: $type),*) -> Call<$reply> {
                    call(self, ops::$name { $($arg),* })
                }
            )*
        }
    };
}

karte_types::for_each_operation!(typed_calls);

/// The backend as a context value: compared by identity, since there is
/// only ever one per app.
#[derive(Clone)]
pub struct BackendHandle(pub Rc<dyn Backend>);

impl PartialEq for BackendHandle {
    fn eq(&self, other: &BackendHandle) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for BackendHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BackendHandle")
    }
}

impl std::ops::Deref for BackendHandle {
    type Target = dyn Backend;
    fn deref(&self) -> &(dyn Backend + 'static) {
        &*self.0
    }
}

/// The key under which the unsaved visit form of a patient is kept.
pub fn visit_draft_key(patient: &PatientId) -> String {
    format!("visit-{patient}")
}

/// The token from a fragment such as `#token=abc` or `#x=1&token=abc`.
/// The bridge prints it there so it never reaches a server log or a
/// referrer.
pub fn token_from_fragment(fragment: &str) -> Option<String> {
    fragment
        .trim_start_matches('#')
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// Picks the backend for where the UI runs: the Tauri shell when its global
/// API is present, else the local bridge at this page's origin.
#[cfg(target_arch = "wasm32")]
pub fn pick() -> Result<Rc<dyn Backend>, Problem> {
    if tauri::available() {
        Ok(Rc::new(tauri::TauriBackend))
    } else {
        http::HttpBackend::from_location().map(|b| Rc::new(b) as Rc<dyn Backend>)
    }
}

/// A problem made in the UI itself (a transport failure, an unreadable
/// answer), shaped like the core's so it is shown the same way.
pub fn local_problem(code: ErrorCode, message: impl Into<String>) -> Problem {
    Problem::new(code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_comes_from_the_fragment() {
        assert_eq!(token_from_fragment("#token=abc"), Some("abc".to_owned()));
        assert_eq!(
            token_from_fragment("#lang=ja&token=x1"),
            Some("x1".to_owned())
        );
        assert_eq!(token_from_fragment("#token="), None);
        assert_eq!(token_from_fragment(""), None);
    }

    /// A backend that records what it was sent and answers `reply`.
    struct Recorder {
        sent: std::cell::RefCell<Vec<(&'static str, serde_json::Value)>>,
        reply: serde_json::Value,
    }

    impl Backend for Recorder {
        fn send(&self, operation: &'static str, arguments: Vec<u8>) -> Call<Vec<u8>> {
            let arguments = serde_json::from_slice(&arguments).unwrap();
            self.sent.borrow_mut().push((operation, arguments));
            let reply = match &self.reply {
                // The bridge answers an operation without a reply with no body.
                serde_json::Value::Null => Vec::new(),
                reply => serde_json::to_vec(reply).unwrap(),
            };
            Box::pin(async move { Ok(reply) })
        }
    }

    #[tokio::test]
    async fn a_typed_call_sends_its_name_and_named_arguments() {
        let recorder = Recorder {
            sent: Default::default(),
            reply: serde_json::Value::Null,
        };
        let backend: &dyn Backend = &recorder;
        let reason = "別の患者".to_owned();
        backend
            .void_entry(
                karte_types::PatientId("p1".into()),
                karte_types::EntryId("e1".into()),
                reason,
            )
            .await
            .unwrap();
        backend
            .set_no_known_allergies(karte_types::PatientId("p1".into()))
            .await
            .unwrap();
        let sent = recorder.sent.borrow();
        assert_eq!(sent[0].0, "void_entry");
        assert_eq!(
            sent[0].1,
            serde_json::json!({"patient": "p1", "entry": "e1", "reason": "別の患者"})
        );
        assert_eq!(sent[1].0, "set_no_known_allergies");
    }

    /// The throwaway operation of karte-types' `throwaway-operation`
    /// feature, on in this crate's tests: one line in the operations list
    /// and the UI can call it.
    #[tokio::test]
    async fn a_new_operation_is_a_typed_call_with_nothing_written_here() {
        let recorder = Recorder {
            sent: Default::default(),
            reply: serde_json::json!("こんにちは"),
        };
        let backend: &dyn Backend = &recorder;
        let answer = backend.echo("こんにちは".to_owned()).await.unwrap();
        assert_eq!(answer, "こんにちは");
        assert_eq!(recorder.sent.borrow()[0].0, "echo");
        assert!(ops::NAMES.contains(&"echo"));
    }
}
