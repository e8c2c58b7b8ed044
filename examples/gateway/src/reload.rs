//! Hot reload in static mode: the `-f` paths are watched, and SIGHUP asks for a reload too.
//! A reload rebuilds the whole table through [`config::build`], the path the gateway started
//! with, and stores the new snapshot in [`Routes`] atomically. Connections stay open and
//! requests in flight finish with the table they loaded (each request loads it once), so a
//! reload is invisible to clients but for the routes it changes.
//!
//! # What is watched
//!
//! A directory is watched recursively (every change under it counts). A file is watched
//! through its parent directory, so that what replaces the file is seen as well as what
//! writes to it: editors that save by writing a temporary file and renaming it over the old
//! one, and Kubernetes ConfigMap volumes, whose files are symlinks through `..data`, a symlink
//! to a timestamped directory that the kubelet swaps with a rename. For a file path, the
//! changes that count are those naming the file itself and those naming an entry starting
//! with `..` in its directory (the kubelet's). A file that is a symlink elsewhere has the
//! directory of its target watched as well, as resolved at start. Reads (opening, closing
//! without writing) never count, so the reload's own reads do not trigger another.
//!
//! Changes come in bursts (a save is several events; a ConfigMap update is a dozen): a reload
//! starts once no change has come for the debounce time (`--reload-debounce`, 200 ms by
//! default), and at the latest ten debounce times after the first change of a burst. SIGHUP
//! reloads at once.
//!
//! # What counts as an invalid edit
//!
//! The loader skips what it cannot use and reports each problem with its file, document and
//! field; at start the gateway serves the rest. A reload is held to the table it would
//! replace: **if the new build has a problem that the served one did not have, the reload is
//! refused** and the served table stays whole. That covers a YAML or JSON syntax error, a
//! field of the wrong type, an object the index refuses, a file or directory that cannot be
//! read (deleted `-f` path), and an `--endpoints` that no longer matches the Services in the
//! files. Each new problem is logged, [`ReloadStats::failed`] counts the refusal and
//! [`ReloadStats::last_error`] keeps the problems' messages. The next change or SIGHUP tries
//! again from the files as they are then.
//!
//! A problem is the same one when it has the same file, document number, item, field and
//! message: its line and column are left out, so an edit elsewhere in a file that moves a
//! known bad document down does not refuse the reload. Problems that went away are fine, as
//! is any edit that loads cleanly, removing Ingresses or whole files from a watched
//! directory included: that is how a route is taken down.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::cli::Args;
use crate::config::{self, Problem};
use crate::metrics::Metrics;
use crate::routes::Routes;

/// The debounce time of `--reload-debounce` by default.
pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(200);

/// The reload counters, for tests and metrics.
#[derive(Debug, Default)]
pub struct ReloadStats {
    ok: AtomicU64,
    failed: AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl ReloadStats {
    /// Reloads that stored a new table.
    pub fn ok(&self) -> u64 {
        self.ok.load(Ordering::Relaxed)
    }

    /// Reloads that were refused (the served table kept).
    pub fn failed(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }

    /// The problems of the last refused reload, one per line; `None` before any.
    pub fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// What one reload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The new table is served.
    Applied {
        /// Ingresses loaded.
        ingresses: usize,
        /// Problems skipped (all of them already skipped by the table replaced).
        problems: usize,
    },
    /// The served table was kept, for these new problems.
    Refused {
        /// Each new problem's message (file, document, field).
        problems: Vec<String>,
    },
}

/// Rebuilds the table from the command line and stores it, unless the build has new
/// problems. Reloads run one at a time.
#[derive(Debug)]
pub struct Reloader {
    args: Args,
    routes: Arc<Routes>,
    /// The problems of the build being served, by [`problem_key`]; the lock also keeps two
    /// reloads from interleaving.
    served: Mutex<BTreeSet<String>>,
    stats: ReloadStats,
    /// Where reload durations and failures are also counted (`/metrics`).
    metrics: Option<Arc<Metrics>>,
}

impl Reloader {
    /// Reloads `args`' files into `routes`, which serves a build that had `problems`.
    pub fn new(args: Args, routes: Arc<Routes>, problems: &[Problem]) -> Self {
        Reloader {
            args,
            routes,
            served: Mutex::new(problems.iter().map(problem_key).collect()),
            stats: ReloadStats::default(),
            metrics: None,
        }
    }

    /// Also counts each reload's duration and failure in `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// The counters.
    pub fn stats(&self) -> &ReloadStats {
        &self.stats
    }

