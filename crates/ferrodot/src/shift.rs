//! Moving bytes inside one buffer (keep-alive compaction, in-place chunk
//! decoding, a header line inserted before a buffered body). Without
//! `std` it is a byte loop, not `memmove`: compiler-builtins' `memmove` is
//! 1.5 KB of a device's flash for moves of a few hundred bytes; on a host
//! it is core's `copy_within`.

use core::ops::Range;

/// `buf.copy_within(src, dest)` that never panics: `false` (nothing
/// moved) if either range is outside `buf`.
#[inline(never)]
pub(crate) fn copy_within(buf: &mut [u8], src: Range<usize>, dest: usize) -> bool {
    let len = src.end.saturating_sub(src.start);
    let fits = |start: usize| start.checked_add(len).is_some_and(|end| end <= buf.len());
    if src.start > src.end || !fits(src.start) || !fits(dest) {
        return false;
    }
    #[cfg(feature = "std")]
    buf.copy_within(src, dest);
    #[cfg(not(feature = "std"))]
    byte_by_byte(buf, src.start, dest, len);
    true
}

/// A byte at a time, in the direction that is safe for overlapping ranges.
#[cfg(any(test, not(feature = "std")))]
fn byte_by_byte(buf: &mut [u8], from: usize, to: usize, len: usize) {
    let mut step = |i: usize| {
        if let Some(&b) = buf.get(from.wrapping_add(i)) {
            if let Some(slot) = buf.get_mut(to.wrapping_add(i)) {
                *slot = b;
            }
        }
    };
    if to <= from {
        (0..len).for_each(&mut step);
    } else {
        (0..len).rev().for_each(&mut step);
    }
}

#[cfg(test)]
mod tests {
    use super::{byte_by_byte, copy_within};

    #[test]
    fn the_byte_loop_agrees_with_core_in_both_directions() {
        for len in 0..12usize {
            for from in 0..=(12 - len) {
                for to in 0..=(12 - len) {
                    let mut ours: [u8; 12] = core::array::from_fn(|i| i as u8);
                    let mut core_copy = ours;
                    byte_by_byte(&mut ours, from, to, len);
                    core_copy.copy_within(from..from + len, to);
                    assert_eq!(ours, core_copy, "{from}..{} -> {to}", from + len);
                }
            }
        }
    }

    #[test]
    fn out_of_range_moves_nothing() {
        let mut buf = [7u8; 4];
        assert!(!copy_within(&mut buf, 2..5, 0));
        assert!(!copy_within(&mut buf, 0..2, 3));
        #[allow(clippy::reversed_empty_ranges)]
        let reversed = 3..1;
        assert!(!copy_within(&mut buf, reversed, 0));
        assert_eq!(buf, [7; 4]);
        assert!(copy_within(&mut buf, 0..0, 4));
    }
}
