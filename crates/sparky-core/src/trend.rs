//! Weight trend: an exponentially weighted moving average of daily weights, and the date the
//! trend reaches a target at its recent rate.
//!
//! Daily weights swing by a kilogram or more with water and food; the trend smooths that out.
//! The API uses [`DEFAULT_ALPHA`] = 0.1 (each day's weight moves the trend a tenth of the way
//! towards it), the smoothing popularised by The Hacker's Diet and used by trend-weight apps.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// The smoothing factor the API uses for weight trends.
pub const DEFAULT_ALPHA: Decimal = dec!(0.1);

/// How many days of trend [`projected_date`] fits its slope to.
pub const PROJECTION_WINDOW_DAYS: i64 = 28;

/// Projections further out than this (about 10 years) are not made: the rate is too small
/// to mean anything.
pub const MAX_PROJECTION_DAYS: i64 = 3653;

/// Exponentially weighted moving average, one output per input, in input order.
///
/// `points` are (day, weight) in ascending date order, normally one per day (the endpoint
/// passes each day's mean). The first trend value is the first weight; then, for each next
/// weight `x` on a day `gap` days after the previous point,
/// `trend = trend + (1 − (1 − alpha)^gap) · (x − trend)`: with daily weights that is the
/// classic `trend + alpha · (x − trend)`, and a missing day counts as if the trend had stood
/// still (so a week's gap moves the trend as much as a week of that weight would). Points on
/// the same day (gap 0) are each applied with `alpha`.
///
/// `alpha` is clamped to (0, 1]; 1 returns the weights unchanged. Values are not rounded.
///
/// Worked example, alpha 0.1: weights 100, 99, 98 on consecutive days give 100, 99.9, 99.71.
pub fn ewma(points: &[(NaiveDate, Decimal)], alpha: Decimal) -> Vec<(NaiveDate, Decimal)> {
    let alpha = alpha.clamp(dec!(0.000001), Decimal::ONE);
    let keep = Decimal::ONE - alpha;
    let mut out = Vec::with_capacity(points.len());
    let mut prev: Option<(NaiveDate, Decimal)> = None;
    for &(date, x) in points {
        let t = match prev {
            None => x,
            Some((prev_date, t)) => {
                let gap = (date - prev_date).num_days();
                let weight = if gap <= 1 {
                    alpha
                } else {
                    // (1 − alpha)^gap by repeated squaring; gaps beyond a few years have
                    // forgotten the old trend entirely.
                    Decimal::ONE - pow(keep, gap.min(10_000) as u64)
                };
                t + weight * (x - t)
            }
        };
        out.push((date, t));
        prev = Some((date, t));
    }
    out
}

/// `base^exp` for 0 ≤ base ≤ 1 (cannot overflow).
fn pow(mut base: Decimal, mut exp: u64) -> Decimal {
    let mut acc = Decimal::ONE;
    while exp > 0 {
        if exp & 1 == 1 {
            acc *= base;
        }
        base *= base;
        exp >>= 1;
    }
    acc
}

