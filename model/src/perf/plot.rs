//! The sweep's plot (SVG): throughput, and each kind's latency p50 and p99 (log scale), against the
//! swept parameter.

use std::path::Path;

use plotters::prelude::*;

use super::{Kind, Point, Sweep};

/// Why the plot could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("plot {path}: {message}")]
pub struct PlotError {
    pub path: String,
    pub message: String,
}

const COLOURS: [RGBColor; 3] = [RGBColor(31, 119, 180), RGBColor(214, 39, 40), RGBColor(44, 160, 44)];

/// Draws `points` of `sweep` to `path` (SVG), throughput at `clock_mhz`, `title` above.
pub fn svg(path: &Path, title: &str, sweep: &Sweep, points: &[Point], clock_mhz: f64) -> Result<(), PlotError> {
    let fail = |e: &dyn std::fmt::Display| PlotError { path: path.display().to_string(), message: e.to_string() };
    let root = SVGBackend::new(path, (1100, 460)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let root = root.titled(title, ("sans-serif", 20)).map_err(|e| fail(&e))?;
    let (left, right) = root.split_horizontally(550);
    let xs: Vec<f64> = points.iter().map(|p| f64::from(p.value)).collect();
    let (lo, hi) = (xs.iter().copied().fold(f64::MAX, f64::min), xs.iter().copied().fold(f64::MIN, f64::max));
    let x_range = if hi > lo { lo..hi } else { lo - 1.0..hi + 1.0 };

    let mbs: Vec<f64> = points.iter().map(|p| p.bytes_per_cycle * clock_mhz).collect();
    let top = mbs.iter().copied().fold(0.0, f64::max).max(1.0) * 1.1;
    let mut chart = ChartBuilder::on(&left)
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .caption(format!("throughput (MB/s at {clock_mhz} MHz)"), ("sans-serif", 16))
        .build_cartesian_2d(x_range.clone(), 0.0..top)
        .map_err(|e| fail(&e))?;
    chart.configure_mesh().x_desc(sweep.param.name()).y_desc("MB/s").draw().map_err(|e| fail(&e))?;
    chart
        .draw_series(LineSeries::new(xs.iter().copied().zip(mbs.iter().copied()), COLOURS[0].stroke_width(2)))
        .map_err(|e| fail(&e))?;
    chart
        .draw_series(xs.iter().zip(&mbs).map(|(&x, &y)| Circle::new((x, y), 3, COLOURS[0].filled())))
        .map_err(|e| fail(&e))?;

    let kinds: std::collections::BTreeSet<Kind> = points.iter().flat_map(|p| p.latency.keys().copied()).collect();
    let us = |c: u64| (c as f64 / clock_mhz).max(1e-3);
    let all: Vec<f64> = points.iter().flat_map(|p| p.latency.values().flat_map(|l| [us(l.p50), us(l.p99)])).collect();
    let (ymin, ymax) = (all.iter().copied().fold(f64::MAX, f64::min), all.iter().copied().fold(0.0, f64::max));
    let y_range = (ymin.min(ymax) / 2.0).max(1e-3)..(ymax * 2.0).max(1e-2);
    let mut chart = ChartBuilder::on(&right)
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .caption("latency, arrival to completion (µs)", ("sans-serif", 16))
        .build_cartesian_2d(x_range, y_range.log_scale())
        .map_err(|e| fail(&e))?;
    chart.configure_mesh().x_desc(sweep.param.name()).y_desc("µs").draw().map_err(|e| fail(&e))?;
    for (i, kind) in kinds.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        for (p99, style) in [(false, colour.stroke_width(2)), (true, colour.stroke_width(1))] {
            let line = points
                .iter()
                .filter_map(|p| p.latency.get(kind).map(|l| (f64::from(p.value), us(if p99 { l.p99 } else { l.p50 }))));
            let label = format!("{} {}", kind.name(), if p99 { "p99" } else { "p50" });
            chart.draw_series(LineSeries::new(line, style)).map_err(|e| fail(&e))?.label(label).legend(
                move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(if p99 { 1 } else { 2 })),
            );
        }
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| fail(&e))?;
    root.present().map_err(|e| fail(&e))?;
    Ok(())
}
