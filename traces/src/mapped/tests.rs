use std::path::Path;

use std::collections::BTreeMap;

use super::*;

fn read(name: &str, map: &ColumnMap) -> MappedTrace {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(name);
    read_mapped_from(std::fs::File::open(&path).unwrap(), name, map).unwrap()
}

fn rec(id: &str, submit: i64, duration: i64, gpu: u64, cpu_milli: u64, mem_mib: u64) -> TraceRecord {
    TraceRecord { id: id.into(), submit, duration, gpu, cpu_milli, mem_mib, ..TraceRecord::default() }
}

#[test]
fn philly() {
    let t = read("philly-pollux.csv", &ColumnMap::philly());
    assert_eq!(t.trace.records.len(), 82_247);
    assert_eq!(t.skipped_total(), 0);
    // Submit times count from the earliest timestamp, 2017-09-04 10:30:41; the first row,
    // 2017-10-09 07:01:55, comes 3,011,474 s later. Ids are line numbers (the header is line 1).
    let first = TraceRecord {
        project: Some("11cb48".into()),
        line: 2,
        ..rec("2", 3_011_474_000, 66_000, 1, 4000, 16384)
    };
    assert_eq!(t.trace.records[0], first);
    let last = TraceRecord {
        project: Some("6c71a0".into()),
        line: 82_248,
        ..rec("82248", 5_605_349_000, 1_896_000, 1, 4000, 16384)
    };
    assert_eq!(t.trace.records.last(), Some(&last));
    assert_eq!(t.trace.records.iter().map(|r| r.submit).min(), Some(0));
}

#[test]
fn alibaba_gpu_pods() {
    let t = read("openb_pod_list_default.csv", &ColumnMap::alibaba_gpu());
    // 8,152 pods; the 897 `Pending` ones were never scheduled, so they have no run time.
    assert_eq!(t.trace.records.len(), 7_255);
    assert_eq!(t.skipped, BTreeMap::from([("never ran (no start, end or duration)".to_string(), 897)]));
    let first = TraceRecord {
        project: Some("LS".into()),
        line: 2,
        ..rec("openb-pod-0000", 0, 12_537_496_000, 1, 12_000, 16_384)
    };
    assert_eq!(t.trace.records[0], first);
    // A pod sharing 590 thousandths of a GPU asks for one whole GPU; it ran from its
    // scheduled time (12901762) to its deletion (12901792).
    let last = TraceRecord {
        project: Some("BE".into()),
        line: 8_153,
        ..rec("openb-pod-8151", 12_901_761_000, 30_000, 1, 3_152, 5_600)
    };
    assert_eq!(t.trace.records.last(), Some(&last));
}

#[test]
fn tiresias() {
    let t = read("tiresias-60_job.csv", &ColumnMap::tiresias());
    assert_eq!(t.trace.records.len(), 60);
    let first =
        TraceRecord { project: Some("vgg19".into()), line: 2, ..rec("0", 0, 164_000, 1, 4000, 16384) };
    assert_eq!(t.trace.records[0], first);
    let r = &t.trace.records[1];
    assert_eq!(
        (r.id.as_str(), r.submit, r.duration, r.gpu, r.cpu_milli, r.project.as_deref()),
        ("1", 30_000, 147_000, 8, 32_000, Some("vgg11"))
    );
    let last = TraceRecord {
        project: Some("inception3".into()),
        line: 61,
        ..rec("59", 1_779_000, 122_000, 1, 4000, 16384)
    };
    assert_eq!(t.trace.records.last(), Some(&last));
}

/// The two cluster descriptions shipped next to the traces are plain CSV; scenarios copy their
/// numbers, so check that they still say what the README says.
#[test]
fn shipped_cluster_descriptions() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let mut nodes = csv::Reader::from_path(dir.join("openb_node_list_gpu_node.csv")).unwrap();
    assert_eq!(nodes.headers().unwrap(), vec!["sn", "cpu_milli", "memory_mib", "gpu", "model"]);
    let rows: Vec<csv::StringRecord> = nodes.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1_213);
    assert_eq!(rows.iter().map(|r| r[3].parse::<u64>().unwrap()).sum::<u64>(), 6_212);
    assert_eq!(&rows[0], &vec!["openb-node-0000", "64000", "262144", "2", "P100"]);
    let spec = std::fs::read_to_string(dir.join("tiresias-n32g4.csv")).unwrap();
    assert!(spec
        .starts_with("num_switch,num_node_p_switch,num_gpu_p_node,num_cpu_p_node,mem_p_node\n1,32,4,40,256"));
}

