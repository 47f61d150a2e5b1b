//! Work shared by two threads: the first half of a list here, the second on another thread, results taken back in order; for stages that would otherwise keep one core idle.

/// `f` over the first half of `items` on this thread and over the second
/// half on another: the first half's results, then the second's. A panic
/// on the other thread is raised again here.
pub(crate) fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&[T]) -> Vec<R> + Sync) -> Vec<R> {
    let (first, second) = items.split_at(items.len() / 2);
    std::thread::scope(|s| {
        let second = s.spawn(|| f(second));
        let mut all = f(first);
        match second.join() {
            Ok(rest) => all.extend(rest),
            Err(panic) => std::panic::resume_unwind(panic),
        }
        all
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_the_order_of_the_items() {
        for n in [0, 1, 2, 7] {
            let items: Vec<usize> = (0..n).collect();
            let out = super::map(&items, |half| half.iter().map(|i| i * 10).collect());
            assert_eq!(out, items.iter().map(|i| i * 10).collect::<Vec<_>>());
        }
    }
}
