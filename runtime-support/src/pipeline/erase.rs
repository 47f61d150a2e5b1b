//! The pipeline's input, handler and output with their types erased, so that its body is compiled once in this crate rather than once per action in every application.
//!
//! A generated server calls [`ActionSpec::run_http`](crate::ActionSpec::run_http)
//! (and its siblings) for each of its actions with the action's own input,
//! output, error and handler types. Were the pipeline generic over them,
//! every action would instantiate all of it (guards, idempotency, retries,
//! the run record, the response) in the application's binary crate, the
//! crate a one-line contract change rebuilds. The public entry points are
//! thin generic wrappers instead: they erase the types with the functions
//! here and call the pipeline's one non-generic body. What an action costs
//! at run time for that is two small allocations (its decoded input and its
//! output, each moved into a `Box` once).

use std::any::Any;
use std::future::Future;

use futures::FutureExt as _;
use futures::future::BoxFuture;

use crate::ApiError;
use crate::context::ActionContext;
use crate::validate::Validate;

/// A decoded input of any action: validated, copied for a retry and handed
/// to the handler, without the pipeline knowing its type.
pub(crate) trait AnyInput: Send {
    /// [`Validate::validate`] of the input.
    fn validate(&self) -> Result<(), ApiError>;
    /// A copy, kept for the next attempt.
    fn clone_input(&self) -> Box<dyn AnyInput>;
    /// The input itself, for the handler to take back by type.
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
}

impl<I: Validate + Clone + Send + 'static> AnyInput for I {
    fn validate(&self) -> Result<(), ApiError> {
        Validate::validate(self)
    }

    fn clone_input(&self) -> Box<dyn AnyInput> {
        Box::new(self.clone())
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

/// A handler's output, its type erased.
pub(crate) type AnyOutput = Box<dyn Any + Send>;

/// A handler with its input, output and error types erased.
pub(crate) type Handler<'h> = dyn Fn(ActionContext, Box<dyn Any + Send>) -> BoxFuture<'h, Result<AnyOutput, ApiError>>
    + Send
    + Sync
    + 'h;

/// Reads an action's input once: the decoder of one run.
pub(crate) type Read<'r> = dyn FnMut() -> Result<Box<dyn AnyInput>, ApiError> + Send + 'r;

/// `handler` with its types erased: it takes the input back by type, and
/// its error becomes the [`ApiError`] it converts to.
pub(crate) fn handler<'h, I, O, E, Fut, H>(
    handler: &'h H,
) -> impl Fn(ActionContext, Box<dyn Any + Send>) -> BoxFuture<'h, Result<AnyOutput, ApiError>>
+ Send
+ Sync
+ 'h
where
    I: Send + 'static,
    O: Send + 'static,
    E: Into<ApiError> + Send,
    Fut: Future<Output = Result<O, E>> + Send + 'h,
    H: Fn(ActionContext, I) -> Fut + Send + Sync,
{
    move |ctx, input| match input.downcast::<I>() {
        // Mapped, not awaited in an `async` block: the handler's future
        // is moved once, into the box, rather than again into the block's
        // awaited slot on its first poll.
        Ok(input) => Box::pin(handler(ctx, *input).map(|result| match result {
            Ok(output) => Ok(Box::new(output) as AnyOutput),
            Err(e) => Err(e.into()),
        })),
        Err(_) => Box::pin(std::future::ready(Err(mismatch("input")))),
    }
}

/// The decoder `decode` as the pipeline calls it: once per run (a second
/// call is an internal error, which the pipeline never makes).
pub(crate) fn read<'r, I>(
    decode: impl FnOnce() -> Result<I, ApiError> + Send + 'r,
) -> impl FnMut() -> Result<Box<dyn AnyInput>, ApiError> + Send + 'r
where
    I: Validate + Clone + Send + 'static,
{
    let mut decode = Some(decode);
    move || match decode.take() {
        Some(decode) => decode().map(|input| Box::new(input) as Box<dyn AnyInput>),
        None => Err(ApiError::internal("an action's input was read twice")),
    }
}

/// The output back as its type.
pub(crate) fn output<O: 'static>(output: AnyOutput) -> Result<O, ApiError> {
    match output.downcast::<O>() {
        Ok(output) => Ok(*output),
        Err(_) => Err(mismatch("output")),
    }
}

/// The output as its JSON text.
pub(crate) fn to_json<O: serde::Serialize + 'static>(
    output: &(dyn Any + Send),
) -> Result<Vec<u8>, String> {
    match output.downcast_ref::<O>() {
        Some(output) => serde_json::to_vec(output).map_err(|e| e.to_string()),
        None => Err(mismatch("output").to_string()),
    }
}

/// The error of a value that is not of the type its action declares: a
/// bug in the runtime, answered as `internal` rather than a panic.
fn mismatch(what: &str) -> ApiError {
    ApiError::internal(format_args!(
        "an action's {what} is not of its declared type"
    ))
}
