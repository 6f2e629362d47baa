//! Self-contained HTML pages written as XHTML-compatible markup.
//!
//! One file that opens anywhere, offline, forever: styles are inline, charts are inline SVG,
//! nothing is fetched and nothing runs. Every element is closed, every attribute quoted and
//! every text escaped, so the page also parses as XML (the tests check that).

use std::fmt::Write as _;

use crate::style::Rendered;

/// Escapes text for element content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML; keep tabs and newlines.
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' && c != '\r' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "
:root { color-scheme: light; }
body { font-family: 'DejaVu Sans', 'Segoe UI', Helvetica, Arial, sans-serif; color: #222;
  background: #fafafa; margin: 0; line-height: 1.5; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 28px 64px; background: #fff; }
h1 { font-size: 1.9em; margin: 0.2em 0 0.1em; }
h2 { font-size: 1.35em; margin: 1.8em 0 0.6em; border-bottom: 2px solid #e4e4e4; padding-bottom: 0.2em; }
h3 { font-size: 1.1em; margin: 1.2em 0 0.4em; }
p.sub { color: #555; margin-top: 0; }
nav { margin: 0.8em 0 1.2em; font-size: 0.95em; }
nav a { margin-right: 1.1em; color: #2a5d9f; text-decoration: none; }
nav a:hover { text-decoration: underline; }
table { border-collapse: collapse; margin: 0.4em 0 1.2em; font-size: 0.92em; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e6e6e6; text-align: right; white-space: nowrap; }
th { background: #f2f4f7; font-weight: 600; border-bottom: 2px solid #d0d4da; }
td:first-child, th:first-child { text-align: left; }
tr:hover td { background: #f7f9fc; }
td.best { font-weight: 700; background: #e4f4e4; }
td.meets { color: #1a7f37; font-weight: 600; }
td.misses { color: #b42318; }
.scroll { overflow-x: auto; }
figure { margin: 1.2em 0 2em; }
figure svg { display: block; width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.92em; margin-top: 0.3em; }
figcaption strong { color: #222; }
.files { color: #888; font-size: 0.9em; }
pre { background: #f5f6f8; border: 1px solid #e3e5e8; padding: 12px 14px; overflow-x: auto;
  font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 0.88em; line-height: 1.4; }
code { font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 0.92em; }
.note { color: #555; font-style: italic; }
dl.kv { display: grid; grid-template-columns: max-content auto; gap: 2px 18px; }
dl.kv dt { color: #555; }
dl.kv dd { margin: 0; }
";

/// A table cell: its text and an optional CSS class.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cell {
    pub text: String,
    pub class: Option<&'static str>,
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell { text, class: None }
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Cell {
        Cell { text: text.to_string(), class: None }
    }
}

/// A page being assembled, section by section.
pub(crate) struct Page {
    title: String,
    heading: String,
    subtitle: String,
    nav: Vec<(String, String)>,
    body: String,
}

impl Page {
    pub fn new(title: &str, heading: &str, subtitle: &str) -> Page {
        Page {
            title: title.to_string(),
            heading: heading.to_string(),
            subtitle: subtitle.to_string(),
            nav: Vec::new(),
            body: String::new(),
        }
    }

    /// Starts a section with an anchor listed in the page's navigation.
    pub fn section(&mut self, id: &str, heading: &str) {
        self.nav.push((id.to_string(), heading.to_string()));
        let _ = writeln!(self.body, "<h2 id=\"{}\">{}</h2>", esc(id), esc(heading));
    }

    pub fn h3(&mut self, text: &str) {
        let _ = writeln!(self.body, "<h3>{}</h3>", esc(text));
    }

    pub fn p(&mut self, text: &str) {
        let _ = writeln!(self.body, "<p>{}</p>", esc(text));
    }

    pub fn note(&mut self, text: &str) {
        let _ = writeln!(self.body, "<p class=\"note\">{}</p>", esc(text));
    }

    pub fn pre(&mut self, text: &str) {
        let _ = writeln!(self.body, "<pre>{}</pre>", esc(text));
    }

    /// A definition list of `(label, value)` pairs.
    pub fn kv(&mut self, pairs: &[(String, String)]) {
        self.body.push_str("<dl class=\"kv\">\n");
        for (k, v) in pairs {
            let _ = writeln!(self.body, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(v));
        }
        self.body.push_str("</dl>\n");
    }

    /// A table with a header row; rows may be shorter or longer than the header.
    pub fn table(&mut self, header: &[&str], rows: &[Vec<Cell>]) {
        self.body.push_str("<div class=\"scroll\"><table>\n<thead><tr>");
        for h in header {
            let _ = write!(self.body, "<th>{}</th>", esc(h));
        }
        self.body.push_str("</tr></thead>\n<tbody>\n");
        for r in rows {
            self.body.push_str("<tr>");
            for c in r {
                match c.class {
                    Some(class) => {
                        let _ = write!(self.body, "<td class=\"{class}\">{}</td>", esc(&c.text));
                    }
                    None => {
                        let _ = write!(self.body, "<td>{}</td>", esc(&c.text));
                    }
                }
            }
            self.body.push_str("</tr>\n");
        }
        self.body.push_str("</tbody>\n</table></div>\n");
    }

    /// A chart inline (its SVG markup), with its caption; `id="chart-<name>"`.
    pub fn figure(&mut self, chart: &Rendered, caption: &str) {
        let svg = inline_svg(&chart.svg_text);
        let _ = writeln!(
            self.body,
            "<figure id=\"chart-{}\">\n{}\n<figcaption><strong>{}.</strong> {} <span class=\"files\">(charts/{}.png, .svg)</span></figcaption>\n</figure>",
            esc(&chart.name),
            svg,
            esc(&chart.title),
            esc(caption),
            esc(&chart.name)
        );
    }

    /// The whole document.
    pub fn finish(self) -> String {
        let mut out = String::with_capacity(self.body.len() + 4096);
        out.push_str("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
        out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n");
        out.push_str("<meta name=\"generator\" content=\"schedlab-reports\"/>\n");
        let _ = writeln!(out, "<title>{}</title>", esc(&self.title));
        let _ = writeln!(out, "<style>{CSS}</style>\n</head>\n<body>\n<main>");
        let _ = writeln!(out, "<h1>{}</h1>", esc(&self.heading));
        if !self.subtitle.is_empty() {
            let _ = writeln!(out, "<p class=\"sub\">{}</p>", esc(&self.subtitle));
        }
        if !self.nav.is_empty() {
            out.push_str("<nav>");
            for (id, h) in &self.nav {
                let _ = write!(out, "<a href=\"#{}\">{}</a>", esc(id), esc(h));
            }
            out.push_str("</nav>\n");
        }
        out.push_str(&self.body);
        out.push_str("</main>\n</body>\n</html>\n");
        out
    }
}

/// SVG markup ready to sit inside the page: without any XML declaration or doctype, and
/// labelled for screen readers by its `<title>` when plotters gave none.
fn inline_svg(svg: &str) -> &str {
    let s = svg.trim_start();
    match s.find("<svg") {
        Some(i) => s[i..].trim_end(),
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(inline_svg("<?xml version=\"1.0\"?>\n<svg a=\"1\"></svg>\n"), "<svg a=\"1\"></svg>");
    }
}
