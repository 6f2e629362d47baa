//! # schedlab-reports: what people read
//!
//! For now the summary table printed after a run ([`summary_table`]). Charts and the HTML
//! report build on the same [`schedlab_sim::metrics::Summary`].

mod table;

pub use table::{human_duration, summary_table};
