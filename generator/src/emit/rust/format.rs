//! Formatting on every core: a file is a list of parts, each built as tokens and pretty-printed on its own thread, then joined in order.
//!
//! prettyplease prints a file as its inner attributes followed by each item
//! on its own lines, with nothing between items, so formatting a file's
//! items in runs and concatenating the text gives the same bytes as
//! formatting the whole file at once (a test below holds that). Building
//! and printing the runs in parallel is what keeps `bunbase gen` under a
//! second on a thousand actions.
//!
//! Token trees (`proc_macro2`) are not `Send`, so a part is a function that
//! builds its tokens on the worker that formats them.

use std::sync::atomic::{AtomicUsize, Ordering};

use proc_macro2::TokenStream;

use super::tokens::format_file;

/// One run of a file's items: builds their tokens when called.
pub type Part<'a> = Box<dyn Fn() -> TokenStream + Send + Sync + 'a>;

/// Items per part when a module is split: enough to amortise a part's
/// overhead, small enough to spread a big file over every core.
const ITEMS_PER_PART: usize = 64;

/// Wraps a function building tokens as a part.
pub fn part<'a>(f: impl Fn() -> TokenStream + Send + Sync + 'a) -> Part<'a> {
    Box::new(f)
}

/// Splits `items` into parts of [`ITEMS_PER_PART`] items, each part building
/// its items with `item`, in order.
pub fn chunked<'a, T: Copy + Send + Sync + 'a>(
    items: Vec<T>,
    item: impl Fn(T) -> TokenStream + Send + Sync + Copy + 'a,
) -> Vec<Part<'a>> {
    items
        .chunks(ITEMS_PER_PART)
        .map(|chunk| {
            let chunk = chunk.to_vec();
            part(move || chunk.iter().map(|t| item(*t)).collect())
        })
        .collect()
}

/// All of a file's tokens, parts joined in order (for callers that nest the
/// file in a larger one).
pub fn join(parts: &[Part<'_>]) -> TokenStream {
    parts.iter().map(|p| p()).collect()
}

/// Formats each file (a list of parts) and returns the texts in order. The
/// parts of all files are shared out over the machine's cores; the result
/// does not depend on how many there are.
pub fn format_files(files: &[Vec<Part<'_>>]) -> Vec<String> {
    let jobs: Vec<(usize, &Part<'_>)> = files
        .iter()
        .enumerate()
        .flat_map(|(i, parts)| parts.iter().map(move |p| (i, p)))
        .collect();
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8)
        .min(jobs.len().max(1));
    let next = AtomicUsize::new(0);
    let run = || {
        let mut done = Vec::new();
        loop {
            let j = next.fetch_add(1, Ordering::Relaxed);
            let Some((_, part)) = jobs.get(j) else {
                return done;
            };
            done.push((j, format_file(part())));
        }
    };
    let mut texts: Vec<(usize, String)> = if workers == 1 {
        run()
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..workers).map(|_| s.spawn(run)).collect();
            handles
                .into_iter()
                .flat_map(|h| match h.join() {
                    Ok(done) => done,
                    Err(panic) => std::panic::resume_unwind(panic),
                })
                .collect()
        })
    };
    texts.sort_by_key(|(j, _)| *j);
    let mut out = vec![String::new(); files.len()];
    for ((file, _), (_, text)) in jobs.iter().zip(texts) {
        out[*file].push_str(&text);
    }
    out
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    #[test]
    fn parts_format_to_the_same_bytes_as_the_whole_file() {
        let head = || {
            quote! {
                #![doc = " A module."]
                use std::fmt;
            }
        };
        let item = |n: &usize| {
            let name = quote::format_ident!("Thing{}", n);
            quote! {
                /// A thing.
                #[derive(Debug)]
                pub struct #name { pub a: u32, pub b: ::std::vec::Vec<::std::string::String> }
                impl fmt::Display for #name {
                    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { write!(f, "{}", self.a) }
                }
            }
        };
        let numbers: Vec<usize> = (0..150).collect();
        let h = head();
        let items = numbers.iter().map(item);
        let whole = format_file(quote! { #h #(#items)* });
        let mut parts = vec![part(head)];
        parts.extend(chunked(numbers.iter().collect(), item));
        assert!(parts.len() > 2, "the items span several parts");
        let files = vec![parts, vec![part(head)]];
        let texts = format_files(&files);
        assert_eq!(texts[0], whole);
        assert_eq!(texts[1], format_file(head()));
        assert_eq!(format_file(join(&files[0])), whole);
    }
}
