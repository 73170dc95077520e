//! Chunked authenticated encryption for files too large to seal at once:
//! exports, sync bundles, attachments.
//!
//! The file is a header (a magic number and a random stream id) and frames of
//! at most `STREAM_CHUNK_LEN` plaintext bytes. Each frame is sealed with the
//! stream id, its index and whether it is the last one in its associated
//! data, so a reader detects frames that were reordered, dropped, taken from
//! another stream, or cut off at the end.
//!
//! `open_stream` writes each frame's plaintext as soon as it is verified; a
//! truncated file is reported only at its end, so callers treat the output as
//! valid only when `open_stream` returns `Ok`.

use std::io::{self, Read, Write};

use super::{AAD_PREFIX, SEAL_OVERHEAD, SecretKey, fill_random, open_with, push_part, seal_with};
use crate::StoreError;

/// Plaintext bytes per frame.
pub const STREAM_CHUNK_LEN: usize = 64 * 1024;

const MAGIC: &[u8; 8] = b"KARTE-S1";
const STREAM_ID_LEN: usize = 16;
const MORE: u8 = 0;
const FINAL: u8 = 1;

fn frame_aad(purpose: &str, stream_id: &[u8], index: u64, flag: u8) -> Vec<u8> {
    let mut aad = Vec::with_capacity(64);
    aad.extend_from_slice(AAD_PREFIX);
    push_part(&mut aad, b"stream");
    push_part(&mut aad, purpose.as_bytes());
    push_part(&mut aad, stream_id);
    aad.extend_from_slice(&index.to_be_bytes());
    aad.push(flag);
    aad
}

