use std::path::Path;

use super::*;

fn read(name: &str, map: &ColumnMap) -> MappedTrace {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(name);
    read_mapped_from(std::fs::File::open(&path).unwrap(), name, map).unwrap()
}

#[test]
fn philly() {
    let t = read("philly-pollux.csv", &ColumnMap::philly());
    assert_eq!(t.trace.records.len(), 82_247);
    let first = &t.trace.records[0];
    // 2017-10-09 07:01:55; the earliest submit in the file is earlier, so times are relative.
    assert_eq!(
        (first.id.as_str(), first.duration, first.gpu, first.cpu_milli, first.mem_mib),
        ("2", 66_000, 1, 4000, 16384)
    );
    assert_eq!(first.project.as_deref(), Some("11cb48"));
    assert_eq!(t.trace.records.iter().map(|r| r.submit).min(), Some(0));
    let last = t.trace.records.last().unwrap();
    assert_eq!(
        (last.id.as_str(), last.duration, last.project.as_deref()),
        ("82248", 1_896_000, Some("6c71a0"))
    );
}

#[test]
fn alibaba_gpu_pods() {
    let t = read("openb_pod_list_default.csv", &ColumnMap::alibaba_gpu());
    let first = &t.trace.records[0];
    assert_eq!((first.id.as_str(), first.submit, first.duration), ("openb-pod-0000", 0, 12_537_496_000));
    assert_eq!(
        (first.cpu_milli, first.mem_mib, first.gpu, first.project.as_deref()),
        (12_000, 16_384, 1, Some("LS"))
    );
    // Pending pods were never scheduled.
    assert!(t.skipped.values().sum::<u64>() >= 897, "{:?}", t.skipped);
    assert_eq!(t.trace.records.len() as u64 + t.skipped.values().sum::<u64>(), 8_152);
}

#[test]
fn tiresias() {
    let t = read("tiresias-60_job.csv", &ColumnMap::tiresias());
    assert_eq!(t.trace.records.len(), 60);
    let r = &t.trace.records[1];
    assert_eq!(
        (r.id.as_str(), r.submit, r.duration, r.gpu, r.cpu_milli, r.project.as_deref()),
        ("1", 30_000, 147_000, 8, 32_000, Some("vgg11"))
    );
    let last = t.trace.records.last().unwrap();
    assert_eq!((last.id.as_str(), last.submit, last.duration), ("59", 1_779_000, 122_000));
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
