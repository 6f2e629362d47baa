//! Writing the native CSV format, so generated or converted workloads can be saved, edited by
//! hand and replayed. The output reads back to exactly the same records.

use std::fmt::Write as _;
use std::io::{self, Write};

use schedlab_policies::time::secs;
use schedlab_policies::units::fmt_cores;

use super::columns::Column;
use crate::record::TraceRecord;

/// Writes `records` with the full header. Times are decimal seconds with three decimals, CPU
/// is cores; `None` (and empty) names are written as empty cells. The `replicas` column is
/// written only when some record is a gang, so workloads without gangs keep the shape older
/// versions wrote.
pub fn write_native(records: &[TraceRecord], w: impl Write) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    let gangs = records.iter().any(|r| r.replicas > 1);
    let triggers = records.iter().any(|r| r.trigger != Default::default());
    let columns = Column::ALL
        .into_iter()
        .filter(|c| (gangs || *c != Column::Replicas) && (triggers || *c != Column::Trigger));
    out.write_record(columns.map(Column::name))?;
    let mut buf = String::new();
    for r in records {
        out.write_field(&r.id)?;
        for t in [r.submit, r.duration] {
            buf.clear();
            let _ = write!(buf, "{}", secs(t));
            out.write_field(&buf)?;
        }
        out.write_field(fmt_cores(r.cpu_milli))?;
        for n in [r.mem_mib, r.gpu] {
            buf.clear();
            let _ = write!(buf, "{n}");
            out.write_field(&buf)?;
        }
        out.write_field(r.queue.as_deref().unwrap_or(""))?;
        out.write_field(r.project.as_deref().unwrap_or(""))?;
        buf.clear();
        if let Some(p) = r.priority {
            let _ = write!(buf, "{p}");
        }
        out.write_field(&buf)?;
        out.write_field(r.workflow.as_deref().unwrap_or(""))?;
        out.write_field(r.depends_on.join(";"))?;
        buf.clear();
        if let Some(e) = r.estimate {
            let _ = write!(buf, "{}", secs(e));
        }
        out.write_field(&buf)?;
        let c = &r.constraints;
        out.write_field(schedlab_policies::model::fmt_selector(&c.node_selector))?;
        out.write_field(schedlab_policies::model::fmt_affinity(&c.affinity))?;
        out.write_field(schedlab_policies::model::fmt_tolerations(&c.tolerations))?;
        out.write_field(r.preemptible.map(|p| if p { "true" } else { "false" }).unwrap_or(""))?;
        buf.clear();
        if let Some(c) = r.checkpoint {
            let _ = write!(buf, "{}", secs(c));
        }
        out.write_field(&buf)?;
        if gangs {
            buf.clear();
            if r.replicas > 1 {
                let _ = write!(buf, "{}", r.replicas);
            }
            out.write_field(&buf)?;
        }
        if triggers {
            let t = r.trigger;
            out.write_field(if t == Default::default() { "" } else { t.as_str() })?;
        }
        out.write_record(None::<&[u8]>)?;
    }
    out.flush()
}
