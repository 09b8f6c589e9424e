//! Moving around: the list by pages, the first and last row, a jump to a time, the pane's
//! scroll (and with it FOLLOW's "reading" pause), the mouse, and the stats overlay's list of
//! slow steps.

use crossterm::event::{KeyCode, KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;

use super::{Action, App, Effect, Mode, Pane, View};
use crate::store::Filter;

/// Rows (or pane lines) one turn of the mouse wheel moves.
const WHEEL_STEP: isize = 3;

/// A rectangle of the last frame, in terminal cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Area {
    pub x: u16,
    pub y: u16,
    pub width: u16,
    pub height: u16,
}

impl Area {
    pub fn contains(self, column: u16, row: u16) -> bool {
        column >= self.x
            && row >= self.y
            && u32::from(column) < u32::from(self.x) + u32::from(self.width)
            && u32::from(row) < u32::from(self.y) + u32::from(self.height)
    }
}

impl App {
    /// Following, but held by the reader: the header says `FOLLOW paused: reading`.
    pub fn follow_held(&self) -> bool {
        self.follow && self.reading
    }

    /// Rows one page of the list moves: what the last frame showed of the table or timeline.
    pub(super) fn list_page(&self) -> usize {
        usize::from(self.geometry.list.height / self.geometry.list_step_lines.max(1)).max(1)
    }

    /// `g` / Home: the first row; pauses follow in the table.
    pub(super) fn top(&mut self) {
        if let View::Call(cv) = &mut self.view {
            cv.selected = 0;
            self.pane_scroll = 0;
            return;
        }
        self.pause();
        self.selected = self.store.view_seq(0);
        self.pane_scroll = 0;
    }

    /// `G` / End / `F`: the newest event, following again (also after reading); in the call
    /// view, its last step.
    pub(super) fn bottom(&mut self) {
        if let View::Call(cv) = &mut self.view {
            cv.selected = cv.steps.len().saturating_sub(1);
            self.pane_scroll = 0;
            return;
        }
        self.follow = true;
        self.reading = false;
        self.select_last();
    }

    /// Scrolls the pane by `delta` lines. Scrolling down while following is reading: new
    /// events stop replacing what is read until End resumes.
    pub(super) fn scroll_pane(&mut self, delta: isize) {
        let from = self.pane_scroll.min(self.geometry.pane_max_scroll);
        let to = from
            .saturating_add_signed(delta)
            .min(self.geometry.pane_max_scroll);
        if to > from && self.follow && !self.reading && self.call().is_none() {
            self.reading = true;
            self.paused_at = self.store.counters().received;
        }
        self.pane_scroll = to;
    }

    pub(super) fn toggle_mouse(&mut self) {
        self.mouse = !self.mouse;
        self.effects.push(Effect::MouseCapture(self.mouse));
        self.status = Some(
            if self.mouse {
                "mouse captured: wheel and clicks work; Shift+drag selects text"
            } else {
                "mouse released: drag selects text; M takes the mouse back"
            }
            .into(),
        );
    }

    /// The wheel scrolls what is under the pointer; a click selects a row or a pane tab.
    /// Returns whether anything changed.
    pub fn on_mouse(&mut self, m: MouseEvent) -> bool {
        if !matches!(self.mode, super::Mode::Normal) {
            return false;
        }
        let geo = self.geometry;
        let (col, row) = (m.column, m.row);
        let over_pane = geo.pane.contains(col, row);
        match m.kind {
            MouseEventKind::ScrollDown if over_pane => self.scroll_pane(WHEEL_STEP),
            MouseEventKind::ScrollUp if over_pane => self.scroll_pane(-WHEEL_STEP),
            MouseEventKind::ScrollDown if geo.list.contains(col, row) => {
                self.status = None;
                self.move_by(WHEEL_STEP);
            }
            MouseEventKind::ScrollUp if geo.list.contains(col, row) => {
                self.status = None;
                self.move_by(-WHEEL_STEP);
            }
            MouseEventKind::Down(MouseButton::Left) if geo.list.contains(col, row) => {
                let line = usize::from(row - geo.list.y);
                return self.click_row(line / usize::from(geo.list_step_lines.max(1)));
            }
            MouseEventKind::Down(MouseButton::Left) if row == geo.pane.y && over_pane => {
                let panes = [Pane::Twiml, Pane::Raw, Pane::Params];
                let Some(i) = geo.tabs.iter().position(|&(a, b)| col >= a && col < b) else {
                    return false;
                };
                self.update(Action::Pane(panes[i]));
            }
            _ => return false,
        }
        true
    }

