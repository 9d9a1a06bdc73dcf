import Rendering
import Testing

@Suite struct HTMLToTextTests {
    private func text(_ html: String) -> String { HTMLToText.convert(html) }

    @Test func headStyleScriptAndCommentsVanish() {
        let html = """
            <!DOCTYPE html><html><head><title>T</title><style>p{color:red}</style></head>
            <body><!--[if mso]><table><tr><td><![endif]--><script>var a = "<p>x</p>";</script>
            <p>Visible</p><STYLE type="text/css">.x{}</STYLE></body></html>
            """
        #expect(text(html) == "Visible")
    }

    @Test func hiddenPreheaderIsDropped() {
        let html = """
            <div style="display: none; max-height:0">Preview text&#847;&zwnj;&nbsp;<div>inner</div>still hidden</div>\
            <div>Shown</div><span hidden>secret</span>
            """
        #expect(text(html) == "Shown")
    }

    @Test func blocksBreaksAndParagraphs() {
        #expect(text("<div>a</div><div>b</div>") == "a\nb")
        #expect(text("<p>a</p><p>b</p>") == "a\n\nb")
        #expect(text("<h1>Title</h1>Body") == "Title\n\nBody")
        #expect(text("a<br>b<br/>c<BR />d") == "a\nb\nc\nd")
        #expect(text("a<br><br>b") == "a\n\nb")
        #expect(text("<p>a<br></p><p>b</p>") == "a\n\nb")
        #expect(text("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>") == "a b\nc")
        #expect(text("x<hr>y") == "x\n\ny")
    }

    @Test func whitespaceCollapsesAndTrims() {
        #expect(text("  <p>\n  Hello \t\n   world  </p>\n\n  ") == "Hello world")
        #expect(text("<p> a </p>  <p>  b</p>") == "a\n\nb")
        #expect(text("<span>a</span> <span>b</span>") == "a b")
        #expect(text("a&nbsp;&nbsp;b") == "a b")
    }

    @Test func lists() {
        #expect(text("<p>Steps:</p><ul><li>One</li><li>Two <b>bold</b></li></ul><p>End</p>") == "Steps:\n\n- One\n- Two bold\n\nEnd")
        #expect(text("<ol><li>a<li>b</ol>") == "1. a\n2. b")
        #expect(text("<ol start=\"3\"><li>c</li></ol>") == "3. c")
    }

    @Test func links() {
        #expect(text("<a href=\"https://x.example/a?b=1&amp;c=2\">Open</a>") == "Open (https://x.example/a?b=1&c=2)")
        #expect(text("<a href=\"https://x.example/\">https://x.example</a>") == "https://x.example")
        #expect(text("<a href='https://www.x.example'>www.x.example</a>") == "www.x.example")
        #expect(text("Write to <a href=\"mailto:help@x.example\">help@x.example</a>.") == "Write to help@x.example.")
        #expect(text("<a href=\"mailto:help@x.example\">Support</a>") == "Support (help@x.example)")
        #expect(text("<a href=\"https://x.example\"></a>") == "https://x.example")
        #expect(text("<a href=\"https://x.example\"><img src=\"l.png\" alt=\"Logo\"></a>") == "Logo (https://x.example)")
        #expect(text("<a href=\"#top\">Top</a> <a name=x>anchor</a>") == "Top anchor")
        #expect(text("<a href=https://x.example/p>bare</a>") == "bare (https://x.example/p)")
    }

    @Test func entities() {
        #expect(text("&lt;b&gt; &amp; &quot;q&quot; &#39;s &apos;") == "<b> & \"q\" 's '")
        #expect(text("&#228;&#xF6;&#XFC; &euro;&copy; &mdash; &hellip;") == "äöü €© — …")
        #expect(text("Gr&uuml;&szlig;e &Auml;rger") == "Grüße Ärger")
        #expect(text("&#128075; &#0; &#xD800;") == "👋 \u{FFFD} \u{FFFD}")
        #expect(text("a &unknown; b & c &") == "a &unknown; b & c &")
        #expect(text("a&zwnj;b&#847;c\u{FEFF}d") == "abcd")
    }

    @Test func looseMarkupIsText() {
        #expect(text("1 < 2 and 3 > 2") == "1 < 2 and 3 > 2")
        #expect(text("<p title=\"a > b\">x</p>") == "x")
        #expect(text("a <b") == "a <b")
        #expect(text("") == "")
        #expect(text("<p></p><div> </div>") == "")
    }

    @Test func preformattedKeepsItsLines() {
        #expect(text("<p>a</p><pre>  x = 1\n  y = 2</pre><p>b</p>") == "a\n\n  x = 1\n  y = 2\n\nb")
    }
}
