//! The expression editor, drawn at the top of the view that opened it
//! (PromQL over a graph, TraceQL over a trace search), and its list of
//! names that fit the word at the cursor.

use super::theme::Styles;
use crate::app::Loadable;
use crate::app::State;
use crate::app::prompt::{Language, Prompt, PromptKind};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// The editor, if the prompt open is one for `language`.
pub fn open(state: &State, language: Language) -> Option<&Prompt> {
    state
        .prompt
        .as_ref()
        .filter(|p| p.kind == PromptKind::Expression(language))
}

/// The language's name before the text.
fn label(prompt: &Prompt) -> &'static str {
    match prompt.kind {
        PromptKind::Expression(Language::TraceQl) => " TraceQL ",
        PromptKind::Expression(Language::LogQl) => " LogQL ",
        _ => " PromQL ",
    }
}

/// The expression being edited, after its language's name; the backend's
/// error, if the last run failed, shows right under it (the view draws it).
pub fn draw(frame: &mut Frame, area: Rect, prompt: &Prompt, state: &State) {
    let name = label(prompt);
    let [label_area, input] =
        Layout::horizontal([Constraint::Length(name.len() as u16), Constraint::Fill(1)])
            .areas(area);
    frame.render_widget(
        Span::styled(name, state.settings.theme.accent()),
        label_area,
    );
    frame.render_widget(&prompt.textarea, input);
}

/// The names that fit the word at the cursor, in a list under it.
pub fn draw_completion(frame: &mut Frame, below: Rect, prompt: &Prompt, state: &State) {
    let theme = &state.settings.theme;
    let Some(completion) = &prompt.completion else {
        return;
    };
    let names = completion.context.names();
    let lines: Vec<Line> = match names.and_then(|n| state.names.get(&n)) {
        _ if !completion.names.is_empty() => completion
            .names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let line = Line::raw(format!(" {name} "));
                if i == completion.selected {
                    line.patch_style(theme.selection())
                } else {
                    line
                }
            })
            .collect(),
        Some(Loadable::Loading { .. }) => vec![Line::styled(" loading names … ", theme.dim())],
        Some(Loadable::Failed(e)) => vec![Line::styled(
            format!(" no names: {} ", super::notice::backend_error(e)),
            theme.error(),
        )],
        _ => return,
    };
    let width = lines
        .iter()
        .map(Line::width)
        .max()
        .unwrap_or(0)
        .min(below.width as usize) as u16;
    let word_start = prompt
        .textarea
        .cursor()
        .1
        .saturating_sub(completion.context.prefix.chars().count());
    let x = (label(prompt).len() + word_start).min((below.width - width) as usize) as u16;
    let height = (lines.len() as u16).min(below.height);
    let area = Rect::new(below.x + x, below.y, width, height);
    super::clear_popup(frame, area);
    frame.render_widget(Paragraph::new(lines).style(theme.title()), area);
}
