//! Periodic samples of the cluster for `timeseries.csv`.

use schedlab_policies::{Kernel, Resources, Time};

/// Samples taken every `interval`: per-queue queued and running counts and the resources in use.
///
/// The number of rows stays bounded whatever the run's length: when it passes [`MAX_ROWS`],
/// every other sample is dropped and the interval doubles, so long runs get coarser rather
/// than larger.
pub struct Samples {
    pub interval: Time,
    pub queues: usize,
    pub times: Vec<Time>,
    /// Row-major: `queues` counts per sample.
    pub queued: Vec<u32>,
    pub running: Vec<u32>,
    pub used: Vec<Resources>,
    /// Row-major: resources held by each queue per sample.
    pub queue_used: Vec<Resources>,
    /// Row-major: each queue's running cost per hour per sample.
    pub queue_cost_rate: Vec<f64>,
    next: Time,
}

/// Most rows kept before the interval doubles.
pub const MAX_ROWS: usize = 4000;

impl Samples {
    pub fn new(interval: Time, queues: usize) -> Samples {
        Samples {
            interval: interval.max(1),
            queues,
            times: Vec::new(),
            queued: Vec::new(),
            running: Vec::new(),
            used: Vec::new(),
            queue_used: Vec::new(),
            queue_cost_rate: Vec::new(),
            next: 0,
        }
    }

    /// Records the kernel's state for every sample time up to and including `until`
    /// (the state has not changed since the last event before `until`).
    pub fn take_until(&mut self, until: Time, kernel: &Kernel) {
        while self.next <= until {
            self.times.push(self.next);
            for q in kernel.queues() {
                self.queued.push(q.queued());
                self.running.push(q.running());
                self.queue_used.push(q.used());
                self.queue_cost_rate.push(q.cost_rate());
            }
            self.used.push(kernel.used());
            self.next += self.interval;
            if self.times.len() > MAX_ROWS {
                self.decimate();
            }
        }
    }

    /// The time of the next sample to take.
    pub fn next_time(&self) -> Time {
        self.next
    }

    fn decimate(&mut self) {
        let q = self.queues;
        let rows = self.times.len();
        self.times = pick_rows(&self.times, rows, 1);
        self.used = pick_rows(&self.used, rows, 1);
        self.queued = pick_rows(&self.queued, rows, q);
        self.running = pick_rows(&self.running, rows, q);
        self.queue_used = pick_rows(&self.queue_used, rows, q);
        self.queue_cost_rate = pick_rows(&self.queue_cost_rate, rows, q);
        self.interval *= 2;
        self.next = self.times.last().map(|t| t + self.interval).unwrap_or(0);
    }
}

/// The even-numbered rows of a row-major table with `width` columns.
fn pick_rows<T: Copy>(v: &[T], rows: usize, width: usize) -> Vec<T> {
    (0..rows)
        .filter(|i| i.is_multiple_of(2))
        .flat_map(|i| v[i * width..(i + 1) * width].iter().copied())
        .collect()
}

/// A sampling interval giving about a thousand samples over `span`: the smallest "round"
/// interval at least `span / 1000`.
pub fn default_interval(span: Time) -> Time {
    const NICE: [Time; 12] = [
        1_000, 5_000, 10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000, 21_600_000, 43_200_000,
        86_400_000,
    ];
    let want = span / 1000;
    NICE.iter().copied().find(|&i| i >= want).unwrap_or(86_400_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_interval_is_round() {
        assert_eq!(default_interval(0), 1_000);
        assert_eq!(default_interval(3_600_000), 5_000);
        assert_eq!(default_interval(86_400_000), 300_000);
    }
}
