//! Connecting to PostgreSQL: the pool, TLS with rustls, and errors with
//! the server's own message.

use super::POOL_SIZE;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use rustls_pki_types::pem::PemObject;
use tokio_postgres::NoTls;

/// The error with the server's own message (the client's `Display` says
/// only "db error").
pub fn db_error(e: tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => {
            let detail = d.detail().map(|t| format!(" ({t})")).unwrap_or_default();
            format!(
                "ledger database: {} {}: {}{detail}",
                d.severity(),
                d.code().code(),
                d.message()
            )
        }
        None => {
            // The cause, e.g. the certificate a TLS handshake did not trust.
            let mut text = format!("ledger database: {e}");
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                text.push_str(&format!(": {c}"));
                cause = c.source();
            }
            text
        }
    }
}

pub(super) fn pool_error(e: deadpool_postgres::PoolError) -> String {
    match e {
        deadpool_postgres::PoolError::Backend(e) => db_error(e),
        other => format!("ledger database: {other}"),
    }
}

/// A pool of [`POOL_SIZE`] connections to `url`: over TLS (rustls) when it
/// asks for it with `sslmode=require`, verifying the server's certificate
/// against the public roots and, as libpq does, the CA in `PGSSLROOTCERT`
/// (a managed database's own); in the clear otherwise. Connections are
/// made when first needed.
pub(super) fn pool(url: &str) -> Result<Pool, String> {
    let config: tokio_postgres::Config = url.parse().map_err(db_error)?;
    let recycle = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let manager = if config.get_ssl_mode() == tokio_postgres::config::SslMode::Require {
        Manager::from_config(config, tokio_postgres_rustls::MakeRustlsConnect::new(tls()?), recycle)
    } else {
        Manager::from_config(config, NoTls, recycle)
    };
    Pool::builder(manager)
        .max_size(POOL_SIZE)
        .wait_timeout(Some(std::time::Duration::from_secs(5)))
        .create_timeout(Some(std::time::Duration::from_secs(5)))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .map_err(|e| format!("ledger database: {e}"))
}

fn tls() -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = std::env::var_os("PGSSLROOTCERT") {
        let shown = std::path::Path::new(&path).display().to_string();
        let certs = rustls_pki_types::CertificateDer::pem_file_iter(&path)
            .map_err(|e| format!("PGSSLROOTCERT {shown}: {e}"))?;
        for cert in certs {
            let cert = cert.map_err(|e| format!("PGSSLROOTCERT {shown}: {e}"))?;
            roots.add(cert).map_err(|e| format!("PGSSLROOTCERT {shown}: {e}"))?;
        }
    }
    Ok(
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}
