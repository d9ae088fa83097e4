//! What a run must leave behind: every acknowledged number in the
//! database and its consent log, in the ledger once with the chain intact,
//! and at the upstream once.

use crate::run::phone;
use crate::servers::LEDGER_KEY;
use consentry_relay::ledger::{By, Ledger};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Waits until the relay's store holds no undelivered request.
pub fn wait_until_delivered(db: &Path, limit: Duration) -> Result<(), String> {
    let started = Instant::now();
    let conn = rusqlite::Connection::open(db).map_err(|e| e.to_string())?;
    loop {
        let left: i64 = conn
            .query_row("SELECT COUNT(*) FROM requests WHERE delivered IS NULL", [], |r| {
                r.get(0)
            })
            .map_err(|e| e.to_string())?;
        if left == 0 {
            println!(
                "relay: every acknowledged request delivered {:.1} s after the run",
                started.elapsed().as_secs_f64()
            );
            return Ok(());
        }
        if started.elapsed() > limit {
            return Err(format!("{left} requests still undelivered after {} s", limit.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// `phone, COUNT(*)` rows of `sql` over the SQLite file `db`.
pub fn counts(db: &Path, sql: &str) -> Result<HashMap<String, i64>, String> {
    let conn = rusqlite::Connection::open(db).map_err(|e| e.to_string())?;
    let mut stmt = conn.prepare(sql).map_err(|e| e.to_string())?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .map_err(|e| e.to_string())?;
    rows.collect::<Result<_, _>>().map_err(|e| e.to_string())
}

/// Lost and twice: acknowledged numbers missing from the relay's ledger,
/// and in it more than once. `Err` when the chain does not hold.
pub fn verify_ledger(db: &Path, ok: &[u64]) -> Result<(usize, usize), String> {
    let counts = counts(db, "SELECT phone, COUNT(*) FROM ledger GROUP BY phone")?;
    let n = |p: &String| counts.get(p).copied().unwrap_or(0);
    let phones: Vec<String> = ok.iter().map(|i| phone(*i)).collect();
    let lost = phones.iter().filter(|p| n(p) == 0).count();
    let twice = phones.iter().filter(|p| n(p) > 1).count();
    let public_key = consentry_relay::checkpoint::Signer::from_text(LEDGER_KEY)?.public_key();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let intact = runtime.block_on(async {
        let limits = consentry_relay::limits::Limits::default();
        let ledger = consentry_relay::ledger::Ledger::open(&db.to_string_lossy(), None, limits).await?;
        ledger.verify(&public_key).await
    })?;
    println!("checked {} acknowledged numbers in the relay's ledger ({intact} entries, chain intact): {lost} missing, {twice} more than once", ok.len());
    Ok((lost, twice))
}

/// The relays' delivery timeout in the scale-out run, ms.
pub const SCALEOUT_DELIVER_MS: u64 = 600;

/// Lost and twice in the relays' shared PostgreSQL ledger, once the
/// relays' workers have delivered everything acknowledged (waiting up to
/// two minutes). `Err` when the chain does not hold or something stays
/// undelivered.
pub fn verify_shared_ledger(database: &str, ok: &[u64]) -> Result<(usize, usize), String> {
    let public_key = consentry_relay::checkpoint::Signer::from_text(LEDGER_KEY)?.public_key();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let ledger = Arc::new(Ledger::open(database, None, consentry_relay::limits::Limits::default()).await?);
        let started = Instant::now();
        loop {
            let left = ledger.pending().await?;
            if left == 0 {
                println!("scaleout: every acknowledged request delivered {:.1} s after the run", started.elapsed().as_secs_f64());
                break;
            }
            if started.elapsed() > Duration::from_secs(120) {
                return Err(format!("{left} requests still undelivered after 120 s"));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let intact = ledger.verify(&public_key).await?;
        // Each acknowledged number's entries, 32 queries at a time.
        let (mut lost, mut twice) = (0, 0);
        for batch in ok.chunks(32) {
            let mut set = tokio::task::JoinSet::new();
            for i in batch {
                let ledger = Arc::clone(&ledger);
                let p = phone(*i);
                set.spawn(async move { ledger.query(By::Phone(&p)).await.map(|e| e.len()) });
            }
            while let Some(n) = set.join_next().await {
                match n.map_err(|e| e.to_string())?? {
                    0 => lost += 1,
                    1 => {}
                    _ => twice += 1,
                }
            }
        }
        println!("checked {} acknowledged numbers in the shared ledger ({intact} entries, chain intact): {lost} missing, {twice} more than once", ok.len());
        Ok((lost, twice))
    })
}

/// Lost and twice: numbers that got a 201 and are not in the database with
/// a consent-log entry, and those logged more than once.
pub fn verify(db: &Path, ok: &[u64]) -> Result<(usize, usize), String> {
    let numbers = counts(
        db,
        "SELECT phone, COUNT(*) FROM numbers WHERE group_id = 'acme-sms' GROUP BY phone",
    )?;
    let log = counts(
        db,
        "SELECT phone, COUNT(*) FROM consent_log WHERE group_id = 'acme-sms' GROUP BY phone",
    )?;
    let (mut lost, mut twice) = (0, 0);
    for i in ok {
        let p = phone(*i);
        match (numbers.get(&p), log.get(&p)) {
            (Some(1), Some(1)) => {}
            (Some(1), Some(_)) => twice += 1,
            _ => lost += 1,
        }
    }
    println!(
        "checked {} acknowledged numbers in {}: {lost} missing, {twice} logged twice",
        ok.len(),
        db.display(),
    );
    Ok((lost, twice))
}

/// Adds the check's `lost` and `twice` to a phase's figures; a failure when
/// the check failed or found any.
pub fn checked(figures: &mut serde_json::Value, checks: &[Result<(usize, usize), String>], failures: &mut Vec<String>) {
    let (mut lost, mut twice) = (0, 0);
    for c in checks {
        match c {
            Ok((l, t)) => {
                lost += l;
                twice += t;
            }
            Err(e) => failures.push(format!("{}: {e}", figures["phase"])),
        }
    }
    if lost + twice > 0 {
        failures.push(format!("{}: {lost} lost, {twice} twice", figures["phase"]));
    }
    figures["lost"] = lost.into();
    figures["twice"] = twice.into();
}
