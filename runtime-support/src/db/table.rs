//! [`db_table!`](crate::db_table): a generated table's queries and its filter, order and cursor types, expanded from the short declaration the API crate's `db` module carries per table.
//!
//! The generator emits, per table, the row, insert and patch structs (with
//! their column docs) and one `db_table!` declaration naming the table's
//! types, its primary key and, per column, its Rust field, type, SQL name
//! and what it can filter, order and page by. This macro expands that
//! into:
//!
//! - `impl FromRow for Row`, generic over the row type, so one impl serves
//!   each dialect;
//! - the filter struct (`column`, `column_in`, `column_range` fields), the
//!   order enum (`ColumnAsc`/`ColumnDesc`, its default the first key
//!   column) and the keyset cursor enum with `Row::after(order)`;
//! - `get`, `update`, `delete` (tables with a primary key), `insert`,
//!   `list` and `delete_where`.
//!
//! Each query body is compiled once per targeted dialect through
//! [`on_conn!`](crate::on_conn) against that dialect's own types; the SQL
//! text is built by the helpers of [`crate::db::query`] (fixed statements
//! once per table, cached).
//!
//! The declaration's grammar (every part is required; `()` for none):
//!
//! ```text
//! table "tasks" on both;                // both | sqlite | postgres
//! row TaskRow, new NewTask, patch TaskPatch, filter TaskFilter;
//! key(id(Uuid) = "id");                 // the primary key's fields, types and SQL names
//! order(TaskOrder = IdAsc);             // the order enum and its default, or ()
//! after(TaskAfter);                     // the cursor enum of a table that pages, or ()
//! columns {
//!     // field(type) null|not_null required|default key|field = "sql name",
//!     // then what it filters, ranges and orders by (each optional):
//!     owner_id(Uuid) not_null required field = "owner_id" in owner_id_in
//!         range owner_id_range order(OwnerIdAsc, OwnerIdDesc, OwnerId, id(Uuid));
//! }
//! ```

