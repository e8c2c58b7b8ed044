//! Cluster sync (later issue).
