//! Formatting on every core: a file is a list of parts, each built as tokens and pretty-printed on its own thread, then joined in order.
//!
//! Each top-level item is printed on its own (prettyplease) and the items
//! are joined with a blank line between them (none between `use` items), so
//! formatting a file's items in runs and joining them gives the same bytes
//! as formatting the whole file at once (a test below holds that). Building
//! and printing the runs in parallel is what keeps `bunbase gen` under a
//! second on a thousand actions.
//!
//! Token trees (`proc_macro2`) are not `Send`, so a part is a function that
//! builds its tokens on the worker that formats them.

use std::sync::atomic::{AtomicUsize, Ordering};

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};

use super::shape::Shapes;
#[cfg(test)]
use super::tokens::format_file;

/// One run of a file's items: builds their tokens when called.
pub struct Part<'a> {
    build: Box<dyn Fn() -> Vec<TokenStream> + Send + Sync + 'a>,
    /// One item that grows with the contracts (a function registering every
    /// action): its tokens and syntax tree are the largest held at once.
    whole: bool,
    /// How the built token streams are printed.
    kind: Kind,
}

/// How a part's token streams are printed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// One stream of items, parsed and printed at once.
    Plain,
    /// One stream per element of a [`chunked`] list, each printed through
    /// its shape ([`Shapes`]).
    Shaped,
    /// An inline module ([`module`]): its head, then one stream per item.
    Module,
}

/// Items per part when a module is split: enough to amortise a part's
/// overhead, small enough to spread a big file over every core.
const ITEMS_PER_PART: usize = 64;

/// Wraps a function building tokens as a part.
pub fn part<'a>(f: impl Fn() -> TokenStream + Send + Sync + 'a) -> Part<'a> {
    Part {
        build: Box::new(move || vec![f()]),
        whole: false,
        kind: Kind::Plain,
    }
}

/// A part holding one item that grows with the contracts (every action's
/// registration in one function). [`format_files`] formats such parts one
/// at a time, so that two of the largest syntax trees are never in memory
/// together.
pub fn whole<'a>(f: impl Fn() -> TokenStream + Send + Sync + 'a) -> Part<'a> {
    Part {
        build: Box::new(move || vec![f()]),
        whole: true,
        kind: Kind::Plain,
    }
}

/// A part of one element printed through its shape ([`Shapes`]): a file
/// of a kind repeated with other names (a module's handler stubs).
pub fn shaped<'a>(f: impl Fn() -> TokenStream + Send + Sync + 'a) -> Part<'a> {
    Part {
        build: Box::new(move || vec![f()]),
        whole: false,
        kind: Kind::Shaped,
    }
}

/// An inline module holding one item per element of `items`, printed as
/// [`unparse_items`] prints such a module (its head, then its items
/// indented one level), each item through its shape. `head` builds the
/// module's outer attributes and `mod name {}`; `item` builds whole items.
pub fn module<'a, T: Copy + Send + Sync + 'a>(
    head: impl Fn() -> TokenStream + Send + Sync + 'a,
    items: Vec<T>,
    item: impl Fn(T) -> TokenStream + Send + Sync + 'a,
) -> Part<'a> {
    Part {
        build: Box::new(move || {
            let mut streams = vec![head()];
            streams.extend(items.iter().map(|t| item(*t)));
            streams
        }),
        whole: false,
        kind: Kind::Module,
    }
}

/// Splits `items` into parts of [`ITEMS_PER_PART`] items, each part building
/// its items with `item`, in order. Each call of `item` must give whole
/// items: they are printed one call at a time, through their shape (most
/// calls differ from another only in names).
pub fn chunked<'a, T: Copy + Send + Sync + 'a>(
    items: Vec<T>,
    item: impl Fn(T) -> TokenStream + Send + Sync + Copy + 'a,
) -> Vec<Part<'a>> {
    items
        .chunks(ITEMS_PER_PART)
        .map(|chunk| {
            let chunk = chunk.to_vec();
            Part {
                build: Box::new(move || chunk.iter().map(|t| item(*t)).collect()),
                whole: false,
                kind: Kind::Shaped,
            }
        })
        .collect()
}

