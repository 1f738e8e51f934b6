//! Wall-clock time in MLflow's unit (milliseconds since the Unix epoch), the current user,
//! and what identifies this process for the liveness sweep.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The user a run is recorded for: `$USER`, else `$LOGNAME`, else `unknown`.
pub fn current_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "unknown".to_string())
}

/// This machine's host name (`/proc/sys/kernel/hostname`, else `$HOSTNAME`, else empty).
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default()
}

/// When process `pid` started, in clock ticks since boot (field 22 of `/proc/PID/stat`), so a
/// reused pid is not mistaken for the process that started a run. `None` where `/proc` is not
/// there (not Linux) or the process is gone.
pub fn process_start(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after the last ')'.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19).map(str::to_string)
}

/// Whether `/proc` can answer about processes here.
pub(crate) fn has_proc() -> bool {
    std::path::Path::new("/proc/self/stat").exists()
}
