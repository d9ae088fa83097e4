//! One SQLite file shared by the server's threads, with group commit: the
//! sandbox's database and the relay's ledger are opened through it.
//!
//! Every write is on disk (WAL, synchronous FULL) before its caller goes
//! on, so an answered request survives a SIGKILL or a power cut. An fsync
//! costs far more than the write itself, so writes that arrive while others
//! are in progress share one: each runs in its own savepoint of the open
//! transaction (its failure undoes only its own changes), and the last
//! writer in, or the one that fills a group of [`GROUP`], commits for all.
//! Everyone waits for that commit, and a failed commit fails every write in
//! it. Reads go through a second connection, so they see committed data
//! only and never wait for an fsync.

use rusqlite::Connection;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// At most this many writes share one commit, so a steady stream of
/// writers cannot hold a commit back.
pub const GROUP: usize = 64;

/// The database and the group commit's state.
pub struct Db {
    inner: Mutex<Inner>,
    reader: Mutex<Connection>,
    committed: Condvar,
    /// Writers waiting for the connection: while there are any, the
    /// current writer leaves the commit to them.
    arriving: AtomicUsize,
    /// Names the database in errors ("database", "ledger database").
    name: &'static str,
    /// Runs in every transaction just before it commits (the ledger signs
    /// its head there, once per commit); its failure fails the commit.
    before_commit: Option<BeforeCommit>,
}

/// See [`Db::before_commit`].
pub type BeforeCommit = Box<dyn Fn(&Connection) -> Result<(), String> + Send + Sync>;

struct Inner {
    conn: Connection,
    /// Writes in the open transaction (0: none is open).
    open: usize,
    /// Commits done: the open transaction's writes wait for it to grow.
    epoch: u64,
    /// Recent commits that failed, by epoch.
    failed: Vec<(u64, String)>,
}

impl Db {
    /// Opens (or creates) `path` and runs `schema` on it.
    pub fn open(path: &Path, name: &'static str, schema: &str) -> Result<Db, String> {
        let error = |e: rusqlite::Error| format!("{name}: {e}");
        let conn = Connection::open(path).map_err(error)?;
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;")
            .map_err(error)?;
        conn.execute_batch(schema).map_err(error)?;
        let reader = Connection::open(path).map_err(error)?;
        reader.execute_batch("PRAGMA busy_timeout = 5000;").map_err(error)?;
        Ok(Db {
            reader: Mutex::new(reader),
            inner: Mutex::new(Inner {
                conn,
                open: 0,
                epoch: 0,
                failed: Vec::new(),
            }),
            committed: Condvar::new(),
            arriving: AtomicUsize::new(0),
            name,
            before_commit: None,
        })
    }

    /// Runs `f` in every transaction just before it commits, after all of
    /// the group's writes: what must hold of everything committed at once.
    pub fn before_commit(mut self, f: BeforeCommit) -> Db {
        self.before_commit = Some(f);
        self
    }

    /// `e` as this database's error.
    pub fn error(&self, e: rusqlite::Error) -> String {
        format!("{}: {e}", self.name)
    }