/// All of a file's tokens, parts joined in order (for callers that nest the
/// file in a larger one).
pub fn join(parts: &[Part<'_>]) -> TokenStream {
    parts
        .iter()
        .flat_map(|p| match p.kind {
            Kind::Module => module_tokens(p),
            Kind::Plain | Kind::Shaped => (p.build)().into_iter().collect(),
        })
        .collect()
}

/// A [`module`] part as one token stream: its items inside its head's
/// braces.
fn module_tokens(part: &Part<'_>) -> TokenStream {
    let mut streams = (part.build)().into_iter();
    let head = streams.next().unwrap_or_default();
    let body: TokenStream = streams.collect();
    let mut tokens: Vec<TokenTree> = head.into_iter().collect();
    if let Some(TokenTree::Group(g)) = tokens.last_mut()
        && g.delimiter() == Delimiter::Brace
    {
        *g = Group::new(Delimiter::Brace, body);
    }
    tokens.into_iter().collect()
}

/// Formats each file (a list of parts) and returns the texts in order. The
/// parts of all files are shared out over the machine's cores; the result
/// does not depend on how many there are. The first worker formats the
/// [`whole`] parts, one after the other, before it joins the others on the
/// rest, which start with the [`module`] parts (one job each, as long as
/// many runs), so that no long job is left for the end.
pub fn format_files(files: &[Vec<Part<'_>>]) -> Vec<String> {
    let jobs: Vec<(usize, &Part<'_>)> = files
        .iter()
        .enumerate()
        .flat_map(|(i, parts)| parts.iter().map(move |p| (i, p)))
        .collect();
    let (wholes, mut runs): (Vec<usize>, Vec<usize>) =
        (0..jobs.len()).partition(|j| jobs[*j].1.whole);
    runs.sort_by_key(|j| jobs[*j].1.kind != Kind::Module);
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8)
        .min(jobs.len().max(1));
    let next = AtomicUsize::new(0);
    let shapes = Shapes::default();
    let format = |j: usize| {
        let part = jobs[j].1;
        let printed = match part.kind {
            Kind::Plain => unparse_items((part.build)().into_iter().collect()),
            Kind::Shaped => (part.build)()
                .into_iter()
                .flat_map(|e| shapes.unparse(e).0)
                .collect(),
            Kind::Module => shaped_module(part, &shapes),
        };
        (j, printed)
    };
    let run = |first: bool| {
        let mut done: Vec<(usize, Vec<Printed>)> = Vec::new();
        if first {
            done.extend(wholes.iter().map(|j| format(*j)));
        }
        loop {
            let r = next.fetch_add(1, Ordering::Relaxed);
            let Some(j) = runs.get(r) else {
                return done;
            };
            done.push(format(*j));
        }
    };
    let mut texts: Vec<(usize, Vec<Printed>)> = if workers == 1 {
        run(true)
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..workers).map(|w| s.spawn(move || run(w == 0))).collect();
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
    let mut items: Vec<Vec<Printed>> = (0..files.len()).map(|_| Vec::new()).collect();
    for ((file, _), (_, printed)) in jobs.iter().zip(texts) {
        items[*file].extend(printed);
    }
    items.iter().map(|i| join_items(i)).collect()
}

/// One top-level piece of a printed file: the module docs, a `use`, or
/// any other item.
pub struct Printed {
    pub(super) is_use: bool,
    pub(super) text: String,
}

/// Prints each top-level item of `tokens` (a file) on its own: prettyplease
/// for every item, except that the body of an `action_error!` is laid out as
/// the enum it reads as (prettyplease leaves macro bodies on long lines),
/// and `db_table!` declarations are laid out line by line (emit/db).
/// The tokens are built by this emitter, so a parse failure is a bug in
/// bunbase; the message names it.
pub fn unparse_items(tokens: TokenStream) -> Vec<Printed> {
    let file = match syn::parse2::<syn::File>(tokens) {
        Ok(file) => file,
        Err(e) => panic!("bunbase bug: the Rust emitter built tokens that do not parse: {e}"),
    };
    let mut out = Vec::with_capacity(file.items.len() + 1);
    if !file.attrs.is_empty() {
        let mut docs: syn::File = syn::parse_quote!();
        docs.attrs = file.attrs;
        out.push(Printed {
            is_use: false,
            text: prettyplease::unparse(&docs),
        });
    }
    for item in file.items {
        let is_use = matches!(item, syn::Item::Use(_));
        let text = match &item {
            syn::Item::Macro(m)
                if m.mac
                    .path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "action_error") =>
            {
                macro_item(m)
            }
            syn::Item::Mod(m) if m.content.is_some() => inline_mod(m),
            _ => print_item(item),
        };
        out.push(Printed { is_use, text });
    }
    out
}

/// The printed items joined into a file: a blank line between items, none
/// between consecutive `use` items.
pub fn join_items(items: &[Printed]) -> String {
    let mut out = String::with_capacity(items.iter().map(|i| i.text.len() + 1).sum());
    for (i, item) in items.iter().enumerate() {
        if i > 0 && !(item.is_use && items[i - 1].is_use) {
            out.push('\n');
        }
        out.push_str(&item.text);
    }
    out
}

fn print_item(item: syn::Item) -> String {
    let mut file: syn::File = syn::parse_quote!();
    file.items.push(item);
    crate::emit::db::lay_out_declarations(prettyplease::unparse(&file))
}

/// A [`module`] part printed as [`inline_mod`] prints the module: its head
/// without the closing brace, then its items, each through its shape,
/// indented one level. A module holding a string literal spanning lines is
/// printed whole, as `inline_mod` does.
fn shaped_module(part: &Part<'_>, shapes: &Shapes) -> Vec<Printed> {
    let mut streams = (part.build)().into_iter();
    let head = unparse_items(streams.next().unwrap_or_default());
    let mut items = Vec::new();
    let mut multiline = false;
    for stream in streams {
        let (printed, lines) = shapes.unparse(stream);
        items.extend(printed);
        multiline |= lines;
    }
    let open = match head.as_slice() {
        [only] if !multiline => only.text.strip_suffix("}\n"),
        _ => None,
    };
    let Some(open) = open else {
        return unparse_items(module_tokens(part));
    };
    vec![Printed {
        is_use: false,
        text: close_block(open.to_owned(), &join_items(&items)),
    }]
}

/// An inline module (`mod m { ... }`) printed like a file: each of its items
/// on its own with a blank line between them, indented one level. A module
/// with inner attributes or a string literal spanning lines (which
/// indenting would change) is printed by prettyplease alone.
fn inline_mod(m: &syn::ItemMod) -> String {
    let whole = || print_item(syn::Item::Mod(m.clone()));
    let Some((brace, items)) = &m.content else {
        return whole();
    };
    let inner_attrs = m
        .attrs
        .iter()
        .any(|a| matches!(a.style, syn::AttrStyle::Inner(_)));
    if inner_attrs || has_multiline_literal(quote::ToTokens::to_token_stream(m)) {
        return whole();
    }
    let mut head = m.clone();
    head.content = Some((*brace, Vec::new()));
    let head = print_item(syn::Item::Mod(head));
    let Some(head) = head.strip_suffix("{}\n") else {
        return whole();
    };
    let body = join_items(&unparse_items(quote::quote!(#(#items)*)));
    close_block(format!("{head}{{\n"), &body)
}

/// `open`, then each line of `body` indented one level (blank lines kept
/// blank), then the closing brace.
fn close_block(mut out: String, body: &str) -> String {
    for line in body.lines() {
        if !line.is_empty() {
            out.push_str("    ");
        }
        out.push_str(line);
        out.push('\n');
    }
    out.push_str("}\n");
    out
}

/// Whether a literal in `tokens` spans lines in its source text.
fn has_multiline_literal(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|t| match t {
        proc_macro2::TokenTree::Literal(l) => l.to_string().contains('\n'),
        proc_macro2::TokenTree::Group(g) => has_multiline_literal(g.stream()),
        _ => false,
    })
}

/// An `action_error! { ... }` item whose body parses as an enum, with the
/// body printed as that enum, indented one level.
fn macro_item(m: &syn::ItemMacro) -> String {
    let Ok(body) = syn::parse2::<syn::Item>(m.mac.tokens.clone()) else {
        return print_item(syn::Item::Macro(m.clone()));
    };
    let path = &m.mac.path;
    let open = format!(
        "{}! {{\n",
        quote::quote!(#path).to_string().replace(' ', "")
    );
    close_block(open, &print_item(body))
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
        // A whole part, formatted first by the first worker, still lands in
        // its file's place.
        let files = vec![parts, vec![super::whole(head)]];
        let texts = format_files(&files);
        assert_eq!(texts[0], whole);
        assert_eq!(texts[1], format_file(head()));
        assert_eq!(format_file(join(&files[0])), whole);
    }

    #[test]
    fn a_module_part_prints_as_its_whole_module() {
        let head = || {
            quote! {
                /// Functions, one per thing.
                mod per_thing {}
            }
        };
        let item = |n: usize| {
            if n == 0 {
                return quote! {
                    #[allow(unused_imports)]
                    use super::*;
                };
            }
            let name = quote::format_ident!("register_thing_{}", n);
            let kind = format!("things.kind_{n}");
            quote! {
                /// Registers a thing.
                pub(super) fn #name<H: Handlers>(rt: &Runtime, app: &Arc<H>) {
                    let app = app.clone();
                    rt.register_job(JobKind::new(#kind).max_attempts(5), move |rt, job| { let app = app.clone(); async move { app.run(&rt, job).await } });
                }
            }
        };
        let numbers: Vec<usize> = (0..12).collect();
        let items = numbers.iter().map(|n| item(*n));
        let whole = format_file(quote! {
            /// Functions, one per thing.
            mod per_thing { #(#items)* }
        });
        let texts = format_files(&[vec![module(head, numbers.clone(), item)]]);
        assert_eq!(texts[0], whole);
        // A string spanning lines: printed whole, as `unparse_items` does.
        let multiline = |n: usize| {
            // `"a` and `b"` on two lines of the source text.
            let text: TokenStream = "\"a\nb\"".parse().unwrap_or_default();
            let name = quote::format_ident!("thing_{}", n);
            quote!(pub const #name: &str = #text;)
        };
        let items = numbers.iter().map(|n| multiline(*n));
        let whole = format_file(quote! {
            /// Functions, one per thing.
            mod per_thing { #(#items)* }
        });
        let texts = format_files(&[vec![module(head, numbers, multiline)]]);
        assert_eq!(texts[0], whole);
    }

    #[test]
    fn items_are_spaced_and_error_enums_laid_out() {
        let text = format_file(quote! {
            #![doc = " A module."]
            use a::b;
            use c::{d, e};
            pub struct S;
            impl S { fn f(&self) {} }
            ::bunbase_runtime::action_error! {
                #[action = "m.a"]
                /// Errors.
                pub enum E { /// Not yet.
                    NotImplemented = (501, "not_implemented", "Not implemented yet"), Internal(detail) = (500, "internal", "Internal error"), }
            }
            pub const X: u8 = 1;
        });
        let want = "//! A module.\n\nuse a::b;\nuse c::{d, e};\n\npub struct S;\n\nimpl S {\n    fn f(&self) {}\n}\n\n::bunbase_runtime::action_error! {\n    #[action = \"m.a\"]\n    /// Errors.\n    pub enum E {\n        /// Not yet.\n        NotImplemented = (501, \"not_implemented\", \"Not implemented yet\"),\n        Internal(detail) = (500, \"internal\", \"Internal error\"),\n    }\n}\n\npub const X: u8 = 1;\n";
        assert_eq!(text, want, "{text}");
    }
}
