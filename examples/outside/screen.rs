//! A terminal just good enough to read back what triage drew: the cursor
//! moves, erases and characters crossterm writes (colours and modes are
//! read and ignored), so a measurement can wait for the frame that shows
//! something, not merely for a frame.

use unicode_width::UnicodeWidthChar;

pub struct Screen {
    cols: usize,
    rows: Vec<Vec<String>>,
    row: usize,
    col: usize,
    /// Bytes of a sequence or a UTF-8 character cut by the end of a chunk.
    pending: Vec<u8>,
}

impl Screen {
    pub fn new(cols: u16, rows: u16) -> Screen {
        let cols = usize::from(cols);
        Screen {
            cols,
            rows: vec![vec![" ".to_owned(); cols]; usize::from(rows)],
            row: 0,
            col: 0,
            pending: Vec::new(),
        }
    }

    /// The screen's text, one line a row, trailing blanks cut.
    pub fn text(&self) -> String {
        let lines: Vec<String> = (self.rows.iter())
            .map(|r| r.concat().trim_end().to_owned())
            .collect();
        lines.join("\n")
    }

    /// Reads `bytes` as a terminal would.
    pub fn feed(&mut self, bytes: &[u8]) {
        let mut input = std::mem::take(&mut self.pending);
        input.extend_from_slice(bytes);
        let mut at = 0;
        while at < input.len() {
            match self.step(&input[at..]) {
                Some(used) => at += used,
                None => {
                    // Incomplete: wait for the rest.
                    self.pending = input[at..].to_vec();
                    return;
                }
            }
        }
    }

    /// One character or sequence from the start of `input`: how many bytes
    /// it took, or None when `input` ends inside it.
    fn step(&mut self, input: &[u8]) -> Option<usize> {
        match input[0] {
            0x1b => self.escape(input),
            b'\r' => {
                self.col = 0;
                Some(1)
            }
            b'\n' => {
                self.row = (self.row + 1).min(self.rows.len().saturating_sub(1));
                Some(1)
            }
            b if b < 0x20 || b == 0x7f => Some(1),
            b => {
                let len = match b {
                    0xf0.. => 4,
                    0xe0.. => 3,
                    0xc0.. => 2,
                    _ => 1,
                };
                if input.len() < len {
                    return None;
                }
                let text = String::from_utf8_lossy(&input[..len]).into_owned();
                self.put(text);
                Some(len)
            }
        }
    }

    fn put(&mut self, text: String) {
        let width = text.chars().next().and_then(|c| c.width()).unwrap_or(0);
        if width == 0 {
            return;
        }
        if let Some(row) = self.rows.get_mut(self.row) {
            if let Some(cell) = row.get_mut(self.col) {
                *cell = text;
            }
            if width == 2 {
                if let Some(cell) = row.get_mut(self.col + 1) {
                    cell.clear();
                }
            }
        }
        self.col = (self.col + width).min(self.cols);
    }

    fn escape(&mut self, input: &[u8]) -> Option<usize> {
        let second = *input.get(1)?;
        match second {
            b'[' => {
                let end = 2 + input[2..].iter().position(|b| (0x40..=0x7e).contains(b))?;
                let params = String::from_utf8_lossy(&input[2..end]).into_owned();
                self.csi(&params, input[end]);
                Some(end + 1)
            }
            b']' | b'P' | b'_' => {
                // A string: up to BEL or ST.
                let rest = &input[2..];
                let bel = rest.iter().position(|b| *b == 0x07).map(|i| i + 1);
                let st = rest.windows(2).position(|w| w == b"\x1b\\").map(|i| i + 2);
                let len = match (bel, st) {
                    (Some(a), Some(b)) => a.min(b),
                    (a, b) => a.or(b)?,
                };
                Some(2 + len)
            }
            _ => Some(2),
        }
    }

    fn csi(&mut self, params: &str, last: u8) {
        if params.starts_with('?') {
            return; // modes: the alternate screen, the cursor, synchronized output
        }
        let numbers: Vec<usize> = params.split(';').map(|p| p.parse().unwrap_or(0)).collect();
        let n = |i: usize, default: usize| match numbers.get(i) {
            Some(0) | None => default,
            Some(v) => *v,
        };
        let height = self.rows.len();
        match last {
            b'H' | b'f' => {
                self.row = (n(0, 1) - 1).min(height.saturating_sub(1));
                self.col = (n(1, 1) - 1).min(self.cols);
            }
            b'A' => self.row = self.row.saturating_sub(n(0, 1)),
            b'B' => self.row = (self.row + n(0, 1)).min(height.saturating_sub(1)),
            b'C' => self.col = (self.col + n(0, 1)).min(self.cols),
            b'D' => self.col = self.col.saturating_sub(n(0, 1)),
            b'G' => self.col = (n(0, 1) - 1).min(self.cols),
            b'J' => {
                let (row, col) = (self.row, self.col);
                match numbers.first().copied().unwrap_or(0) {
                    2 | 3 => self.clear(0, 0, height, 0),
                    1 => self.clear(0, 0, row, col + 1),
                    _ => self.clear(row, col, height, 0),
                }
            }
            b'K' => {
                let (row, col) = (self.row, self.col);
                match numbers.first().copied().unwrap_or(0) {
                    2 => self.clear(row, 0, row + 1, 0),
                    1 => self.clear(row, 0, row, col + 1),
                    _ => self.clear(row, col, row + 1, 0),
                }
            }
            _ => {} // colours and styles
        }
    }

    /// Blanks from (row, col) up to, not including, (to_row, to_col).
    fn clear(&mut self, row: usize, col: usize, to_row: usize, to_col: usize) {
        let cols = self.cols;
        for (y, line) in self.rows.iter_mut().enumerate() {
            for (x, cell) in line.iter_mut().enumerate() {
                let at = y * cols + x;
                if at >= row * cols + col && at < to_row * cols + to_col {
                    *cell = " ".to_owned();
                }
            }
        }
    }
}