/// The day the trend reaches `target` if it keeps its recent rate, or `None`.
///
/// The rate is the least-squares slope (per day) of the trend points in the last
/// [`PROJECTION_WINDOW_DAYS`] days up to the last point; the projection starts from the last
/// trend value. `trend` must be in ascending date order.
///
/// Returns the last point's date when the trend already equals the target; `None` with fewer
/// than 2 points in the window (or all on one day), when the slope is zero or points away from
/// the target, or when the date is more than [`MAX_PROJECTION_DAYS`] away. The number of days is
/// rounded up (the target is reached on that day, not before).
///
/// Worked example: a trend falling 0.1 kg a day to 80 kg on 2026-01-28 reaches 79 kg ten days
/// later, on 2026-02-07.
pub fn projected_date(trend: &[(NaiveDate, Decimal)], target: Decimal) -> Option<NaiveDate> {
    let &(last_date, current) = trend.last()?;
    let start = last_date - chrono::Duration::days(PROJECTION_WINDOW_DAYS - 1);
    let window: Vec<(Decimal, Decimal)> = trend
        .iter()
        .filter(|(d, _)| *d >= start && *d <= last_date)
        .map(|&(d, v)| (Decimal::from((d - start).num_days()), v))
        .collect();
    if window.len() < 2 {
        return None;
    }
    let slope = least_squares_slope(&window)?;
    let remaining = target - current;
    if remaining.is_zero() {
        return Some(last_date);
    }
    if slope.is_zero() || remaining.is_sign_negative() != slope.is_sign_negative() {
        return None;
    }
    let days = (remaining / slope).ceil();
    if days > Decimal::from(MAX_PROJECTION_DAYS) {
        return None;
    }
    let days: i64 = days.try_into().ok()?;
    last_date.checked_add_signed(chrono::Duration::days(days))
}

/// The least-squares slope of (x, y) points; `None` with fewer than 2 points or all at one x.
fn least_squares_slope(points: &[(Decimal, Decimal)]) -> Option<Decimal> {
    if points.len() < 2 {
        return None;
    }
    let n = Decimal::from(points.len() as u64);
    let mean_x = points.iter().map(|(x, _)| *x).sum::<Decimal>() / n;
    let mean_y = points.iter().map(|(_, y)| *y).sum::<Decimal>() / n;
    let sxx: Decimal = points
        .iter()
        .map(|(x, _)| (*x - mean_x) * (*x - mean_x))
        .sum();
    let sxy: Decimal = points
        .iter()
        .map(|(x, y)| (*x - mean_x) * (*y - mean_y))
        .sum();
    if sxx.is_zero() {
        return None;
    }
    sxy.checked_div(sxx)
}