    /// The paths reloaded (the `-f` arguments).
    pub fn paths(&self) -> &[PathBuf] {
        &self.args.files
    }

    /// Reloads now, on this thread (it reads and parses every file: call it where blocking
    /// is fine, or use [`Reloader::trigger`]).
    pub fn reload(&self) -> Outcome {
        let started = Instant::now();
        let outcome = self.rebuild();
        if let Some(metrics) = &self.metrics {
            let ok = matches!(outcome, Outcome::Applied { .. });
            metrics.reloaded(started.elapsed().as_secs_f64(), ok);
        }
        outcome
    }

    fn rebuild(&self) -> Outcome {
        let mut served = self.served.lock().unwrap_or_else(|e| e.into_inner());
        let mut built = config::build(&self.args);
        let keys: BTreeSet<String> = built.problems.iter().map(problem_key).collect();
        let new: Vec<String> = built
            .problems
            .iter()
            .filter(|p| !served.contains(&problem_key(p)))
            .map(ToString::to_string)
            .collect();
        if !new.is_empty() {
            self.stats.failed.fetch_add(1, Ordering::Relaxed);
            *self
                .stats
                .last_error
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = Some(new.join("\n"));
            return Outcome::Refused { problems: new };
        }
        // Counted before the swap (which cannot fail), so that whoever sees the new routes
        // also sees the reload counted.
        self.stats.ok.fetch_add(1, Ordering::Relaxed);
        self.routes.store(built.index.snapshot().snapshot);
        *served = keys;
        Outcome::Applied {
            ingresses: built.manifests.ingresses.len(),
            problems: built.problems.len(),
        }
    }

    /// Reloads on a blocking thread and logs the outcome; `why` names the trigger in the log.
    pub async fn trigger(self: &Arc<Self>, why: &str) -> Outcome {
        let reloader = self.clone();
        let started = Instant::now();
        let outcome = match tokio::task::spawn_blocking(move || reloader.reload()).await {
            Ok(outcome) => outcome,
            Err(e) => {
                // Only a bug in the loader gets here; the table in service is untouched.
                let message = format!("the reload did not finish: {e}");
                self.stats.failed.fetch_add(1, Ordering::Relaxed);
                *self
                    .stats
                    .last_error
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) = Some(message.clone());
                Outcome::Refused {
                    problems: vec![message],
                }
            }
        };
        match &outcome {
            Outcome::Applied {
                ingresses,
                problems,
            } => tracing::info!(
                trigger = why,
                took = ?started.elapsed(),
                "reloaded: serving {ingresses} Ingresses ({problems} problems skipped, as before)"
            ),
            Outcome::Refused { problems } => {
                for problem in problems {
                    tracing::warn!(
                        trigger = why,
                        "reload refused, the served routes kept: {problem}"
                    );
                }
            }
        }
        outcome
    }
}

/// A problem without its line and column: what makes it "the same problem" across edits.
fn problem_key(problem: &Problem) -> String {
    match problem {
        Problem::Load(e) => format!(
            "{}: {}: {}",
            e.origin,
            e.field.as_deref().unwrap_or(""),
            e.kind
        ),
        other => other.to_string(),
    }
}

/// The watcher of the `-f` paths (and SIGHUP), reloading through a [`Reloader`].
#[derive(Debug)]
pub struct Watch {
    /// Dropping it ends the watches.
    _watcher: Option<RecommendedWatcher>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

/// What one watched path lets through.
#[derive(Debug, Clone)]
enum Target {
    /// Everything under the directory.
    Tree(PathBuf),
    /// The file itself, and the `..` entries of its directory.
    File(PathBuf),
}

impl Target {
    fn matches(&self, path: &Path) -> bool {
        match self {
            Target::Tree(dir) => path.starts_with(dir),
            Target::File(file) => {
                path == file
                    || (path.parent() == file.parent()
                        && path
                            .file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.starts_with("..")))
            }
        }
    }
}