/// Expands a generated table declaration into its queries and its filter,
/// order and cursor types (see [the module](crate::db::table) for the
/// grammar). Invoked by the generated `db` module, inside the table's own
/// module, after its row, insert and patch structs.
#[macro_export]
macro_rules! db_table {
    (
        table $table:literal on $dialect:ident;
        row $row:ident, new $new:ident, patch $patch:ident, filter $filter:ident;
        key $key:tt;
        order $order:tt;
        after $after:tt;
        columns $cols:tt
    ) => {
        /// The table's SQL name.
        #[allow(dead_code)]
        const TABLE: &str = $table;
        $crate::db_table!(@consts $key $cols);
        $crate::db_table!(@from_row $row $cols);
        $crate::db_table!(@filter $table $filter $cols);
        $crate::db_table!(@order $table $order $cols);
        $crate::db_table!(@after $table $row $order $after $cols);
        $crate::db_table!(@by_key $dialect $table $row $patch $key $cols);
        $crate::db_table!(@insert $dialect $table $row $new $cols);
        $crate::db_table!(@list $dialect $table $row $filter $order $after $cols);
    };

    // The column and key SQL names.
    (@consts ($( $k:ident($kty:ty) = $kname:literal ),*) {
        $( $f:ident($ty:ty) $null:ident $ins:ident $pk:ident = $name:literal
            $( in $in:ident )? $( range $range:ident )?
            $( order($asc:ident, $desc:ident, $av:ident $(, $rk:ident($rkty:ty) )*) )? ; )*
    }) => {
        /// Every column's SQL name, in declaration order.
        #[allow(dead_code)]
        const COLUMNS: &[&str] = &[$( $name ),*];
        /// The primary key's SQL names, in key order.
        #[allow(dead_code)]
        const KEY: &[&str] = &[$( $kname ),*];
    };

    (@ty null $ty:ty) => { ::std::option::Option<$ty> };
    (@ty not_null $ty:ty) => { $ty };
    (@is_null null) => { true };
    (@is_null not_null) => { false };

    // `FromRow`, generic over the row type: one impl serves each dialect.
    (@from_row $row:ident {
        $( $f:ident($ty:ty) $null:ident $ins:ident $pk:ident = $name:literal
            $( in $in:ident )? $( range $range:ident )?
            $( order($asc:ident, $desc:ident, $av:ident $(, $rk:ident($rkty:ty) )*) )? ; )*
    }) => {
        impl<'r, R: $crate::sqlx::Row> $crate::sqlx::FromRow<'r, R> for $row
        where
            &'r str: $crate::sqlx::ColumnIndex<R>,
            $( $crate::db_table!(@ty $null $ty): $crate::sqlx::Decode<'r, R::Database> + $crate::sqlx::Type<R::Database>, )*
        {
            fn from_row(row: &'r R) -> ::std::result::Result<Self, $crate::sqlx::Error> {
                ::std::result::Result::Ok($row {
                    $( $f: $crate::sqlx::Row::try_get(row, $name)?, )*
                })
            }
        }
    };

    (@filter $table:literal $filter:ident {
        $( $f:ident($ty:ty) $null:ident $ins:ident $pk:ident = $name:literal
            $( in $in:ident )? $( range $range:ident )?
            $( order($asc:ident, $desc:ident, $av:ident $(, $rk:ident($rkty:ty) )*) )? ; )*
    }) => {
        #[doc = concat!(" Filters for listing `", $table, "`: every `Some` and every range bound must hold. `column` tests equality (a nullable column takes `Some(None)` for IS NULL), `column_in` membership (an empty list matches nothing), `column_range` order (`gt`, `gte`, `lt`, `lte`).")]
        #[derive(Debug, Clone, PartialEq, Default)]
        pub struct $filter {
            $(
                $(
                    #[doc = concat!(" `", $name, "` equals this.")]
                    pub $f: ::std::option::Option<$crate::db_table!(@ty $null $ty)>,
                    #[doc = concat!(" `", $name, "` is one of these.")]
                    pub $in: ::std::option::Option<::std::vec::Vec<$ty>>,
                )?
                $(
                    #[doc = concat!(" `", $name, "` is within these bounds.")]
                    pub $range: $crate::db::Range<$ty>,
                )?
            )*
        }

        /// Appends `filter`'s conditions.
        #[allow(unused_variables)]
        fn filter_sql<DB: $crate::sqlx::Database>(
            q: &mut $crate::sqlx::QueryBuilder<DB>,
            filter: &$filter,
        ) where
            $( $ty: $crate::db::query::Bind<DB>, )*
        {
            $(
                $(
                    $crate::db_table!(@eq $null q, $name, filter.$f.as_ref());
                    $crate::db::query::push_in(q, $name, filter.$in.as_deref());
                )?
                $( $crate::db::query::push_range(q, $name, &filter.$range); )?
            )*
        }
    };

    (@eq null $q:ident, $name:expr, $v:expr) => {
        $crate::db::query::push_eq_nullable($q, $name, $v)
    };
    (@eq not_null $q:ident, $name:expr, $v:expr) => {
        $crate::db::query::push_eq($q, $name, $v)
    };

    (@order $table:literal () $cols:tt) => {};
    (@order $table:literal ($order:ident = $default:ident) {
        $( $f:ident($ty:ty) $null:ident $ins:ident $pk:ident = $name:literal
            $( in $in:ident )? $( range $range:ident )?
            $( order($asc:ident, $desc:ident, $av:ident $(, $rk:ident($rkty:ty) )*) )? ; )*
    }) => {
        #[doc = concat!(" The order of a `", $table, "` listing: a column, then the rest of the primary key in the same direction, which also pages (keyset); NULLs come first ascending, last descending.")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $order {
            $( $(
                #[doc = concat!(" By `", $name, "`, ascending.")]
                $asc,
                #[doc = concat!(" By `", $name, "`, descending.")]
                $desc,
            )? )*
        }

        impl ::std::default::Default for $order {
            fn default() -> Self {
                $order::$default
            }
        }

        impl $order {
            /// The column, direction and tie-breaking key of this order.
            #[allow(dead_code)]
            fn keyset(self) -> $crate::db::Keyset<'static> {
                let (column, desc, nullable) = match self {
                    $( $(
                        $order::$asc => ($name, false, $crate::db_table!(@is_null $null)),
                        $order::$desc => ($name, true, $crate::db_table!(@is_null $null)),
                    )? )*
                };
                $crate::db::Keyset { column, key: KEY, desc, nullable }
            }
        }
    };

    (@after $table:literal $row:ident $order:tt () $cols:tt) => {};
    (@after $table:literal $row:ident ($order:ident = $default:ident) ($after:ident) {
        $( $f:ident($ty:ty) $null:ident $ins:ident $pk:ident = $name:literal
            $( in $in:ident )? $( range $range:ident )?
            $( order($asc:ident, $desc:ident, $av:ident $(, $rk:ident($rkty:ty) )*) )? ; )*
    }) => {
        #[doc = concat!(" A keyset cursor for listing `", $table, "`: the order column's and the rest of the primary key's values of a page's last row (`", stringify!($row), "::after`).")]
        #[derive(Debug, Clone, PartialEq)]
        pub enum $after {
            $( $(
                #[doc = concat!(" After a row with these values, ordered by `", $name, "`.")]
                $av {
                    #[doc = concat!(" `", $name, "`")]
                    $f: $crate::db_table!(@ty $null $ty),
                    $(
                        #[doc = concat!(" `", stringify!($rk), "`")]
                        $rk: $rkty,
                    )*
                },
            )? )*
        }

        impl $row {
            /// The cursor of the page after this row, listed in `order`.
            pub fn after(&self, order: $order) -> $after {
                match order {
                    $( $(
                        $order::$asc | $order::$desc => $after::$av {
                            $f: ::std::clone::Clone::clone(&self.$f),
                            $( $rk: ::std::clone::Clone::clone(&self.$rk), )*
                        },
                    )? )*
                }
            }
        }
    };

    (@on both $db:ident, $conn:ident => $body:expr) => {
        $crate::on_conn!($db, $conn => $body)
    };
    (@on sqlite $db:ident, $conn:ident => $body:expr) => {
        $crate::on_conn!($db, sqlite only, $conn => $body)
    };
    (@on postgres $db:ident, $conn:ident => $body:expr) => {
        $crate::on_conn!($db, postgres only, $conn => $body)
    };

    (@by_key $dialect:ident $table:literal $row:ident $patch:ident () $cols:tt) => {};
    (@by_key $dialect:ident $table:literal $row:ident $patch:ident
        ($( $k:ident($kty:ty) = $kname:literal ),+) {
        $( $f:ident($ty:ty) $null:ident $ins:ident $pk:ident = $name:literal
            $( in $in:ident )? $( range $range:ident )?
            $( order($asc:ident, $desc:ident, $av:ident $(, $rk:ident($rkty:ty) )*) )? ; )*
    }) => {
        #[doc = concat!(" The row of `", $table, "` with this primary key, if any.")]
        pub async fn get<'e>(
            db: impl ::std::convert::Into<$crate::db::Exec<'e>>,
            $( $k: $kty ),+
        ) -> ::std::result::Result<::std::option::Option<$row>, $crate::sqlx::Error> {
            static SQL: ::std::sync::LazyLock<::std::string::String> = ::std::sync::LazyLock::new(|| {
                $crate::db::query::select_by_key(TABLE, COLUMNS, KEY)
            });
            $crate::db_table!(@on $dialect db, conn => {
                $crate::sqlx::query_as(SQL.as_str())$( .bind($k) )+.fetch_optional(conn).await
            })
        }

        #[doc = concat!(" Applies `patch` to the row of `", $table, "` with this primary key and returns the row as stored; `None` when there is no such row. An empty patch reads the row.")]
        pub async fn update<'e>(
            db: impl ::std::convert::Into<$crate::db::Exec<'e>>,
            $( $k: $kty, )+
            patch: &$patch,
        ) -> ::std::result::Result<::std::option::Option<$row>, $crate::sqlx::Error> {
            if true $( && $crate::db_table!(@unset $pk patch $f) )* {
                return get(db, $( $k ),+).await;
            }
            $crate::db_table!(@on $dialect db, conn => {
                update_sql($( $k, )+ patch).build_query_as().fetch_optional(conn).await
            })
        }

        /// The `UPDATE` of a non-empty `patch`.
        #[allow(unused_variables, unused_mut)]
        fn update_sql<DB: $crate::sqlx::Database>(
            $( $k: $kty, )+
            patch: &$patch,
        ) -> $crate::sqlx::QueryBuilder<DB>
        where
            $( $ty: $crate::db::query::Bind<DB>, ::std::option::Option<$ty>: $crate::db::query::Bind<DB>, )*
        {
            let mut q = $crate::sqlx::QueryBuilder::new("UPDATE ");
            $crate::db::query::push_ident(&mut q, TABLE);
            q.push(" SET ");
            let mut n = 0;
            $( $crate::db_table!(@set $pk q n patch $f $name); )*
            let mut n = 0;
            $(
                $crate::db::query::push_key(&mut q, &mut n, $kname);
                q.push_bind($k);
            )+
            $crate::db::query::push_returning(&mut q, COLUMNS);
            q
        }

        #[doc = concat!(" Deletes the row of `", $table, "` with this primary key; `true` when there was one.")]
        pub async fn delete<'e>(
            db: impl ::std::convert::Into<$crate::db::Exec<'e>>,
            $( $k: $kty ),+
        ) -> ::std::result::Result<bool, $crate::sqlx::Error> {
            static SQL: ::std::sync::LazyLock<::std::string::String> = ::std::sync::LazyLock::new(|| {
                $crate::db::query::delete_by_key(TABLE, KEY)
            });
            $crate::db_table!(@on $dialect db, conn => {
                let done = $crate::sqlx::query(SQL.as_str())$( .bind($k) )+.execute(conn).await?;
                ::std::result::Result::Ok(done.rows_affected() > 0)
            })
        }
    };

    (@unset key $p:ident $f:ident) => { true };
    (@unset field $p:ident $f:ident) => { $p.$f.is_none() };
    (@set key $q:ident $n:ident $p:ident $f:ident $name:literal) => {};
    (@set field $q:ident $n:ident $p:ident $f:ident $name:literal) => {
        if let ::std::option::Option::Some(v) = &$p.$f {
            $crate::db::query::push_set(&mut $q, &mut $n, $name, v);
        }
    };

    (@insert $dialect:ident $table:literal $row:ident $new:ident {
        $( $f:ident($ty:ty) $null:ident $ins:ident $pk:ident = $name:literal
            $( in $in:ident )? $( range $range:ident )?
            $( order($asc:ident, $desc:ident, $av:ident $(, $rk:ident($rkty:ty) )*) )? ; )*
    }) => {
        #[doc = concat!(" Inserts `new` into `", $table, "` and returns the row as stored (defaults filled).")]
        pub async fn insert<'e>(
            db: impl ::std::convert::Into<$crate::db::Exec<'e>>,
            new: &$new,
        ) -> ::std::result::Result<$row, $crate::sqlx::Error> {
            $crate::db_table!(@on $dialect db, conn => {
                insert_sql(new, true).build_query_as().fetch_one(conn).await
            })
        }

        #[doc = concat!(" Inserts `new` into `", $table, "` without reading the row back (no `RETURNING`).")]
        ///
        /// One step cheaper than [`insert`] on both databases, for a caller
        /// that already holds every value it answers with. A default the
        /// database filled in is not seen: use [`insert`] to read it.
        pub async fn insert_only<'e>(
            db: impl ::std::convert::Into<$crate::db::Exec<'e>>,
            new: &$new,
        ) -> ::std::result::Result<(), $crate::sqlx::Error> {
            $crate::db_table!(@on $dialect db, conn => {
                insert_sql(new, false).build().execute(conn).await.map(|_| ())
            })
        }

        /// The `INSERT` of `new`, naming only the columns it sets, and
        /// reading the stored row back when `returning`.
        fn insert_sql<DB: $crate::sqlx::Database>(new: &$new, returning: bool) -> $crate::sqlx::QueryBuilder<DB>
        where
            $( $ty: $crate::db::query::Bind<DB>, )*
        {
            let mut q = $crate::sqlx::QueryBuilder::new("INSERT INTO ");
            $crate::db::query::push_ident(&mut q, TABLE);
            let set = 0 $( + $crate::db_table!(@given $ins new $f) )*;
            if set == 0 {
                q.push(" DEFAULT VALUES");
            } else {
                let mut n = 0;
                q.push(" (");
                $( $crate::db_table!(@name $ins q n new $f $name); )*
                q.push(") VALUES (");
                let mut values = q.separated(", ");
                $( $crate::db_table!(@value $ins values new $f); )*
                q.push(")");
            }
            if returning {
                $crate::db::query::push_returning(&mut q, COLUMNS);
            }
            q
        }
    };

    (@given required $new:ident $f:ident) => { 1 };
    (@given default $new:ident $f:ident) => { usize::from($new.$f.is_some()) };
    (@name required $q:ident $n:ident $new:ident $f:ident $name:literal) => {
        $crate::db_table!(@push_name $q $n $name)
    };
    (@name default $q:ident $n:ident $new:ident $f:ident $name:literal) => {
        if $new.$f.is_some() {
            $crate::db_table!(@push_name $q $n $name)
        }
    };
    (@push_name $q:ident $n:ident $name:literal) => {
        $crate::db::query::push_listed(&mut $q, &mut $n, $name)
    };
    (@value required $values:ident $new:ident $f:ident) => {
        $values.push_bind(&$new.$f);
    };
    (@value default $values:ident $new:ident $f:ident) => {
        if let ::std::option::Option::Some(v) = &$new.$f {
            $values.push_bind(v);
        }
    };

    // `list` and `delete_where`, and the `SELECT` of a listing, by what the
    // table orders and pages by.
    (@list $dialect:ident $table:literal $row:ident $filter:ident $order:tt $after:tt $cols:tt) => {
        #[doc = concat!(" Deletes the rows of `", $table, "` matching `filter` (every row when it sets nothing); the number deleted.")]
        pub async fn delete_where<'e>(
            db: impl ::std::convert::Into<$crate::db::Exec<'e>>,
            filter: &$filter,
        ) -> ::std::result::Result<u64, $crate::sqlx::Error> {
            $crate::db_table!(@on $dialect db, conn => {
                let mut q = $crate::sqlx::QueryBuilder::new("DELETE FROM ");
                $crate::db::query::push_ident(&mut q, TABLE);
                q.push(" WHERE 1 = 1");
                filter_sql(&mut q, filter);
                let done = q.build().execute(conn).await?;
                ::std::result::Result::Ok(done.rows_affected())
            })
        }

        /// The head of a listing, `SELECT <columns> FROM <table> WHERE 1 = 1`.
        static SELECT: ::std::sync::LazyLock<::std::string::String> = ::std::sync::LazyLock::new(|| {
            $crate::db::query::select_head(TABLE, COLUMNS)
        });

        $crate::db_table!(@list_fn $dialect $table $row $filter $order $after $cols);
    };

    (@list_fn $dialect:ident $table:literal $row:ident $filter:ident () () $cols:tt) => {
        #[doc = concat!(" Rows of `", $table, "` matching `filter`, at most `limit`.")]
        pub async fn list<'e>(
            db: impl ::std::convert::Into<$crate::db::Exec<'e>>,
            filter: &$filter,
            limit: i64,
        ) -> ::std::result::Result<::std::vec::Vec<$row>, $crate::sqlx::Error> {
            $crate::db_table!(@on $dialect db, conn => {
                let mut q = $crate::sqlx::QueryBuilder::new(SELECT.as_str());
                filter_sql(&mut q, filter);
                q.push(" LIMIT ").push_bind(limit);
                q.build_query_as().fetch_all(conn).await
            })
        }
    };
    (@list_fn $dialect:ident $table:literal $row:ident $filter:ident ($order:ident = $default:ident) () $cols:tt) => {
        #[doc = concat!(" Rows of `", $table, "` matching `filter` in `order`, at most `limit`.")]
        pub async fn list<'e>(
            db: impl ::std::convert::Into<$crate::db::Exec<'e>>,
            filter: &$filter,
            order: $order,
            limit: i64,
        ) -> ::std::result::Result<::std::vec::Vec<$row>, $crate::sqlx::Error> {
            $crate::db_table!(@on $dialect db, conn => {
                let mut q = $crate::sqlx::QueryBuilder::new(SELECT.as_str());
                filter_sql(&mut q, filter);
                order.keyset().push_order(&mut q);
                q.push(" LIMIT ").push_bind(limit);
                q.build_query_as().fetch_all(conn).await
            })
        }
    };
    (@list_fn $dialect:ident $table:literal $row:ident $filter:ident ($order:ident = $default:ident) ($after:ident) {
        $( $f:ident($ty:ty) $null:ident $ins:ident $pk:ident = $name:literal
            $( in $in:ident )? $( range $range:ident )?
            $( order($asc:ident, $desc:ident, $av:ident $(, $rk:ident($rkty:ty) )*) )? ; )*
    }) => {
        #[doc = concat!(" Rows of `", $table, "` matching `filter` in `order`, at most `limit`; `after` (a page's last row's `after(order)`) pages by keyset.")]
        pub async fn list<'e>(
            db: impl ::std::convert::Into<$crate::db::Exec<'e>>,
            filter: &$filter,
            order: $order,
            after: ::std::option::Option<&$after>,
            limit: i64,
        ) -> ::std::result::Result<::std::vec::Vec<$row>, $crate::sqlx::Error> {
            $crate::db_table!(@on $dialect db, conn => {
                list_sql(filter, order, after, limit)?.build_query_as().fetch_all(conn).await
            })
        }

        /// The `SELECT` of a listing.
        fn list_sql<DB: $crate::sqlx::Database>(
            filter: &$filter,
            order: $order,
            after: ::std::option::Option<&$after>,
            limit: i64,
        ) -> ::std::result::Result<$crate::sqlx::QueryBuilder<DB>, $crate::sqlx::Error>
        where
            $( $ty: $crate::db::query::Bind<DB>, )*
            i64: $crate::db::query::Bind<DB>,
        {
            let mut q = $crate::sqlx::QueryBuilder::new(SELECT.as_str());
            filter_sql(&mut q, filter);
            let keyset = order.keyset();
            if let ::std::option::Option::Some(after) = after {
                match after {
                    $( $(
                        $after::$av { $f $(, $rk )* } => keyset.push_after(
                            &mut q,
                            $name,
                            $crate::db_table!(@cursor $null $f),
                            |_keys| { $( _keys.push_bind($rk); )* },
                        )?,
                    )? )*
                }
            }
            keyset.push_order(&mut q);
            q.push(" LIMIT ").push_bind(limit);
            ::std::result::Result::Ok(q)
        }
    };

    (@cursor null $f:ident) => { $f.as_ref() };
    (@cursor not_null $f:ident) => { ::std::option::Option::Some($f) };
}

