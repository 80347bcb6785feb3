//! `index.html` of the release build, from the template Trunk also reads (`index.html` at the
//! root): each `<link data-trunk …>` replaced by what it stands for, as Trunk would.

/// The attribute `name="…"` of a tag, if it has one.
pub(super) fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

/// What the release `index.html` links: the app's script and module, the stylesheet.
pub(super) struct Links<'a> {
    pub(super) js: &'a str,
    pub(super) wasm: &'a str,
    pub(super) js_integrity: String,
    pub(super) wasm_integrity: String,
}

/// `index.html` from Trunk's template: each `<link data-trunk …>` replaced by what it stands
/// for. `css` is called with a stylesheet's path and gives its hashed name and integrity;
/// `copy` with a file to copy beside `index.html`.
pub(super) fn render_index(
    template: &str,
    links: &Links<'_>,
    mut css: impl FnMut(&str) -> Result<(String, String), String>,
    mut copy: impl FnMut(&str) -> Result<(), String>,
) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = template;
    let mut has_rust = false;
    while let Some(at) = rest.find("<link data-trunk") {
        out.push_str(&rest[..at]);
        let end = rest[at..]
            .find('>')
            .ok_or("index.html: an unclosed <link data-trunk")?;
        let tag = &rest[at..at + end + 1];
        rest = &rest[at + end + 1..];
        match attr(tag, "rel") {
            Some("rust") => {
                has_rust = true;
                out.push_str(&format!(
                    "<script type=\"module\" src=\"./boot.js\" data-js=\"./{}\" data-wasm=\"./{}\"></script>",
                    links.js, links.wasm
                ));
            }
            Some("css") => {
                let href = attr(tag, "href").ok_or("index.html: a css link without href")?;
                let (name, sri) = css(href)?;
                out.push_str(&format!(
                    "<link rel=\"stylesheet\" href=\"./{name}\" integrity=\"{sri}\"/>"
                ));
            }
            Some("copy-file") => {
                copy(attr(tag, "href").ok_or("index.html: a copy-file link without href")?)?;
                // The line the link stood on goes with it.
                if out.ends_with(' ') {
                    out.truncate(out.trim_end_matches(' ').len());
                }
                rest = rest.strip_prefix('\n').unwrap_or(rest);
            }
            other => return Err(format!("index.html: a data-trunk link of rel {other:?}")),
        }
    }
    if !has_rust {
        return Err("index.html has no <link data-trunk rel=\"rust\">".into());
    }
    let head_end = rest
        .find("</head>")
        .ok_or("index.html: no </head> after the links")?;
    out.push_str(&rest[..head_end]);
    // Fetched as the page is parsed, not after boot.js has asked for them.
    out.push_str(&format!(
        "<link rel=\"modulepreload\" href=\"./{}\" crossorigin=\"anonymous\" integrity=\"{}\">\
         <link rel=\"preload\" href=\"./{}\" crossorigin=\"anonymous\" integrity=\"{}\" as=\"fetch\" type=\"application/wasm\">",
        links.js, links.js_integrity, links.wasm, links.wasm_integrity
    ));
    out.push_str(&rest[head_end..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_links_what_the_template_names() {
        let template = "<head>\n    <title>T</title>\n    <link data-trunk rel=\"rust\" data-bin=\"x\">\n    <link data-trunk rel=\"css\" href=\"style/main.css\">\n    <link data-trunk rel=\"copy-file\" href=\"public/boot.js\">\n    <link rel=\"icon\" href=\"favicon.svg\">\n</head>\n<body></body>";
        let links = Links {
            js: "app-1.js",
            wasm: "app-1_bg.wasm",
            js_integrity: "sha384-J".into(),
            wasm_integrity: "sha384-W".into(),
        };
        let mut copied = Vec::new();
        let out = render_index(
            template,
            &links,
            |href| {
                assert_eq!(href, "style/main.css");
                Ok(("main-2.css".into(), "sha384-C".into()))
            },
            |href| {
                copied.push(href.to_owned());
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(copied, ["public/boot.js"]);
        assert!(out.contains("<script type=\"module\" src=\"./boot.js\" data-js=\"./app-1.js\" data-wasm=\"./app-1_bg.wasm\"></script>"));
        assert!(
            out.contains("<link rel=\"stylesheet\" href=\"./main-2.css\" integrity=\"sha384-C\"/>")
        );
        assert!(out.contains("<link rel=\"modulepreload\" href=\"./app-1.js\" crossorigin=\"anonymous\" integrity=\"sha384-J\">"));
        assert!(
            out.contains("integrity=\"sha384-W\" as=\"fetch\" type=\"application/wasm\"></head>")
        );
        assert!(!out.contains("data-trunk"));
        assert!(!out.contains("public/boot.js"));
        assert!(out.contains("<link rel=\"icon\" href=\"favicon.svg\">"));
        let unknown = template.replace("rel=\"css\"", "rel=\"sass\"");
        assert!(render_index(&unknown, &links, |_| unreachable!(), |_| Ok(())).is_err());
    }
}