    /// Runs `f` to read what is committed (a multi-statement read that
    /// must see one state runs in a transaction of its own).
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T, String>) -> Result<T, String> {
        let reader = self
            .reader
            .lock()
            .map_err(|_| format!("{}: lock poisoned", self.name))?;
        f(&reader)
    }

    /// Runs `f` to write and returns once its changes are committed: on
    /// `Err` from `f`, its changes are undone and the error returned.
    pub fn write<T>(&self, f: impl FnOnce(&Connection) -> Result<T, String>) -> Result<T, String> {
        self.arriving.fetch_add(1, Ordering::SeqCst);
        let inner = self.inner.lock();
        self.arriving.fetch_sub(1, Ordering::SeqCst);
        let mut g = inner.map_err(|_| format!("{}: lock poisoned", self.name))?;
        if g.open == 0 {
            g.conn.execute_batch("BEGIN IMMEDIATE").map_err(|e| self.error(e))?;
        }
        g.open += 1;
        let out = self.savepoint(&g.conn, f);
        let mine = g.epoch;
        while g.epoch == mine {
            if g.open >= GROUP || self.arriving.load(Ordering::SeqCst) == 0 {
                self.commit(&mut g);
                break;
            }
            // Someone is about to join: they (or the last after them)
            // commit. The timeout covers a writer that gave up on the way.
            g = match self.committed.wait_timeout(g, Duration::from_millis(20)) {
                Ok((g, _)) => g,
                Err(_) => return Err(format!("{}: lock poisoned", self.name)),
            };
        }
        match g.failed.iter().find(|(epoch, _)| *epoch == mine + 1) {
            Some((_, e)) => Err(e.clone()),
            None => out,
        }
    }

    /// Runs `f` in a savepoint: kept on `Ok`, undone on `Err`.
    fn savepoint<T>(&self, conn: &Connection, f: impl FnOnce(&Connection) -> Result<T, String>) -> Result<T, String> {
        let sql = |s: &str| {
            conn.prepare_cached(s)
                .and_then(|mut s| s.execute([]))
                .map_err(|e| self.error(e))
        };
        sql("SAVEPOINT write")?;
        let out = f(conn);
        if out.is_err() {
            sql("ROLLBACK TO write")?;
        }
        sql("RELEASE write")?;
        out
    }

    /// Commits the open transaction and wakes its writers.
    fn commit(&self, g: &mut Inner) {
        let ready = match &self.before_commit {
            Some(f) => f(&g.conn),
            None => Ok(()),
        };
        if let Err(e) = ready.and_then(|()| g.conn.execute_batch("COMMIT").map_err(|e| self.error(e))) {
            let _ = g.conn.execute_batch("ROLLBACK");
            let failure = (g.epoch + 1, e);
            g.failed.push(failure);
            if g.failed.len() > 16 {
                g.failed.remove(0);
            }
        }
        g.open = 0;
        g.epoch += 1;
        self.committed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn temp(name: &str) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!("consentry-store-{}-{name}.db", std::process::id()));
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", p.display()));
        }
        p
    }

    #[test]
    fn the_hook_before_commit_sees_every_write_and_its_failure_fails_the_commit() {
        let db = Db::open(
            &temp("hook"),
            "test",
            "CREATE TABLE t (n INTEGER PRIMARY KEY); CREATE TABLE total (n INTEGER)",
        )
        .unwrap()
        .before_commit(Box::new(|c| {
            let sum: i64 = c
                .query_row("SELECT COALESCE(SUM(n), 0) FROM t", [], |r| r.get(0))
                .map_err(|e| e.to_string())?;
            if sum > 10 {
                return Err("over ten".into());
            }
            c.execute_batch(&format!("DELETE FROM total; INSERT INTO total VALUES ({sum})"))
                .map_err(|e| e.to_string())
        }));
        db.write(|c| c.execute("INSERT INTO t VALUES (4)", []).map_err(|e| e.to_string()))
            .unwrap();
        let total = || {
            db.read(|c| {
                c.query_row("SELECT n FROM total", [], |r| r.get::<_, i64>(0))
                    .map_err(|e| e.to_string())
            })
        };
        assert_eq!(total(), Ok(4));
        let refused = db.write(|c| c.execute("INSERT INTO t VALUES (9)", []).map_err(|e| e.to_string()));
        assert_eq!(refused, Err("over ten".into()));
        assert_eq!(total(), Ok(4), "nothing of the refused commit stays");
    }

    #[test]
    fn concurrent_writes_are_all_committed_and_a_failed_one_undoes_only_itself() {
        let path = temp("group");
        let db = Arc::new(Db::open(&path, "test", "CREATE TABLE t (n INTEGER PRIMARY KEY)").unwrap());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let (db, path) = (Arc::clone(&db), path.clone());
                std::thread::spawn(move || {
                    for i in 0..200i64 {
                        let n = t * 1000 + i;
                        let r = db.write(|c| {
                            c.execute("INSERT INTO t (n) VALUES (?1)", [n])
                                .map_err(|e| e.to_string())?;
                            // Every tenth write fails after writing: its row
                            // must not stay.
                            if i % 10 == 0 {
                                Err("refused".to_string())
                            } else {
                                Ok(n)
                            }
                        });
                        assert_eq!(r.is_ok(), i % 10 != 0, "{r:?}");
                        if i % 10 == 1 {
                            // Committed before the call returned: another
                            // connection sees it.
                            let other = Connection::open(&path).unwrap();
                            let seen: i64 = other
                                .query_row("SELECT count(*) FROM t WHERE n = ?1", [n], |r| r.get(0))
                                .unwrap();
                            assert_eq!(seen, 1, "write {n} returned before its commit");
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        drop(db);
        // A fresh connection sees exactly the writes that succeeded: each
        // was committed before its caller went on.
        let c = Connection::open(&path).unwrap();
        let count: i64 = c.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
        let failed: i64 = c
            .query_row("SELECT count(*) FROM t WHERE n % 1000 % 10 = 0", [], |r| r.get(0))
            .unwrap();
        assert_eq!((count, failed), (8 * 180, 0));
    }
}
