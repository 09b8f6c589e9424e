//! A line diff: the longest common subsequence of two documents' lines (the pretty-printed
//! TwiML of two answers), as the lines kept, removed and added.
//!
//! Written here rather than taken from a crate: TwiML answers are small (Twilio refuses more
//! than 64 kB), so after the common head and tail are set aside a plain LCS table over what
//! is left is cheap and exact — the minimal diff, deterministic, no heuristics to explain.
//! Past [`MAX_CELLS`] table cells (two very different big documents) the middle is shown as
//! all removed then all added, which is still a correct diff, just not a minimal one.

/// What happened to one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Same,
    Removed,
    Added,
}

/// One line of the diff, with its line numbers (0-based) on each side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub op: Op,
    pub left: Option<usize>,
    pub right: Option<usize>,
    pub text: String,
}

/// Largest LCS table computed (rows × columns of the differing middle).
pub const MAX_CELLS: usize = 4_000_000;

/// The diff of `left` into `right`.
pub fn diff<S: AsRef<str>>(left: &[S], right: &[S]) -> Vec<DiffLine> {
    let eq = |i: usize, j: usize| left[i].as_ref() == right[j].as_ref();
    let head = (0..left.len().min(right.len()))
        .take_while(|&i| eq(i, i))
        .count();
    let tail = (0..(left.len() - head).min(right.len() - head))
        .take_while(|&k| eq(left.len() - 1 - k, right.len() - 1 - k))
        .count();
    let (l_end, r_end) = (left.len() - tail, right.len() - tail);
    let mut out = Vec::with_capacity(left.len().max(right.len()));
    let same = |out: &mut Vec<DiffLine>, i: usize, j: usize| {
        out.push(DiffLine {
            op: Op::Same,
            left: Some(i),
            right: Some(j),
            text: left[i].as_ref().to_owned(),
        });
    };
    let removed = |out: &mut Vec<DiffLine>, i: usize| {
        out.push(DiffLine {
            op: Op::Removed,
            left: Some(i),
            right: None,
            text: left[i].as_ref().to_owned(),
        });
    };
    let added = |out: &mut Vec<DiffLine>, j: usize| {
        out.push(DiffLine {
            op: Op::Added,
            left: None,
            right: Some(j),
            text: right[j].as_ref().to_owned(),
        });
    };
    for i in 0..head {
        same(&mut out, i, i);
    }
    let (n, m) = (l_end - head, r_end - head);
    if n.saturating_mul(m) > MAX_CELLS {
        (head..l_end).for_each(|i| removed(&mut out, i));
        (head..r_end).for_each(|j| added(&mut out, j));
    } else {
        // lcs[i][j]: the LCS length of left[head+i..l_end] and right[head+j..r_end].
        let width = m + 1;
        let mut lcs = vec![0u32; (n + 1) * width];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i * width + j] = if eq(head + i, head + j) {
                    lcs[(i + 1) * width + j + 1] + 1
                } else {
                    lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && eq(head + i, head + j) {
                same(&mut out, head + i, head + j);
                i += 1;
                j += 1;
            } else if j < m && (i == n || lcs[i * width + j + 1] > lcs[(i + 1) * width + j]) {
                added(&mut out, head + j);
                j += 1;
            } else {
                // Removals before additions when both are as long: `-old` then `+new`.
                removed(&mut out, head + i);
                i += 1;
            }
        }
    }
    for k in 0..tail {
        same(&mut out, l_end + k, r_end + k);
    }
    out
}

/// The lines compared for an event's answer: its pretty-printed TwiML (the raw text lines
/// when it is not XML); none without a body.
pub fn answer_lines(ev: &super::Event) -> Vec<String> {
    match ev.response_body().filter(|b| !b.trim().is_empty()) {
        Some(b64) => super::twiml::decode(&b64)
            .lines
            .iter()
            .map(super::twiml::Line::plain)
            .collect(),
        None => Vec::new(),
    }
}

/// The diff of two events' answers.
pub fn answers(left: &super::Event, right: &super::Event) -> Vec<DiffLine> {
    diff(&answer_lines(left), &answer_lines(right))
}

/// Whether the diff found any change.
pub fn changed(lines: &[DiffLine]) -> bool {
    lines.iter().any(|l| l.op != Op::Same)
}

