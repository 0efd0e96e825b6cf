//! READMEs as safe HTML: `pulldown-cmark` parses, and this module writes every tag itself, so nothing from the
//! Markdown reaches the page unescaped. Raw HTML (blocks and inline) is shown as escaped text; links keep only
//! `http`, `https`, `mailto` and relative targets (anything else becomes plain text); images are never loaded (a
//! README must not make the reader's browser call another host): they become a link to the image, or their alt
//! text. No attribute a README controls is written except an escaped `href` and `title`.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::html::{Html, esc, is_safe_link};

/// How a link or image was opened, so its end closes the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opened {
    Anchor,
    Span,
}

/// Renders `markdown` (CommonMark with tables, strikethrough and task lists) as safe HTML. Headings are demoted
/// two levels (a README's `#` is an `<h3>` on the package page, under the page's own headings).
pub fn render(markdown: &str) -> Html {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut out = String::with_capacity(markdown.len() * 3 / 2 + 64);
    let mut links: Vec<Opened> = Vec::new();
    let mut in_table_head = false;
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Start(tag) => start(tag, &mut out, &mut links, &mut in_table_head),
            Event::End(tag) => end(tag, &mut out, &mut links, &mut in_table_head),
            Event::Text(text) => out.push_str(&esc(&text).to_string()),
            Event::Code(text) => {
                out.push_str("<code>");
                out.push_str(&esc(&text).to_string());
                out.push_str("</code>");
            }
            Event::InlineMath(text) | Event::DisplayMath(text) => {
                out.push_str("<code>");
                out.push_str(&esc(&text).to_string());
                out.push_str("</code>");
            }
            // Raw HTML is shown, never interpreted.
            Event::Html(text) | Event::InlineHtml(text) => {
                out.push_str(&esc(&text).to_string());
            }
            Event::FootnoteReference(name) => {
                out.push_str("[^");
                out.push_str(&esc(&name).to_string());
                out.push(']');
            }
            Event::SoftBreak => out.push('\n'),
            Event::HardBreak => out.push_str("<br>\n"),
            Event::Rule => out.push_str("<hr>\n"),
            Event::TaskListMarker(done) => out.push_str(if done { "☑ " } else { "☐ " }),
        }
    }
    // Close anything a malformed stream left open (pulldown-cmark balances its events; this is belt and braces).
    while let Some(opened) = links.pop() {
        out.push_str(close(opened));
    }
    Html::trusted(out)
}

fn heading(level: HeadingLevel) -> u8 {
    let level = match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    };
    (level + 2).min(6)
}

fn close(opened: Opened) -> &'static str {
    match opened {
        Opened::Anchor => "</a>",
        Opened::Span => "</span>",
    }
}

fn start(tag: Tag<'_>, out: &mut String, links: &mut Vec<Opened>, in_table_head: &mut bool) {
    match tag {
        Tag::Paragraph => out.push_str("<p>"),
        Tag::Heading { level, .. } => {
            out.push_str(&format!("<h{}>", heading(level)));
        }
        Tag::BlockQuote(_) => out.push_str("<blockquote>\n"),
        // The info string (language) is not written: it is text the README controls.
        Tag::CodeBlock(_) => out.push_str("<pre><code>"),
        Tag::HtmlBlock => out.push_str("<pre class=\"raw-html\"><code>"),
        Tag::List(Some(first)) if first != 1 => {
            out.push_str(&format!("<ol start=\"{first}\">\n"));
        }
        Tag::List(Some(_)) => out.push_str("<ol>\n"),
        Tag::List(None) => out.push_str("<ul>\n"),
        Tag::Item => out.push_str("<li>"),
        Tag::Table(_) => out.push_str("<div class=\"table-wrap\"><table>\n"),
        Tag::TableHead => {
            *in_table_head = true;
            out.push_str("<thead><tr>");
        }
        Tag::TableRow => out.push_str("<tr>"),
        Tag::TableCell => out.push_str(if *in_table_head { "<th>" } else { "<td>" }),
        Tag::Emphasis => out.push_str("<em>"),
        Tag::Strong => out.push_str("<strong>"),
        Tag::Strikethrough => out.push_str("<del>"),
        Tag::Superscript => out.push_str("<sup>"),
        Tag::Subscript => out.push_str("<sub>"),
        Tag::Link {
            dest_url, title, ..
        } => {
            if links.is_empty() && is_safe_link(&dest_url) {
                out.push_str(&format!("<a href=\"{}\"", esc(&dest_url)));
                if !title.is_empty() {
                    out.push_str(&format!(" title=\"{}\"", esc(&title)));
                }
                out.push_str(" rel=\"nofollow noopener noreferrer ugc\">");
                links.push(Opened::Anchor);
            } else {
                out.push_str("<span class=\"unlinked\">");
                links.push(Opened::Span);
            }
        }
        Tag::Image { dest_url, .. } => {
            if links.is_empty() && is_safe_link(&dest_url) {
                out.push_str(&format!(
                    "<a class=\"image-link\" href=\"{}\" rel=\"nofollow noopener noreferrer ugc\">image: ",
                    esc(&dest_url)
                ));
                links.push(Opened::Anchor);
            } else {
                out.push_str("<span class=\"image-alt\">image: ");
                links.push(Opened::Span);
            }
        }
        Tag::FootnoteDefinition(_)
        | Tag::DefinitionList
        | Tag::DefinitionListTitle
        | Tag::DefinitionListDefinition
        | Tag::MetadataBlock(_) => out.push_str("<div>"),
    }
}

