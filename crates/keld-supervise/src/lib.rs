//! Run a child process on keld's terminal and keep its outcome exact.
//!
//! CONTRACT STUB: being written.
#![warn(missing_docs)]
