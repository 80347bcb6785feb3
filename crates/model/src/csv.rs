//! CSV as RFC 4180 writes it: fields separated by commas, records by CRLF, a field quoted
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

#[cfg(test)]
mod tests {
    use super::*;

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
