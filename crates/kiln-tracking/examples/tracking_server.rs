//! A tracking server for the client tests until `kiln tracking` exists: opens a store (the
//! folder given as the first argument, else a temporary one), serves [`kiln_tracking::standalone`]
//! on 127.0.0.1 (port 0 unless a second argument names one), and prints
//! `{"listening":"http://127.0.0.1:PORT","store":"DIR"}` on stdout.

use std::io::Write;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let temp;
    let dir = match args.next() {
        Some(dir) => std::path::PathBuf::from(dir),
        None => {
            temp = tempfile::tempdir()?;
            temp.path().to_path_buf()
        }
    };
    let port: u16 = args.next().map_or(Ok(0), |p| p.parse())?;
    let store = Arc::new(kiln_runs::Store::open(&dir)?);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let line = serde_json::json!({
        "listening": format!("http://{addr}"),
        "store": dir.display().to_string(),
    });
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    drop(out);
    axum::serve(listener, kiln_tracking::standalone(store)).await?;
    Ok(())
}
