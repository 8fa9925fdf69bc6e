//! The reports of seed `003_…` (issue 7). Being built: every report here must compute
//! from the facts, with the seed's columns, and be tested natively.

use super::table::Table;
use super::Ctx;

/// The table of `ctx.q.report` (one of this family's).
pub fn table(ctx: &Ctx) -> Table {
    let _ = ctx;
    Table::new(&["not built yet"])
}
