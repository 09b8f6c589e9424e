//! The `/` prompt's line editor: a cursor, the readline keys (Ctrl-A/E/U/W/K, ←/→, Home/End,
//! Backspace/Delete at the cursor) and the session's history on ↑/↓.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::domain::filter::ParseError;

/// Expressions kept in the history.
const HISTORY: usize = 100;

/// A line being typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prompt {
    text: String,
    /// In characters, `0..=len`.
    cursor: usize,
    /// Why Enter refused the text; cleared by the next edit.
    error: Option<ParseError>,
    /// The history entry shown (index into the history), and the line typed before ↑.
    browsing: Option<(usize, String)>,
}

/// What a key did to the prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Changed,
    /// Not an editing key.
    Ignored,
}

impl Prompt {
    /// A prompt holding `text`, the cursor at its end.
    pub fn new(text: &str) -> Prompt {
        Prompt {
            cursor: text.chars().count(),
            text: text.to_owned(),
            ..Prompt::default()
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The cursor's position, in characters.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn error(&self) -> Option<&ParseError> {
        self.error.as_ref()
    }

    pub fn set_error(&mut self, e: ParseError) {
        self.error = Some(e);
    }

    fn byte(&self, char_index: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_index)
            .map_or(self.text.len(), |(i, _)| i)
    }

    fn len(&self) -> usize {
        self.text.chars().count()
    }

    /// Removes the characters `from..to` (character indices) and puts the cursor at `from`.
    fn cut(&mut self, from: usize, to: usize) {
        let (a, b) = (self.byte(from), self.byte(to));
        self.text.replace_range(a..b, "");
        self.cursor = from;
    }

    /// Applies an editing key; `history` is oldest first.
    pub fn edit(&mut self, key: KeyEvent, history: &[String]) -> Edit {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let before = self.text.clone();
        match key.code {
            KeyCode::Char('a') if ctrl => self.cursor = 0,
            KeyCode::Char('e') if ctrl => self.cursor = self.len(),
            KeyCode::Char('b') if ctrl => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Char('f') if ctrl => self.cursor = (self.cursor + 1).min(self.len()),
            KeyCode::Char('u') if ctrl => self.cut(0, self.cursor),
            KeyCode::Char('k') if ctrl => self.cut(self.cursor, self.len()),
            KeyCode::Char('w') if ctrl => self.cut(self.word_start(), self.cursor),
            KeyCode::Char(_) if ctrl => return Edit::Ignored,
            KeyCode::Char(c) => {
                let at = self.byte(self.cursor);
                self.text.insert(at, c);
                self.cursor += 1;
            }
            KeyCode::Backspace if self.cursor > 0 => self.cut(self.cursor - 1, self.cursor),
            KeyCode::Delete if self.cursor < self.len() => self.cut(self.cursor, self.cursor + 1),
            KeyCode::Backspace | KeyCode::Delete => {}
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(self.len()),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.len(),
            KeyCode::Up => self.older(history),
            KeyCode::Down => self.newer(history),
            _ => return Edit::Ignored,
        }
        if self.text != before {
            self.error = None;
        }
        // A key with nothing to do (Backspace at the start) is still the prompt's.
        Edit::Changed
    }

    /// Where Ctrl-W stops: the start of the word before the cursor (spaces before it go too).
    fn word_start(&self) -> usize {
        let chars: Vec<char> = self.text.chars().take(self.cursor).collect();
        let mut i = chars.len();
        while i > 0 && chars[i - 1].is_whitespace() {
            i -= 1;
        }
        while i > 0 && !chars[i - 1].is_whitespace() {
            i -= 1;
        }
        i
    }

    fn show(&mut self, text: String) {
        self.cursor = text.chars().count();
        self.text = text;
    }

    fn older(&mut self, history: &[String]) {
        let next = match &self.browsing {
            Some((i, _)) => i.checked_sub(1),
            None => history.len().checked_sub(1),
        };
        let Some(i) = next else { return };
        let draft = match self.browsing.take() {
            Some((_, d)) => d,
            None => self.text.clone(),
        };
        self.browsing = Some((i, draft));
        self.show(history.get(i).cloned().unwrap_or_default());
    }

    fn newer(&mut self, history: &[String]) {
        let Some((i, draft)) = self.browsing.take() else {
            return;
        };
        if i + 1 < history.len() {
            self.browsing = Some((i + 1, draft));
            self.show(history.get(i + 1).cloned().unwrap_or_default());
        } else {
            self.show(draft);
        }
    }
}

