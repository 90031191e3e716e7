//! An ordered map on scoped threads, for the parallel passes of the scanner-facing crates
//! (reading `rules.json` by runs here, compiling and indexing rules in `ruleforge-match`)
//! without a thread-pool dependency.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// `f` over `items` on the available cores, results in the items' order. Scoped threads each
/// take the next item as they finish one, so a thread slowed by other work (or a long item)
/// holds nobody up. With one core, or fewer than `min_per_thread` items for a second thread,
/// everything runs on the calling thread. A panic in `f` is resumed on the caller.
pub fn map<T: Send, R: Send>(
    items: Vec<T>,
    min_per_thread: usize,
    f: impl Fn(T) -> R + Sync,
) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len() / min_per_thread.max(1));
    if threads <= 1 {
        return items.into_iter().map(f).collect();
    }
    let slots: Vec<Mutex<(Option<T>, Option<R>)>> = items
        .into_iter()
        .map(|t| Mutex::new((Some(t), None)))
        .collect();
    let next = AtomicUsize::new(0);
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(slot) = slots.get(i) else { break };
        let item = slot.lock().unwrap_or_else(|p| p.into_inner()).0.take();
        if let Some(item) = item {
            let r = f(item);
            slot.lock().unwrap_or_else(|p| p.into_inner()).1 = Some(r);
        }
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        work();
        for h in handles {
            if let Err(p) = h.join() {
                std::panic::resume_unwind(p);
            }
        }
    });
    slots
        .into_iter()
        .map(|s| {
            let (_, r) = s.into_inner().unwrap_or_else(|p| p.into_inner());
            r.expect("every item is mapped")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::map;

    #[test]
    fn results_keep_the_order_of_the_items_whatever_the_split() {
        for n in [0usize, 1, 2, 3, 17, 1000] {
            let items: Vec<usize> = (0..n).collect();
            for min in [0, 1, 2, 256] {
                let got = map(items.clone(), min, |i| {
                    // Uneven work, so threads finish out of order.
                    if i % 7 == 0 {
                        std::thread::sleep(std::time::Duration::from_micros(200));
                    }
                    i * 3
                });
                assert_eq!(
                    got,
                    items.iter().map(|i| i * 3).collect::<Vec<_>>(),
                    "{n} {min}"
                );
            }
        }
    }

    #[test]
    fn a_panic_in_the_function_reaches_the_caller() {
        let r = std::panic::catch_unwind(|| {
            map((0..64).collect::<Vec<u32>>(), 1, |i| {
                assert!(i != 40, "item 40");
                i
            })
        });
        assert!(r.is_err());
    }
}
