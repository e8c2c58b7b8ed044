//! `kubectl` as a second, independent client of an [`ApiServer`]: each [`Kubectl`] owns a
//! scratch directory (a kubeconfig naming the server, kubectl's discovery cache, `HOME`, and
//! any manifest a test writes), removed when it is dropped, so that runs never read or write
//! the user's own configuration and two tests never share a cache.
//!
//! Every run is bounded ([`Kubectl::timeout`], 30 s by default, and kubectl's own
//! `--request-timeout=10s`) and killed if its future is dropped. Errors say what happened in
//! words, including kubectl's output; their `Debug` is their `Display`, so that a test's
//! `.unwrap()` prints a readable message.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let server = ingress_apiserver::ApiServer::start().await?;
//! let kubectl = ingress_apiserver::Kubectl::new(&server)?;
//! let manifest = kubectl.write("echo.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: echo}\n")?;
//! kubectl.ok(&["apply", "--validate=false", "-f", &manifest]).await?;
//! assert!(kubectl.ok(&["get", "svc", "-o", "name"]).await?.contains("service/echo"));
//! # Ok(()) }
//! ```

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::process::Command;

use crate::ApiServer;

/// Why a kubectl run did not give what was asked.
#[derive(thiserror::Error)]
pub enum KubectlError {
    /// `kubectl` is not on `PATH`.
    #[error(
        "kubectl is not on PATH: this runs kubectl (v1.32 or later) against the in-process API server; install it"
    )]
    NotFound,
    /// The scratch directory or a file in it could not be written, or kubectl not started.
    #[error("kubectl: {0}")]
    Io(#[from] io::Error),
    /// The run did not finish in time (it was killed).
    #[error("kubectl {args:?} did not finish within {after:?}")]
    Timeout {
        /// The arguments.
        args: Vec<String>,
        /// The limit.
        after: Duration,
    },
    /// kubectl exited with a failure.
    #[error("kubectl {args:?} failed:\nstdout: {stdout}\nstderr: {stderr}")]
    Failed {
        /// The arguments.
        args: Vec<String>,
        /// What it printed on stdout.
        stdout: String,
        /// What it printed on stderr.
        stderr: String,
    },
}

impl fmt::Debug for KubectlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// What a finished run printed, and whether it succeeded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KubectlOutput {
    /// Whether kubectl exited with success.
    pub success: bool,
    /// Its stdout.
    pub stdout: String,
    /// Its stderr.
    pub stderr: String,
}

/// kubectl pointed at one server through a kubeconfig in a scratch directory.
#[derive(Debug)]
pub struct Kubectl {
    dir: PathBuf,
    kubeconfig: PathBuf,
    timeout: Duration,
}

impl Kubectl {
    /// A scratch directory under the system's temporary directory, holding a kubeconfig for
    /// `server`.
    pub fn new(server: &ApiServer) -> Result<Kubectl, KubectlError> {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ingress-apiserver-kubectl-{}-{}-{}",
            std::process::id(),
            server.addr().port(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)?;
        let kubeconfig = dir.join("kubeconfig");
        std::fs::write(&kubeconfig, server.kubeconfig())?;
        Ok(Kubectl {
            dir,
            kubeconfig,
            timeout: Duration::from_secs(30),
        })
    }

    /// The longest one run may take before it is killed (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Kubectl {
        self.timeout = timeout;
        self
    }

    /// The scratch directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes `text` to `name` in the scratch directory; returns its path as a string, ready
    /// for `-f`.
    pub fn write(&self, name: &str, text: &str) -> Result<String, KubectlError> {
        let path = self.dir.join(name);
        std::fs::write(&path, text)?;
        path.into_os_string().into_string().map_err(|path| {
            KubectlError::Io(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the scratch path {path:?} is not UTF-8"),
            ))
        })
    }

    /// The command for `args`, not started: the kubeconfig, cache directory, `HOME` and
    /// request timeout set, stdin closed, killed when dropped. For runs that stream (`get -w`).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new("kubectl");
        command
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(self.dir.join("cache"))
            .arg("--request-timeout=10s")
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", &self.dir)
            .stdin(Stdio::null())
            .kill_on_drop(true);
        command
    }

    /// Runs to completion, whatever the exit status.
    pub async fn run(&self, args: &[&str]) -> Result<KubectlOutput, KubectlError> {
        let output = tokio::time::timeout(self.timeout, self.command(args).output())
            .await
            .map_err(|_| KubectlError::Timeout {
                args: owned(args),
                after: self.timeout,
            })?
            .map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => KubectlError::NotFound,
                _ => KubectlError::Io(e),
            })?;
        Ok(KubectlOutput {
            success: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }

    /// Runs to completion and insists on success; returns stdout.
    pub async fn ok(&self, args: &[&str]) -> Result<String, KubectlError> {
        let output = self.run(args).await?;
        if output.success {
            Ok(output.stdout)
        } else {
            Err(KubectlError::Failed {
                args: owned(args),
                stdout: output.stdout,
                stderr: output.stderr,
            })
        }
    }

    /// Writes `manifest` to `name` and `kubectl apply --validate=false -f` it (the server
    /// has no OpenAPI documents to validate against); returns stdout.
    pub async fn apply(&self, name: &str, manifest: &str) -> Result<String, KubectlError> {
        let path = self.write(name, manifest)?;
        self.ok(&["apply", "--validate=false", "-f", &path]).await
    }
}

impl Drop for Kubectl {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn owned(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| (*a).to_owned()).collect()
}
