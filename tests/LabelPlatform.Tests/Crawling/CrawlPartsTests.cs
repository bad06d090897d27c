using System.Net;
using System.Text;
using LabelPlatform.Core.Crawling;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Tests.Crawling;

public class CrawlPartsTests
{
    [Theory]
    [InlineData("HTTP://Example.COM:80/a/../b/./c?x=1#frag", null, "http://example.com/b/c?x=1")]
    [InlineData("https://example.com", null, "https://example.com/")]
    [InlineData("https://example.com:8443/%7ea%2fb", null, "https://example.com:8443/~a%2Fb")]
    [InlineData("../up.html", "http://h.test/a/b/page.html", "http://h.test/a/up.html")]
    [InlineData("//other.test/x", "https://h.test/", "https://other.test/x")]
    public void Urls_are_normalised(string raw, string? baseUrl, string expected) =>
        Assert.Equal(expected, UrlNormalizer.Normalize(raw, baseUrl is null ? null : new Uri(baseUrl))!.AbsoluteUri);

    [Theory]
    [InlineData("mailto:a@b.c")]
    [InlineData("javascript:alert(1)")]
    [InlineData("ftp://h.test/x")]
    [InlineData("file:///etc/passwd")]
    [InlineData("http://user:pw@h.test/")]
    [InlineData("")]
    public void Non_http_urls_are_refused(string raw) => Assert.Null(UrlNormalizer.Normalize(raw, new Uri("http://h.test/")));

    [Theory]
    [InlineData("http://h.test/a", "h.test")]
    [InlineData("http://h.test:8080/a", "h.test:8080")]
    [InlineData("http://bücher.test/", "xn--bcher-kva.test")]
    [InlineData("http://[::1]:8080/a", "[::1]:8080")]
    [InlineData("https://[2001:db8::1]/", "[2001:db8::1]")]
    public void Authority_is_the_host_as_a_url_writes_it_plus_a_non_default_port(string url, string authority)
    {
        Assert.Equal(authority, UrlNormalizer.Authority(new Uri(url)));
        // robots.txt is fetched from it.
        Assert.True(Uri.TryCreate($"http://{authority}/robots.txt", UriKind.Absolute, out _));
    }

    [Fact]
    public void Extractor_reads_every_image_form_and_links()
    {
        const string html = """
            <html><head><title> A   gallery </title><base href="/base/">
            <meta property="og:image" content="/og.jpg"><script>var s = "<img src='/in-script.jpg'>";</script>
            <style>a { background: url(/in-style.jpg) }</style></head>
            <body>
            <img src="1.jpg" alt="first">
            <img src="2.jpg" srcset="2-small.jpg 100w, 2-big.jpg 800w, 2-mid.jpg 400w" alt="second">
            <img src="3.jpg" srcset="3@1x.jpg, 3@3x.jpg 3x, 3@2x.jpg 2x">
            <picture><source srcset="4.webp 1x, 4@2x.webp 2x" type="image/webp"><img src="4.jpg"></picture>
            <a href="5.PNG">download</a> <a href="/page.html#top">page</a> <a href="mailto:x@y.z">mail</a>
            <textarea><a href="/in-textarea.html"></textarea>
            </body></html>
            """;
        var extract = HtmlExtractor.Extract(html, new Uri("http://h.test/dir/index.html"), 1_000_000, CancellationToken.None);
        Assert.Equal("A gallery", extract.Title);
        var images = extract.Images.Select(i => i.Url.AbsolutePath).ToList();
        Assert.Equal(["/og.jpg", "/base/1.jpg", "/base/2.jpg", "/base/2-big.jpg", "/base/3.jpg", "/base/3@3x.jpg", "/base/4@2x.webp", "/base/4.jpg", "/base/5.PNG"], images);
        Assert.Equal("first", extract.Images.Single(i => i.Url.AbsolutePath == "/base/1.jpg").Alt);
        Assert.Equal(["http://h.test/page.html"], extract.Links.Select(l => l.AbsoluteUri));
    }

    [Fact]
    public void Extractor_survives_100000_nested_elements_quickly()
    {
        var html = new StringBuilder("<html><body>");
        for (var i = 0; i < 100_000; i++)
        {
            html.Append("<div><span>");
        }

        html.Append("<img src='/deep.jpg'><a href='/deeper.html'>x</a></body></html>");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var extract = HtmlExtractor.Extract(html.ToString(), new Uri("http://h.test/"), 10_000_000, CancellationToken.None);
        // Linear work takes well under a second; the bound is loose for a loaded machine and still catches a blow-up.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}");
        Assert.Equal("/deep.jpg", Assert.Single(extract.Images).Url.AbsolutePath);
        Assert.Equal("/deeper.html", Assert.Single(extract.Links).AbsolutePath);
    }

    [Fact]
    public void Extractor_stops_at_its_token_cap()
    {
        var html = string.Concat(Enumerable.Repeat("<a href='/x'>x</a>", 1000)) + "<img src='/late.jpg'>";
        var extract = HtmlExtractor.Extract(html, new Uri("http://h.test/"), 100, CancellationToken.None);
        Assert.True(extract.Truncated);
        Assert.Empty(extract.Images);
    }
}