/// Reads until `buf` is full or the input ends; returns how much was read.
fn read_up_to(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Encrypts all of `input` into `output` under `key`. `purpose` (e.g.
/// `export`, `bundle`) is bound into every frame and names the file in
/// errors. Returns the number of plaintext bytes.
pub fn seal_stream(
    key: &SecretKey,
    purpose: &str,
    mut input: impl Read,
    mut output: impl Write,
) -> Result<u64, StoreError> {
    let mut stream_id = [0u8; STREAM_ID_LEN];
    fill_random(&mut stream_id)?;
    output.write_all(MAGIC)?;
    output.write_all(&stream_id)?;
    // One frame is read ahead, so the last frame is known to be last when it
    // is sealed, even when the input length is a multiple of the frame size.
    let mut current = vec![0u8; STREAM_CHUNK_LEN];
    let mut current_len = read_up_to(&mut input, &mut current)?;
    let mut next = vec![0u8; STREAM_CHUNK_LEN];
    let mut total = 0u64;
    for index in 0u64.. {
        let next_len = if current_len == STREAM_CHUNK_LEN {
            read_up_to(&mut input, &mut next)?
        } else {
            0
        };
        let flag = if next_len == 0 { FINAL } else { MORE };
        let aad = frame_aad(purpose, &stream_id, index, flag);
        let sealed = seal_with(key, &aad, &current[..current_len])?;
        output.write_all(&[flag])?;
        output.write_all(&(sealed.len() as u32).to_be_bytes())?;
        output.write_all(&sealed)?;
        total += current_len as u64;
        if flag == FINAL {
            break;
        }
        std::mem::swap(&mut current, &mut next);
        current_len = next_len;
    }
    output.flush()?;
    Ok(total)
}

/// Decrypts what `seal_stream` made under the same key and purpose into
/// `output`. Returns the number of plaintext bytes.
pub fn open_stream(
    key: &SecretKey,
    purpose: &str,
    mut input: impl Read,
    mut output: impl Write,
) -> Result<u64, StoreError> {
    let mut header = [0u8; MAGIC.len() + STREAM_ID_LEN];
    if read_up_to(&mut input, &mut header)? < header.len() || &header[..MAGIC.len()] != MAGIC {
        return Err(StoreError::integrity(format!(
            "{purpose} (not a Karte encrypted file)"
        )));
    }
    let stream_id = &header[MAGIC.len()..];
    let mut total = 0u64;
    let mut sealed = Vec::with_capacity(STREAM_CHUNK_LEN + SEAL_OVERHEAD);
    for index in 0u64.. {
        let truncated = || StoreError::integrity(format!("{purpose} (truncated at chunk {index})"));
        let mut frame_head = [0u8; 5];
        if read_up_to(&mut input, &mut frame_head)? < frame_head.len() {
            return Err(truncated());
        }
        let flag = frame_head[0];
        let len = u32::from_be_bytes([frame_head[1], frame_head[2], frame_head[3], frame_head[4]])
            as usize;
        if flag > FINAL || !(SEAL_OVERHEAD..=STREAM_CHUNK_LEN + SEAL_OVERHEAD).contains(&len) {
            return Err(StoreError::integrity(format!("{purpose} chunk {index}")));
        }
        sealed.resize(len, 0);
        if read_up_to(&mut input, &mut sealed)? < len {
            return Err(truncated());
        }
        let aad = frame_aad(purpose, stream_id, index, flag);
        let plaintext = open_with(key, &aad, &sealed)
            .map_err(|_| StoreError::integrity(format!("{purpose} chunk {index}")))?;
        output.write_all(&plaintext)?;
        total += plaintext.len() as u64;
        if flag == FINAL {
            break;
        }
    }
    if read_up_to(&mut input, &mut [0u8; 1])? != 0 {
        return Err(StoreError::integrity(format!(
            "{purpose} (data after its final chunk)"
        )));
    }
    output.flush()?;
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed(key: &SecretKey, plaintext: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        seal_stream(key, "export", plaintext, &mut out).unwrap();
        out
    }

    fn opened(key: &SecretKey, file: &[u8]) -> Result<Vec<u8>, StoreError> {
        let mut out = Vec::new();
        open_stream(key, "export", file, &mut out)?;
        Ok(out)
    }

    fn what(error: StoreError) -> String {
        match error {
            StoreError::Integrity { what } => what,
            other => panic!("expected an integrity error, got {other:?}"),
        }
    }

    /// Frame boundaries: (offset, length) of each frame after the header.
    fn frames(file: &[u8]) -> Vec<(usize, usize)> {
        let mut at = MAGIC.len() + STREAM_ID_LEN;
        let mut out = Vec::new();
        while at < file.len() {
            let len = u32::from_be_bytes(file[at + 1..at + 5].try_into().unwrap()) as usize;
            out.push((at, 5 + len));
            at += 5 + len;
        }
        out
    }

    #[test]
    fn round_trips_at_every_awkward_length() {
        let key = SecretKey::generate().unwrap();
        for len in [
            0,
            1,
            STREAM_CHUNK_LEN - 1,
            STREAM_CHUNK_LEN,
            STREAM_CHUNK_LEN + 1,
            3 * STREAM_CHUNK_LEN,
        ] {
            let plaintext: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let file = sealed(&key, &plaintext);
            assert_eq!(
                frames(&file).len(),
                len.div_ceil(STREAM_CHUNK_LEN).max(1),
                "len {len}"
            );
            assert_eq!(opened(&key, &file).unwrap(), plaintext, "len {len}");
        }
    }

    #[test]
    fn a_file_cut_at_a_frame_boundary_is_truncated() {
        let key = SecretKey::generate().unwrap();
        let file = sealed(&key, &vec![5u8; 2 * STREAM_CHUNK_LEN + 10]);
        let (second, _) = frames(&file)[2];
        assert_eq!(
            what(opened(&key, &file[..second]).unwrap_err()),
            "export (truncated at chunk 2)"
        );
        assert_eq!(
            what(opened(&key, &file[..second - 7]).unwrap_err()),
            "export (truncated at chunk 1)"
        );
    }

    #[test]
    fn reordered_frames_are_detected() {
        let key = SecretKey::generate().unwrap();
        let file = sealed(&key, &vec![9u8; 3 * STREAM_CHUNK_LEN + 1]);
        let f = frames(&file);
        let mut swapped = file[..f[0].0].to_vec();
        for i in [1, 0, 2, 3] {
            swapped.extend_from_slice(&file[f[i].0..f[i].0 + f[i].1]);
        }
        assert_eq!(what(opened(&key, &swapped).unwrap_err()), "export chunk 0");
    }

    #[test]
    fn a_frame_from_another_stream_or_purpose_is_refused() {
        let key = SecretKey::generate().unwrap();
        let a = sealed(&key, b"first");
        let b = sealed(&key, b"other");
        let mut spliced = a[..MAGIC.len() + STREAM_ID_LEN].to_vec();
        spliced.extend_from_slice(&b[MAGIC.len() + STREAM_ID_LEN..]);
        assert_eq!(what(opened(&key, &spliced).unwrap_err()), "export chunk 0");
        let mut out = Vec::new();
        let error = open_stream(&key, "bundle", &a[..], &mut out).unwrap_err();
        assert_eq!(what(error), "bundle chunk 0");
    }

    #[test]
    fn flipped_bytes_and_trailing_data_are_refused() {
        let key = SecretKey::generate().unwrap();
        let file = sealed(&key, b"a small export");
        for i in 0..file.len() {
            let mut damaged = file.clone();
            damaged[i] ^= 0x80;
            assert!(
                matches!(opened(&key, &damaged), Err(StoreError::Integrity { .. })),
                "byte {i}"
            );
        }
        let mut longer = file.clone();
        longer.push(0);
        assert_eq!(
            what(opened(&key, &longer).unwrap_err()),
            "export (data after its final chunk)"
        );
        assert_eq!(
            what(opened(&key, b"").unwrap_err()),
            "export (not a Karte encrypted file)"
        );
    }
}
