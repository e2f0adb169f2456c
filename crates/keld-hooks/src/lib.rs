//! The backup lifecycle: pre-hooks, restic, post-hooks.
//!
//! CONTRACT STUB: being written.
#![warn(missing_docs)]
