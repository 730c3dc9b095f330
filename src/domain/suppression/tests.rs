use proptest::prelude::*;

use super::*;

/// An attacker's solver, independent of the module's: with the published cells known, cell `i`
/// is determined when dropping its column from the system of sums (restricted to the suppressed
/// cells) lowers the rank. Floating point with partial pivoting; the entries are 0 and ±1.
fn determined_by_rank(sums: &[Sum], hidden: &[bool]) -> Vec<usize> {
    let cells: Vec<usize> = (0..hidden.len()).filter(|&c| hidden[c]).collect();
    let rows: Vec<Vec<f64>> = sums
        .iter()
        .filter(|s| s.members().any(|m| hidden[m]))
        .map(|s| {
            cells
                .iter()
                .map(|&c| {
                    let mut v = 0.0;
                    if s.total == c {
                        v += 1.0;
                    }
                    v - s.parts.iter().filter(|&&p| p == c).count() as f64
                })
                .collect()
        })
        .collect();
    let full = rank(&rows, None);
    (0..cells.len())
        .filter(|&i| rank(&rows, Some(i)) < full)
        .map(|i| cells[i])
        .collect()
}

fn rank(rows: &[Vec<f64>], without: Option<usize>) -> usize {
    let mut m: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .filter(|(j, _)| Some(*j) != without)
                .map(|(_, v)| *v)
                .collect()
        })
        .collect();
    let width = m.first().map_or(0, Vec::len);
    let mut r = 0;
    for c in 0..width {
        let Some(p) = (r..m.len()).max_by(|&a, &b| m[a][c].abs().total_cmp(&m[b][c].abs())) else {
            break;
        };
        if m[p][c].abs() < 1e-9 {
            continue;
        }
        m.swap(r, p);
        for i in 0..m.len() {
            if i != r {
                let f = m[i][c] / m[r][c];
                let pivot = m[r].clone();
                for (v, p) in m[i].iter_mut().zip(&pivot) {
                    *v -= f * p;
                }
            }
        }
        r += 1;
    }
    r
}

/// A cube filled from leaf counts: part figures drawn, total figures their sums, areas their
/// children's sums, the range its periods' sum.
fn filled(cube: &Cube, leaves: &[u64]) -> Vec<u64> {
    let mut v = vec![0u64; cube.len()];
    let is_leaf = |a: usize| !cube.parents.contains(&Some(a));
    let totals: Vec<usize> = cube.figure_sums.iter().map(|(t, _)| *t).collect();
    let mut draw = leaves.iter().cycle();
    for f in (0..cube.figures).filter(|f| !totals.contains(f)) {
        for a in (0..cube.parents.len()).filter(|&a| is_leaf(a)) {
            for p in 0..cube.periods {
                v[cube.index(f, a, p)] = *draw.next().unwrap_or(&0);
            }
        }
    }
    for (t, parts) in &cube.figure_sums {
        for a in (0..cube.parents.len()).filter(|&a| is_leaf(a)) {
            for p in 0..cube.periods {
                v[cube.index(*t, a, p)] = parts.iter().map(|&f| v[cube.index(f, a, p)]).sum();
            }
        }
    }
    // Parents come before children in the layouts below: add children upward in reverse.
    for a in (0..cube.parents.len()).rev() {
        if let Some(parent) = cube.parents[a] {
            for f in 0..cube.figures {
                for p in 0..cube.periods {
                    v[cube.index(f, parent, p)] += v[cube.index(f, a, p)];
                }
            }
        }
    }
    for f in 0..cube.figures {
        for a in 0..cube.parents.len() {
            v[cube.index(f, a, cube.periods)] =
                (0..cube.periods).map(|p| v[cube.index(f, a, p)]).sum();
        }
    }
    v
}

fn check(values: &[u64], sums: &[Sum]) -> Vec<bool> {
    let hidden = suppress(values, sums);
    for s in sums {
        assert_eq!(
            values[s.total],
            s.parts.iter().map(|&p| values[p]).sum::<u64>(),
            "the fixture's sums hold"
        );
        assert_ne!(
            s.members().filter(|&m| hidden[m]).count(),
            1,
            "a sum with one suppressed member gives it away: {s:?}"
        );
    }
    for (i, &v) in values.iter().enumerate() {
        if primary(v) {
            assert!(hidden[i], "cell {i} = {v} is a small cell");
        }
    }
    assert_eq!(determined_by_rank(sums, &hidden), Vec::<usize>::new());
    assert_eq!(determined(values.len(), sums, &hidden), Vec::<usize>::new());
    hidden
}