    /// Selects the `row`-th visible row of the list, when there is one.
    fn click_row(&mut self, row: usize) -> bool {
        self.status = None;
        if let View::Call(cv) = &mut self.view {
            let i = self.geometry.call_offset + row;
            if i >= cv.steps.len() {
                return false;
            }
            cv.selected = i;
            self.pane_scroll = 0;
            return true;
        }
        let Some(seq) = self.store.view_seq(self.geometry.table_offset + row) else {
            return false;
        };
        self.pause();
        self.selected = Some(seq);
        self.pane_scroll = 0;
        true
    }

    /// Keys while the stats overlay is open: ↑↓ `PgUp` `PgDn` Home End pick a slow step, Enter
    /// goes to its event, s Esc q close, Ctrl-C quits; others wait.
    pub(super) fn stats_key(&mut self, key: KeyEvent) -> bool {
        let Mode::Stats { selected } = self.mode else {
            return false;
        };
        let last = self.metrics.slow().len().saturating_sub(1);
        let page = self.geometry.stats_rows.max(1);
        let to = match key.code {
            KeyCode::Enter => {
                self.mode = Mode::Normal;
                self.go_to_slow_step(selected);
                return true;
            }
            KeyCode::Home => 0,
            KeyCode::End => last,
            _ => match self.lookup(key) {
                Some(Action::Up) => selected.saturating_sub(1),
                Some(Action::Down) => selected + 1,
                Some(Action::PageUp) => selected.saturating_sub(page),
                Some(Action::PageDown) => selected + page,
                Some(Action::Stats | Action::Back | Action::Quit) => {
                    self.mode = Mode::Normal;
                    return true;
                }
                Some(Action::QuitNow) => {
                    self.quit = true;
                    return true;
                }
                _ => return false,
            },
        };
        self.mode = Mode::Stats {
            selected: to.min(last),
        };
        true
    }

    /// Selects the event of the `i`-th slow step in the table, clearing the filters that
    /// hide it (and saying so).
    fn go_to_slow_step(&mut self, i: usize) {
        let Some((seq, ms)) = self.metrics.slow().get(i).map(|s| (s.seq, s.duration_ms)) else {
            return;
        };
        if self.store.get(seq).is_none() {
            self.status = Some("that slow step's event is no longer retained".into());
            return;
        }
        self.view = View::Table;
        let hidden = self.store.view_position(seq).is_err();
        if hidden {
            self.set_filter(Filter::default());
        }
        self.select_paused(seq);
        let what = crate::text::format::duration_text(ms);
        self.status = Some(if hidden {
            format!("the slow step ({what}), filters cleared to show it")
        } else {
            format!("the slow step ({what})")
        });
    }

    /// Selects a shown event and pauses follow, so it stays selected.
    fn select_paused(&mut self, seq: u64) {
        self.pause();
        self.selected = Some(seq);
        self.pane_scroll = 0;
    }

    /// `@TIME` / `:goto TIME`: selects the first event (by event time) at or after `text`, in
    /// the timeline when one is open, else among the events shown.
    pub(super) fn goto(&mut self, text: &str) -> Result<(), String> {
        let first = self.list_times().min();
        let Some(first) = first else {
            return Err(if self.store.is_empty() {
                "no events yet".into()
            } else {
                "no event is shown (Esc clears the filters)".into()
            });
        };
        let target = parse_time(text, first)?;
        let found = self
            .list_times()
            .enumerate()
            .filter(|(_, t)| *t >= target)
            .min_by_key(|(i, t)| (*t, *i));
        let shown = target.strftime("%Y-%m-%d %H:%M:%S");
        let Some((pos, time)) = found else {
            let last = self.list_times().max().unwrap_or(first);
            return Err(format!(
                "no event at or after {shown} UTC (the last is at {})",
                last.strftime("%Y-%m-%d %H:%M:%S")
            ));
        };
        if let View::Call(cv) = &mut self.view {
            cv.selected = pos;
            self.pane_scroll = 0;
        } else if let Some(seq) = self.store.view_seq(pos) {
            self.select_paused(seq);
        }
        self.status = Some(format!(
            "{}: the first event at or after {shown} UTC",
            time.strftime("%Y-%m-%d %H:%M:%S%.3f")
        ));
        Ok(())
    }

