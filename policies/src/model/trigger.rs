//! Trigger rules: when an operation with upstream dependencies may run.

/// When an operation with upstream operations is compiled (the seeds' `trigger`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Trigger {
    /// Every upstream succeeded (the default).
    #[default]
    AllSucceeded,
    /// Every upstream ended without succeeding.
    AllFailed,
    /// Every upstream ended, whatever the outcome.
    AllDone,
    /// At least one upstream succeeded (it runs as soon as one does).
    OneSucceeded,
    /// At least one upstream ended without succeeding (as soon as one does).
    OneFailed,
    /// At least one upstream ended (as soon as one does).
    OneDone,
}

/// What the trigger says given the upstream outcomes so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// It may run now.
    Run,
    /// It can never run: it ends `upstream_failed`.
    Never,
    /// Not decided yet.
    Wait,
}

impl Trigger {
    /// Names accepted in traces and scenarios.
    pub const NAMES: [&'static str; 6] =
        ["all_succeeded", "all_failed", "all_done", "one_succeeded", "one_failed", "one_done"];

    /// The trigger called `name`.
    pub fn by_name(name: &str) -> Result<Trigger, String> {
        Ok(match name {
            "all_succeeded" => Trigger::AllSucceeded,
            "all_failed" => Trigger::AllFailed,
            "all_done" => Trigger::AllDone,
            "one_succeeded" => Trigger::OneSucceeded,
            "one_failed" => Trigger::OneFailed,
            "one_done" => Trigger::OneDone,
            _ => {
                return Err(format!("unknown trigger `{name}`; expected one of: {}", Self::NAMES.join(", ")))
            }
        })
    }

    /// Its name.
    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// The verdict with `ok` upstream operations succeeded and `bad` ended otherwise, of
    /// `total`.
    pub fn verdict(self, ok: u32, bad: u32, total: u32) -> Verdict {
        let done = ok + bad == total;
        match self {
            Trigger::AllSucceeded if bad > 0 => Verdict::Never,
            Trigger::AllSucceeded if done => Verdict::Run,
            Trigger::AllFailed if ok > 0 => Verdict::Never,
            Trigger::AllFailed if done => Verdict::Run,
            Trigger::AllDone if done => Verdict::Run,
            Trigger::OneSucceeded if ok > 0 => Verdict::Run,
            Trigger::OneSucceeded if done => Verdict::Never,
            Trigger::OneFailed if bad > 0 => Verdict::Run,
            Trigger::OneFailed if done => Verdict::Never,
            Trigger::OneDone if ok + bad > 0 => Verdict::Run,
            _ => Verdict::Wait,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_follow_the_seeds_rules() {
        use Verdict::*;
        let t = |name: &str| Trigger::by_name(name).unwrap();
        // (ok, bad) of 3 upstream operations.
        let cases = [
            ("all_succeeded", [(3, 0, Run), (2, 0, Wait), (2, 1, Never)]),
            ("all_failed", [(0, 3, Run), (0, 2, Wait), (1, 0, Never)]),
            ("all_done", [(1, 2, Run), (1, 1, Wait), (0, 0, Wait)]),
            ("one_succeeded", [(1, 0, Run), (0, 2, Wait), (0, 3, Never)]),
            ("one_failed", [(0, 1, Run), (2, 0, Wait), (3, 0, Never)]),
            ("one_done", [(1, 0, Run), (0, 1, Run), (0, 0, Wait)]),
        ];
        for (name, expect) in cases {
            for (ok, bad, v) in expect {
                assert_eq!(t(name).verdict(ok, bad, 3), v, "{name} {ok} {bad}");
            }
            assert_eq!(t(name).as_str(), name);
        }
        assert!(Trigger::by_name("sometimes").unwrap_err().contains("one_done"));
    }
}
