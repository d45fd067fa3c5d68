//! Charts drawn on the server as SVG: the energy ring, progress bars, a sparkline and a line
//! chart with a trend. Only numbers go into them (text comes from the caller, escaped), they
//! use presentation attributes and classes (no inline styles, so the strict CSP holds) and
//! carry a `<title>` for screen readers.

use std::fmt::Write;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn f(v: f64) -> String {
    if v.is_finite() {
        format!("{:.2}", v)
    } else {
        "0".into()
    }
}

/// The day's energy: a ring filled by eaten / (target + burned), red beyond the target, the
/// remaining kcal in the middle. `label` is the accessible description.
pub fn ring(
    eaten: f64,
    burned: f64,
    target: Option<f64>,
    center: &str,
    sub: &str,
    label: &str,
) -> String {
    let r = 58.0;
    let circumference = 2.0 * std::f64::consts::PI * r;
    let budget = target.map(|t| t + burned).filter(|b| *b > 0.0);
    let share = match budget {
        Some(b) => (eaten / b).clamp(0.0, 1.0),
        None => 0.0,
    };
    let over = budget.is_some_and(|b| eaten > b);
    let dash = share * circumference;
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"ring\" viewBox=\"0 0 140 140\" role=\"img\" aria-label=\"{label}\">\
         <title>{label}</title>\
         <circle class=\"track\" cx=\"70\" cy=\"70\" r=\"{r}\" fill=\"none\" stroke-width=\"12\"/>\
         {arc}\
         <text class=\"big\" x=\"70\" y=\"72\" text-anchor=\"middle\">{center}</text>\
         <text class=\"lbl\" x=\"70\" y=\"92\" text-anchor=\"middle\">{sub}</text></svg>",
        label = esc(label),
        // Nothing eaten: no arc (a zero-length round cap would still draw a dot).
        arc = if dash > 0.5 {
            format!(
                "<circle class=\"{}\" cx=\"70\" cy=\"70\" r=\"{r}\" fill=\"none\" stroke-width=\"12\" \
                 stroke-linecap=\"round\" stroke-dasharray=\"{} {}\" transform=\"rotate(-90 70 70)\"/>",
                if over { "over" } else { "eaten" },
                f(dash),
                f(circumference)
            )
        } else {
            String::new()
        },
        center = esc(center),
        sub = esc(sub),
    );
    out
}

/// A horizontal progress bar of `value` against `target` (full when at or beyond it).
pub fn bar(value: f64, target: Option<f64>, label: &str) -> String {
    let share = match target.filter(|t| *t > 0.0) {
        Some(t) => (value / t).clamp(0.0, 1.0),
        None => 0.0,
    };
    format!(
        "<svg viewBox=\"0 0 100 10\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"{l}\">\
         <title>{l}</title><rect class=\"track\" width=\"100\" height=\"10\" rx=\"5\"/>\
         <rect class=\"fill\" width=\"{w}\" height=\"10\" rx=\"5\"/></svg>",
        l = esc(label),
        w = f(share * 100.0)
    )
}

/// A sparkline of daily values (None = no data that day, drawn as a gap), with the target as
/// a dashed line.
pub fn sparkline(values: &[Option<f64>], target: Option<f64>, label: &str) -> String {
    sparkline_with_targets(values, &vec![target; values.len()], label)
}

/// A sparkline of daily values with each day's own target (`targets[i]` for `values[i]`): a
/// dashed line that steps where the target changed, with gaps where there was none.
pub fn sparkline_with_targets(
    values: &[Option<f64>],
    targets: &[Option<f64>],
    label: &str,
) -> String {
    let (w, h, pad) = (280.0, 56.0, 4.0);
    let max = values
        .iter()
        .chain(targets)
        .flatten()
        .copied()
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let n = values.len().max(2) as f64;
    let x = |i: usize| pad + (w - 2.0 * pad) * i as f64 / (n - 1.0);
    let y = |v: f64| h - pad - (h - 2.0 * pad) * v / max;
    let mut out = format!(
        "<svg class=\"spark\" viewBox=\"0 0 {w} {h}\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"{l}\"><title>{l}</title>",
        l = esc(label)
    );
    // Runs of days with one target: each day holds the half-way points to its neighbours (the
    // edges for the first and last), so a run of one day, the last one included, has a width.
    let mut runs: Vec<(usize, usize, f64)> = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        match (t, runs.last_mut()) {
            (Some(t), Some(run)) if run.1 + 1 == i && run.2 == *t => run.1 = i,
            (Some(t), _) => runs.push((i, i, *t)),
            (None, _) => {}
        }
    }
    let last = targets.len().saturating_sub(1);
    for (a, b, t) in runs {
        let _ = write!(
            out,
            "<line class=\"target\" x1=\"{}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\"/>",
            f(if a == 0 { pad } else { (x(a - 1) + x(a)) / 2.0 }),
            f(if b == last {
                w - pad
            } else {
                (x(b) + x(b + 1)) / 2.0
            }),
            y = f(y(t))
        );
    }
    let mut path = String::new();
    let mut pen_down = false;
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => {
                let _ = write!(
                    path,
                    "{}{} {} ",
                    if pen_down { "L" } else { "M" },
                    f(x(i)),
                    f(y(*v))
                );
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    if !path.is_empty() {
        let _ = write!(out, "<path class=\"line\" d=\"{}\"/>", path.trim_end());
    }
    if let Some((i, Some(v))) = values.iter().enumerate().next_back() {
        let _ = write!(
            out,
            "<circle class=\"dot\" cx=\"{}\" cy=\"{}\" r=\"3\"/>",
            f(x(i)),
            f(y(*v))
        );
    }
    out.push_str("</svg>");
    out
}

