//! Disclosure control for published statistics (SPEC §9, issue 15): which cells of a table of
//! counts are shown as `..` instead of their value.
//!
//! 1. **Primary suppression**: a count with 0 < n < [`THRESHOLD`] is suppressed (a zero is
//!    shown: it discloses nothing about a person that the absence of a row would not).
//! 2. **Complementary suppression**: a published table carries sums: a county's figure is the
//!    sum of its municipalities', a municipality's of its units', a figure over the whole range
//!    is the sum of its periods' (a coarser query publishes it), and some figures are the sum of
//!    others (children affected = permanent + alternating + visiting). Every such [`Sum`] is an
//!    equation an outsider can solve. When exactly one member of a sum is suppressed, the next
//!    smallest member is suppressed too (parts before totals, non-zero before zero), repeated
//!    until stable. That alone can leave a cell determined by a chain of equations (a "bridge"
//!    between two suppressed cycles), so the module then solves the system exactly: a
//!    suppressed cell is determined when its unit vector lies in the row space of the sums
//!    restricted to the suppressed cells; while any is, the smallest published member of one of
//!    its sums is suppressed and the line rule runs again. Suppressing everything is always
//!    safe (every total is a sum of at least one part, so the all-ones assignment solves the
//!    homogeneous system), so the loop ends.
//! 3. **Medians and shares** over fewer than [`THRESHOLD`] cases are suppressed
//!    ([`ratio_published`]); they are not additive and need no complement.
//!
//! The solver works modulo the prime 2^61 − 1: exact, with no rounding tolerance to tune. The
//! tests check it against an independent floating-point rank test.

use std::collections::BTreeMap;

/// Counts below this (and above zero) are suppressed; medians and shares need this many cases.
pub const THRESHOLD: u64 = 5;

/// `values[total] == Σ values[parts]`: an equation the published table lets anyone write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sum {
    pub total: usize,
    pub parts: Vec<usize>,
}

impl Sum {
    fn members(&self) -> impl Iterator<Item = usize> + '_ {
        std::iter::once(self.total).chain(self.parts.iter().copied())
    }
}

/// Whether a median or share computed over `cases` cases may be published.
pub fn ratio_published(cases: u64) -> bool {
    cases >= THRESHOLD
}

/// Whether a count is a primary suppression.
pub fn primary(value: u64) -> bool {
    value > 0 && value < THRESHOLD
}

/// The cells to suppress (`true`) among `values`, given the sums that hold between them.
pub fn suppress(values: &[u64], sums: &[Sum]) -> Vec<bool> {
    let mut hidden: Vec<bool> = values.iter().map(|&v| primary(v)).collect();
    let mut is_total = vec![false; values.len()];
    for s in sums {
        is_total[s.total] = true;
    }
    // Which complement to take: parts before totals, non-zero before zero, smallest first.
    let key = |i: usize| (is_total[i], values[i] == 0, values[i], i);
    loop {
        line_rule(&mut hidden, sums, &key);
        let open = determined(values.len(), sums, &hidden);
        if open.is_empty() {
            return hidden;
        }
        for cell in open {
            let pick = sums
                .iter()
                .filter(|s| s.members().any(|m| m == cell))
                .flat_map(Sum::members)
                .filter(|&m| !hidden[m])
                .min_by_key(|&m| key(m))
                .or_else(|| {
                    // Every sum through the cell is hidden: widen to any sum touching a
                    // suppressed cell.
                    sums.iter()
                        .filter(|s| s.members().any(|m| hidden[m]))
                        .flat_map(Sum::members)
                        .filter(|&m| !hidden[m])
                        .min_by_key(|&m| key(m))
                });
            if let Some(m) = pick {
                hidden[m] = true;
            }
        }
    }
}

/// While a sum has exactly one suppressed member, suppress its smallest published member.
fn line_rule<K: Ord>(hidden: &mut [bool], sums: &[Sum], key: &impl Fn(usize) -> K) {
    let mut changed = true;
    while changed {
        changed = false;
        for s in sums {
            if s.members().filter(|&m| hidden[m]).count() != 1 {
                continue;
            }
            if let Some(m) = s.members().filter(|&m| !hidden[m]).min_by_key(|&m| key(m)) {
                hidden[m] = true;
                changed = true;
            }
        }
    }
}

const P: u64 = (1 << 61) - 1;

fn mul(a: u64, b: u64) -> u64 {
    ((u128::from(a) * u128::from(b)) % u128::from(P)) as u64
}

fn inverse(a: u64) -> u64 {
    // Fermat: a^(p-2).
    let (mut base, mut exp, mut acc) = (a, P - 2, 1u64);
    while exp > 0 {
        if exp & 1 == 1 {
            acc = mul(acc, base);
        }
        base = mul(base, base);
        exp >>= 1;
    }
    acc
}

