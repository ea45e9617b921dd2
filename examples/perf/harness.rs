//! Interleaved timing: each repetition runs every operation of a group once (in a batch of
//! `inner` calls), and the figure reported is the median over repetitions.

use std::time::Instant;

/// The pairing floor of the backend the library was built with (`bbs04.rs` measures it).
pub const BACKEND_FLOOR: &str = if cfg!(feature = "blst") {
    "floor_blst.mml2_fe_us"
} else {
    "floor.mml2_fe_us"
};

/// The prefix of the BBS04 lines: the backend's name joins it on blst.
pub const BBS04: &str = if cfg!(feature = "blst") {
    "bbs04_blst"
} else {
    "bbs04"
};

/// Collects and prints figures.
#[derive(Default)]
pub struct Report {
    figures: Vec<(String, f64)>,
}

impl Report {
    /// Prints `name value` and remembers it for ratios.
    pub fn figure(&mut self, name: &str, value: f64) {
        if name.ends_with("_ratio") {
            println!("{name} {value:.3}");
        } else {
            println!("{name} {value:.1}");
        }
        self.figures.push((name.to_string(), value));
    }

    /// Prints `name value label` (the label says what the figure is of, e.g. which request)
    /// and remembers the value.
    pub fn figure_named(&mut self, name: &str, value: f64, label: &str) {
        println!("{name} {value:.1} {label}");
        self.figures.push((name.to_string(), value));
    }

    /// A figure printed earlier in this run.
    pub fn get(&self, name: &str) -> f64 {
        self.figures
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("figure {name} was not measured yet"))
    }
}

/// One operation to time: a name and a closure doing one call.
pub type Op<'a> = (&'a str, Box<dyn FnMut() + 'a>);

/// Times `ops` interleaved: `reps` repetitions, each running every op `inner` times in a row.
/// Returns the median time per call in microseconds, in the order of `ops`.
pub fn interleaved(ops: &mut [Op<'_>], reps: usize, inner: usize) -> Vec<f64> {
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(reps); ops.len()];
    for (_, op) in ops.iter_mut() {
        op(); // warm up caches and lazily built tables
    }
    for _ in 0..reps {
        for (i, (_, op)) in ops.iter_mut().enumerate() {
            let start = Instant::now();
            for _ in 0..inner {
                op();
            }
            samples[i].push(start.elapsed().as_secs_f64() * 1e6 / inner as f64);
        }
    }
    samples.into_iter().map(median).collect()
}

/// The median of a set of samples.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}