impl Watch {
    /// Watches the reloader's paths, reloading once changes have been quiet for `debounce`;
    /// and, with `hangup`, on every SIGHUP. A path that cannot be watched is logged and left
    /// out (SIGHUP still reloads it).
    pub fn spawn(reloader: Arc<Reloader>, debounce: Duration, hangup: bool) -> Watch {
        let (changed, changes) = mpsc::channel::<()>(1);
        let targets = targets(reloader.paths());
        let filter = targets.clone();
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            match event {
                Ok(event) => {
                    let counts = match event.kind {
                        EventKind::Access(notify::event::AccessKind::Close(
                            notify::event::AccessMode::Write,
                        )) => true,
                        EventKind::Access(_) => false,
                        _ => true,
                    };
                    if counts
                        && event
                            .paths
                            .iter()
                            .any(|p| filter.iter().any(|t| t.matches(p)))
                    {
                        // Full means a change is already pending: this one joins it.
                        let _ = changed.try_send(());
                    }
                }
                Err(e) => tracing::warn!(error = %e, "watching the manifests"),
            }
        });
        let watcher = match watcher {
            Ok(mut watcher) => {
                for target in &targets {
                    let (path, mode) = match target {
                        Target::Tree(dir) => (dir.as_path(), RecursiveMode::Recursive),
                        Target::File(file) => (
                            file.parent().unwrap_or(Path::new("/")),
                            RecursiveMode::NonRecursive,
                        ),
                    };
                    if let Err(e) = watcher.watch(path, mode) {
                        tracing::warn!(path = %path.display(), error = %e, "cannot watch; SIGHUP still reloads");
                    }
                }
                Some(watcher)
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch the manifests; SIGHUP still reloads");
                None
            }
        };
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(debounce_loop(reloader, changes, debounce, hangup, stopped));
        Watch {
            _watcher: watcher,
            stop: Some(stop),
            task,
        }
    }

    /// Stops watching (a reload under way finishes first).
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What to watch for each path: a directory as a tree, anything else as a file (a missing
/// one too: it may be created), plus the target of a file symlink.
fn targets(paths: &[PathBuf]) -> Vec<Target> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut targets = Vec::new();
    for path in paths {
        let path = cwd.join(path);
        if path.is_dir() {
            targets.push(Target::Tree(path));
            continue;
        }
        if let Ok(real) = path.canonicalize()
            && real.parent() != path.parent()
        {
            targets.push(Target::File(real));
        }
        targets.push(Target::File(path));
    }
    targets
}

async fn debounce_loop(
    reloader: Arc<Reloader>,
    mut changes: mpsc::Receiver<()>,
    debounce: Duration,
    hangup: bool,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut hangups = if hangup { hangup_signal() } else { None };
    // The first and the last change of the burst not yet reloaded.
    let mut burst: Option<(Instant, Instant)> = None;
    loop {
        let due = burst.map(|(first, last)| (last + debounce).min(first + debounce * 10));
        tokio::select! {
            _ = &mut stopped => break,
            change = changes.recv() => match change {
                Some(()) => {
                    let now = Instant::now();
                    burst = Some((burst.map_or(now, |(first, _)| first), now));
                }
                None => break,
            },
            () = sleep_until(due), if due.is_some() => {
                burst = None;
                reloader.trigger("files changed").await;
            }
            () = next_hangup(&mut hangups), if hangups.is_some() => {
                burst = None;
                reloader.trigger("SIGHUP").await;
            }
        }
    }
}

async fn sleep_until(due: Option<Instant>) {
    if let Some(due) = due {
        tokio::time::sleep_until(due.into()).await;
    }
}

#[cfg(unix)]
type Hangups = tokio::signal::unix::Signal;
#[cfg(not(unix))]
type Hangups = ();

#[cfg(unix)]
fn hangup_signal() -> Option<Hangups> {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::hangup()) {
        Ok(signal) => Some(signal),
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGHUP");
            None
        }
    }
}

#[cfg(not(unix))]
fn hangup_signal() -> Option<Hangups> {
    None
}

async fn next_hangup(hangups: &mut Option<Hangups>) {
    #[cfg(unix)]
    if let Some(signal) = hangups {
        if signal.recv().await.is_some() {
            return;
        }
        *hangups = None;
    }
    #[cfg(not(unix))]
    let _ = hangups;
    std::future::pending::<()>().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_target_takes_the_file_and_the_kubelets_entries() {
        let file = Target::File(PathBuf::from("/etc/gw/echo.yaml"));
        assert!(file.matches(Path::new("/etc/gw/echo.yaml")));
        assert!(file.matches(Path::new("/etc/gw/..data")));
        assert!(file.matches(Path::new("/etc/gw/..2026_12_03")));
        assert!(!file.matches(Path::new("/etc/gw/other.yaml")));
        assert!(!file.matches(Path::new("/etc/gw/.echo.yaml.swp")));
        assert!(!file.matches(Path::new("/etc/other/..data")));
        let tree = Target::Tree(PathBuf::from("/etc/gw"));
        assert!(tree.matches(Path::new("/etc/gw/a/b.yaml")));
        assert!(!tree.matches(Path::new("/etc/gwx/b.yaml")));
    }
}
