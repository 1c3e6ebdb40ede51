//! `chart.svg`: µs per command against N, one panel per batch workload, a line per client and
//! one for the server's ceiling. Both axes are logarithmic.

use crate::clients::{Kind, Mode, Op};
use crate::report::Results;
use anyhow::{anyhow, Result};
use plotters::prelude::*;
use std::path::Path;

fn color(kind: Kind) -> RGBColor {
    match kind {
        Kind::RedisRs => RGBColor(214, 39, 40),
        Kind::Fred => RGBColor(255, 127, 14),
        Kind::Rustis => RGBColor(44, 160, 44),
        Kind::Sider => RGBColor(31, 119, 180),
    }
}

/// Draws the chart for `results` into `path`.
pub fn draw(results: &Results, path: &Path) -> Result<()> {
    draw_inner(results, path).map_err(|e| anyhow!("drawing {}: {e}", path.display()))
}

type Series = (String, RGBColor, Vec<(f64, f64)>);

fn series(results: &Results, mode: Mode, op: Op) -> Vec<Series> {
    let sizes = &results.plan.sizes;
    let mut out = Vec::new();
    for kind in Kind::ALL {
        let points: Vec<(f64, f64)> = sizes
            .iter()
            .filter_map(|&n| {
                results
                    .batch(kind, mode, op, n)
                    .map(|s| (n as f64, s.median))
            })
            .collect();
        if !points.is_empty() {
            out.push((kind.name().to_owned(), color(kind), points));
        }
    }
    let ceiling: Vec<(f64, f64)> = sizes
        .iter()
        .filter_map(|&n| results.ceiling(n, op).map(|s| (n as f64, s.median)))
        .collect();
    if !ceiling.is_empty() {
        out.push(("ceiling (redis-benchmark)".into(), BLACK, ceiling));
    }
    out
}

fn draw_inner(results: &Results, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (1200, 900)).into_drawing_area();
    root.fill(&WHITE)?;
    let sider_missing = !results
        .batches
        .iter()
        .any(|r| r.kind == Kind::Sider && r.us.is_some());
    let title = if sider_missing {
        "µs per command against N, median (sider: no pipeline API yet)"
    } else {
        "µs per command against N, median"
    };
    let root = root.titled(title, ("sans-serif", 26))?;
    let panels = root.split_evenly((2, 2));
    let workloads = [
        (Mode::Pipeline, Op::Set),
        (Mode::Pipeline, Op::Get),
        (Mode::Transaction, Op::Set),
        (Mode::Transaction, Op::Get),
    ];
    let sizes = &results.plan.sizes;
    let all: Vec<f64> = workloads
        .iter()
        .flat_map(|&(m, o)| series(results, m, o))
        .flat_map(|(_, _, p)| p.into_iter().map(|(_, y)| y))
        .collect();
    let (lo, hi) = all.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &y| {
        (lo.min(y), hi.max(y))
    });
    // Headroom above the highest line keeps the legend clear of the data.
    let (lo, hi) = if all.is_empty() {
        (0.1, 10.0)
    } else {
        (lo / 1.5, hi * 8.0)
    };
    let y_keys: Vec<f64> = [
        0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0,
    ]
    .into_iter()
    .chain([100.0, 200.0, 500.0, 1000.0])
    .filter(|y| (lo..=hi).contains(y))
    .collect();
    let x_keys: Vec<f64> = sizes.iter().map(|&n| n as f64).collect();
    let xmin = *sizes.iter().min().unwrap_or(&100) as f64 / 1.5;
    let xmax = *sizes.iter().max().unwrap_or(&40_000) as f64 * 1.5;

    for (panel, (mode, op)) in panels.iter().zip(workloads) {
        let mut chart = ChartBuilder::on(panel)
            .caption(
                format!("{}, {}", mode.name(), op.name()),
                ("sans-serif", 20),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(
                (xmin..xmax).log_scale().with_key_points(x_keys.clone()),
                (lo..hi).log_scale().with_key_points(y_keys.clone()),
            )?;
        chart
            .configure_mesh()
            .x_desc("N, commands per batch")
            .y_desc("µs per command")
            .light_line_style(WHITE)
            .x_label_formatter(&|x| crate::report::thousands(*x))
            .y_label_formatter(&|y| format!("{y}"))
            .draw()?;
        for (name, color, points) in series(results, mode, op) {
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
                .label(name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
            chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, color.filled())))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
    }
    root.present()?;
    Ok(())
}