/// A line chart of dated readings with their trend: one dot per reading, the trend as a line,
/// a few labelled gridlines. `points` are (day index from the first day, value, trend).
pub fn trend_chart(points: &[(f64, f64, f64)], days: f64, unit: &str, label: &str) -> String {
    let (w, h, left, right, top, bottom) = (640.0, 240.0, 44.0, 8.0, 10.0, 22.0);
    let mut out = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{l}\"><title>{l}</title>",
        l = esc(label)
    );
    if points.is_empty() {
        out.push_str("</svg>");
        return out;
    }
    let lo = points
        .iter()
        .flat_map(|p| [p.1, p.2])
        .fold(f64::INFINITY, f64::min);
    let hi = points
        .iter()
        .flat_map(|p| [p.1, p.2])
        .fold(f64::NEG_INFINITY, f64::max);
    let span = (hi - lo).max(1.0);
    let (lo, hi) = (lo - span * 0.1, hi + span * 0.1);
    let days = days.max(1.0);
    let x = |d: f64| left + (w - left - right) * d / days;
    let y = |v: f64| top + (h - top - bottom) * (hi - v) / (hi - lo);
    for i in 0..=4 {
        let v = lo + (hi - lo) * i as f64 / 4.0;
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{l}\" x2=\"{r}\" y1=\"{y}\" y2=\"{y}\"/>\
             <text class=\"axis\" x=\"{tx}\" y=\"{ty}\" text-anchor=\"end\">{v}</text>",
            l = f(left),
            r = f(w - right),
            y = f(y(v)),
            tx = f(left - 6.0),
            ty = f(y(v) + 4.0),
            v = esc(&format!("{:.1}", v)),
        );
    }
    for (d, v, _) in points {
        let _ = write!(
            out,
            "<circle class=\"point\" cx=\"{}\" cy=\"{}\" r=\"3\"><title>{}</title></circle>",
            f(x(*d)),
            f(y(*v)),
            esc(&format!("{v:.1} {unit}"))
        );
    }
    let path: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, (d, _, t))| {
            format!(
                "{}{} {}",
                if i == 0 { "M" } else { "L" },
                f(x(*d)),
                f(y(*t))
            )
        })
        .collect();
    let _ = write!(out, "<path class=\"trend\" d=\"{}\"/>", path.join(" "));
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_svg_with_titles_and_no_inline_styles() {
        let r = ring(
            1500.0,
            300.0,
            Some(2000.0),
            "800",
            "left",
            "1,500 of 2,300 kcal",
        );
        assert!(r.starts_with("<svg") && r.contains("<title>1,500 of 2,300 kcal</title>"));
        assert!(r.contains("class=\"eaten\""));
        assert!(ring(2500.0, 0.0, Some(2000.0), "-500", "over", "x").contains("class=\"over\""));
        let stepped = sparkline_with_targets(
            &[Some(1.0), Some(2.0), Some(3.0), Some(2.0)],
            &[Some(2.0), Some(2.0), Some(1.5), None],
            "x",
        );
        assert_eq!(
            stepped.matches("class=\"target\"").count(),
            2,
            "one line a target, none where there was none: {stepped}"
        );
        // The last day's own target is drawn with a width (it had none: x1 = x2).
        let last = sparkline_with_targets(&[Some(1.0), Some(2.0)], &[Some(2.0), Some(3.0)], "x");
        let widths: Vec<f64> = last
            .split("<line class=\"target\" ")
            .skip(1)
            .map(|l| {
                let num = |k: &str| -> f64 {
                    let at = l.find(k).unwrap() + k.len();
                    l[at..].split('"').next().unwrap().parse().unwrap()
                };
                num("x2=\"") - num("x1=\"")
            })
            .collect();
        assert_eq!(widths.len(), 2, "{last}");
        assert!(widths.iter().all(|w| *w > 100.0), "{widths:?}: {last}");
        let s = sparkline(&[Some(1.0), None, Some(3.0)], Some(2.0), "kcal <14 days>");
        assert_eq!(s.matches("class=\"target\"").count(), 1, "{s}");
        assert!(s.contains("&lt;14 days&gt;"));
        assert_eq!(s.matches("M").count(), 2, "a gap starts a new line: {s}");
        for svg in [
            r,
            s,
            bar(5.0, Some(10.0), "x"),
            trend_chart(&[(0.0, 80.0, 80.0), (3.0, 79.0, 79.8)], 3.0, "kg", "w"),
        ] {
            assert!(!svg.contains("style="), "{svg}");
        }
    }
}
