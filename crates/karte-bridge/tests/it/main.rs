//! The bridge as the UI meets it: a real server on 127.0.0.1, a temporary
//! vault, and HTTP requests with and without the token.

mod api;
mod app;
mod guard;
mod support;
