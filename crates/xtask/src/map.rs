//! The map's boundaries, made at build time (`cargo xtask map`, run by Trunk's pre-build hook)
//! into `public/map.json`, a static asset the app fetches only when the map is shown (so the
//! wasm does not grow for it):
//! - the world from Natural Earth's 1:50m countries (npm `world-atlas`, public domain), in the
//!   Natural Earth projection;
//! - the United States by state from the Census Bureau's cartographic boundaries (npm
//!   `us-atlas`, public domain), already in Albers USA with Alaska and Hawaii inset;
//! - the peering locations of the catalog as points in both.
//!
//! Each ring is simplified (Douglas–Peucker, a fraction of a pixel at the drawn size) and
//! written as an SVG path with relative moves at one decimal. Regions carry the catalog's
//! names (countries and US states), so the app matches them to its rows and filters by name.

use peering_model::Catalog;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// The width the world is drawn at (its height follows from the projection).
const WORLD_WIDTH: f64 = 960.0;
/// Points closer than this to the simplified line are dropped, in drawn pixels.
const TOLERANCE: f64 = 0.35;

/// Where the catalog's country names differ from Natural Earth's.
const ALIASES: [(&str, &str); 2] = [
    ("United States", "United States of America"),
    ("Korea, South", "South Korea"),
];

