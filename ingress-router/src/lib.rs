//! Routing engine (see issue 4).
