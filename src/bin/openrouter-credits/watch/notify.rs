//! `--alert-command CMD`: runs `sh -c CMD` once per alert, with the event in its environment
//! (`OPENROUTER_ALERT_*`) and none of the tool's secrets (the key variables are removed). Runs
//! beside the readings, never holding them up; one that outlives [`COMMAND_TIMEOUT`] is killed.

use super::alerts::Event;
use std::process::Stdio;
use std::time::Duration;
use tokio::task::JoinSet;

/// How long one alert command may run.
pub(crate) const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// Variables never passed to the command: they hold secrets.
const SECRETS: [&str; 3] = ["OPENROUTER_API_KEY", "OPENROUTER_MANAGEMENT_KEY", "OPENROUTER_BEARER"];

/// Starts the command for one event; its outcome is reported on stderr.
pub(crate) fn spawn(tasks: &mut JoinSet<()>, command: &str, event: &Event, time: &str, source: &'static str) {
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c").arg(command).stdin(Stdio::null()).kill_on_drop(true);
    // The command's output goes to stderr: stdout is the tool's own lines (JSON for a reader).
    if let Ok(fd) = std::os::fd::AsFd::as_fd(&std::io::stderr()).try_clone_to_owned() {
        cmd.stdout(Stdio::from(fd));
    }
    for name in SECRETS {
        cmd.env_remove(name);
    }
    cmd.envs(event.environment(time));
    // `demo`: the built-in fake server's made-up figures (--demo), never to be taken as real.
    cmd.env("OPENROUTER_ALERT_SOURCE", source);
    let name = event.name();
    tasks.spawn(async move {
        let mut child = match cmd.spawn() {
            Ok(child) => child,
            Err(e) => {
                eprintln!("warning: the alert command ({name}) could not start: {e}");
                return;
            }
        };
        match tokio::time::timeout(COMMAND_TIMEOUT, child.wait()).await {
            Ok(Ok(status)) if status.success() => {}
            Ok(Ok(status)) => eprintln!("warning: the alert command ({name}) failed: {status}"),
            Ok(Err(e)) => eprintln!("warning: the alert command ({name}) could not be waited for: {e}"),
            Err(_) => {
                let _ = child.kill().await;
                eprintln!(
                    "warning: the alert command ({name}) ran longer than {} s and was killed",
                    COMMAND_TIMEOUT.as_secs()
                );
            }
        }
    });
}