/// TopoJSON's arcs, decoded (quantized deltas to absolute coordinates through the transform).
fn arcs(topo: &Value) -> Result<Vec<Vec<(f64, f64)>>, String> {
    let t = &topo["transform"];
    let (sx, sy) = (t["scale"][0].as_f64(), t["scale"][1].as_f64());
    let (tx, ty) = (t["translate"][0].as_f64(), t["translate"][1].as_f64());
    let (Some(sx), Some(sy), Some(tx), Some(ty)) = (sx, sy, tx, ty) else {
        return Err("the TopoJSON has no transform".into());
    };
    let all = topo["arcs"].as_array().ok_or("the TopoJSON has no arcs")?;
    Ok(all
        .iter()
        .map(|arc| {
            let (mut x, mut y) = (0i64, 0i64);
            arc.as_array()
                .map(|points| {
                    points
                        .iter()
                        .map(|p| {
                            x += p[0].as_i64().unwrap_or(0);
                            y += p[1].as_i64().unwrap_or(0);
                            (x as f64 * sx + tx, y as f64 * sy + ty)
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect())
}

/// The rings of a Polygon or MultiPolygon geometry, as point lists.
fn rings(geometry: &Value, arcs: &[Vec<(f64, f64)>]) -> Vec<Vec<(f64, f64)>> {
    let ring = |indices: &Value| -> Vec<(f64, f64)> {
        let mut out: Vec<(f64, f64)> = Vec::new();
        for i in indices.as_array().into_iter().flatten() {
            let i = i.as_i64().unwrap_or(0);
            let (index, reversed) = if i < 0 { (!i, true) } else { (i, false) };
            let Some(arc) = arcs.get(index as usize) else {
                continue;
            };
            let mut points = arc.clone();
            if reversed {
                points.reverse();
            }
            // Consecutive arcs share their end points.
            let skip = usize::from(!out.is_empty());
            out.extend(points.into_iter().skip(skip));
        }
        out
    };
    let polygons: Vec<&Value> = match geometry["type"].as_str() {
        Some("Polygon") => vec![&geometry["arcs"]],
        Some("MultiPolygon") => geometry["arcs"].as_array().into_iter().flatten().collect(),
        _ => Vec::new(),
    };
    polygons
        .into_iter()
        .flat_map(|p| p.as_array().into_iter().flatten().map(ring))
        .collect()
}

/// A ring that crosses the antimeridian (a step of more than 180° in longitude) made
/// continuous, then held to ±180°: drawn up to the map's edge instead of across the world.
fn at_the_antimeridian(ring: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(ring.len());
    let mut shift = 0.0;
    for (lon, lat) in ring {
        if let Some(&(prev, _)) = out.last() {
            let step = lon + shift - prev;
            if step > 180.0 {
                shift -= 360.0;
            } else if step < -180.0 {
                shift += 360.0;
            }
        }
        out.push((lon + shift, lat));
    }
    out.into_iter()
        .map(|(lon, lat)| (lon.clamp(-180.0, 180.0), lat))
        .collect()
}

/// The Natural Earth projection (Šavrič et al., 2011), in radians, y up.
fn natural_earth(lon: f64, lat: f64) -> (f64, f64) {
    let (l, p) = (lon.to_radians(), lat.to_radians());
    let (p2, p4) = (p * p, p * p * p * p);
    let x = l * (0.8707 - 0.131979 * p2 + p4 * (-0.013791 + p4 * (0.003971 * p2 - 0.001529 * p4)));
    let y = p * (1.007226 + p2 * (0.015085 + p4 * (-0.044475 + 0.028874 * p2 - 0.005916 * p4)));
    (x, y)
}

/// Albers USA's lower-48 part as us-atlas drew it (d3's `geoAlbers`: parallels 29.5° and
/// 45.5°, rotated 96° W, centred on 38.7° N, scale 1300, at 487.5, 305).
fn albers_usa(lon: f64, lat: f64) -> (f64, f64) {
    let raw = |lon: f64, lat: f64| {
        let (y0, y1) = (29.5f64.to_radians(), 45.5f64.to_radians());
        let n = (y0.sin() + y1.sin()) / 2.0;
        let c = 1.0 + y0.sin() * (2.0 * n - y0.sin());
        let r0 = c.sqrt() / n;
        let r = (c - 2.0 * n * lat.to_radians().sin()).sqrt() / n;
        let x = lon.to_radians() * n;
        (r * x.sin(), r0 - r * x.cos())
    };
    let (cx, cy) = raw(-0.6, 38.7);
    let (x, y) = raw(lon + 96.0, lat);
    (487.5 + 1300.0 * (x - cx), 305.0 - 1300.0 * (y - cy))
}

fn distance_to_segment(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    };
    let (x, y) = (a.0 + t * dx, a.1 + t * dy);
    ((p.0 - x).powi(2) + (p.1 - y).powi(2)).sqrt()
}

/// Douglas–Peucker: the points that keep the line within `tolerance`.
fn simplify(points: &[(f64, f64)], tolerance: f64) -> Vec<(f64, f64)> {
    if points.len() < 3 {
        return points.to_vec();
    }
    let mut keep = vec![false; points.len()];
    keep[0] = true;
    keep[points.len() - 1] = true;
    let mut stack = vec![(0, points.len() - 1)];
    while let Some((first, last)) = stack.pop() {
        let (mut worst, mut at) = (0.0, 0);
        for i in first + 1..last {
            let d = distance_to_segment(points[i], points[first], points[last]);
            if d > worst {
                (worst, at) = (d, i);
            }
        }
        if worst > tolerance {
            keep[at] = true;
            stack.push((first, at));
            stack.push((at, last));
        }
    }
    points
        .iter()
        .zip(keep)
        .filter_map(|(p, k)| k.then_some(*p))
        .collect()
}

/// One decimal, without a trailing `.0`.
fn num(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// The SVG path of rings already in drawn pixels: each ring simplified, then `M x y` and
/// relative `l` steps. Rings that simplify to less than a triangle are dropped.
fn path(rings: &[Vec<(f64, f64)>]) -> String {
    let mut d = String::new();
    for ring in rings {
        let points = simplify(ring, TOLERANCE);
        if points.len() < 4 {
            continue;
        }
        let rounded: Vec<(f64, f64)> = points
            .iter()
            .map(|(x, y)| ((x * 10.0).round() / 10.0, (y * 10.0).round() / 10.0))
            .collect();
        d.push_str(&format!("M{} {}", num(rounded[0].0), num(rounded[0].1)));
        let mut steps = Vec::new();
        for w in rounded.windows(2) {
            let (dx, dy) = (w[1].0 - w[0].0, w[1].1 - w[0].1);
            if dx.abs() >= 0.05 || dy.abs() >= 0.05 {
                steps.push(format!("{} {}", num(dx), num(dy)));
            }
        }
        d.push('l');
        d.push_str(&steps.join(" "));
        d.push('z');
    }
    d
}

fn read(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: {e} (cargo xtask setup installs it)", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The regions of a TopoJSON object, each named by `name_of` (None: drawn, not selectable).
fn regions(
    topo: &Value,
    object: &str,
    prepare: impl Fn(Vec<(f64, f64)>) -> Vec<(f64, f64)>,
    project: impl Fn((f64, f64)) -> (f64, f64),
    name_of: impl Fn(&str) -> Option<String>,
) -> Result<Vec<Value>, String> {
    let arcs = arcs(topo)?;
    let geometries = topo["objects"][object]["geometries"]
        .as_array()
        .ok_or_else(|| format!("no object '{object}'"))?;
    let mut out = Vec::new();
    for g in geometries {
        let rings: Vec<Vec<(f64, f64)>> = rings(g, &arcs)
            .into_iter()
            .map(|r| prepare(r).into_iter().map(&project).collect())
            .collect();
        let d = path(&rings);
        if d.is_empty() {
            continue;
        }
        let name = g["properties"]["name"].as_str().and_then(&name_of);
        out.push(match name {
            Some(n) => json!({"name": n, "d": d}),
            None => json!({"d": d}),
        });
    }
    Ok(out)
}

pub fn build(out: &Path) -> Result<(), String> {
    let tools = crate::root().join(".tools/node_modules");
    let (world_file, us_file) = (
        tools.join("world-atlas/countries-50m.json"),
        tools.join("us-atlas/states-albers-10m.json"),
    );
    // Made already from these very inputs (and by this very program): nothing to do.
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let inputs = [
        Some(world_file.clone()),
        Some(us_file.clone()),
        Some(crate::root().join("data/catalog.json")),
        std::env::current_exe().ok(),
    ];
    if let Some(made) = modified(out) {
        if inputs
            .iter()
            .all(|i| i.as_deref().and_then(modified).is_some_and(|t| t < made))
        {
            return Ok(());
        }
    }
    let world = read(&world_file)?;
    let us = read(&us_file)?;
    let catalog = Catalog::embedded();
    // The world drawn WORLD_WIDTH wide: the projection spans ±2.7325 across (at ±180°).
    let (left, _) = natural_earth(-180.0, 0.0);
    let k = WORLD_WIDTH / (-2.0 * left);
    let (_, top) = natural_earth(0.0, 90.0);
    let world_xy = |(lon, lat): (f64, f64)| {
        let lon = lon.clamp(-180.0, 180.0);
        let (x, y) = natural_earth(lon, lat);
        (WORLD_WIDTH / 2.0 + k * x, k * (top - y))
    };
    let world_height = (2.0 * k * top).round();
    let names: BTreeMap<&str, &str> = catalog
        .countries
        .iter()
        .map(|c| {
            let atlas = ALIASES
                .iter()
                .find(|(ours, _)| *ours == c.name)
                .map_or(c.name.as_str(), |(_, theirs)| theirs);
            (atlas, c.name.as_str())
        })
        .collect();
    let world_regions = regions(&world, "countries", at_the_antimeridian, world_xy, |n| {
        names.get(n).map(|s| (*s).to_owned())
    })?;
    let matched = world_regions
        .iter()
        .filter(|r| r.get("name").is_some())
        .count();
    if matched != catalog.countries.len() {
        return Err(format!(
            "the map names {matched} of the catalog's {} countries; add the missing ones to map::ALIASES",
            catalog.countries.len()
        ));
    }
    let us_states: Vec<String> = catalog
        .country("United States")
        .map(|c| {
            c.locations
                .iter()
                .map(|l| l.state.trim().to_owned())
                .collect()
        })
        .unwrap_or_default();
    let us_regions = regions(
        &us,
        "states",
        |r| r,
        |p| p,
        |n| us_states.iter().any(|s| s == n).then(|| n.to_owned()),
    )?;
    // Each peering location once, with the providers that have it.
    let mut providers: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for p in &catalog.providers {
        for l in &p.peering_locations {
            if let Some((key, _)) = catalog.metro(l) {
                providers.entry(key).or_default().push(&p.name);
            }
        }
    }
    let mut world_points = Vec::new();
    let mut us_points = Vec::new();
    for (key, names) in &providers {
        let Some(m) = catalog.metros.get(*key) else {
            continue;
        };
        let label = m.spellings.first().map_or(key.to_string(), Clone::clone);
        let (x, y) = world_xy((m.lon, m.lat));
        world_points.push(json!({"name": label, "x": num(x).parse::<f64>().unwrap_or(x), "y": num(y).parse::<f64>().unwrap_or(y), "providers": names}));
        // The lower 48 only: Alaska and Hawaii are insets of their own in Albers USA.
        if m.country == "United States" && (24.0..50.0).contains(&m.lat) && m.lon > -125.0 {
            let (x, y) = albers_usa(m.lon, m.lat);
            us_points.push(json!({"name": label, "x": num(x).parse::<f64>().unwrap_or(x), "y": num(y).parse::<f64>().unwrap_or(y), "providers": names}));
        }
    }
    let map = json!({
        "world": {"width": WORLD_WIDTH, "height": world_height, "regions": world_regions, "points": world_points},
        "us": {"width": 975, "height": 610, "regions": us_regions, "points": us_points},
        "attribution": "Boundaries: Natural Earth (public domain), via world-atlas; US states: U.S. Census Bureau (public domain), via us-atlas.",
    });
    let text = map.to_string();
    std::fs::write(out, &text).map_err(|e| format!("{}: {e}", out.display()))?;
    eprintln!(
        "xtask: map: {} ({:.0} KB): {} countries, {} states, {} + {} peering locations",
        out.display(),
        text.len() as f64 / 1024.0,
        world_regions.len(),
        us_regions.len(),
        world_points.len(),
        us_points.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simplify_keeps_corners_and_drops_what_lies_on_the_line() {
        let line = [(0.0, 0.0), (1.0, 0.01), (2.0, 0.0), (2.0, 5.0)];
        assert_eq!(
            simplify(&line, 0.1),
            vec![(0.0, 0.0), (2.0, 0.0), (2.0, 5.0)]
        );
    }

    #[test]
    fn the_projections_put_places_where_they_are() {
        // Natural Earth: the equator at y = 0, east to the right, north up.
        assert_eq!(natural_earth(0.0, 0.0), (0.0, 0.0));
        let (x, y) = natural_earth(10.0, 50.0);
        assert!(x > 0.0 && y > 0.0);
        // Albers USA: Seattle top left, Miami bottom right, Kansas in the middle, as us-atlas
        // draws them in its 975 × 610 frame.
        let (sx, sy) = albers_usa(-122.33, 47.61);
        let (mx, my) = albers_usa(-80.19, 25.76);
        let (kx, ky) = albers_usa(-98.0, 38.5);
        assert!(sx < 150.0 && sy < 150.0, "{sx} {sy}");
        assert!(mx > 750.0 && my > 500.0, "{mx} {my}");
        assert!(
            (kx - 487.5).abs() < 60.0 && (ky - 305.0).abs() < 60.0,
            "{kx} {ky}"
        );
    }

    #[test]
    fn a_ring_across_the_antimeridian_stops_at_the_edge() {
        let ring = vec![(178.0, 60.0), (-179.0, 61.0), (-178.0, 60.0), (179.0, 59.0)];
        assert_eq!(
            at_the_antimeridian(ring),
            vec![(178.0, 60.0), (180.0, 61.0), (180.0, 60.0), (179.0, 59.0)]
        );
    }

    #[test]
    fn paths_are_relative_and_closed() {
        let ring = vec![
            (0.0, 0.0),
            (10.0, 0.0),
            (10.0, 10.0),
            (0.0, 10.0),
            (0.0, 0.0),
        ];
        assert_eq!(path(&[ring]), "M0 0l10 0 0 10 -10 0 0 -10z");
    }
}
