//! CSV as RFC 4180 writes it, and read back ([`parse`]): fields separated by commas, records by CRLF, a field quoted
//! when it holds a comma, a quote, a line break or leading/trailing spaces (quotes doubled).
//! A field that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, a tab or a carriage
//! return first) is prefixed
//! with `'`, so an exported name never executes when the file is opened.

/// One field, quoted as needed.
pub fn field(s: &str) -> String {
    let s = match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_owned(),
    };
    let quote = s.contains([',', '"', '\n', '\r']) || s.trim() != s;
    if quote {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// A whole file: the header, then every record.
pub fn write<'a>(header: &[&str], records: impl Iterator<Item = Vec<String>> + 'a) -> String {
    let mut out = String::new();
    let line = |fields: Vec<String>| {
        fields
            .iter()
            .map(|f| field(f))
            .collect::<Vec<_>>()
            .join(",")
    };
    out.push_str(&line(header.iter().map(|h| (*h).to_owned()).collect()));
    out.push_str("\r\n");
    for r in records {
        out.push_str(&line(r));
        out.push_str("\r\n");
    }
    out
}

/// The records of a CSV text: RFC 4180 (quoted fields with `""` for a quote, line breaks
/// inside quotes), and what spreadsheets write besides: LF or CRLF line ends, a UTF-8
/// byte-order mark, a missing final line end. Blank lines are skipped. A field that
/// [`field`] defused (`'` before `=`, `+`, `-`, `@`, a tab or a CR) is read as it was, so a
/// file written by [`write`] reads back to the same records. An unterminated quote runs to
/// the end of the text (what a spreadsheet does), never panics.
pub fn parse(text: &str) -> Vec<Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut was_quoted = false;
    let mut chars = text.chars().peekable();
    let finish_cell = |cell: &mut String, was_quoted: &mut bool, record: &mut Vec<String>| {
        let mut c = std::mem::take(cell);
        if let Some(rest) = c.strip_prefix('\'') {
            if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                c = rest.to_owned();
            }
        }
        record.push(c);
        *was_quoted = false;
    };
    while let Some(ch) = chars.next() {
        if quoted {
            match ch {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => quoted = false,
                c => cell.push(c),
            }
            continue;
        }
        match ch {
            '"' if cell.is_empty() => {
                quoted = true;
                was_quoted = true;
            }
            ',' => finish_cell(&mut cell, &mut was_quoted, &mut record),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                finish_cell(&mut cell, &mut was_quoted, &mut record);
                let r = std::mem::take(&mut record);
                if !(r.len() == 1 && r[0].is_empty()) {
                    records.push(r);
                }
            }
            c => cell.push(c),
        }
    }
    if !cell.is_empty() || !record.is_empty() || was_quoted {
        finish_cell(&mut cell, &mut was_quoted, &mut record);
        if !(record.len() == 1 && record[0].is_empty()) {
            records.push(record);
        }
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_write_writes_parse_reads_back() {
        let records = vec![
            vec!["name".to_owned(), "tags".to_owned(), "note".to_owned()],
            vec!["a".into(), "k=v, x=y".into(), "say \"hi\"".into()],
            vec!["=SUM(1)".into(), "two\nlines".into(), " padded ".into()],
            vec!["-1".into(), "".into(), "@x".into()],
        ];
        let header: Vec<&str> = records[0].iter().map(String::as_str).collect();
        let text = write(&header, records[1..].iter().cloned());
        assert_eq!(parse(&text), records);
        assert_eq!(
            parse(&format!("\u{feff}{text}")),
            records,
            "a BOM is skipped"
        );
    }

    #[test]
    fn parse_takes_lf_blank_lines_and_a_missing_last_line_end() {
        assert_eq!(
            parse("a,b\n\n1,\"x,y\"\n2,3"),
            vec![vec!["a", "b"], vec!["1", "x,y"], vec!["2", "3"]]
        );
        assert_eq!(parse("a,\"open"), vec![vec!["a", "open"]]);
        assert!(parse("").is_empty());
    }

    #[test]
    fn fields_are_quoted_only_when_needed_and_formulas_are_defused() {
        assert_eq!(field("seattle"), "seattle");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field(" padded"), "\" padded\"");
        assert_eq!(field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(field("-1,2"), "\"'-1,2\"");
        assert_eq!(field("\tx"), "'\tx");
        assert_eq!(
            write(
                &["name", "tags"],
                vec![vec!["a".into(), "k=v, x=y".into()]].into_iter()
            ),
            "name,tags\r\na,\"k=v, x=y\"\r\n"
        );
    }
}
