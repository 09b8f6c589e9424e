//! The filter bar's family chips (`f TwiML:12 progress:4 errors:1 …`) and the active
//! family's chip beside the other active filters.

use ratatui::text::Span;

use super::theme;
use crate::app::App;
use crate::domain::EventKind;
use crate::domain::family::Group;

/// The family chips with their live counts, the shown one highlighted; empty when no event
/// of a family beyond TwiML is retained and no family is chosen (a TwiML-only sink needs no
/// more words; an invalid event or the sink's test event belongs to no family of a call).
pub fn chips(app: &App) -> Vec<Span<'static>> {
    let store = &app.store;
    let f = store.filter();
    let beyond: usize = Group::ALL[1..].iter().map(|g| store.group_count(*g)).sum();
    let familyless = store.kind_count(EventKind::Invalid) + store.kind_count(EventKind::TestEvent);
    if beyond <= familyless && f.groups == 0 {
        return Vec::new();
    }
    let mut spans = vec![Span::styled("f", theme::key()), Span::raw(" ")];
    for g in Group::ALL {
        let style = if f.has_group(g) {
            theme::active_chip()
        } else if f.groups == 0 {
            theme::title()
        } else {
            theme::dim()
        };
        spans.push(Span::styled(
            format!("{}:{}", g.name(), store.group_count(g)),
            style,
        ));
        spans.push(Span::raw(" "));
    }
    spans
}

/// The chosen family as an active-filter chip (always shown, however narrow the bar).
pub fn active(app: &App) -> Option<Span<'static>> {
    let f = app.store.filter();
    if f.groups == 0 {
        return None;
    }
    let names: Vec<&str> = Group::ALL
        .iter()
        .filter(|g| f.has_group(**g))
        .map(|g| g.name())
        .collect();
    Some(Span::styled(
        format!(" {} ", names.join("+")),
        theme::active_chip(),
    ))
}
