//! Criterion benchmarks of the validation engine:
//! single prefix validation, building the index from 100,000 prefixes, 10,000 overlap queries
//! against it, and validating a whole connection with 100 prefixes.
//!
//! `cargo bench -p peering-model` (add `-- --warm-up-time 1 --measurement-time 3` for a quick run).

// Criterion is a native-only dev-dependency; on wasm32 this target is an empty program so
// `--all-targets` builds for the browser target too (the browser figure is tests/bench_wasm.rs).
#[cfg(not(target_arch = "wasm32"))]
#[path = "../tests/common/gen.rs"]
mod gen;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use criterion::{criterion_group, BatchSize, Criterion, Throughput};
    use peering_model::connection::{validate_connection, ConnectionDraft};
    use peering_model::index::{validate_batch, PrefixIndex};
    use peering_model::prefix::check_prefix_value;
    use peering_model::Catalog;
    use std::hint::black_box;

    use super::gen;

    fn single_prefix(c: &mut Criterion) {
        let mut g = c.benchmark_group("prefix");
        g.throughput(Throughput::Elements(1));
        g.bench_function("check_prefix_value (valid /24)", |b| {
            b.iter(|| check_prefix_value(black_box("20.150.64.0/24")))
        });
        g.bench_function("check_prefix_value (valid /25, warning)", |b| {
            b.iter(|| check_prefix_value(black_box("20.150.64.128/25")))
        });
        g.bench_function("check_prefix_value (host bits, error)", |b| {
            b.iter(|| check_prefix_value(black_box("20.150.64.7/24")))
        });
        g.finish();

        // Many distinct texts, so the figure is not one branch-predicted string.
        let texts: Vec<String> = gen::queries(7, 10_000)
            .iter()
            .map(|p| p.to_string())
            .collect();
        let mut g = c.benchmark_group("prefix");
        g.throughput(Throughput::Elements(texts.len() as u64));
        g.bench_function("check_prefix_value x10000 (mixed lengths)", |b| {
            b.iter(|| {
                for t in &texts {
                    black_box(check_prefix_value(black_box(t)));
                }
            })
        });
        g.finish();
    }

    fn index(c: &mut Criterion) {
        let stored = gen::stored(1, 100_000);
        let mut g = c.benchmark_group("index");
        g.sample_size(20);
        g.throughput(Throughput::Elements(stored.len() as u64));
        g.bench_function("build from 100000 prefixes", |b| {
            b.iter_batched(
                || stored.clone(),
                |v| v.into_iter().collect::<PrefixIndex>(),
                BatchSize::LargeInput,
            )
        });
        g.finish();

        let index: PrefixIndex = stored.iter().cloned().collect();
        let queries = gen::queries(2, 10_000);
        let mut g = c.benchmark_group("index");
        g.throughput(Throughput::Elements(queries.len() as u64));
        g.bench_function("10000 overlap queries (conflicts)", |b| {
            b.iter(|| {
                let mut n = 0usize;
                for q in &queries {
                    n += index.conflicts(*q).len();
                }
                n
            })
        });
        g.bench_function("10000 overlap queries (check)", |b| {
            b.iter(|| queries.iter().filter_map(|q| index.check(*q)).count())
        });
        g.finish();
    }

    fn connection(c: &mut Criterion) {
        let catalog = Catalog::embedded();
        let stored = gen::stored(3, 10_000);
        let index: PrefixIndex = stored.iter().cloned().collect();
        let rows = gen::import_rows(4, 100, &stored);
        let draft = ConnectionDraft {
            name: "seattle-office".into(),
            country: Some("United States".into()),
            location: "washington".into(),
            provider: "equinix maps".into(),
            primary: "Seattle".into(),
            backup: Some("san jose".into()),
            azure_region: None,
            sku: None,
            tags: [("env".to_owned(), "prod".to_owned())]
                .into_iter()
                .collect(),
        };
        let mut g = c.benchmark_group("connection");
        g.bench_function("validate connection with 100 prefixes", |b| {
            b.iter(|| {
                let (v, f) = validate_connection(catalog, black_box(&draft));
                let rows = validate_batch(&index, black_box(&rows));
                (v, f, rows)
            })
        });
        g.finish();
    }

    criterion_group!(benches, single_prefix, index, connection);
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

#[cfg(target_arch = "wasm32")]
fn main() {}