#[test]
fn gzip_unix_times_and_aliases() {
    let map: ColumnMap = toml::from_str(
        "submit = \"t\"\nend = \"e\"\ngpu = \"g\"\ntime_format = \"unix\"\ncpu_per_gpu = 8\nmem_mib_per_gpu = \"64Gi\"\ncpu_default = \"500m\"\nmem_mib_default = 512",
    )
    .unwrap();
    let text = "t,e,g\n1700000100,1700000160.5,2\n1700000000,1700000010,0\n";
    let path = std::env::temp_dir().join(format!("schedlab-mapped-{}.csv.gz", std::process::id()));
    let mut gz =
        flate2::write::GzEncoder::new(std::fs::File::create(&path).unwrap(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, text.as_bytes()).unwrap();
    gz.finish().unwrap();
    let t = read_mapped(&path, &map).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(t.trace.records[0], TraceRecord { line: 2, ..rec("2", 100_000, 60_500, 2, 16_000, 131_072) });
    assert_eq!(t.trace.records[1], TraceRecord { line: 3, ..rec("3", 0, 10_000, 0, 500, 512) });
    assert!(toml::from_str::<ColumnMap>("submitt = \"t\"").unwrap_err().to_string().contains("submitt"));
}

#[test]
fn presets_by_name() {
    assert_eq!(ColumnMap::preset("philly"), Some(ColumnMap::philly()));
    assert_eq!(ColumnMap::preset("alibaba-gpu"), Some(ColumnMap::alibaba_gpu()));
    assert_eq!(ColumnMap::preset("tiresias"), Some(ColumnMap::tiresias()));
    assert_eq!(ColumnMap::preset("helios"), None);
}

#[test]
fn user_maps_status_filters_and_errors() {
    let text = "job,t,len,g,state,vc\na,10,5,2,ok,x\nb,12,7,0,failed,y\nc,11,oops,1,ok,x\n";
    let map = ColumnMap {
        id: Some("job".into()),
        submit: Some("t".into()),
        duration: Some("len".into()),
        gpu: Some("g".into()),
        status: Some("state".into()),
        keep_status: Some(vec!["ok".into()]),
        queue: Some("vc".into()),
        queue_prefix: Some("vc-".into()),
        ..ColumnMap::default()
    };
    let e = read_mapped_from(text.as_bytes(), "t.csv", &map).unwrap_err();
    assert_eq!(e.to_string(), "t.csv:4: column `len`: expected a number of seconds (>= 0), got `oops`");
    let small = ColumnMap {
        id: Some("job".into()),
        submit: Some("t".into()),
        duration: Some("len".into()),
        ..ColumnMap::default()
    };
    let ragged = "job,t,len\na,1,2\n\nb,3\n";
    let e = read_mapped_from(ragged.as_bytes(), "t.csv", &small).unwrap_err();
    assert_eq!(e.to_string(), "t.csv:4: expected 3 cells (as many as the header has), found 2");
    let dates = ColumnMap { time_format: Some(TimeFormat::Datetime), ..small };
    let e = read_mapped_from("job,t,len\na,2017-13-01 00:00:00,5\n".as_bytes(), "d.csv", &dates).unwrap_err();
    assert_eq!(
        e.to_string(),
        "d.csv:2: column `t`: expected a date and time like `2017-10-09 07:01:55`, got `2017-13-01 00:00:00`"
    );
    let ok = text.replace("oops", "3");
    let t = read_mapped_from(ok.as_bytes(), "t.csv", &map).unwrap();
    assert_eq!(t.trace.records.len(), 2);
    assert_eq!(t.skipped.get("status `failed`"), Some(&1));
    assert_eq!((t.trace.records[0].submit, t.trace.records[0].queue.as_deref()), (0, Some("vc-x")));
    let bad = ColumnMap { submit: Some("when".into()), ..map };
    let e = read_mapped_from(text.as_bytes(), "t.csv", &bad).unwrap_err();
    assert!(e.to_string().contains("names `when` for submit"), "{e}");
}

#[test]
fn a_user_map_overrides_a_preset_field_by_field() {
    let user = ColumnMap { project: Some("other".into()), ..ColumnMap::default() };
    let m = user.over(&ColumnMap::philly());
    assert_eq!(m.project.as_deref(), Some("other"));
    assert_eq!(m.submit.as_deref(), Some("timestamp"));
}
