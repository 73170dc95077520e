//! One entry for every front: [`App::call`] takes an operation's name and
//! its arguments as JSON and answers with its reply as JSON. The dispatch is
//! made from the one list of operations in `karte-types`
//! ([`karte_types::for_each_operation!`]), so the Tauri shell and the local
//! bridge serve every operation without naming any.

use karte_types::ops;
use zeroize::Zeroizing;

use crate::{ApiError, App};

macro_rules! dispatch {
    (@run session $app:ident, $name:ident($($arg:ident),*), $args:ident) => {
        $app.with_session(|session| session.$name($(&$args.$arg),*))
    };
    (@run app $app:ident, $name:ident($($arg:ident),*), $args:ident) => {
        $app.$name($(&$args.$arg),*)
    };
    ($($(#[$doc:meta])* $kind:ident $name:ident($($arg:ident: $type:ty),*) -> $reply:ty;)*) => {
        impl App {
            /// Runs the operation `name` with `arguments`, a JSON object of
            /// its named arguments (`{}` or nothing when it takes none), and
            /// answers with its reply as JSON. The arguments are wiped from
            /// memory when the call is done: they may hold a passphrase.
            pub fn call(
                &self,
                name: &str,
                arguments: Zeroizing<Vec<u8>>,
            ) -> Result<serde_json::Value, ApiError> {
                match name {
                    $(
                        stringify!($name) => {
                            #[allow(unused_variables)]
                            let args: ops::$name = parse(name, &arguments)?;
                            let reply: $reply = dispatch!(@run $kind self, $name($($arg),*), args)?;
                            Ok(serde_json::to_value(reply).expect("replies are plain data"))
                        }
                    )*
                    _ => Err(ApiError::UnknownOperation { name: name.to_owned() }),
                }
            }
        }
    };
}

karte_types::for_each_operation!(dispatch);

/// The arguments of `operation`, read straight into their struct (so a
/// passphrase is never copied into an intermediate JSON value).
fn parse<T: serde::de::DeserializeOwned>(operation: &str, arguments: &[u8]) -> Result<T, ApiError> {
    let text = if arguments.iter().all(u8::is_ascii_whitespace) {
        &b"{}"[..]
    } else {
        arguments
    };
    serde_json::from_slice(text).map_err(|error| ApiError::MalformedArguments {
        operation: operation.to_owned(),
        detail: error.to_string(),
    })
}
