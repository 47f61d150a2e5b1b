//! A throwaway PostgreSQL database for one test: created on the server `BUNBASE_TEST_POSTGRES_URL` names, dropped (with its connections) when the guard goes. Included by the tests that need it with `#[path = "../src/scratch_db.rs"] mod scratch_db;`.

use bunbase_runtime::sqlx::{self, Connection};

/// A database created for one test; dropped on drop.
pub struct ScratchPostgres {
    admin: String,
    name: String,
    /// The URL of the new database.
    pub url: String,
}

impl ScratchPostgres {
    /// Creates database `name` (dropping a leftover of that name first) on
    /// the server of `admin`, a URL of any database there.
    pub fn create(admin: &str, name: &str) -> ScratchPostgres {
        let url = match admin.rsplit_once('/') {
            Some((head, _)) => format!("{head}/{name}"),
            None => panic!("BUNBASE_TEST_POSTGRES_URL names no database: {admin}"),
        };
        let db = ScratchPostgres {
            admin: admin.to_owned(),
            name: name.to_owned(),
            url,
        };
        db.admin_sql(format!("DROP DATABASE IF EXISTS {name}"));
        db.admin_sql(format!("CREATE DATABASE {name}"));
        db
    }

    /// Runs `sql` on the admin connection.
    fn admin_sql(&self, sql: String) {
        bunbase_runtime::tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(async {
                let mut conn = sqlx::postgres::PgConnection::connect(&self.admin)
                    .await
                    .expect("connect to BUNBASE_TEST_POSTGRES_URL");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut conn)
                    .await
                    .expect("admin sql");
                let _ = conn.close().await;
            });
    }
}

impl Drop for ScratchPostgres {
    fn drop(&mut self) {
        self.admin_sql(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}
