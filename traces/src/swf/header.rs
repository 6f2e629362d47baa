//! The `; Key: value` header of an SWF log.

use std::collections::BTreeMap;

/// Header metadata. The well-known keys are parsed so that a scenario can size its cluster
/// from the log (`MaxNodes`, `MaxProcs`) and a report can credit its source (`Acknowledge`);
/// every key is kept verbatim in `fields` (continuation lines — comments indented further —
/// are appended to the previous key after a newline, and a key given twice, like `Note`, keeps
/// both values, one per line).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SwfHeader {
    pub version: Option<String>,
    pub computer: Option<String>,
    /// `Installation`: the site.
    pub installation: Option<String>,
    /// `Acknowledge`: whom to credit when using the log.
    pub acknowledge: Option<String>,
    /// Every `Note` (cleaning filters, the site's scheduler, ...), with continuations.
    pub note: Option<String>,
    pub max_jobs: Option<u64>,
    pub max_records: Option<u64>,
    pub max_nodes: Option<u64>,
    pub max_procs: Option<u64>,
    pub max_runtime: Option<u64>,
    pub unix_start_time: Option<i64>,
    pub time_zone_string: Option<String>,
    pub fields: BTreeMap<String, String>,
}

impl SwfHeader {
    /// Takes one comment line (without its `;`); returns the key it set, for continuations.
    /// Key lines have one space after the `;`; continuation lines are indented further.
    pub(crate) fn add_line(&mut self, comment: &str, previous: Option<String>) -> Option<String> {
        // `; Key: value` has one space after the `;`; continuation lines are indented further.
        let indent = comment.len() - comment.trim_start().len();
        let continuation = indent > 1;
        let t = comment.trim();
        if t.is_empty() {
            return None;
        }
        if let Some((k, v)) =
            t.split_once(':').filter(|(k, _)| !k.contains(char::is_whitespace) && !continuation)
        {
            let (k, v) = (k.trim().to_string(), v.trim().to_string());
            self.set(&k, &v);
            let entry = self.fields.entry(k.clone()).or_default();
            if !entry.is_empty() {
                entry.push('\n');
            }
            entry.push_str(&v);
            return Some(k);
        }
        if let Some(k) = previous {
            let entry = self.fields.entry(k.clone()).or_default();
            entry.push('\n');
            entry.push_str(t);
            return Some(k);
        }
        None
    }

    /// Fills the free-text fields from `fields` once the whole header is read, so that they
    /// include continuation lines and repeated keys.
    pub(crate) fn finish(&mut self) {
        let text = |k: &str| self.fields.get(k).filter(|v| !v.is_empty()).cloned();
        self.installation = text("Installation");
        self.acknowledge = text("Acknowledge");
        self.note = text("Note");
    }

    fn set(&mut self, key: &str, value: &str) {
        let num = || value.split_whitespace().next().and_then(|v| v.parse::<u64>().ok());
        match key {
            "Version" => self.version = Some(value.to_string()),
            "Computer" => self.computer = Some(value.to_string()),
            "MaxJobs" => self.max_jobs = num(),
            "MaxRecords" => self.max_records = num(),
            "MaxNodes" => self.max_nodes = num(),
            "MaxProcs" => self.max_procs = num(),
            "MaxRuntime" => self.max_runtime = num(),
            "UnixStartTime" => {
                self.unix_start_time = value.split_whitespace().next().and_then(|v| v.parse().ok())
            }
            "TimeZoneString" => self.time_zone_string = Some(value.to_string()),
            _ => {}
        }
    }
}