/// The suppressed cells whose value follows from the published ones through `sums`.
pub fn determined(len: usize, sums: &[Sum], hidden: &[bool]) -> Vec<usize> {
    // Connected components of suppressed cells (two are linked when a sum holds both): each
    // component's equations are independent of the others', so each is solved on its own.
    let mut parent: Vec<usize> = (0..len).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for s in sums {
        let mut hid = s.members().filter(|&m| hidden[m]);
        if let Some(first) = hid.next() {
            for m in hid {
                let (a, b) = (find(&mut parent, first), find(&mut parent, m));
                parent[a] = b;
            }
        }
    }
    let mut components: BTreeMap<usize, (Vec<usize>, Vec<&Sum>)> = BTreeMap::new();
    for cell in (0..len).filter(|&c| hidden[c]) {
        let root = find(&mut parent, cell);
        components.entry(root).or_default().0.push(cell);
    }
    for s in sums {
        if let Some(m) = s.members().find(|&m| hidden[m]) {
            let root = find(&mut parent, m);
            if let Some(c) = components.get_mut(&root) {
                c.1.push(s);
            }
        }
    }
    let mut out: Vec<usize> = components
        .into_values()
        .flat_map(|(cells, rows)| solve(&cells, &rows))
        .collect();
    out.sort_unstable();
    out
}

/// Gauss–Jordan over GF(p) on the sums restricted to `cells`; a row of the reduced form with a
/// single non-zero entry pins that cell.
fn solve(cells: &[usize], rows: &[&Sum]) -> Vec<usize> {
    let col: BTreeMap<usize, usize> = cells.iter().enumerate().map(|(i, &c)| (c, i)).collect();
    let mut m: Vec<Vec<u64>> = rows
        .iter()
        .map(|s| {
            let mut row = vec![0u64; cells.len()];
            // The published members move to the known side; only the hidden ones stay.
            if let Some(&c) = col.get(&s.total) {
                row[c] = 1;
            }
            for c in s.parts.iter().filter_map(|p| col.get(p)) {
                row[*c] = (row[*c] + P - 1) % P;
            }
            row
        })
        .collect();
    let mut pivot_row = 0;
    for c in 0..cells.len() {
        let Some(r) = (pivot_row..m.len()).find(|&r| m[r][c] != 0) else {
            continue;
        };
        m.swap(pivot_row, r);
        let inv = inverse(m[pivot_row][c]);
        for v in &mut m[pivot_row] {
            *v = mul(*v, inv);
        }
        let pivot = m[pivot_row].clone();
        for (r, row) in m.iter_mut().enumerate() {
            if r != pivot_row && row[c] != 0 {
                let f = row[c];
                for (v, p) in row.iter_mut().zip(&pivot) {
                    *v = (*v + P - mul(f, *p)) % P;
                }
            }
        }
        pivot_row += 1;
    }
    m.iter()
        .take(pivot_row)
        .filter_map(|row| {
            let mut nz = row.iter().enumerate().filter(|(_, v)| **v != 0);
            match (nz.next(), nz.next()) {
                (Some((i, _)), None) => Some(cells[i]),
                _ => None,
            }
        })
        .collect()
}

/// The cells of a published cube: `figures` × areas (a forest given by each area's parent) ×
/// periods, plus one more period per figure and area: the whole range, which a coarser query
/// publishes. [`Cube::sums`] writes every equation between them.
#[derive(Debug, Clone)]
pub struct Cube {
    pub figures: usize,
    pub parents: Vec<Option<usize>>,
    pub periods: usize,
    /// (total figure, part figures): the parts add up to the total in every area and period.
    pub figure_sums: Vec<(usize, Vec<usize>)>,
}

impl Cube {
    /// The index of a cell; `period == self.periods` is the whole range.
    pub fn index(&self, figure: usize, area: usize, period: usize) -> usize {
        (figure * self.parents.len() + area) * (self.periods + 1) + period
    }

    pub fn len(&self) -> usize {
        self.figures * self.parents.len() * (self.periods + 1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every equation: areas into their parent, periods into the range, figures into theirs.
    pub fn sums(&self) -> Vec<Sum> {
        let mut out = Vec::new();
        let all = self.periods + 1;
        for f in 0..self.figures {
            for a in 0..self.parents.len() {
                let children: Vec<usize> = (0..self.parents.len())
                    .filter(|&c| self.parents[c] == Some(a))
                    .collect();
                for p in 0..all {
                    if !children.is_empty() {
                        out.push(Sum {
                            total: self.index(f, a, p),
                            parts: children.iter().map(|&c| self.index(f, c, p)).collect(),
                        });
                    }
                }
                out.push(Sum {
                    total: self.index(f, a, self.periods),
                    parts: (0..self.periods).map(|p| self.index(f, a, p)).collect(),
                });
            }
        }
        for (total, parts) in &self.figure_sums {
            for a in 0..self.parents.len() {
                for p in 0..all {
                    out.push(Sum {
                        total: self.index(*total, a, p),
                        parts: parts.iter().map(|&f| self.index(f, a, p)).collect(),
                    });
                }
            }
        }
        out
    }
}

#[cfg(test)]
#[path = "suppression/tests.rs"]
mod tests;
