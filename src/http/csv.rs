//! CSV for the inspection exports (RFC 4180: comma-separated, CRLF line ends, a field quoted
//! when it holds a comma, quote or line break). A field that a spreadsheet would take for a
//! formula (leading `=`, `+`, `-`, `@`) is prefixed with `'` (CSV injection).

/// A CSV document being written, header first.
pub struct Csv(String);

fn field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

impl Csv {
    pub fn new(header: &[&str]) -> Csv {
        let mut csv = Csv(String::new());
        csv.row(header);
        csv
    }

    pub fn row<S: AsRef<str>>(&mut self, fields: &[S]) {
        let line: Vec<String> = fields.iter().map(|f| field(f.as_ref())).collect();
        self.0.push_str(&line.join(","));
        self.0.push_str("\r\n");
    }

    pub fn finish(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_when_needed_and_formulas_defused() {
        let mut csv = Csv::new(&["a", "b"]);
        csv.row(&["x,y", "say \"hi\""]);
        csv.row(&["=cmd()", "plain"]);
        assert_eq!(
            csv.finish(),
            "a,b\r\n\"x,y\",\"say \"\"hi\"\"\"\r\n'=cmd(),plain\r\n"
        );
    }
}