/// Adds an applied expression to the session's history (no repeat of the last one, bounded).
pub fn remember(history: &mut Vec<String>, text: &str) {
    if history.last().map(String::as_str) == Some(text) {
        return;
    }
    history.retain(|h| h != text);
    history.push(text.to_owned());
    if history.len() > HISTORY {
        history.remove(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    fn typed(s: &str) -> Prompt {
        let mut p = Prompt::default();
        for c in s.chars() {
            p.edit(key(KeyCode::Char(c)), &[]);
        }
        p
    }

    #[test]
    fn cursor_keys_insert_and_delete_in_the_middle() {
        let mut p = typed("code>500");
        for _ in 0..3 {
            p.edit(key(KeyCode::Left), &[]);
        }
        p.edit(key(KeyCode::Char('=')), &[]);
        assert_eq!((p.text(), p.cursor()), ("code>=500", 6));
        p.edit(key(KeyCode::Home), &[]);
        p.edit(key(KeyCode::Delete), &[]);
        assert_eq!((p.text(), p.cursor()), ("ode>=500", 0));
        p.edit(ctrl('e'), &[]);
        p.edit(key(KeyCode::Backspace), &[]);
        assert_eq!((p.text(), p.cursor()), ("ode>=50", 7));
        p.edit(ctrl('a'), &[]);
        p.edit(key(KeyCode::Right), &[]);
        p.edit(key(KeyCode::End), &[]);
        assert_eq!(p.cursor(), 7);
        p.edit(key(KeyCode::Right), &[]);
        assert_eq!(p.cursor(), 7, "stays at the end");
    }

    #[test]
    fn multibyte_text_edits_by_character() {
        let mut p = typed("call:CA…17");
        p.edit(key(KeyCode::Left), &[]);
        p.edit(key(KeyCode::Left), &[]);
        p.edit(key(KeyCode::Backspace), &[]);
        assert_eq!(p.text(), "call:CA17");
    }

    #[test]
    fn ctrl_u_kills_to_the_start_and_ctrl_w_a_word() {
        let mut p = typed("type:gather and code>=500");
        p.edit(ctrl('w'), &[]);
        assert_eq!(p.text(), "type:gather and ");
        p.edit(ctrl('w'), &[]);
        assert_eq!(p.text(), "type:gather ");
        let mut p = typed("type:gather digits=2");
        for _ in 0.."digits=2".len() {
            p.edit(key(KeyCode::Left), &[]);
        }
        p.edit(ctrl('u'), &[]);
        assert_eq!((p.text(), p.cursor()), ("digits=2", 0));
        p.edit(ctrl('k'), &[]);
        assert_eq!(p.text(), "");
        assert_eq!(p.edit(ctrl('x'), &[]), Edit::Ignored);
    }

    #[test]
    fn history_walks_back_and_returns_to_the_draft() {
        let history = vec!["type:gather".to_owned(), "code>=500".to_owned()];
        let mut p = typed("ms>");
        p.edit(key(KeyCode::Up), &history);
        assert_eq!(p.text(), "code>=500");
        p.edit(key(KeyCode::Up), &history);
        assert_eq!(p.text(), "type:gather");
        p.edit(key(KeyCode::Up), &history);
        assert_eq!(p.text(), "type:gather", "the oldest stays");
        p.edit(key(KeyCode::Down), &history);
        assert_eq!(p.text(), "code>=500");
        p.edit(key(KeyCode::Down), &history);
        assert_eq!((p.text(), p.cursor()), ("ms>", 3), "back to what was typed");
    }

    #[test]
    fn history_keeps_each_expression_once_newest_last() {
        let mut h = Vec::new();
        remember(&mut h, "a");
        remember(&mut h, "b");
        remember(&mut h, "a");
        remember(&mut h, "a");
        assert_eq!(h, ["b", "a"]);
        for i in 0..200 {
            remember(&mut h, &i.to_string());
        }
        assert_eq!(h.len(), HISTORY);
        assert_eq!(h.last().map(String::as_str), Some("199"));
    }

    #[test]
    fn an_edit_clears_the_error() {
        let mut p = typed("code>=");
        p.set_error(ParseError {
            column: 6,
            message: "expected a value".into(),
        });
        p.edit(key(KeyCode::Left), &[]);
        assert!(p.error().is_some(), "moving keeps it");
        p.edit(key(KeyCode::End), &[]);
        p.edit(key(KeyCode::Char('5')), &[]);
        assert!(p.error().is_none());
    }
}