#[test]
fn a_small_cell_and_its_complements_in_a_two_by_two_table_with_margins() {
    // 3 | 10 | 13
    // 7 | 20 | 27
    // 10| 30 | 40
    let v = [3, 10, 13, 7, 20, 27, 10, 30, 40];
    let sums = vec![
        Sum {
            total: 2,
            parts: vec![0, 1],
        },
        Sum {
            total: 5,
            parts: vec![3, 4],
        },
        Sum {
            total: 8,
            parts: vec![6, 7],
        },
        Sum {
            total: 6,
            parts: vec![0, 3],
        },
        Sum {
            total: 7,
            parts: vec![1, 4],
        },
        Sum {
            total: 8,
            parts: vec![2, 5],
        },
    ];
    let hidden = check(&v, &sums);
    assert_eq!(
        hidden,
        [true, true, false, true, true, false, false, false, false],
        "the 3 takes its row's 10 and column's 7, and those take the 20"
    );
}

#[test]
fn a_bridge_between_two_suppressed_cycles_is_suppressed_around() {
    // Two 2×2 blocks of small cells joined by one small cell (row 1, column 2): every line has
    // two or more suppressed cells, so the line rule is satisfied, yet the joining cell follows
    // from row 1's total less columns 0 and 1 less row 0. The solver must find it.
    let rows = [[2, 3, 9, 9], [1, 2, 4, 9], [9, 9, 2, 3], [9, 9, 1, 2]];
    let mut v: Vec<u64> = rows.iter().flatten().copied().collect();
    let mut sums = Vec::new();
    let cell = |r: usize, c: usize| r * 4 + c;
    for (r, row) in rows.iter().enumerate() {
        v.push(row.iter().sum());
        sums.push(Sum {
            total: 16 + r,
            parts: (0..4).map(|c| cell(r, c)).collect(),
        });
    }
    for c in 0..4 {
        v.push(rows.iter().map(|r| r[c]).sum());
        sums.push(Sum {
            total: 20 + c,
            parts: (0..4).map(|r| cell(r, c)).collect(),
        });
    }
    let mut line_only: Vec<bool> = v.iter().map(|&x| primary(x)).collect();
    line_rule(&mut line_only, &sums, &|i: usize| v[i]);
    assert_eq!(determined(v.len(), &sums, &line_only), vec![cell(1, 2)]);
    assert_eq!(determined_by_rank(&sums, &line_only), vec![cell(1, 2)]);
    let hidden = check(&v, &sums);
    assert!(
        hidden.iter().filter(|h| **h).count() > 9,
        "more than the small cells"
    );
}

#[test]
fn medians_and_shares_need_five_cases() {
    assert!(!ratio_published(0));
    assert!(!ratio_published(4));
    assert!(ratio_published(5));
    assert!(!primary(0) && primary(1) && primary(4) && !primary(5));
}

#[test]
fn the_solver_finds_a_lone_suppressed_cell() {
    let sums = vec![Sum {
        total: 2,
        parts: vec![0, 1],
    }];
    assert_eq!(determined(3, &sums, &[true, false, false]), vec![0]);
    assert_eq!(determined_by_rank(&sums, &[true, false, false]), vec![0]);
    assert_eq!(
        determined(3, &sums, &[true, true, false]),
        Vec::<usize>::new()
    );
}

/// County → municipalities → (optionally) units, parents first.
fn hierarchy(munis: usize, units: usize) -> Vec<Option<usize>> {
    let mut parents = vec![None];
    for _ in 0..munis {
        let m = parents.len();
        parents.push(Some(0));
        for _ in 0..units {
            parents.push(Some(m));
        }
    }
    parents
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Whatever the counts: every small cell is hidden, no sum has a lone hidden member, and
    /// no hidden cell can be solved for from the published cells, across periods, the
    /// county/municipality/unit hierarchy and figures that add up.
    #[test]
    fn no_suppressed_cell_can_be_solved_for(
        munis in 1usize..4,
        units in 0usize..3,
        periods in 1usize..4,
        split in any::<bool>(),
        leaves in proptest::collection::vec(prop_oneof![3 => 0u64..5, 2 => 5u64..12, 1 => 0u64..40], 1..64),
    ) {
        let cube = Cube {
            figures: if split { 3 } else { 1 },
            parents: hierarchy(munis, units),
            periods,
            figure_sums: if split { vec![(0, vec![1, 2])] } else { vec![] },
        };
        let values = filled(&cube, &leaves);
        let hidden = check(&values, &cube.sums());
        prop_assert_eq!(hidden.clone(), suppress(&values, &cube.sums()), "deterministic");
    }
}