fn end(tag: TagEnd, out: &mut String, links: &mut Vec<Opened>, in_table_head: &mut bool) {
    match tag {
        TagEnd::Paragraph => out.push_str("</p>\n"),
        TagEnd::Heading(level) => out.push_str(&format!("</h{}>\n", heading(level))),
        TagEnd::BlockQuote(_) => out.push_str("</blockquote>\n"),
        TagEnd::CodeBlock | TagEnd::HtmlBlock => out.push_str("</code></pre>\n"),
        TagEnd::List(true) => out.push_str("</ol>\n"),
        TagEnd::List(false) => out.push_str("</ul>\n"),
        TagEnd::Item => out.push_str("</li>\n"),
        TagEnd::Table => out.push_str("</tbody></table></div>\n"),
        TagEnd::TableHead => {
            *in_table_head = false;
            out.push_str("</tr></thead><tbody>\n");
        }
        TagEnd::TableRow => out.push_str("</tr>\n"),
        TagEnd::TableCell => out.push_str(if *in_table_head { "</th>" } else { "</td>" }),
        TagEnd::Emphasis => out.push_str("</em>"),
        TagEnd::Strong => out.push_str("</strong>"),
        TagEnd::Strikethrough => out.push_str("</del>"),
        TagEnd::Superscript => out.push_str("</sup>"),
        TagEnd::Subscript => out.push_str("</sub>"),
        TagEnd::Link | TagEnd::Image => {
            if let Some(opened) = links.pop() {
                out.push_str(close(opened));
            }
        }
        TagEnd::FootnoteDefinition
        | TagEnd::DefinitionList
        | TagEnd::DefinitionListTitle
        | TagEnd::DefinitionListDefinition
        | TagEnd::MetadataBlock(_) => out.push_str("</div>"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(markdown: &str) -> String {
        render(markdown).into_string()
    }

    #[test]
    fn ordinary_markdown() {
        let out = html(
            "# Title\n\nSome *text* and `code`.\n\n- a\n- b\n\n```rust\nfn main() {}\n```\n\n| a | b |\n|:-|-:|\n| 1 | 2 |\n\n[site](https://example.com \"t\")",
        );
        assert!(out.contains("<h3>Title</h3>"), "{out}");
        assert!(out.contains("<em>text</em>"));
        assert!(out.contains("<code>code</code>"));
        assert!(out.contains("<li>a</li>"));
        assert!(
            out.contains("<pre><code>fn main() {}\n</code></pre>"),
            "{out}"
        );
        assert!(
            out.contains("<th>a</th>") && out.contains("<td>2</td>"),
            "{out}"
        );
        assert!(!out.contains("style"), "{out}");
        assert!(out.contains("<a href=\"https&#58;//example.com\" title=\"t\" rel=\"nofollow noopener noreferrer ugc\">site</a>"), "{out}");
    }

    #[test]
    fn hostile_markdown_is_inert() {
        let hostile = "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\ntext <b onclick=alert(1)>bold</b>\n\n\
            [x](javascript:alert(1)) [y](JAVASCRIPT:alert(1)) [z](data:text/html,<script>) [w](vbscript:x)\n\n\
            [e](java&#x09;script:alert(1)) [f](&#106;avascript:alert(1)) <javascript:alert(1)>\n\n\
            ![img](https://tracker.example/p.png) ![i2](javascript:alert(1)) [![nested](https://a.example/i.png)](https://b.example)\n\n\
            ```\"><script>alert(1)</script>\ncode\n```\n\n<div>\n<iframe src=\"https://evil.example\"></iframe>\n</div>\n";
        let out = html(hostile);
        let lower = out.to_ascii_lowercase();
        for bad in [
            "<script",
            "<img",
            "<iframe",
            "<b ",
            "onerror=",
            "onclick=",
            "javascript:",
            "data:",
            "vbscript:",
            "src=",
        ] {
            assert!(!lower.contains(bad), "{bad} in {out}");
        }
        assert!(
            out.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{out}"
        );
        assert!(out.contains("onerror&#61;alert(1)"), "{out}");
        assert!(out.contains("<span class=\"unlinked\">x</span>"), "{out}");
        assert!(
            out.contains("class=\"image-link\" href=\"https&#58;//tracker.example/p.png\""),
            "{out}"
        );
        assert!(
            out.contains("<span class=\"image-alt\">image: i2</span>"),
            "{out}"
        );
        // An image inside a link is only its alt text: no nested anchors.
        assert!(
            out.contains("<span class=\"image-alt\">image: nested</span></a>"),
            "{out}"
        );
        assert_eq!(
            out.matches("<a ").count(),
            out.matches("</a>").count(),
            "{out}"
        );
    }
}
