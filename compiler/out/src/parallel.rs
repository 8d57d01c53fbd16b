//! Splitting file-bound work (reading, hashing, stat-ing, sealing thousands of files) over the
//! cores, results in input order.

/// `f` over `items` cut into one contiguous chunk per core (at most 8), each on its own scoped
/// thread, or on this thread alone (where a panic propagates) when there are fewer than `min`
/// items or one core. The results come back in chunk order; `None` for a chunk whose thread
/// panicked.
pub fn map_chunks<T: Sync, R: Send>(
    items: &[T],
    min: usize,
    f: impl Fn(&[T]) -> R + Sync,
) -> Vec<Option<R>> {
    let threads = if items.len() < min.max(2) {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
    };
    if threads == 1 {
        return vec![Some(f(items))];
    }
    let per = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(per)
            .map(|part| scope.spawn(move || f(part)))
            .collect();
        handles.into_iter().map(|h| h.join().ok()).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_item_once_in_order() {
        let items: Vec<u32> = (0..1000).collect();
        for min in [0, 10, 5000] {
            let parts = map_chunks(&items, min, |c| c.to_vec());
            let flat: Vec<u32> = parts.into_iter().flat_map(Option::unwrap).collect();
            assert_eq!(flat, items, "min {min}");
        }
        assert_eq!(map_chunks(&items, 5000, |c| c.len()), vec![Some(1000)]);
        let empty: [u8; 0] = [];
        assert_eq!(map_chunks(&empty, 0, |c| c.len()), vec![Some(0)]);
    }

    #[test]
    fn a_panicking_chunk_is_none_and_the_others_still_answer() {
        if std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
            return; // one core: everything runs on this thread
        }
        let items: Vec<u32> = (0..1000).collect();
        let parts = map_chunks(&items, 2, |c| {
            assert!(!c.contains(&0), "first chunk");
            c.len()
        });
        assert!(parts.len() > 1);
        assert_eq!(parts[0], None);
        assert!(parts[1..].iter().all(Option::is_some));
    }
}
