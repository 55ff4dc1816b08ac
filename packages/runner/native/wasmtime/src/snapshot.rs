//! A paused session's memory: the interpreter's linear memory as it differs from a fresh
//! instance's (the image), in runs of changed 4 KiB pages, each compressed with LZ4. Resuming
//! writes them into a fresh instance grown to the same size. The encoding is read back in another
//! process, after a trip through the host's disk: every length and offset in it is checked
//! before it is used, and anything that does not add up is refused.

const MAGIC: &[u8; 8] = b"UMCAMEM1";
const PAGE: usize = 4096;
/// The most one run holds before it is cut (so no run needs a large buffer of its own).
const MAX_RUN: usize = 1 << 20;
const ZERO: [u8; PAGE] = [0; PAGE];

/// Whether the page at `offset` is as the image has it (beyond the image: all zero).
fn unchanged(current: &[u8], image: &[u8], offset: usize) -> bool {
    let end = (offset + PAGE).min(current.len());
    let page = &current[offset..end];
    if offset >= image.len() {
        return page == &ZERO[..page.len()];
    }
    let shared = end.min(image.len()) - offset;
    page[..shared] == image[offset..offset + shared] && page[shared..] == ZERO[..page.len() - shared]
}

/// How much encoded memory is handed over at once.
/// (With a run of up to MAX_RUN past it, a chunk stays under the 4 MiB the host takes in one frame.)
const CHUNK: usize = 2 << 20;

/// `current` memory as runs of the pages that differ from `image`'s, compressed, handed to
/// `hand` in chunks of about `CHUNK` bytes.
pub fn encode(current: &[u8], image: &[u8], mut hand: impl FnMut(Vec<u8>)) {
    let mut out = Vec::with_capacity(CHUNK + MAX_RUN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(current.len() as u64).to_le_bytes());
    let mut offset = 0;
    while offset < current.len() {
        if unchanged(current, image, offset) {
            offset += PAGE;
            continue;
        }
        let start = offset;
        while offset < current.len() && offset - start < MAX_RUN && !unchanged(current, image, offset) {
            offset += PAGE;
        }
        let end = offset.min(current.len());
        let compressed = lz4_flex::block::compress(&current[start..end]);
        out.extend_from_slice(&(start as u64).to_le_bytes());
        out.extend_from_slice(&((end - start) as u32).to_le_bytes());
        out.extend_from_slice(&(compressed.len() as u32).to_le_bytes());
        out.extend_from_slice(&compressed);
        if out.len() >= CHUNK {
            hand(std::mem::replace(&mut out, Vec::with_capacity(CHUNK + MAX_RUN)));
        }
    }
    if !out.is_empty() {
        hand(out);
    }
}

/// The size of the memory `encoded` holds, in bytes.
pub fn memory_size(encoded: &[u8]) -> Result<usize, String> {
    if encoded.len() < 16 || &encoded[..8] != MAGIC {
        return Err("it is not a memory snapshot of this version".into());
    }
    usize::try_from(u64::from_le_bytes(encoded[8..16].try_into().unwrap_or_default()))
        .map_err(|_| "its memory size does not fit this machine".to_string())
}

/// Writes `encoded`'s runs into `memory` (a fresh instance's, grown to `memory_size(encoded)`).
pub fn decode(encoded: &[u8], memory: &mut [u8]) -> Result<(), String> {
    if memory_size(encoded)? != memory.len() {
        return Err("its memory size is not the instance's".into());
    }
    let mut at = 16;
    while at < encoded.len() {
        let header = encoded.get(at..at + 16).ok_or("a run's header is cut short")?;
        let start = usize::try_from(u64::from_le_bytes(header[..8].try_into().unwrap_or_default())).map_err(|_| "a run starts beyond memory")?;
        let raw = u32::from_le_bytes(header[8..12].try_into().unwrap_or_default()) as usize;
        let length = u32::from_le_bytes(header[12..16].try_into().unwrap_or_default()) as usize;
        at += 16;
        let compressed = encoded.get(at..at + length).ok_or("a run is cut short")?;
        let end = start.checked_add(raw).filter(|end| *end <= memory.len() && raw <= MAX_RUN).ok_or("a run lies beyond memory")?;
        let written = lz4_flex::block::decompress_into(compressed, &mut memory[start..end]).map_err(|e| format!("a run does not decompress: {e}"))?;
        if written != raw {
            return Err("a run decompresses to another size than it says".into());
        }
        at += length;
    }
    Ok(())
}
