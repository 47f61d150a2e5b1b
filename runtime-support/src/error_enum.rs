//! [`action_error!`](crate::action_error), the macro a generated error enum is written with: its variants with their status, code and message, and nothing else; the macro adds the docs, `Debug`, `Clone`, `PartialEq`, `describe`, `status`, `code`, `Display`, `Error` and the conversions to and from [`ApiError`](crate::ApiError) and `sqlx::Error`.

use crate::ApiError;
use crate::validate::Violation;

/// Declares the error enum of the action named in `#[action = "..."]`
/// (which comes first). Each variant names its status, wire code and
/// contract message; a variant carries data when it says which:
/// `(violations)` holds the `Vec<Violation>` of a 400 `validation_failed`,
/// `(detail)` the log detail of a 500 `internal` (every enum has exactly
/// one). The macro documents the enum (which action's errors it lists) and
/// each variant (its status, code and message), and derives `Debug`,
/// `Clone` and `PartialEq`; other attributes and doc comments pass through.
///
/// ```
/// bunbase_runtime::action_error! {
///     #[action = "tasks.create_task"]
///     pub enum CreateTaskError {
///         /// Declared.
///         TitleTaken = (409, "title_taken", "Title taken"),
///         ValidationFailed(violations) = (400, "validation_failed", "The input is invalid"),
///         NotImplemented = (501, "not_implemented", "Not implemented yet"),
///         Internal(detail) = (500, "internal", "Internal error"),
///     }
/// }
///
/// use bunbase_runtime::ApiError;
/// let e = CreateTaskError::TitleTaken;
/// assert_eq!((e.status(), e.code()), (409, "title_taken"));
/// assert_eq!(e.to_string(), "409 title_taken: Title taken");
/// let api = ApiError::from(e.clone());
/// assert_eq!((api.status().as_u16(), api.code()), (409, "title_taken"));
/// assert_eq!(CreateTaskError::from(api), e);
/// assert_eq!(
///     CreateTaskError::from(ApiError::forbidden("no")),
///     CreateTaskError::Internal("403 forbidden: no".into()),
/// );
/// ```
#[macro_export]
macro_rules! action_error {
    (
        #[action = $action:literal]
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident $(($kind:ident))? = ($status:literal, $code:literal, $message:literal $(,)?)
            ),* $(,)?
        }
    ) => {
        #[doc = ::std::concat!("Every error `", $action, "` can answer; each maps to a status and a wire code.")]
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        $vis enum $name {
            $(
                #[doc = ::std::concat!($status, " `", $code, "`: ", $message)]
                $(#[$vmeta])*
                $variant $(($crate::__action_error_payload!($kind)))?,
            )*
        }

        impl $name {
            /// The HTTP status, wire code and contract message of this error.
            pub fn describe(&self) -> (u16, &'static str, &'static str) {
                match self {
                    $($name::$variant $(($crate::__action_error_payload!(@ignore $kind)))? => ($status, $code, $message),)*
                }
            }

            /// The HTTP status this error answers with.
            pub fn status(&self) -> u16 {
                self.describe().0
            }

            /// The stable wire code.
            pub fn code(&self) -> &'static str {
                self.describe().1
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                let (status, code, message) = self.describe();
                ::std::write!(f, "{status} {code}: {message}")
            }
        }

        impl ::std::error::Error for $name {}

        impl ::std::convert::From<$name> for $crate::ApiError {
            fn from(e: $name) -> Self {
                let described = e.describe();
                match e {
                    $($name::$variant $(($kind))? => {
                        $crate::__action_error_payload!(@into described, $action $(, $kind $kind)?)
                    })*
                }
            }
        }

        impl ::std::convert::From<$crate::ApiError> for $name {
            /// Maps a runtime error onto this action's variants by its code;
            /// anything else becomes an internal error.
            fn from(e: $crate::ApiError) -> Self {
                $($crate::__action_error_payload!(@from e, $code, $name::$variant $(, $kind)?);)*
                $($crate::__action_error_payload!(@fallback e, $name::$variant $(, $kind)?);)*
            }
        }

        impl ::std::convert::From<$crate::sqlx::Error> for $name {
            fn from(e: $crate::sqlx::Error) -> Self {
                $($crate::__action_error_payload!(@sqlx e, $name::$variant $(, $kind)?);)*
            }
        }
    };
}

/// The per-variant pieces of [`action_error!`]; not for direct use.
#[doc(hidden)]
#[macro_export]
macro_rules! __action_error_payload {
    (violations) => { ::std::vec::Vec<$crate::validate::Violation> };
    (detail) => { ::std::string::String };
    (@ignore $kind:ident) => { _ };
    (@into $described:ident, $action:literal) => {
        $crate::ApiError::described($described, $action)
    };
    (@into $described:ident, $action:literal, violations $v:ident) => {
        $crate::ApiError::validation($v)
    };
    (@into $described:ident, $action:literal, detail $d:ident) => {
        $crate::ApiError::internal($d)
    };
    (@from $e:ident, $code:literal, $($path:ident)::+) => {
        if $e.code() == $code {
            return $($path)::+;
        }
    };
    (@from $e:ident, $code:literal, $($path:ident)::+, violations) => {
        if $e.code() == $code {
            return $($path)::+($crate::error_enum::violations_of(&$e));
        }
    };
    (@from $e:ident, $code:literal, $($path:ident)::+, detail) => {};
    (@fallback $e:ident, $($path:ident)::+) => {};
    (@fallback $e:ident, $($path:ident)::+, violations) => {};
    (@fallback $e:ident, $($path:ident)::+, detail) => {
        return $($path)::+($e.to_string());
    };
    (@sqlx $e:ident, $($path:ident)::+) => {};
    (@sqlx $e:ident, $($path:ident)::+, violations) => {};
    (@sqlx $e:ident, $($path:ident)::+, detail) => {
        return $($path)::+(::std::format!("database error: {}", $e));
    };
}

/// The violations a `validation_failed` error lists (empty when it has
/// none), for [`action_error!`](crate::action_error)'s conversion.
pub fn violations_of(e: &ApiError) -> Vec<Violation> {
    e.details()
        .and_then(|d| d.get("violations"))
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}