#[cfg(test)]
#[allow(dead_code)]
mod tests {
    //! One table declared as the generator declares it, run on SQLite.

    #[allow(unused_imports)]
    use crate::db::types::*;

    /// A row of `notes`.
    #[derive(Debug, Clone, PartialEq)]
    pub struct NoteRow {
        pub id: i64,
        pub title: String,
        pub body: Option<String>,
        pub at: TimestampTz,
    }

    /// A new row of `notes`.
    #[derive(Debug, Clone, PartialEq)]
    pub struct NewNote {
        pub id: Option<i64>,
        pub title: String,
        pub body: Option<String>,
        pub at: TimestampTz,
    }

    /// Changes to a row of `notes`.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct NotePatch {
        pub title: Option<String>,
        pub body: Option<Option<String>>,
        pub at: Option<TimestampTz>,
    }

    crate::db_table! {
        table "notes" on sqlite;
        row NoteRow, new NewNote, patch NotePatch, filter NoteFilter;
        key(id(i64) = "id");
        order(NoteOrder = IdAsc);
        after(NoteAfter);
        columns {
            id(i64) not_null default key = "id" in id_in range id_range order(IdAsc, IdDesc, Id);
            title(String) not_null required field = "title" in title_in range title_range
                order(TitleAsc, TitleDesc, Title, id(i64));
            body(String) null default field = "body" in body_in range body_range
                order(BodyAsc, BodyDesc, Body, id(i64));
            at(TimestampTz) not_null required field = "at" in at_in range at_range
                order(AtAsc, AtDesc, At, id(i64));
        }
    }

    #[tokio::test]
    async fn the_declared_queries_run() {
        let db = crate::Db::connect("sqlite::memory:")
            .await
            .expect("connect");
        crate::with_pool!(db, pool => sqlx::query("CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT, at TEXT NOT NULL)").execute(pool).await.map(drop))
            .expect("create");
        let at = chrono::DateTime::from_timestamp(1_767_225_600, 0).expect("a time");
        for (i, title) in ["b", "a", "c", "a"].into_iter().enumerate() {
            let new = NewNote {
                id: None,
                title: title.into(),
                body: (i % 2 == 0).then(|| "x".into()),
                at,
            };
            let row = insert(&db, &new).await.expect("insert");
            assert_eq!(row.id, i as i64 + 1);
        }
        let by_title = list(&db, &NoteFilter::default(), NoteOrder::TitleAsc, None, 2)
            .await
            .expect("list");
        assert_eq!(by_title.iter().map(|r| r.id).collect::<Vec<_>>(), [2, 4]);
        let next = list(
            &db,
            &NoteFilter::default(),
            NoteOrder::TitleAsc,
            Some(&by_title[1].after(NoteOrder::TitleAsc)),
            5,
        )
        .await
        .expect("next page");
        assert_eq!(next.iter().map(|r| r.id).collect::<Vec<_>>(), [1, 3]);
        let nulls = NoteFilter {
            body: Some(None),
            ..NoteFilter::default()
        };
        assert_eq!(
            list(&db, &nulls, NoteOrder::IdDesc, None, 9)
                .await
                .expect("nulls")
                .len(),
            2
        );
        let patched = update(
            &db,
            1,
            &NotePatch {
                body: Some(None),
                ..NotePatch::default()
            },
        )
        .await
        .expect("update");
        assert_eq!(patched.expect("row").body, None);
        assert!(delete(&db, 1).await.expect("delete"));
        assert_eq!(get(&db, 1).await.expect("get"), None);
        let a = NoteFilter {
            title_in: Some(vec!["a".into()]),
            ..NoteFilter::default()
        };
        assert_eq!(delete_where(&db, &a).await.expect("delete_where"), 2);
        assert_eq!(
            list(&db, &NoteFilter::default(), NoteOrder::default(), None, 9)
                .await
                .expect("rest")
                .len(),
            1
        );
        let quiet = NewNote {
            id: Some(40),
            title: "q".into(),
            body: None,
            at,
        };
        insert_only(&db, &quiet).await.expect("insert_only");
        let stored = get(&db, 40).await.expect("get").expect("the row");
        assert_eq!((stored.title.as_str(), stored.at), ("q", at));
    }
}
