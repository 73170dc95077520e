//! Karte's user interface: Yew function components compiled to wasm, for
//! the Tauri window and for a browser against the local bridge. Japanese
//! first, English second. It reaches the core only through
//! [`backend::Backend`].

pub mod app;
pub mod backend;
pub mod calls;
pub mod clock;
pub mod components;
pub mod display;
pub mod files;
pub mod forms;
pub mod i18n;
pub mod pages;
pub mod route;
pub mod state;
pub mod trend;

#[cfg(test)]
mod disaster_render_tests;
#[cfg(test)]
mod render_tests;

/// Starts the app in the page: picks the backend and renders into `<body>`.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    use backend::BackendHandle;
    match backend::pick() {
        Ok(backend) => {
            let props = app::AppProps {
                backend: BackendHandle(backend),
                language: app::stored_language(),
            };
            yew::Renderer::<app::App>::with_props(props).render();
        }
        Err(problem) => {
            let message = format!("Karte: {}", problem.message);
            if let Some(body) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.body())
            {
                body.set_text_content(Some(&message));
            }
        }
    }
}
