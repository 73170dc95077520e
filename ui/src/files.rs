//! Files in and out of the browser: a `blob:` URL for bytes the user saves
//! or views (a bundle, a PDF), and the bytes of a file the user chose (a
//! bundle, a photo). Outside a browser (the render tests) there are no
//! files: a URL is a `data:` URL and reading a file is refused.

use karte_types::{ErrorCode, Problem};

/// A URL of `bytes` as `media_type`, for a link with `download` or a frame.
/// Drop it with [`forget`] when it is no longer shown.
#[cfg(target_arch = "wasm32")]
pub fn url(bytes: Vec<u8>, media_type: &str) -> String {
    // A `data:` URL would do for a small file, but Chromium refuses to
    // download one of more than a few MB, and a bundle of every chart may be.
    let array = js_sys::Uint8Array::from(bytes.as_slice());
    let parts = js_sys::Array::of1(&array);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(media_type);
    web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .and_then(|blob| web_sys::Url::create_object_url_with_blob(&blob))
        .unwrap_or_default()
}

#[cfg(not(target_arch = "wasm32"))]
pub fn url(bytes: Vec<u8>, media_type: &str) -> String {
    format!(
        "data:{media_type};base64,{}",
        karte_types::Base64Bytes(bytes).encode()
    )
}

/// Lets the browser drop the bytes behind a URL from [`url`].
pub fn forget(url: &str) {
    #[cfg(target_arch = "wasm32")]
    let _ = web_sys::Url::revoke_object_url(url);
    #[cfg(not(target_arch = "wasm32"))]
    let _ = url;
}

/// The bytes of a chosen file; `unreadable` is the code of the problem when
/// the browser cannot read it (what the caller expected the file to be).
#[cfg(target_arch = "wasm32")]
pub async fn read(file: &web_sys::File, unreadable: ErrorCode) -> Result<Vec<u8>, Problem> {
    let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| Problem::new(unreadable, "the file could not be read"))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

#[cfg(not(target_arch = "wasm32"))]
pub async fn read(_file: &web_sys::File, unreadable: ErrorCode) -> Result<Vec<u8>, Problem> {
    Err(Problem::new(
        unreadable,
        "files are read in the browser only",
    ))
}