/// The rate of change per week of a trend: the least-squares slope (per day) of all its
/// points, times 7, unrounded. `None` with fewer than 2 points or all on one day.
///
/// Worked example: a trend of 80, 79.9 on consecutive days changes −0.7 a week.
pub fn weekly_rate(trend: &[(NaiveDate, Decimal)]) -> Option<Decimal> {
    let &(first, _) = trend.first()?;
    let points: Vec<(Decimal, Decimal)> = trend
        .iter()
        .map(|&(d, v)| (Decimal::from((d - first).num_days()), v))
        .collect();
    least_squares_slope(&points).map(|s| s * Decimal::from(7))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn series(start: &str, values: &[Decimal]) -> Vec<(NaiveDate, Decimal)> {
        let d0 = day(start);
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (d0 + chrono::Duration::days(i as i64), *v))
            .collect()
    }

    #[test]
    fn ewma_worked_example() {
        let pts = series("2026-01-01", &[dec!(100), dec!(99), dec!(98)]);
        let t = ewma(&pts, DEFAULT_ALPHA);
        let values: Vec<Decimal> = t.iter().map(|(_, v)| *v).collect();
        assert_eq!(values, vec![dec!(100), dec!(99.9), dec!(99.71)]);
        assert_eq!(t[2].0, day("2026-01-03"));
    }

    #[test]
    fn ewma_of_constant_weights_is_constant() {
        let pts = series("2026-01-01", &[dec!(72.5); 30]);
        assert!(ewma(&pts, DEFAULT_ALPHA)
            .iter()
            .all(|(_, v)| *v == dec!(72.5)));
    }

    #[test]
    fn ewma_smooths_a_spike() {
        // 80, 80, 83 (a salty dinner), 80: the trend moves 0.3, then back 10 % of the way.
        let pts = series("2026-01-01", &[dec!(80), dec!(80), dec!(83), dec!(80)]);
        let values: Vec<Decimal> = ewma(&pts, DEFAULT_ALPHA).iter().map(|p| p.1).collect();
        assert_eq!(values, vec![dec!(80), dec!(80), dec!(80.3), dec!(80.27)]);
    }

    #[test]
    fn ewma_over_a_gap_weights_by_the_days_missed() {
        // Two days apart: 1 − 0.9² = 0.19 of the way.
        let pts = vec![
            (day("2026-01-01"), dec!(100)),
            (day("2026-01-03"), dec!(90)),
        ];
        assert_eq!(ewma(&pts, DEFAULT_ALPHA)[1].1, dec!(98.1));
        // Alpha 1 is the raw series; empty in, empty out.
        assert_eq!(ewma(&pts, Decimal::ONE), pts);
        assert!(ewma(&[], DEFAULT_ALPHA).is_empty());
    }

    #[test]
    fn projects_a_steady_loss() {
        // 28 days falling 0.1 a day, ending at 80 on 2026-01-28.
        let values: Vec<Decimal> = (0..28).map(|i| dec!(82.7) - Decimal::new(i, 1)).collect();
        let trend = series("2026-01-01", &values);
        assert_eq!(trend.last().unwrap(), &(day("2026-01-28"), dec!(80.0)));
        assert_eq!(projected_date(&trend, dec!(79)), Some(day("2026-02-07")));
        // 79.95 is half a day away: reached the next day.
        assert_eq!(projected_date(&trend, dec!(79.95)), Some(day("2026-01-29")));
        // Already there.
        assert_eq!(projected_date(&trend, dec!(80)), Some(day("2026-01-28")));
        // Moving away from a higher target.
        assert_eq!(projected_date(&trend, dec!(85)), None);
    }

    #[test]
    fn projects_a_gain_using_only_the_last_28_days() {
        // Falling for 30 days, then rising 0.2 a day for 28 days to 60.
        let mut values: Vec<Decimal> = (0..30).map(|i| dec!(70) - Decimal::new(i, 0)).collect();
        values.extend((0..28).map(|i| dec!(54.6) + Decimal::new(2 * i, 1)));
        let trend = series("2026-03-01", &values);
        let last = trend.last().unwrap().0;
        assert_eq!(trend.last().unwrap().1, dec!(60));
        assert_eq!(
            projected_date(&trend, dec!(61)),
            Some(last + chrono::Duration::days(5))
        );
        assert_eq!(projected_date(&trend, dec!(50)), None);
    }

    #[test]
    fn no_projection_without_a_rate() {
        assert_eq!(projected_date(&[], dec!(70)), None);
        assert_eq!(
            projected_date(&[(day("2026-01-01"), dec!(80))], dec!(70)),
            None
        );
        // Two points, but 40 days apart: only one in the window.
        let far = vec![(day("2026-01-01"), dec!(82)), (day("2026-02-10"), dec!(80))];
        assert_eq!(projected_date(&far, dec!(70)), None);
        // Flat.
        let flat = series("2026-01-01", &[dec!(80); 10]);
        assert_eq!(projected_date(&flat, dec!(70)), None);
        // So slow it would take decades.
        let slow = series("2026-01-01", &[dec!(80), dec!(79.999999)]);
        assert_eq!(projected_date(&slow, dec!(70)), None);
    }

    #[test]
    fn weekly_rate_is_the_slope_times_seven() {
        let t = series("2026-01-01", &[dec!(80), dec!(79.9)]);
        assert_eq!(weekly_rate(&t), Some(dec!(-0.7)));
        // A steady 0.1 a day over 28 days, with a gap: still 0.7 a week.
        let mut t: Vec<(NaiveDate, Decimal)> = (0..28)
            .map(|i| {
                (
                    day("2026-01-01") + chrono::Duration::days(i),
                    dec!(70) + Decimal::new(i, 1),
                )
            })
            .collect();
        t.remove(10);
        assert_eq!(weekly_rate(&t), Some(dec!(0.7)));
        assert_eq!(weekly_rate(&t[..1]), None);
        assert_eq!(weekly_rate(&[]), None);
    }
}
