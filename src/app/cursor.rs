//! The cursor of a list: which row is selected, which is shown first, and
//! how movement keys move them. Every list view uses it.

use super::action::Action;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    pub selected: usize,
    /// The first row shown.
    pub top: usize,
}

impl Cursor {
    /// Moves for a movement key in a list of `len` rows, `page` to a
    /// screen; false for any other key.
    pub fn act(&mut self, action: Action, len: usize, page: usize) -> bool {
        match moved(self.selected, len, page, action) {
            Some(to) => {
                self.selected = to;
                true
            }
            None => false,
        }
    }

    /// Keeps the selection within `len` rows and among the `rows` shown.
    pub fn fit(&mut self, len: usize, rows: usize) {
        self.clamp(len);
        self.top = self.top_for(rows);
    }

    /// The first row to show of `rows`, moved as little as needed for the
    /// selection to be among them.
    pub fn top_for(&self, rows: usize) -> usize {
        let rows = rows.max(1);
        if self.selected < self.top {
            self.selected
        } else if self.selected >= self.top + rows {
            self.selected + 1 - rows
        } else {
            self.top
        }
    }

    pub fn clamp(&mut self, len: usize) {
        self.selected = self.selected.min(len.saturating_sub(1));
    }
}

/// Where a movement key takes a selection in a list of `len` rows.
pub fn moved(selected: usize, len: usize, page: usize, action: Action) -> Option<usize> {
    let last = len.saturating_sub(1);
    let page = page.max(1);
    Some(match action {
        Action::Down => (selected + 1).min(last),
        Action::Up => selected.saturating_sub(1),
        Action::PageDown => (selected + page).min(last),
        Action::PageUp => selected.saturating_sub(page),
        Action::Top => 0,
        Action::Bottom => last,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_stay_in_the_list_and_the_top_follows() {
        let mut cursor = Cursor::default();
        assert!(cursor.act(Action::PageDown, 10, 4));
        assert_eq!(cursor.selected, 4);
        cursor.fit(10, 4);
        assert_eq!(cursor.top, 1);
        assert!(cursor.act(Action::Bottom, 10, 4));
        cursor.fit(10, 4);
        assert_eq!((cursor.selected, cursor.top), (9, 6));
        cursor.fit(3, 4); // the list shrank
        assert_eq!((cursor.selected, cursor.top), (2, 2));
        assert!(!cursor.act(Action::Open, 10, 4));
        assert!(cursor.act(Action::Up, 0, 4));
        cursor.fit(0, 4); // the list emptied
        assert_eq!((cursor.selected, cursor.top), (0, 0));
    }
}