/// The diff as unified text (`  same`, `- removed`, `+ added`), for headless output.
pub fn unified(lines: &[DiffLine]) -> String {
    let mut s = String::new();
    for l in lines {
        s.push_str(match l.op {
            Op::Same => "  ",
            Op::Removed => "- ",
            Op::Added => "+ ",
        });
        s.push_str(&l.text);
        s.push('\n');
    }
    s
}

/// Rows for a side-by-side view: each row is (left line, right line); a change pairs removed
/// lines with the added lines that follow them, the shorter side padded with `None`.
pub fn side_by_side(lines: &[DiffLine]) -> Vec<(Option<&DiffLine>, Option<&DiffLine>)> {
    let mut rows = Vec::with_capacity(lines.len());
    let mut k = 0;
    while k < lines.len() {
        if lines[k].op == Op::Same {
            rows.push((Some(&lines[k]), Some(&lines[k])));
            k += 1;
            continue;
        }
        let start = k;
        while k < lines.len() && lines[k].op == Op::Removed {
            k += 1;
        }
        let mid = k;
        while k < lines.len() && lines[k].op == Op::Added {
            k += 1;
        }
        let (rem, add) = (&lines[start..mid], &lines[mid..k]);
        for r in 0..rem.len().max(add.len()) {
            rows.push((rem.get(r), add.get(r)));
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(left: &[&str], right: &[&str]) -> String {
        diff(left, right)
            .iter()
            .map(|l| match l.op {
                Op::Same => format!("={}", l.text),
                Op::Removed => format!("-{}", l.text),
                Op::Added => format!("+{}", l.text),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn identical_documents_have_no_change() {
        let d = diff(&["a", "b"], &["a", "b"]);
        assert!(!changed(&d));
        assert_eq!(d.len(), 2);
        assert!(!changed(&diff::<&str>(&[], &[])));
    }

    #[test]
    fn exactly_the_changed_lines_are_marked() {
        assert_eq!(
            ops(
                &["<R>", "<Say>one</Say>", "</R>"],
                &["<R>", "<Say>two</Say>", "</R>"]
            ),
            "=<R> -<Say>one</Say> +<Say>two</Say> =</R>"
        );
        assert_eq!(ops(&["a", "b", "c"], &["a", "c"]), "=a -b =c");
        assert_eq!(ops(&["a", "c"], &["a", "b", "c"]), "=a +b =c");
        assert_eq!(ops(&[], &["x"]), "+x");
        assert_eq!(ops(&["x"], &[]), "-x");
    }

    #[test]
    fn the_diff_is_minimal_inside_the_middle() {
        // A moved line costs one removal and one addition, not a rewrite of the block.
        assert_eq!(
            ops(&["a", "b", "c", "d"], &["b", "c", "d", "a"]),
            "-a =b =c =d +a"
        );
        assert_eq!(
            ops(&["x", "a", "y", "b"], &["a", "z", "b"]),
            "-x =a -y +z =b"
        );
    }

    #[test]
    fn line_numbers_follow_each_side() {
        let d = diff(&["a", "b", "c"], &["a", "x", "y", "c"]);
        let last = d.last().unwrap();
        assert_eq!((last.left, last.right), (Some(2), Some(3)));
        assert_eq!(d[1].left, Some(1));
        assert_eq!(d[2].right, Some(1));
    }

    fn text(l: Option<&DiffLine>) -> &str {
        l.map_or("·", |l| l.text.as_str())
    }

    #[test]
    fn side_by_side_pairs_a_change() {
        let d = diff(&["a", "b", "c"], &["a", "x", "y", "c"]);
        let rows = side_by_side(&d);
        let shown: Vec<(&str, &str)> = rows.iter().map(|(l, r)| (text(*l), text(*r))).collect();
        assert_eq!(shown, vec![("a", "a"), ("b", "x"), ("·", "y"), ("c", "c")]);
        assert_eq!(unified(&d), "  a\n- b\n+ x\n+ y\n  c\n");
    }

    #[test]
    fn huge_unrelated_documents_fall_back_to_replace() {
        let left: Vec<String> = (0..3000).map(|i| format!("l{i}")).collect();
        let right: Vec<String> = (0..3000).map(|i| format!("r{i}")).collect();
        let d = diff(&left, &right);
        assert_eq!(d.len(), 6000);
        assert!(d[..3000].iter().all(|l| l.op == Op::Removed));
    }
}
