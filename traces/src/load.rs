//! One entry point for every trace format, chosen by name (or by the file's extension).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde::Deserialize;

use crate::error::TraceError;
use crate::mapped::{read_mapped_from, ColumnMap};
use crate::native::read_native_from;
use crate::record::Trace;
use crate::swf::{read_swf_from, SwfHeader};

/// A trace format.
#[derive(Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum TraceFormat {
    /// By extension: `.swf` or `.swf.gz` is SWF, anything else native CSV.
    #[default]
    Auto,
    Native,
    Swf,
    Philly,
    AlibabaGpu,
    Tiresias,
    /// Any CSV, through a column map.
    Csv,
}

impl TraceFormat {
    /// Names accepted on the command line and in scenarios.
    pub const NAMES: [&'static str; 7] =
        ["auto", "native", "swf", "philly", "alibaba-gpu", "tiresias", "csv"];

    /// The format called `name`.
    pub fn by_name(name: &str) -> Result<TraceFormat, String> {
        let all = [
            TraceFormat::Auto,
            TraceFormat::Native,
            TraceFormat::Swf,
            TraceFormat::Philly,
            TraceFormat::AlibabaGpu,
            TraceFormat::Tiresias,
            TraceFormat::Csv,
        ];
        Self::NAMES.iter().position(|n| *n == name).map(|i| all[i]).ok_or_else(|| {
            format!("unknown trace format `{name}`; expected one of: {}", Self::NAMES.join(", "))
        })
    }

    /// `Auto` resolved for `path`.
    pub fn resolve(self, path: &Path) -> TraceFormat {
        if self != TraceFormat::Auto {
            return self;
        }
        let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
        if name.ends_with(".swf") || name.ends_with(".swf.gz") {
            TraceFormat::Swf
        } else {
            TraceFormat::Native
        }
    }

    /// The preset column map of a GPU-cluster format (empty for the others).
    pub fn preset(self) -> ColumnMap {
        match self {
            TraceFormat::Philly => ColumnMap::philly(),
            TraceFormat::AlibabaGpu => ColumnMap::alibaba_gpu(),
            TraceFormat::Tiresias => ColumnMap::tiresias(),
            _ => ColumnMap::default(),
        }
    }
}

/// The format of the file at `path` judged by its name: `.swf` and `.swf.gz` are SWF,
/// anything else native CSV (GPU-cluster CSVs cannot be told apart from native ones by name,
/// so they must be named explicitly).
pub fn detect_format(path: &Path) -> TraceFormat {
    TraceFormat::Auto.resolve(path)
}

/// A trace in any format, with what its reader learned on the way.
#[derive(Clone, Debug)]
pub struct LoadedTrace {
    pub trace: Trace,
    /// The SWF header, for SWF logs.
    pub swf_header: Option<SwfHeader>,
    /// Records that could not be replayed, by reason.
    pub skipped: BTreeMap<String, u64>,
}

impl LoadedTrace {
    /// All skipped records.
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }
}

/// Reads the trace in `bytes` (the file at `path`). `columns` refines a GPU preset or, with
/// [`TraceFormat::Csv`], says which column is which.
pub fn load_trace_bytes(
    bytes: &[u8],
    path: &Path,
    format: TraceFormat,
    columns: Option<&ColumnMap>,
) -> Result<LoadedTrace, TraceError> {
    let source = path.display().to_string();
    let gz = path.extension().is_some_and(|e| e == "gz");
    let mut text = Vec::new();
    let data: &[u8] = if gz {
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut text)
            .map_err(|e| TraceError::file(&source, format!("cannot decompress the trace: {e}")))?;
        &text
    } else {
        bytes
    };
    let format = format.resolve(path);
    if columns.is_some() && matches!(format, TraceFormat::Native | TraceFormat::Swf) {
        return Err(TraceError::file(
            &source,
            "a column map applies only to the csv, philly, alibaba-gpu and tiresias formats",
        ));
    }
    match format {
        TraceFormat::Native | TraceFormat::Auto => Ok(LoadedTrace {
            trace: read_native_from(data, &source)?,
            swf_header: None,
            skipped: BTreeMap::new(),
        }),
        TraceFormat::Swf => {
            let t = read_swf_from(data, &source)?;
            Ok(LoadedTrace { trace: t.trace, swf_header: Some(t.header), skipped: t.skipped })
        }
        TraceFormat::Csv if columns.is_none() => Err(TraceError::file(
            &source,
            "the csv format needs a column map ([workload.columns]) naming at least submit and duration",
        )),
        f => {
            let map = columns.map(|c| c.over(&f.preset())).unwrap_or_else(|| f.preset());
            let t = read_mapped_from(data, &source, &map)?;
            Ok(LoadedTrace { trace: t.trace, swf_header: None, skipped: t.skipped })
        }
    }
}

/// Reads the trace file at `path`.
pub fn load_trace(
    path: &Path,
    format: TraceFormat,
    columns: Option<&ColumnMap>,
) -> Result<LoadedTrace, TraceError> {
    let bytes = std::fs::read(path)
        .map_err(|e| TraceError::file(&path.display().to_string(), format!("cannot read the trace: {e}")))?;
    load_trace_bytes(&bytes, path, format, columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_name_and_extension() {
        assert_eq!(TraceFormat::by_name("alibaba-gpu"), Ok(TraceFormat::AlibabaGpu));
        assert!(TraceFormat::by_name("parquet").unwrap_err().contains("swf"));
        assert_eq!(TraceFormat::Auto.resolve(Path::new("a/KTH.swf.gz")), TraceFormat::Swf);
        assert_eq!(TraceFormat::Auto.resolve(Path::new("a/t.csv")), TraceFormat::Native);
        assert_eq!(detect_format(Path::new("lublin_256.SWF")), TraceFormat::Swf);
        assert_eq!(detect_format(Path::new("t.csv.gz")), TraceFormat::Native);
        for name in ColumnMap::PRESETS {
            let f = TraceFormat::by_name(name).unwrap();
            assert_eq!(Some(f.preset()), ColumnMap::preset(name));
        }
    }

    #[test]
    fn loads_every_shipped_sample() {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        for (file, format, min) in [
            ("quickstart.csv", TraceFormat::Auto, 105),
            ("KTH-SP2-1996-2.1-cln.swf.gz", TraceFormat::Auto, 27_992),
            ("lublin_256.swf", TraceFormat::Auto, 10_000),
            ("philly-pollux.csv", TraceFormat::Philly, 82_247),
            ("openb_pod_list_default.csv", TraceFormat::AlibabaGpu, 5_000),
            ("tiresias-60_job.csv", TraceFormat::Tiresias, 60),
        ] {
            let t = load_trace(&data.join(file), format, None).unwrap();
            assert!(t.trace.records.len() >= min, "{file}: {}", t.trace.records.len());
        }
        let e = load_trace(&data.join("quickstart.csv"), TraceFormat::Csv, None).unwrap_err();
        assert!(e.to_string().contains("column map"), "{e}");
    }
}
