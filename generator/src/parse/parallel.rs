//! An order-preserving map over the contract files on the machine's cores: parsing is a third of a large set's compile, and each file parses alone.

/// Below this many bytes of contracts in all, one thread parses them
/// (starting threads would cost more than it saves).
const PARALLEL_FROM_BYTES: usize = 256 * 1024;

/// `f` over `files`, results in the same order, on up to as many threads
/// as the machine has cores, each taking a run of consecutive files of
/// about the same number of bytes.
pub(super) fn map<T: Send>(
    files: &[(&String, &String)],
    f: impl Fn(&(&String, &String)) -> T + Sync,
) -> Vec<T> {
    let total: usize = files.iter().map(|(_, text)| text.len()).sum();
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(files.len());
    if threads < 2 || total < PARALLEL_FROM_BYTES {
        return files.iter().map(&f).collect();
    }
    // Cut where the running byte count crosses each thread's share.
    let share = total.div_ceil(threads);
    let mut runs = Vec::with_capacity(threads);
    let (mut start, mut bytes) = (0, 0);
    for (i, (_, text)) in files.iter().enumerate() {
        bytes += text.len();
        if bytes >= share * (runs.len() + 1) && runs.len() + 1 < threads {
            runs.push(&files[start..=i]);
            start = i + 1;
        }
    }
    runs.push(&files[start..]);
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = runs
            .iter()
            .map(|run| s.spawn(move || run.iter().map(f).collect::<Vec<T>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(part) => part,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_order_whatever_the_split() {
        let names: Vec<String> = (0..37).map(|i| format!("f{i:02}.yaml")).collect();
        let texts: Vec<String> = (0..37).map(|i| "x".repeat(20_000 + i * 997)).collect();
        let files: Vec<(&String, &String)> = names.iter().zip(&texts).collect();
        let out = map(&files, |(name, text)| format!("{name}:{}", text.len()));
        let expected: Vec<String> = files
            .iter()
            .map(|(name, text)| format!("{name}:{}", text.len()))
            .collect();
        assert_eq!(out, expected);
        assert_eq!(
            map(&files[..1], |(name, _)| (*name).clone()),
            vec!["f00.yaml"]
        );
        assert!(map(&[], |(name, _)| (*name).clone()).is_empty());
    }
}
