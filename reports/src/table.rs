//! What every report computes to: a [`Table`] with exactly the seed's columns, the cells as the
//! CSV writes them, the conversation each row opens (transcripts open from any row) and an
//! optional [`Chart`]. The console renders any table the same way; the CSV is the same cells.

use serde::{Deserialize, Serialize};

use super::query::ReportQuery;

/// A computed report.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// The header, exactly the seed's column names in its order.
    pub columns: Vec<String>,
    /// One entry per row, one cell per column, as the CSV writes it.
    pub rows: Vec<Vec<String>>,
    /// Per row: the conversation the row is about, if it is about one (the console links its
    /// transcript). Same length as `rows` (or empty when no row is).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conversations: Vec<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart: Option<Chart>,
}

impl Table {
    pub fn new(columns: &[&str]) -> Table {
        Table { columns: columns.iter().map(|c| (*c).to_owned()).collect(), ..Table::default() }
    }

    /// Adds a row (one cell per column) and the conversation it opens.
    pub fn push(&mut self, cells: Vec<String>, conversation: Option<String>) {
        debug_assert_eq!(cells.len(), self.columns.len());
        if conversation.is_some() && self.conversations.len() < self.rows.len() {
            self.conversations.resize(self.rows.len(), None);
        }
        if conversation.is_some() || !self.conversations.is_empty() {
            self.conversations.push(conversation);
        }
        self.rows.push(cells);
    }

    /// The conversation row `i` opens.
    pub fn conversation(&self, i: usize) -> Option<&str> {
        self.conversations.get(i).and_then(|c| c.as_deref())
    }

    /// The table as CSV (header line, then one line per row; RFC 4180 quoting). Every cell goes
    /// through [`neutralise`]: a cell a spreadsheet would run as a formula is written as text.
    pub fn to_csv(&self) -> Result<String, String> {
        let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
        w.write_record(self.columns.iter().map(|c| neutralise(c).into_owned())).map_err(|e| e.to_string())?;
        for r in &self.rows {
            w.write_record(r.iter().map(|c| neutralise(c).into_owned())).map_err(|e| e.to_string())?;
        }
        String::from_utf8(w.into_inner().map_err(|e| e.to_string())?).map_err(|e| e.to_string())
    }
}

/// A CSV cell as a spreadsheet may safely open it (OWASP, CSV injection): a cell that begins with
/// `=`, `+`, `-`, `@`, a tab or a carriage return gets a single quote in front, so it is read as
/// text and never run as a formula (`=HYPERLINK(…)` from a visitor's message); every other cell is
/// written as it is. Every CSV Parley writes goes through here ([`Table::to_csv`]).
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => std::borrow::Cow::Owned(format!("'{cell}")),
        _ => std::borrow::Cow::Borrowed(cell),
    }
}

/// How the console draws a chart next to the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    /// One bar per label; several series side by side.
    Bars,
    /// One bar per label, the series stacked (e.g. by rating).
    Stacked,
    /// The series as successive stages (e.g. the invite funnel), one label.
    Funnel,
}

/// A chart: labels on one axis, one value per label for each series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chart {
    pub kind: ChartKind,
    pub title: String,
    pub labels: Vec<String>,
    pub series: Vec<Series>,
}

impl Chart {
    /// A chart without labels yet and one empty series per name, for a report to fill as it
    /// writes its rows.
    pub fn empty(kind: ChartKind, title: impl Into<String>, series: &[&str]) -> Chart {
        Chart {
            kind,
            title: title.into(),
            labels: Vec::new(),
            series: series.iter().map(|n| Series { name: (*n).to_owned(), values: Vec::new() }).collect(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub name: String,
    /// One per label.
    pub values: Vec<f64>,
}

/// `GET /api/v1/console/reports/:report?…` and the public link's JSON: the query as
/// understood (defaults filled) and the table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportResponse {
    pub query: ReportQuery,
    pub title: String,
    pub table: Table,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_and_their_conversations_line_up() {
        let mut t = Table::new(&["a", "b"]);
        t.push(vec!["1".into(), "x,y".into()], None);
        t.push(vec!["2".into(), "q\"z".into()], Some("c1".into()));
        t.push(vec!["3".into(), String::new()], None);
        assert_eq!(t.conversations, vec![None, Some("c1".to_owned()), None]);
        assert_eq!(t.conversation(1), Some("c1"));
        assert_eq!(t.conversation(0), None);
        assert_eq!(t.to_csv().unwrap(), "a,b\n1,\"x,y\"\n2,\"q\"\"z\"\n3,\n");
    }

    #[test]
    fn formula_cells_are_written_as_text() {
        for (cell, want) in [
            ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"),
            ("+1", "'+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tcmd", "'\tcmd"),
            ("\rcmd", "'\rcmd"),
        ] {
            assert_eq!(neutralise(cell), want, "{cell:?}");
        }
        // Anything else, a formula character later in the cell included, is left as it is.
        for cell in ["", "plain", "a=b", "1-2", " =x", "'quoted", "2026-11-18 09:10:00", "€=", "\n=x"] {
            assert!(matches!(neutralise(cell), std::borrow::Cow::Borrowed(c) if c == cell), "{cell:?}");
        }
    }

    #[test]
    fn the_csv_neutralises_every_cell_header_included() {
        let mut t = Table::new(&["=h", "b"]);
        t.push(vec!["=HYPERLINK(\"http://evil\",\"x\")".into(), "ok".into()], None);
        t.push(vec!["@cmd".into(), "-1".into()], None);
        t.push(vec!["\t\r".into(), "+x,y".into()], None);
        assert_eq!(
            t.to_csv().unwrap(),
            "'=h,b\n\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",ok\n'@cmd,'-1\n\"'\t\r\",\"'+x,y\"\n"
        );
        // The table itself (the console's JSON) keeps the cells as they are.
        assert_eq!(t.rows[1][0], "@cmd");
    }
}
