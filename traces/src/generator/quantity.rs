//! Human quantities in generator configs: each accepts a TOML number or a string, so people
//! can write `cpu = 2` or `cpu = "500m"`, `memory = 2048` or `"2Gi"`, `median = 600` or
//! `"10m"`. Parsing happens while deserialising, so a bad value is reported with its TOML
//! location by the scenario loader.

use std::fmt;
use std::marker::PhantomData;

use schedlab_policies::time::Time;
use schedlab_policies::units::{cores_to_milli, parse_cpu, parse_duration, parse_mem_mib, secs_to_time};
use serde::de::{self, Deserialize, Deserializer, Visitor};

/// A CPU amount in millicores: a number of cores (`2`, `0.5`) or a string (`"500m"`, `"1.5"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpuQty(pub u64);

/// A memory amount in MiB: a number of MiB (`2048`) or a string (`"2Gi"`, `"512Mi"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemQty(pub u64);

/// A duration in milliseconds: a number of seconds (`600`, `1.5`) or a string (`"10m"`, `"1h30m"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DurationQty(pub Time);

/// How one kind of quantity is read from numbers and from strings.
trait Quantity: Sized {
    const EXPECTING: &'static str;
    fn from_number(v: f64) -> Option<Self>;
    fn from_text(s: &str) -> Result<Self, String>;
}

impl Quantity for CpuQty {
    const EXPECTING: &'static str = "a CPU amount like 2, 0.5 or \"500m\"";
    fn from_number(v: f64) -> Option<Self> {
        cores_to_milli(v).map(CpuQty)
    }
    fn from_text(s: &str) -> Result<Self, String> {
        parse_cpu(s).map(CpuQty)
    }
}

impl Quantity for MemQty {
    const EXPECTING: &'static str = "a memory amount like 2048 (MiB) or \"2Gi\"";
    fn from_number(v: f64) -> Option<Self> {
        (0.0..1e15).contains(&v).then(|| MemQty(v.ceil() as u64))
    }
    fn from_text(s: &str) -> Result<Self, String> {
        parse_mem_mib(s).map(MemQty)
    }
}

impl Quantity for DurationQty {
    const EXPECTING: &'static str = "a duration like 600 (seconds) or \"10m\"";
    fn from_number(v: f64) -> Option<Self> {
        secs_to_time(v).map(DurationQty)
    }
    fn from_text(s: &str) -> Result<Self, String> {
        parse_duration(s).map(DurationQty)
    }
}

struct QuantityVisitor<Q>(PhantomData<Q>);

impl<Q: Quantity> QuantityVisitor<Q> {
    fn number<E: de::Error>(v: f64) -> Result<Q, E> {
        Q::from_number(v).ok_or_else(|| E::custom(format!("expected {}, got {v}", Q::EXPECTING)))
    }
}

impl<Q: Quantity> Visitor<'_> for QuantityVisitor<Q> {
    type Value = Q;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Q::EXPECTING)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Q, E> {
        Self::number(v as f64)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Q, E> {
        Self::number(v as f64)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Q, E> {
        Self::number(v)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Q, E> {
        Q::from_text(s).map_err(E::custom)
    }
}

macro_rules! deserialize_quantity {
    ($t:ty) => {
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(QuantityVisitor::<$t>(PhantomData))
            }
        }
    };
}

deserialize_quantity!(CpuQty);
deserialize_quantity!(MemQty);
deserialize_quantity!(DurationQty);

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Q {
        cpu: CpuQty,
        mem: MemQty,
        dur: DurationQty,
    }

    fn parse(s: &str) -> Result<Q, toml::de::Error> {
        toml::from_str(s)
    }

    #[test]
    fn numbers_and_strings() {
        let q = parse("cpu = 2\nmem = 2048\ndur = 600").unwrap();
        assert_eq!((q.cpu, q.mem, q.dur), (CpuQty(2000), MemQty(2048), DurationQty(600_000)));
        let q = parse("cpu = \"500m\"\nmem = \"2Gi\"\ndur = \"10m\"").unwrap();
        assert_eq!((q.cpu, q.mem, q.dur), (CpuQty(500), MemQty(2048), DurationQty(600_000)));
        let q = parse("cpu = 0.5\nmem = 1.5\ndur = 1.5").unwrap();
        assert_eq!((q.cpu, q.mem, q.dur), (CpuQty(500), MemQty(2), DurationQty(1_500)));
    }

    #[test]
    fn bad_values_say_what_was_expected() {
        let e = parse("cpu = -1\nmem = 1\ndur = 1").err().unwrap().to_string();
        assert!(e.contains("CPU amount"), "{e}");
        let e = parse("cpu = 1\nmem = \"lots\"\ndur = 1").err().unwrap().to_string();
        assert!(e.contains("memory amount"), "{e}");
        let e = parse("cpu = 1\nmem = 1\ndur = true").err().unwrap().to_string();
        assert!(e.contains("duration"), "{e}");
    }
}
