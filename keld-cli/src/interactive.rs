//! The interactive mode's adapter: keld-tui's session with keld's context, and its
//! failure reported like every keld diagnostic.

use std::sync::Arc;

use keld_config::Config;
use keld_tui::{Asked, Known, SessionContext};

use crate::context::Context;
use crate::error;

/// Ask on the terminal (docs/interactive.md). A terminal that cannot be used is
/// reported and ends keld with 1.
pub(crate) fn ask(config: Config, known: Known, show_command: bool, ctx: &Context) -> Asked {
    let session = SessionContext {
        config: Arc::new(config),
        env: ctx.env.clone(),
        host: ctx.host(),
        show_command,
    };
    match keld_tui::ask(&session, known) {
        Ok(asked) => asked,
        Err(err) => {
            error::report(&err, ctx);
            Asked::Exit(1)
        }
    }
}
