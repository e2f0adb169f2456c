//! Order statistics over wall-clock samples.
//!
//! Medians and percentiles rather than means: on a shared machine a few runs are
//! delayed by other work, and those outliers would dominate a mean.

use std::fmt;
use std::time::Duration;

/// Summary of one series of timings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Summary {
    pub(crate) min: Duration,
    pub(crate) median: Duration,
    pub(crate) p90: Duration,
    pub(crate) max: Duration,
}

impl Summary {
    /// `None` for an empty series.
    pub(crate) fn of(samples: &[Duration]) -> Option<Self> {
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        Some(Self {
            min: *sorted.first()?,
            median: median_sorted(&sorted),
            p90: percentile_sorted(&sorted, 90),
            max: *sorted.last()?,
        })
    }
}

/// The median of a sorted, non-empty series (mean of the middle two for an even count).
fn median_sorted(sorted: &[Duration]) -> Duration {
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2
    }
}

/// Nearest-rank percentile of a sorted, non-empty series.
fn percentile_sorted(sorted: &[Duration], percent: usize) -> Duration {
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

/// The median of `a[i] - b[i]` over paired samples, in signed microseconds.
///
/// Pairing runs that happened next to each other cancels slow drifts in machine load
/// that a difference of two medians keeps.
pub(crate) fn median_paired_difference(a: &[Duration], b: &[Duration]) -> Option<f64> {
    let mut diffs: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(a, b)| micros(*a) - micros(*b))
        .collect();
    if diffs.is_empty() {
        return None;
    }
    diffs.sort_by(f64::total_cmp);
    let mid = diffs.len() / 2;
    Some(if diffs.len() % 2 == 1 {
        diffs[mid]
    } else {
        f64::midpoint(diffs[mid - 1], diffs[mid])
    })
}

/// A duration in microseconds, as a float for differences and ratios.
pub(crate) fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

/// A duration for a table cell: milliseconds with three decimals.
pub(crate) struct Millis(pub(crate) Duration);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3} ms", self.0.as_secs_f64() * 1e3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|v| Duration::from_millis(*v)).collect()
    }

    #[test]
    fn odd_series_median_is_the_middle_value() {
        let summary = Summary::of(&ms(&[9, 1, 5])).unwrap();
        assert_eq!(summary.median, Duration::from_millis(5));
        assert_eq!(summary.min, Duration::from_millis(1));
        assert_eq!(summary.max, Duration::from_millis(9));
    }

    #[test]
    fn even_series_median_is_the_mean_of_the_middle_two() {
        let summary = Summary::of(&ms(&[4, 1, 2, 3])).unwrap();
        assert_eq!(summary.median, Duration::from_micros(2500));
    }

    #[test]
    fn p90_is_the_nearest_rank() {
        let samples = ms(&(1..=20).collect::<Vec<_>>());
        assert_eq!(
            Summary::of(&samples).unwrap().p90,
            Duration::from_millis(18)
        );
        assert_eq!(
            Summary::of(&ms(&[7])).unwrap().p90,
            Duration::from_millis(7)
        );
    }

    #[test]
    fn empty_series_has_no_summary() {
        assert_eq!(Summary::of(&[]), None);
        assert_eq!(median_paired_difference(&[], &[]), None);
    }

    #[test]
    fn paired_difference_is_signed_and_ignores_common_drift() {
        // The second series is 1 ms slower in every pair, whatever the load did.
        let base = ms(&[10, 50, 12, 80, 11]);
        let slower: Vec<Duration> = base.iter().map(|d| *d + Duration::from_millis(1)).collect();
        assert_eq!(median_paired_difference(&slower, &base), Some(1000.0));
        assert_eq!(median_paired_difference(&base, &slower), Some(-1000.0));
    }

    #[test]
    fn millis_display_has_three_decimals() {
        assert_eq!(Millis(Duration::from_micros(1234)).to_string(), "1.234 ms");
    }
}