    /// Event times of the list shown, in list order: the timeline's steps, else the table's
    /// rows. One pass over the view, on a key press only.
    fn list_times(&self) -> Box<dyn Iterator<Item = Timestamp> + '_> {
        match &self.view {
            View::Call(cv) => Box::new(
                cv.steps
                    .iter()
                    .map(|s| self.store.get(*s).map_or(Timestamp::MIN, |e| e.time)),
            ),
            View::Table => Box::new(
                self.store
                    .view_slice(0, self.store.view_len())
                    .map(|e| e.time),
            ),
        }
    }
}

/// A time to jump to, in UTC as the screen shows times: `03:00`, `03:00:15`, `03:00:15.250`,
/// `2026-11-30T03:00`, `2026-11-30 03:00:15` or `2026-11-30`. A clock time without a date is
/// the first time the clock reads it at or after `first` (the earliest event shown), so
/// `03:00` in last night's recording is last night's 3 a.m.
pub fn parse_time(text: &str, first: Timestamp) -> Result<Timestamp, String> {
    let text = text.trim();
    let bad = || {
        format!(
            "not a time: {:?} (try 03:00, 03:00:15 or 2026-11-30T03:00)",
            crate::text::safe::line(text)
        )
    };
    if text.is_empty() {
        return Err("which time? e.g. @03:00, :goto 03:00:15, :goto 2026-11-30T03:00".into());
    }
    let utc = |dt: DateTime| {
        dt.to_zoned(TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(|_| bad())
    };
    if text.contains('-') {
        let normal = text.replacen(' ', "T", 1);
        if let Ok(dt) = normal.parse::<DateTime>() {
            return utc(dt);
        }
        if let Ok(d) = normal.parse::<Date>() {
            return utc(d.to_datetime(Time::midnight()));
        }
        return Err(bad());
    }
    let time: Time = text.parse().map_err(|_| bad())?;
    let day = first.to_zoned(TimeZone::UTC).date();
    let at = utc(day.to_datetime(time))?;
    if at >= first {
        return Ok(at);
    }
    let next = day.tomorrow().map_err(|_| bad())?;
    utc(next.to_datetime(time))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_clock_time_is_its_first_reading_at_or_after_the_first_event() {
        let first = ts("2026-11-29T22:10:00Z");
        assert_eq!(
            parse_time("03:00", first).unwrap(),
            ts("2026-11-30T03:00:00Z")
        );
        assert_eq!(
            parse_time("23:00:15", first).unwrap(),
            ts("2026-11-29T23:00:15Z")
        );
        assert_eq!(
            parse_time("22:10", first).unwrap(),
            ts("2026-11-29T22:10:00Z")
        );
        assert_eq!(
            parse_time("22:10:00.250", first).unwrap(),
            ts("2026-11-29T22:10:00.25Z")
        );
    }

    #[test]
    fn dates_are_taken_as_written() {
        let first = ts("2026-11-29T22:10:00Z");
        assert_eq!(
            parse_time("2026-11-30T03:00", first).unwrap(),
            ts("2026-11-30T03:00:00Z")
        );
        assert_eq!(
            parse_time("2026-11-30 03:00:15", first).unwrap(),
            ts("2026-11-30T03:00:15Z")
        );
        assert_eq!(
            parse_time("2025-01-02", first).unwrap(),
            ts("2025-01-02T00:00:00Z")
        );
    }

    #[test]
    fn a_bad_time_says_what_would_do() {
        let first = ts("2026-11-29T22:10:00Z");
        for bad in ["3am", "25:00", "2026-13-01T00:00", "12:61", "x"] {
            let e = parse_time(bad, first).unwrap_err();
            assert!(e.starts_with("not a time"), "{bad}: {e}");
            assert!(e.contains("03:00"), "{e}");
        }
        assert!(
            parse_time(" ", first)
                .unwrap_err()
                .starts_with("which time?")
        );
    }

    #[test]
    fn areas_contain_their_cells_only() {
        let a = Area {
            x: 2,
            y: 3,
            width: 4,
            height: 2,
        };
        assert!(a.contains(2, 3) && a.contains(5, 4));
        assert!(!a.contains(6, 3) && !a.contains(2, 5) && !a.contains(1, 3));
        assert!(!Area::default().contains(0, 0));
    }
}
